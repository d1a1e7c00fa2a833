"""What the figures over parameters draw, as plain data: slice, parallel coordinates, contour, rank, importances.

The plotly figures (``_params.py``, ``_analysis.py``) and the matplotlib ones
(``matplotlib/``) both read these, so the two renderers show the same trials and numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from tunelab.analysis._data import Column, Table
from tunelab.trial import FrozenTrial, TrialState
from tunelab.visualization._common import (
    Axis,
    PointGroup,
    check_max_points,
    chosen_states,
    column_axis,
    column_points,
    keep_indices,
    studies_of,
    table_for,
    wants_log,
)

MAX_MATRIX_PARAMS = 5  # a matrix of panels shows at most this many parameters unless they are named


@dataclass
class SlicePanel:
    axis: Axis
    groups: list[PointGroup]  # one per state; color: the trial numbers


@dataclass
class SliceData:
    """One panel per parameter: the value against it; or a message when there is nothing to show."""

    panels: list[SlicePanel]
    value_axis: Axis
    message: str | None = None


def slice_data(study: Any, params: Sequence[str] | None = None, *,
               target: Callable[[FrozenTrial], float] | None = None, target_name: str = "Objective Value",
               states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
               log: Any = None, max_points: int | None = None,
                target_direction: str | None = None) -> SliceData:
    """The panels of :func:`plot_slice` (see it for the arguments)."""
    check_max_points(max_points)
    shown = chosen_states(states, include_pruned)
    table = table_for(study, params, target, shown, "plot_slice", target_direction)
    value_log = log is not None and wants_log("objective", None, log if isinstance(log, dict) else None,
                                                table.values)
    value_axis = Axis(target_name, value_log)
    if not table.names or not len(table.trials):
        return SliceData([], value_axis, "no trials with values to show")
    idx = keep_indices(table, max_points)
    numbers = np.array([t.number for t in table.trials])
    panels = []
    for name in table.names:
        col = table.columns[name]
        groups = []
        for state in shown:
            pick = idx[[table.trials[i].state == state and not math.isnan(col.unit[i]) for i in idx]]
            if len(pick):
                groups.append(PointGroup(state, state.name.lower(), table.trials, pick, column_points(col, pick),
                                         table.values[pick], table.values[pick], color=numbers[pick]))
        panels.append(SlicePanel(column_axis(col, log, np.asarray(col.numeric(), dtype=float)), groups))
    return SliceData(panels, value_axis)


@dataclass
class Dimension:
    """One vertical axis of a parallel-coordinate plot: values (log10 for log axes, an index for categories)."""

    label: str
    values: np.ndarray
    range: tuple[float, float]
    tickvals: list[float] | None = None
    ticktext: list[str] | None = None


@dataclass
class ParallelData:
    """The value's axis then one per parameter; lines colored by the value (dark = good when ``reverse``)."""

    dimensions: list[Dimension]
    color: np.ndarray
    reverse: bool
    target_name: str
    message: str | None = None


def _dimension(col: Column, index: np.ndarray, log: Any) -> Dimension:
    if col.kind == "categorical":
        k = len(col.choices or ())
        vals = np.floor(col.unit[index] * k).clip(0, k - 1)
        return Dimension(col.name, vals, (0, max(k - 1, 1)), list(range(k)), [str(c) for c in col.choices or ()])
    raw = col.numeric()[index]
    if wants_log(col.name, col, log, raw):
        lv = np.log10(raw)
        lo, hi = float(np.floor(np.nanmin(lv))), float(np.ceil(np.nanmax(lv)))
        ticks = list(np.arange(lo, hi + 1))
        return Dimension(col.name, lv, (lo, hi), ticks, [f"1e{int(t)}" for t in ticks])
    return Dimension(col.name, raw, (float(np.nanmin(raw)), float(np.nanmax(raw))))


