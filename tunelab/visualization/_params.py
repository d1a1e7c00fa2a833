"""Figures over parameters: slice, parallel coordinates, contour, rank."""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from tunelab.analysis._data import Column, Table
from tunelab.trial import FrozenTrial, TrialState
from tunelab.visualization._common import (
    MAX_POINTS,
    axis_values,
    check_max_points,
    chosen_states,
    empty_figure,
    escape,
    go,
    keep_indices,
    make_subplots,
    table_for,
    trial_hover,
    wants_log,
)

_MAX_MATRIX_PARAMS = 5


def _table(study: Any, params: Sequence[str] | None, target: Any, states: Sequence[TrialState], what: str,
           target_direction: str | None) -> Table:
    table = table_for(study, params, target, states, what, target_direction)
    return table


def _axis_update(column: Column, log: Any, values: np.ndarray | None = None) -> dict[str, Any]:
    _, extra = axis_values(column, np.arange(0))
    if column.kind != "categorical" and wants_log(column.name, column, log, values):
        extra["type"] = "log"
    return extra


def plot_slice(study: Any, params: Sequence[str] | None = None, *,
               target: Callable[[FrozenTrial], float] | None = None, target_name: str = "Objective Value",
               states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
               log: Any = None, max_points: int | None = MAX_POINTS, target_direction: str | None = None):
    """The value against each parameter (one panel per parameter), colored by trial number.

    params: names (or ``user_attrs.KEY``); default every parameter. log: None uses each
    parameter's own scale, True/False or {name: bool} override it ("objective" names the value axis).
    Pruned trials (include_pruned) show their last reported value as crosses.
    """
    check_max_points(max_points)
    shown = chosen_states(states, include_pruned)
    table = _table(study, params, target, shown, "plot_slice", target_direction)
    names = table.names
    if not names or not len(table.trials):
        return empty_figure("Slice Plot", "no trials with values to show")
    g = go()
    fig = make_subplots(rows=1, cols=len(names), shared_yaxes=True, horizontal_spacing=min(0.08, 0.5 / len(names)))
    idx = keep_indices(table, max_points)
    numbers = np.array([t.number for t in table.trials])
    for c, name in enumerate(names, start=1):
        col = table.columns[name]
        for state in shown:
            pick = idx[[table.trials[i].state == state and not math.isnan(col.unit[i]) for i in idx]]
            if not len(pick):
                continue
            xs, _ = axis_values(col, pick)
            fig.add_trace(g.Scatter(
                x=xs, y=table.values[pick], mode="markers", name=state.name.lower(), showlegend=False,
                marker={"color": numbers[pick], "colorscale": "Blues", "symbol": "circle" if
                        state == TrialState.COMPLETE else "x", "line": {"width": 0.5, "color": "Grey"},
                        "showscale": c == 1 and state == shown[0], "colorbar": {"title": "Trial"}},
                text=trial_hover(table.trials, pick, table.values[pick]), hoverinfo="text"), row=1, col=c)
        numeric = np.asarray(col.numeric(), dtype=float)
        fig.update_xaxes(title_text=escape(name), row=1, col=c, **_axis_update(col, log, numeric))
    fig.update_yaxes(title_text=escape(target_name), row=1, col=1)
    if log is not None and wants_log("objective", None, log if isinstance(log, dict) else None, table.values):
        fig.update_yaxes(type="log")
    fig.update_layout(title="Slice Plot")
    return fig


def _dimension(col: Column, index: np.ndarray, log: Any) -> dict[str, Any]:
    name = escape(col.name)
    if col.kind == "categorical":
        k = len(col.choices or ())
        vals = np.floor(col.unit[index] * k).clip(0, k - 1)
        return {"label": name, "values": vals, "tickvals": list(range(k)),
                "ticktext": [escape(c) for c in col.choices or ()], "range": [0, max(k - 1, 1)]}
    raw = col.numeric()[index]
    if wants_log(col.name, col, log, raw):
        lv = np.log10(raw)
        lo, hi = float(np.floor(np.nanmin(lv))), float(np.ceil(np.nanmax(lv)))
        ticks = list(np.arange(lo, hi + 1))
        return {"label": name, "values": lv, "tickvals": ticks, "ticktext": [f"1e{int(t)}" for t in ticks],
                "range": [lo, hi]}
    return {"label": name, "values": raw, "range": [float(np.nanmin(raw)), float(np.nanmax(raw))]}


