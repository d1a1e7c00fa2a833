"""What the figures over several objectives draw, as plain data: the Pareto front and the hypervolume history.

The plotly figures (``_analysis.py``) and the matplotlib ones (``matplotlib/``) both read these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from tunelab.analysis.decimate import decimate, pareto_mask
from tunelab.trial import FrozenTrial, StudyDirection, TrialState
from tunelab.visualization._common import COLORS, check_max_points, studies_of


@dataclass
class ParetoGroup:
    """Trials drawn alike ("Trial", "Best Trial" or "Infeasible Trial"); coords[j]: their j-th shown axis."""

    name: str
    color: str
    trials: list[FrozenTrial]
    index: np.ndarray
    coords: list[np.ndarray]


@dataclass
class ParetoData:
    axis_names: list[str]  # in the order drawn (2 or 3)
    groups: list[ParetoGroup]

    def group(self, name: str) -> ParetoGroup | None:
        return next((g for g in self.groups if g.name == name), None)


def pareto_data(study: Any, *, target_names: Sequence[str] | None = None, include_dominated_trials: bool = True,
                axis_order: Sequence[int] | None = None,
                constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
                targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
                max_points: int | None = None) -> ParetoData:
    """The groups of :func:`plot_pareto_front`: the whole front; dominated trials decimated to max_points."""
    check_max_points(max_points)
    view = studies_of(study)[0]
    trials = [t for t in view.get_trials([TrialState.COMPLETE]) if t.values]
    dirs = list(view.directions)
    if targets is None:
        if len(dirs) not in (2, 3):
            raise ValueError(f"plot_pareto_front: the study has {len(dirs)} objective(s); it draws 2 or 3 "
                             "(pass targets=lambda t: (..., ...) to choose)")
        pts = np.array([t.values for t in trials], dtype=float).reshape(len(trials), len(dirs))
    else:
        pts = np.array([list(targets(t)) for t in trials], dtype=float)
        if pts.ndim != 2 or pts.shape[1] not in (2, 3):
            raise ValueError("plot_pareto_front: targets must return 2 or 3 values per trial")
        if len(dirs) != pts.shape[1]:
            dirs = [StudyDirection.MINIMIZE] * pts.shape[1]
    m = pts.shape[1]
    if axis_order is not None and sorted(axis_order) != list(range(m)):
        raise ValueError(f"plot_pareto_front: axis_order must be a permutation of {list(range(m))}; "
                         f"got {list(axis_order)}")
    order = list(axis_order) if axis_order is not None else list(range(m))
    names = list(target_names) if target_names is not None else [f"Objective {i}" for i in range(m)]
    if len(names) != m:
        raise ValueError(f"plot_pareto_front: target_names must have {m} names; got {len(names)}")
    feasible = np.ones(len(trials), dtype=bool)
    if constraints_func is not None:
        feasible = np.array([all(c <= 0 for c in constraints_func(t)) for t in trials], dtype=bool)
    losses = pts * np.array([d.sign() for d in dirs])
    front = np.zeros(len(trials), dtype=bool)
    if feasible.any():
        fi = np.flatnonzero(feasible)
        front[fi[pareto_mask(losses[fi])]] = True
    groups = []

    def add(index: np.ndarray, name: str, color: str) -> None:
        if len(index):
            groups.append(ParetoGroup(name, color, trials, index, [pts[index, j] for j in order]))

    if include_dominated_trials:
        rest = np.flatnonzero(~front & feasible)
        if max_points is not None and len(rest) > max_points:
            rest = rest[decimate(losses[rest], max_points)]
        add(rest, "Trial", COLORS["complete"])
    add(np.flatnonzero(front), "Best Trial", COLORS["best"])
    if constraints_func is not None:
        bad = np.flatnonzero(~feasible)
        if max_points is not None and len(bad) > max_points:
            bad = bad[np.linspace(0, len(bad) - 1, max_points).astype(int)]
        add(bad, "Infeasible Trial", "#cccccc")
    return ParetoData([names[j] for j in order], groups)


@dataclass
class HypervolumeData:
    """The hypervolume of the feasible complete trials up to each trial number."""

    numbers: np.ndarray
    values: np.ndarray
    message: str | None = None


def hypervolume_data(study: Any, reference_point: Sequence[float]) -> HypervolumeData:
    """The points of :func:`plot_hypervolume_history`: after each complete trial, the volume its front dominates.

    reference_point: one coordinate per objective, in the objectives' own units (worse
    than the values that should count: above them when minimizing, below when maximizing).
    Trials whose stored constraints are violated never count.
    """
    from tunelab.pareto import hypervolume, violation

    view = studies_of(study)[0]
    dirs = list(view.directions)
    if len(dirs) < 2:
        raise ValueError("plot_hypervolume_history: the study has one objective; the hypervolume needs two or more")
    ref = np.asarray(reference_point, dtype=float).reshape(-1)
    if ref.size != len(dirs) or not np.all(np.isfinite(ref)):
        raise ValueError(f"plot_hypervolume_history: reference_point must be {len(dirs)} finite numbers (one per "
                         f"objective); got {list(reference_point)}")
    signs = np.array([d.sign() for d in dirs])
    trials = sorted((t for t in view.get_trials([TrialState.COMPLETE]) if t.values), key=lambda t: t.number)
    if not trials:
        return HypervolumeData(np.empty(0, dtype=int), np.empty(0), "no complete trials")
    ref_loss = ref * signs
    front = np.empty((0, len(dirs)))
    numbers, values = [], []
    current = 0.0
    for t in trials:
        loss = np.asarray(t.values, dtype=float) * signs
        if violation(t) <= 0 and np.all(loss < ref_loss):
            dominated = np.any(np.all(front <= loss, axis=1)) if len(front) else False
            if not dominated:
                keep = ~np.all(loss <= front, axis=1) if len(front) else np.empty(0, dtype=bool)
                front = np.vstack([front[keep], loss])
                current = hypervolume(front, ref_loss)
        numbers.append(t.number)
        values.append(current)
    return HypervolumeData(np.array(numbers, dtype=int), np.array(values, dtype=float))