def parallel_data(study: Any, params: Sequence[str] | None = None, *,
                  target: Callable[[FrozenTrial], float] | None = None, target_name: str = "Objective Value",
                  states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
                  log: Any = None, max_points: int | None = None,
                target_direction: str | None = None) -> ParallelData:
    """The axes of :func:`plot_parallel_coordinate`; trials lacking one of the parameters are left out."""
    check_max_points(max_points)
    shown = chosen_states(states, include_pruned)
    table = table_for(study, params, target, shown, "plot_parallel_coordinate", target_direction)
    if not len(table.trials):
        return ParallelData([], np.empty(0), False, target_name, "no trials with values to show")
    full = np.ones(len(table.trials), dtype=bool)
    for n in table.names:
        full &= table.columns[n].present
    table = table.subset(np.flatnonzero(full))
    idx = keep_indices(table, max_points)
    vals = table.values[idx]
    dims = [Dimension(target_name, vals, (float(vals.min()), float(vals.max())) if len(vals) else (0, 1))]
    dims += [_dimension(table.columns[n], idx, log) for n in table.names]
    return ParallelData(dims, vals, table.direction.sign() > 0, target_name)


def _at_most(table: Table, names: list[str], params: Sequence[str] | None) -> list[str]:
    """The parameters a matrix of panels draws: those named, else the 5 most important (PED-ANOVA)."""
    if params is not None or len(names) <= MAX_MATRIX_PARAMS:
        return names
    from tunelab.analysis.importance import PedAnovaImportanceEvaluator, _normalized, _ordered

    return list(_ordered(_normalized(PedAnovaImportanceEvaluator().raw(table))))[:MAX_MATRIX_PARAMS]


@dataclass
class ContourPanel:
    """The value over parameters ``x`` and ``y``: an interpolated grid (None with under 3 distinct trials) + points.

    grid_x/grid_y: the grid's raw values (category labels on categorical axes);
    grid_px/grid_py: the same as numbers (a category's index, fractional between them).
    """

    x: str
    y: str
    grid_x: list[Any]
    grid_y: list[Any]
    grid_px: np.ndarray
    grid_py: np.ndarray
    z: np.ndarray | None
    points: PointGroup  # x/y: the trials' parameter values, color: their values


@dataclass
class ContourData:
    names: list[str]
    axes: dict[str, Axis]
    panels: dict[tuple[str, str], ContourPanel]
    reverse: bool  # minimizing: small (good) values dark
    target_name: str
    message: str | None = None


def _idw(points: np.ndarray, values: np.ndarray, gx: np.ndarray, gy: np.ndarray, k: int = 8) -> np.ndarray:
    """Inverse-distance-weighted values on the grid gx x gy from the k nearest trials (rows: y, columns: x)."""
    from scipy.spatial import cKDTree

    gxx, gyy = np.meshgrid(gx, gy)
    query = np.column_stack([gxx.ravel(), gyy.ravel()])
    k = min(k, len(points))
    dist, near = cKDTree(points).query(query, k=k)
    dist = dist.reshape(len(query), k)
    near = near.reshape(len(query), k)
    w = 1.0 / np.maximum(dist, 1e-9) ** 2
    z = (w * values[near]).sum(axis=1) / w.sum(axis=1)
    return z.reshape(gxx.shape)


def _decode(col: Column, units: np.ndarray) -> tuple[list[Any], np.ndarray]:
    """Grid positions on [0, 1] as raw values (labels for categories) and as numbers to draw at."""
    if col.kind == "categorical":
        k = len(col.choices or ())
        return [str(col.decode(float(u))) for u in units], units * k - 0.5
    if col.distribution is None:
        return list(units), np.asarray(units, dtype=float)
    lo, hi = col.distribution._bounds()
    x = lo + units * (hi - lo)
    raw = np.exp(x) if col.log else x
    return list(raw), np.asarray(raw, dtype=float)


