"""plotly figures over parameters: slice, parallel coordinates, contour, rank.

The numbers come from ``_data_params.py``; this module only draws them.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

from tunelab.trial import FrozenTrial, TrialState
from tunelab.visualization._common import MAX_POINTS, PointGroup
from tunelab.visualization._data_params import contour_data, parallel_data, rank_data, slice_data
from tunelab.visualization._plotly import (
    axis_settings,
    empty_figure,
    escape,
    escaped,
    go,
    make_subplots,
    trial_hover,
)


def plot_slice(study: Any, params: Sequence[str] | None = None, *,
               target: Callable[[FrozenTrial], float] | None = None, target_name: str = "Objective Value",
               states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
               log: Any = None, max_points: int | None = MAX_POINTS,
              target_direction: str | None = None):
    """The value against each parameter (one panel per parameter), colored by trial number.

    params: names (or ``user_attrs.KEY``); default every parameter. log: None uses each
    parameter's own scale, True/False or {name: bool} override it ("objective" names the value axis).
    Pruned trials (include_pruned) show their last reported value as crosses.
    """
    data = slice_data(study, params, target=target, target_name=target_name, states=states,
                      include_pruned=include_pruned, log=log, max_points=max_points,
                      target_direction=target_direction)
    if data.message is not None:
        return empty_figure("Slice Plot", data.message)
    g = go()
    k = len(data.panels)
    fig = make_subplots(rows=1, cols=k, shared_yaxes=True, horizontal_spacing=min(0.08, 0.5 / k))
    for c, panel in enumerate(data.panels, start=1):
        for n, grp in enumerate(panel.groups):
            fig.add_trace(g.Scatter(
                x=escaped(grp.x), y=grp.y, mode="markers", name=grp.label, showlegend=False,
                marker={"color": grp.color, "colorscale": "Blues", "symbol": "circle" if
                        grp.state == TrialState.COMPLETE else "x", "line": {"width": 0.5, "color": "Grey"},
                        "showscale": c == 1 and n == 0, "colorbar": {"title": "Trial"}},
                text=trial_hover(grp.trials, grp.index, grp.values), hoverinfo="text"), row=1, col=c)
        fig.update_xaxes(title_text=escape(panel.axis.title), row=1, col=c, **axis_settings(panel.axis))
    fig.update_yaxes(title_text=escape(target_name), row=1, col=1)
    if data.value_axis.log:
        fig.update_yaxes(type="log")
    fig.update_layout(title="Slice Plot")
    return fig


def plot_parallel_coordinate(study: Any, params: Sequence[str] | None = None, *,
                             target: Callable[[FrozenTrial], float] | None = None,
                             target_name: str = "Objective Value", states: Iterable[TrialState | str] | None = None,
                             include_pruned: bool = False, log: Any = None, max_points: int | None = MAX_POINTS,
                             target_direction: str | None = None):
    """One line per trial through the value and every parameter; log parameters on log10 axes.

    Trials that lack one of the parameters (conditional ones) are left out, as a line
    needs a value on every axis; choose ``params`` to keep them.
    """
    data = parallel_data(study, params, target=target, target_name=target_name, states=states,
                         include_pruned=include_pruned, log=log, max_points=max_points,
                      target_direction=target_direction)
    if data.message is not None:
        return empty_figure("Parallel Coordinate Plot", data.message)
    g = go()
    dims = []
    for d in data.dimensions:
        dim: dict[str, Any] = {"label": escape(d.label), "values": d.values, "range": list(d.range)}
        if d.tickvals is not None:
            dim.update(tickvals=d.tickvals, ticktext=[escape(t) for t in d.ticktext or ()])
        dims.append(dim)
    fig = g.Figure(g.Parcoords(dimensions=dims, labelangle=30, labelside="bottom",
                               line={"color": data.color, "colorscale": "Blues", "reversescale": data.reverse,
                                     "showscale": True, "colorbar": {"title": escape(target_name)}}))
    fig.update_layout(title="Parallel Coordinate Plot")
    return fig


def _contour_traces(panel: Any, reverse: bool) -> list[Any]:
    g = go()
    traces = []
    if panel.z is not None:
        traces.append(g.Contour(x=escaped(panel.grid_x), y=escaped(panel.grid_y), z=panel.z, colorscale="Blues",
                                reversescale=reverse, connectgaps=True, showscale=False,
                                contours={"coloring": "heatmap"}, hoverinfo="skip"))
    pts = panel.points
    traces.append(g.Scatter(x=escaped(pts.x), y=escaped(pts.y), mode="markers", showlegend=False,
                            marker={"color": "black", "size": 4, "line": {"width": 0.5, "color": "white"}},
                            text=trial_hover(pts.trials, pts.index, pts.values), hoverinfo="text"))
    return traces


def _matrix(names: list[str], axes: dict[str, Any], add_panel: Callable[[Any, str, str, int, int], None]):
    """A k x k matrix of panels (x: the column's parameter, y: the row's; the diagonal left empty)."""
    k = len(names)
    fig = make_subplots(rows=k, cols=k, horizontal_spacing=0.03, vertical_spacing=0.03)
    for r, y in enumerate(names, start=1):
        for c, x in enumerate(names, start=1):
            if x != y:
                add_panel(fig, x, y, r, c)
            fig.update_xaxes(row=r, col=c, title_text=escape(x) if r == k else None, **axis_settings(axes[x]))
            fig.update_yaxes(row=r, col=c, title_text=escape(y) if c == 1 else None, **axis_settings(axes[y]))
    fig.update_layout(height=220 * k, width=220 * k + 100)
    return fig


def plot_contour(study: Any, params: Sequence[str] | None = None, *,
                 target: Callable[[FrozenTrial], float] | None = None, target_name: str = "Objective Value",
                 states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
                 log: Any = None, max_points: int | None = MAX_POINTS, resolution: int = 60,
                 target_direction: str | None = None):
    """The value over pairs of parameters, interpolated between trials (a matrix of panels for >2 params).

    params: default the 5 most important (PED-ANOVA) when there are more.
    """
    data = contour_data(study, params, target=target, target_name=target_name, states=states,
                        include_pruned=include_pruned, log=log, max_points=max_points, resolution=resolution,
                        target_direction=target_direction)
    if data.message is not None:
        return empty_figure("Contour Plot", data.message)
    g = go()
    names = data.names
    if len(names) == 2:
        fig = g.Figure(_contour_traces(data.panels[(names[0], names[1])], data.reverse))
        fig.update_xaxes(title_text=escape(names[0]), **axis_settings(data.axes[names[0]]))
        fig.update_yaxes(title_text=escape(names[1]), **axis_settings(data.axes[names[1]]))
    else:
        def add(fig: Any, x: str, y: str, r: int, c: int) -> None:
            for tr in _contour_traces(data.panels[(x, y)], data.reverse):
                fig.add_trace(tr, row=r, col=c)

        fig = _matrix(names, data.axes, add)
    fig.update_layout(title="Contour Plot")
    return fig


def plot_rank(study: Any, params: Sequence[str] | None = None, *,
              target: Callable[[FrozenTrial], float] | None = None, target_name: str = "Objective Value",
              states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
              log: Any = None, max_points: int | None = MAX_POINTS,
              target_direction: str | None = None):
    """Trials over pairs of parameters colored by the rank of their value (0 = best, 1 = worst).

    One parameter: value against it; two: one panel; more: a matrix of panels (default:
    the 5 most important when there are more).
    """
    data = rank_data(study, params, target=target, target_name=target_name, states=states,
                     include_pruned=include_pruned, log=log, max_points=max_points,
                      target_direction=target_direction)
    if data.message is not None:
        return empty_figure("Rank Plot", data.message)
    g = go()

    def scatter(grp: PointGroup, showscale: bool):
        return g.Scatter(x=escaped(grp.x), y=escaped(grp.y), mode="markers", showlegend=False,
                         marker={"color": grp.color, "colorscale": "RdYlBu_r", "cmin": 0, "cmax": 1,
                                 "showscale": showscale, "colorbar": {"title": "Rank"},
                                 "line": {"width": 0.5, "color": "Grey"}},
                         text=trial_hover(grp.trials, grp.index, grp.values), hoverinfo="text")

    names = data.names
    if len(names) == 1:
        fig = g.Figure(scatter(data.panels[(names[0], None)], True))
        fig.update_xaxes(title_text=escape(names[0]), **axis_settings(data.axes[names[0]]))
        fig.update_yaxes(title_text=escape(target_name))
    elif len(names) == 2:
        fig = g.Figure(scatter(data.panels[(names[0], names[1])], True))
        fig.update_xaxes(title_text=escape(names[0]), **axis_settings(data.axes[names[0]]))
        fig.update_yaxes(title_text=escape(names[1]), **axis_settings(data.axes[names[1]]))
    else:
        def add(fig: Any, x: str, y: str, r: int, c: int) -> None:
            fig.add_trace(scatter(data.panels[(x, y)], r == 1 and c == 2), row=r, col=c)

        fig = _matrix(names, data.axes, add)
    fig.update_layout(title="Rank Plot")
    return fig