def plot_parallel_coordinate(study: Any, params: Sequence[str] | None = None, *,
                             target: Callable[[FrozenTrial], float] | None = None,
                             target_name: str = "Objective Value", states: Iterable[TrialState | str] | None = None,
                             include_pruned: bool = False, log: Any = None, max_points: int | None = MAX_POINTS,
                             target_direction: str | None = None):
    """One line per trial through the value and every parameter; log parameters on log10 axes.

    Trials that lack one of the parameters (conditional ones) are left out, as a line
    needs a value on every axis; choose ``params`` to keep them.
    """
    check_max_points(max_points)
    shown = chosen_states(states, include_pruned)
    table = _table(study, params, target, shown, "plot_parallel_coordinate", target_direction)
    names = table.names
    if not len(table.trials):
        return empty_figure("Parallel Coordinate Plot", "no trials with values to show")
    full = np.ones(len(table.trials), dtype=bool)
    for n in names:
        full &= table.columns[n].present
    table = table.subset(np.flatnonzero(full))
    idx = keep_indices(table, max_points)
    g = go()
    vals = table.values[idx]
    dims = [{"label": escape(target_name), "values": vals,
             "range": [float(vals.min()), float(vals.max())] if len(vals) else [0, 1]}]
    dims += [_dimension(table.columns[n], idx, log) for n in names]
    reverse = table.direction.sign() > 0  # minimizing: small (good) values dark
    fig = g.Figure(g.Parcoords(dimensions=dims, labelangle=30, labelside="bottom",
                               line={"color": vals, "colorscale": "Blues", "reversescale": reverse,
                                     "showscale": True, "colorbar": {"title": escape(target_name)}}))
    fig.update_layout(title="Parallel Coordinate Plot")
    return fig


def _at_most(table: Table, names: list[str], params: Sequence[str] | None) -> list[str]:
    """The parameters a matrix of panels draws: those named, else the 5 most important (PED-ANOVA)."""
    if params is not None or len(names) <= _MAX_MATRIX_PARAMS:
        return names
    from tunelab.analysis.importance import PedAnovaImportanceEvaluator, _normalized, _ordered

    return list(_ordered(_normalized(PedAnovaImportanceEvaluator().raw(table))))[:_MAX_MATRIX_PARAMS]


def _contour_panel(table: Table, x: str, y: str, idx: np.ndarray, log: Any, resolution: int):
    """A surface of the value over two parameters (inverse-distance weighted), plus the trials as points."""
    g = go()
    cx, cy = table.columns[x], table.columns[y]
    both = idx[(cx.present[idx]) & (cy.present[idx])]
    ux, uy = cx.unit[both], cy.unit[both]
    traces = []
    if len(both) >= 3 and np.ptp(ux) > 0 and np.ptp(uy) > 0:
        gx = np.linspace(ux.min(), ux.max(), resolution)
        gy = np.linspace(uy.min(), uy.max(), resolution)
        z = _idw(np.column_stack([ux, uy]), table.values[both], gx, gy)
        traces.append(g.Contour(x=_decode(cx, gx), y=_decode(cy, gy), z=z, colorscale="Blues",
                                reversescale=table.direction.sign() > 0, connectgaps=True, showscale=False,
                                contours={"coloring": "heatmap"}, hoverinfo="skip"))
    xs, _ = axis_values(cx, both)
    ys, _ = axis_values(cy, both)
    traces.append(g.Scatter(x=xs, y=ys, mode="markers", showlegend=False,
                            marker={"color": "black", "size": 4, "line": {"width": 0.5, "color": "white"}},
                            text=trial_hover(table.trials, both, table.values[both]), hoverinfo="text"))
    return traces


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


def _decode(col: Column, units: np.ndarray) -> list[Any]:
    if col.kind == "categorical":
        return [escape(col.decode(float(u))) for u in units]
    if col.distribution is None:
        return list(units)
    lo, hi = col.distribution._bounds()
    x = lo + units * (hi - lo)
    return list(np.exp(x) if col.log else x)