def _contour_panel(table: Table, x: str, y: str, idx: np.ndarray, resolution: int) -> ContourPanel:
    cx, cy = table.columns[x], table.columns[y]
    both = idx[(cx.present[idx]) & (cy.present[idx])]
    ux, uy = cx.unit[both], cy.unit[both]
    gx_raw: list[Any] = []
    gy_raw: list[Any] = []
    gx_pos = gy_pos = np.empty(0)
    z = None
    if len(both) >= 3 and np.ptp(ux) > 0 and np.ptp(uy) > 0:
        gx = np.linspace(ux.min(), ux.max(), resolution)
        gy = np.linspace(uy.min(), uy.max(), resolution)
        z = _idw(np.column_stack([ux, uy]), table.values[both], gx, gy)
        gx_raw, gx_pos = _decode(cx, gx)
        gy_raw, gy_pos = _decode(cy, gy)
    pts = PointGroup(TrialState.COMPLETE, "Trial", table.trials, both, column_points(cx, both),
                     column_points(cy, both), table.values[both], color=table.values[both])
    return ContourPanel(x, y, gx_raw, gy_raw, gx_pos, gy_pos, z, pts)


def contour_data(study: Any, params: Sequence[str] | None = None, *,
                 target: Callable[[FrozenTrial], float] | None = None, target_name: str = "Objective Value",
                 states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
                 log: Any = None, max_points: int | None = None, resolution: int = 60,
                target_direction: str | None = None) -> ContourData:
    """The panels of :func:`plot_contour`: one pair for two parameters, every ordered pair for more."""
    check_max_points(max_points)
    shown = chosen_states(states, include_pruned)
    table = table_for(study, params, target, shown, "plot_contour", target_direction)
    names = table.names
    if len(names) < 2 or len(table.trials) < 1:
        return ContourData([], {}, {}, False, target_name, "a contour plot needs two parameters that vary")
    names = _at_most(table, names, params)
    idx = keep_indices(table, max_points)
    axes = {n: column_axis(table.columns[n], log) for n in names}
    if len(names) == 2:
        pairs = [(names[0], names[1])]
    else:
        pairs = [(x, y) for y in names for x in names if x != y]
        resolution = max(20, resolution // 2)
    panels = {(x, y): _contour_panel(table, x, y, idx, resolution) for x, y in pairs}
    return ContourData(names, axes, panels, table.direction.sign() > 0, target_name)


@dataclass
class RankData:
    """Trials colored by the rank of their value (0 = best, 1 = worst).

    panels: keyed (x, None) for one parameter (the value on the y axis) or (x, y) for pairs.
    """

    names: list[str]
    axes: dict[str, Axis]
    value_axis: Axis
    panels: dict[tuple[str, str | None], PointGroup]
    message: str | None = None


def rank_data(study: Any, params: Sequence[str] | None = None, *,
              target: Callable[[FrozenTrial], float] | None = None, target_name: str = "Objective Value",
              states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
              log: Any = None, max_points: int | None = None,
                target_direction: str | None = None) -> RankData:
    """The panels of :func:`plot_rank` (see it for the arguments)."""
    check_max_points(max_points)
    shown = chosen_states(states, include_pruned)
    table = table_for(study, params, target, shown, "plot_rank", target_direction)
    names = table.names
    if not names or not len(table.trials):
        return RankData([], {}, Axis(target_name), {}, "no trials with values to show")
    names = _at_most(table, names, params)
    n = len(table.trials)
    order = np.lexsort((np.arange(n), table.loss))
    rank = np.empty(n)
    rank[order] = np.arange(n) / max(n - 1, 1)
    idx = keep_indices(table, max_points)

    def points(x: str, y: str | None) -> PointGroup:
        cx = table.columns[x]
        pick = idx[cx.present[idx]] if y is None else idx[cx.present[idx] & table.columns[y].present[idx]]
        ys = table.values[pick] if y is None else column_points(table.columns[y], pick)
        return PointGroup(TrialState.COMPLETE, "Trial", table.trials, pick, column_points(cx, pick), ys,
                          table.values[pick], color=rank[pick])

    if len(names) == 1:
        panels = {(names[0], None): points(names[0], None)}
    else:
        pairs = [(names[0], names[1])] if len(names) == 2 else [(x, y) for y in names for x in names if x != y]
        panels = {(x, y): points(x, y) for x, y in pairs}
    axes = {n: column_axis(table.columns[n], log) for n in names}
    return RankData(names, axes, Axis(target_name), panels)


@dataclass
class ImportanceBars:
    """One target's importances, least important first (the order bars go bottom to top)."""

    label: str
    names: list[str]
    values: list[float]
    low: list[float]
    high: list[float]


@dataclass
class ImportanceData:
    bars: list[ImportanceBars] = field(default_factory=list)
    with_ci: bool = False
    message: str | None = None
    note: str | None = None  # a caveat shown under the title (the top two's order is not settled)


def unsettled_order(bars: ImportanceBars, n_complete: int) -> str | None:
    """A caveat when the two strongest parameters' intervals overlap: their order is then not settled."""
    if len(bars.names) < 2:
        return None
    first, second = len(bars.names) - 1, len(bars.names) - 2  # least important first
    if bars.low[first] > bars.high[second]:
        return None
    a, b = (name if len(name) <= 20 else name[:19] + "…" for name in (bars.names[first], bars.names[second]))
    return f"not settled with {n_complete} complete trials: the intervals of {a} and {b} overlap"


def too_few(view: Any, needed: int = 2) -> str | None:
    """Why a surrogate cannot be fitted when the study has fewer complete trials than it needs, else None."""
    n = len(view.get_trials([TrialState.COMPLETE]))
    return f"needs at least {needed} complete trials; the study has {n}" if n < needed else None


def importance_data(study: Any, evaluator: Any = None, params: Sequence[str] | None = None, *,
                    target: Callable[[FrozenTrial], float] | None = None, target_name: str = "Objective Value",
                    with_ci: bool = True, n_bootstrap: int | None = None,
                    target_direction: str | None = None) -> ImportanceData:
    """The bars of :func:`plot_param_importances`: one set per objective when there are several and no target."""
    from tunelab.analysis.importance import get_param_importances, param_importances

    view = studies_of(study)[0]
    if target is None and target_direction is not None:
        raise ValueError("plot_param_importances: 'target_direction' goes with 'target' (each objective has the "
                         f"study's direction); got target_direction={target_direction!r} and no target")
    message = too_few(view)
    if message is not None:
        return ImportanceData(message=message)
    if target is None and len(view.directions) > 1:
        targets = [(f"{target_name} {i}", (lambda t, i=i: t.values[i])) for i in range(len(view.directions))]
    else:
        targets = [(target_name, target)]
    out = ImportanceData(with_ci=with_ci)
    order: list[str] | None = None
    for label, tgt in targets:
        if with_ci:
            res = param_importances(view, evaluator=evaluator, params=params, target=tgt, n_bootstrap=n_bootstrap,
                                    target_direction=target_direction)
            items = [(p.name, p.importance, p.low, p.high) for p in res.params]
        else:
            imp = get_param_importances(view, evaluator=evaluator, params=params, target=tgt,
                                        target_direction=target_direction)
            items = [(k, v, v, v) for k, v in imp.items()]
        if order is None:
            order = [name for name, *_ in items]
        by_name = {name: rest for name, *rest in items}
        names = [n for n in reversed(order) if n in by_name]
        out.bars.append(ImportanceBars(label, names, [by_name[n][0] for n in names], [by_name[n][1] for n in names],
                                       [by_name[n][2] for n in names]))
    if with_ci and len(out.bars) == 1:
        out.note = unsettled_order(out.bars[0], len(view.get_trials([TrialState.COMPLETE])))
    return out
