"""What every figure shares, whatever draws it: trial selection by state, decimation, axes and log scales."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from tunelab.analysis._data import Column, Table, Target, as_view, build_table
from tunelab.analysis.decimate import decimate
from tunelab.trial import FrozenTrial, TrialState

MAX_POINTS = 5000  # points one figure draws at most (plus the best and the Pareto front)
MAX_CURVES = 300  # learning curves one figure draws at most

COLORS = {"complete": "#1f77b4", "pruned": "#ff7f0e", "fail": "#d62728", "running": "#7f7f7f",
          "waiting": "#bcbd22", "best": "#d62728"}


@dataclass
class Axis:
    """One axis of a figure: its title, whether it is logarithmic, and the category labels in order (None: numbers)."""

    title: str
    log: bool = False
    categories: list[str] | None = None

    def positions(self, values: Sequence[Any]) -> np.ndarray:
        """Numbers to draw ``values`` at: a category's index on a categorical axis, the value itself otherwise."""
        if self.categories is None:
            return np.array([np.nan if v is None else float(v) for v in values], dtype=float)
        where = {c: i for i, c in enumerate(self.categories)}
        return np.array([where.get(v, np.nan) if v is not None else np.nan for v in values], dtype=float)


@dataclass
class PointGroup:
    """Trials of one state drawn as points: ``x``/``y`` (numbers or category labels), ``color`` when colored.

    ``trials[index[k]]`` is the trial behind point ``k`` and ``values[k]`` its target value (for hover text).
    """

    state: TrialState
    label: str
    trials: Sequence[FrozenTrial]
    index: np.ndarray
    x: Any
    y: Any
    values: np.ndarray
    color: np.ndarray | None = None
    spread: list[float] | None = None


def chosen_states(states: Iterable[TrialState | str] | None, include_pruned: bool,
                  default: Sequence[TrialState] = (TrialState.COMPLETE,)) -> tuple[TrialState, ...]:
    """The states a figure draws: ``states`` if given, else ``default`` (+ PRUNED with include_pruned)."""
    if states is not None:
        if isinstance(states, (str, TrialState)):
            states = [states]
        parsed = tuple(TrialState.parse(s) for s in states)
        if not parsed:
            raise ValueError("states must name at least one trial state")
        return parsed
    out = tuple(default)
    if include_pruned and TrialState.PRUNED not in out:
        out = out + (TrialState.PRUNED,)
    return out


def table_for(study: Any, params: Sequence[str] | None, target: Target | None, states: Sequence[TrialState],
              what: str, target_direction: str | None = None) -> Table:
    """The trials in ``states`` with a finite target (pruned trials carry their last reported value).

    target_direction: which way ``target`` is better (:func:`tunelab.analysis.get_param_importances`)."""
    return build_table(study, params, target, states=states, what=what, target_direction=target_direction)


def keep_indices(table: Table, max_points: int | None) -> np.ndarray:
    if max_points is None:
        return np.arange(len(table.trials))
    if max_points < 1:
        raise ValueError(f"max_points must be an int >= 1 or None; got {max_points!r}")
    return decimate(table.loss, max_points)


def wants_log(name: str, column: Column | None, log: Any, values: np.ndarray | None = None) -> bool:
    """Whether an axis is logarithmic: ``log`` (bool, or a dict by name) overrides the distribution's own."""
    if isinstance(log, Mapping):
        if name in log:
            return bool(log[name])
        log = None
    if log is not None and not isinstance(log, bool):
        raise TypeError(f"log must be True, False, None or a dict of name -> bool; got {log!r}")
    if column is not None and column.kind == "categorical":
        return False
    if log is None:
        return bool(column is not None and column.log)
    if log and values is not None:
        finite = values[np.isfinite(values)]
        if finite.size and finite.min() <= 0:
            return False  # a log axis cannot show zero or negative values
    return log


def column_axis(column: Column, log: Any, values: np.ndarray | None = None) -> Axis:
    """The axis of a parameter (or user attribute) column: categories in their declared order, or log/linear."""
    if column.kind == "categorical":
        return Axis(column.name, False, [str(c) for c in column.choices or ()])
    return Axis(column.name, wants_log(column.name, column, log, values))


def column_points(column: Column, index: np.ndarray) -> list[Any]:
    """The column's values at rows ``index``: numbers, or a category's label (None where absent)."""
    if column.kind == "categorical":
        return [None if column.raw[i] is None else str(column.raw[i]) for i in index]
    return [column.raw[i] for i in index]


def check_max_points(max_points: Any) -> None:
    if max_points is not None and (isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1):
        raise ValueError(f"max_points must be an int >= 1 or None; got {max_points!r}")


def studies_of(study: Any) -> list[Any]:
    """One study or a list of them (Optuna's history and EDF accept both)."""
    if isinstance(study, (list, tuple)) and study and not isinstance(study[0], FrozenTrial):
        return [as_view(s) for s in study]
    return [as_view(study)]