def plot_contour(study: Any, params: Sequence[str] | None = None, *,
                 target: Callable[[FrozenTrial], float] | None = None, target_name: str = "Objective Value",
                 states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
                 log: Any = None, max_points: int | None = MAX_POINTS, resolution: int = 60,
                 target_direction: str | None = None):
    """The value over pairs of parameters, interpolated between trials (a matrix of panels for >2 params).

    params: default the 5 most important (PED-ANOVA) when there are more.
    """
    check_max_points(max_points)
    shown = chosen_states(states, include_pruned)
    table = _table(study, params, target, shown, "plot_contour", target_direction)
    names = table.names
    if len(names) < 2 or len(table.trials) < 1:
        return empty_figure("Contour Plot", "a contour plot needs two parameters that vary")
    names = _at_most(table, names, params)
    idx = keep_indices(table, max_points)
    g = go()
    if len(names) == 2:
        fig = g.Figure(_contour_panel(table, names[0], names[1], idx, log, resolution))
        fig.update_xaxes(title_text=escape(names[0]), **_axis_update(table.columns[names[0]], log))
        fig.update_yaxes(title_text=escape(names[1]), **_axis_update(table.columns[names[1]], log))
        fig.update_layout(title="Contour Plot")
        return fig
    k = len(names)
    fig = make_subplots(rows=k, cols=k, horizontal_spacing=0.03, vertical_spacing=0.03)
    for r, y in enumerate(names, start=1):
        for c, x in enumerate(names, start=1):
            if x != y:
                for tr in _contour_panel(table, x, y, idx, log, max(20, resolution // 2)):
                    fig.add_trace(tr, row=r, col=c)
            fig.update_xaxes(row=r, col=c, title_text=escape(x) if r == k else None,
                             **_axis_update(table.columns[x], log))
            fig.update_yaxes(row=r, col=c, title_text=escape(y) if c == 1 else None,
                             **_axis_update(table.columns[y], log))
    fig.update_layout(title="Contour Plot", height=220 * k, width=220 * k + 100)
    return fig


def plot_rank(study: Any, params: Sequence[str] | None = None, *,
              target: Callable[[FrozenTrial], float] | None = None, target_name: str = "Objective Value",
              states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
              log: Any = None, max_points: int | None = MAX_POINTS, target_direction: str | None = None):
    """Trials over pairs of parameters colored by the rank of their value (0 = best, 1 = worst).

    One parameter: value against it; two: one panel; more: a matrix of panels (default:
    the 5 most important when there are more).
    """
    check_max_points(max_points)
    shown = chosen_states(states, include_pruned)
    table = _table(study, params, target, shown, "plot_rank", target_direction)
    names = table.names
    if not names or not len(table.trials):
        return empty_figure("Rank Plot", "no trials with values to show")
    names = _at_most(table, names, params)
    n = len(table.trials)
    order = np.lexsort((np.arange(n), table.loss))
    rank = np.empty(n)
    rank[order] = np.arange(n) / max(n - 1, 1)
    idx = keep_indices(table, max_points)
    g = go()

    def points(x: str, y: str | None, showscale: bool):
        cx = table.columns[x]
        pick = idx[cx.present[idx]] if y is None else idx[cx.present[idx] & table.columns[y].present[idx]]
        xs, _ = axis_values(cx, pick)
        ys = table.values[pick] if y is None else axis_values(table.columns[y], pick)[0]
        return g.Scatter(x=xs, y=ys, mode="markers", showlegend=False,
                         marker={"color": rank[pick], "colorscale": "RdYlBu_r", "cmin": 0, "cmax": 1,
                                 "showscale": showscale, "colorbar": {"title": "Rank"},
                                 "line": {"width": 0.5, "color": "Grey"}},
                         text=trial_hover(table.trials, pick, table.values[pick]), hoverinfo="text")

    if len(names) == 1:
        fig = g.Figure(points(names[0], None, True))
        fig.update_xaxes(title_text=escape(names[0]), **_axis_update(table.columns[names[0]], log))
        fig.update_yaxes(title_text=escape(target_name))
    elif len(names) == 2:
        fig = g.Figure(points(names[0], names[1], True))
        fig.update_xaxes(title_text=escape(names[0]), **_axis_update(table.columns[names[0]], log))
        fig.update_yaxes(title_text=escape(names[1]), **_axis_update(table.columns[names[1]], log))
    else:
        k = len(names)
        fig = make_subplots(rows=k, cols=k, horizontal_spacing=0.03, vertical_spacing=0.03)
        for r, y in enumerate(names, start=1):
            for c, x in enumerate(names, start=1):
                if x != y:
                    fig.add_trace(points(x, y, r == 1 and c == 2), row=r, col=c)
                fig.update_xaxes(row=r, col=c, title_text=escape(x) if r == k else None,
                                 **_axis_update(table.columns[x], log))
                fig.update_yaxes(row=r, col=c, title_text=escape(y) if c == 1 else None,
                                 **_axis_update(table.columns[y], log))
        fig.update_layout(height=220 * k, width=220 * k + 100)
    fig.update_layout(title="Rank Plot")
    return fig
