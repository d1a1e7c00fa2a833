"""matplotlib figures over parameters: slice, parallel coordinates, contour, rank, importances.

The numbers come from ``tunelab/visualization/_data_params.py``, as for the plotly figures.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import numpy as np

from tunelab.trial import FrozenTrial, TrialState
from tunelab.visualization._common import MAX_POINTS, Axis, PointGroup
from tunelab.visualization._data_params import (
    contour_data,
    importance_data,
    parallel_data,
    rank_data,
    slice_data,
)
from tunelab.visualization.matplotlib._axes import apply_axis, blues, message_axes, new_axes, pyplot, text


def _xy(grp: PointGroup, x_axis: Axis, y_axis: Axis | None) -> tuple[np.ndarray, np.ndarray]:
    """A group's points as numbers: categories at their index, values as they are."""
    xs = x_axis.positions(grp.x)
    ys = y_axis.positions(grp.y) if y_axis is not None else np.asarray(grp.y, dtype=float)
    return xs, ys


def plot_slice(study: Any, params: Sequence[str] | None = None, *,
               target: Callable[[FrozenTrial], float] | None = None, target_name: str = "Objective Value",
               states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
               log: Any = None, max_points: int | None = MAX_POINTS,
              target_direction: str | None = None) -> Any:
    """The value against each parameter, colored by trial number: an Axes for one parameter, else an array of them.

    As :func:`tunelab.visualization.plot_slice` (log axes for log-scaled parameters, ``log=`` overrides;
    ``"user_attrs.KEY"`` names a user attribute; pruned trials as crosses).
    """
    plt = pyplot()
    data = slice_data(study, params, target=target, target_name=target_name, states=states,
                      include_pruned=include_pruned, log=log, max_points=max_points,
                      target_direction=target_direction)
    if data.message is not None:
        return message_axes("Slice Plot", data.message)
    k = len(data.panels)
    width, height = plt.rcParams["figure.figsize"]
    fig, axs = plt.subplots(1, k, sharey=True, squeeze=False, figsize=(max(width, 3.2 * k), height),
                            layout="constrained")
    axs = axs[0]
    fig.suptitle("Slice Plot")
    numbers = [n for panel in data.panels for grp in panel.groups for n in grp.color]
    low, high = (min(numbers), max(numbers)) if numbers else (0, 1)
    scale = None
    for ax, panel in zip(axs, data.panels):
        for grp in panel.groups:
            xs, ys = _xy(grp, panel.axis, None)
            marker = "o" if grp.state == TrialState.COMPLETE else "x"
            sc = ax.scatter(xs, ys, c=grp.color, cmap=blues(), vmin=low, vmax=high, marker=marker, s=18,
                            edgecolors="grey" if marker == "o" else None, linewidths=0.5)
            if scale is None:
                scale = sc
        apply_axis(ax, panel.axis, "x")
    axs[0].set_ylabel(text(target_name))
    if data.value_axis.log:
        axs[0].set_yscale("log")
    if scale is not None:
        fig.colorbar(scale, ax=list(axs), label="Trial")
    return axs[0] if k == 1 else axs


def plot_parallel_coordinate(study: Any, params: Sequence[str] | None = None, *,
                             target: Callable[[FrozenTrial], float] | None = None,
                             target_name: str = "Objective Value", states: Iterable[TrialState | str] | None = None,
                             include_pruned: bool = False, log: Any = None,
                             max_points: int | None = MAX_POINTS, target_direction: str | None = None) -> Any:
    """One line per trial through the value's axis and each parameter's; the best trials dark and on top.

    Log parameters are on log10 axes, categories at their index; trials lacking a
    parameter are left out (as in :func:`tunelab.visualization.plot_parallel_coordinate`).
    """
    plt = pyplot()
    from matplotlib.collections import LineCollection

    data = parallel_data(study, params, target=target, target_name=target_name, states=states,
                         include_pruned=include_pruned, log=log, max_points=max_points,
                      target_direction=target_direction)
    if data.message is not None:
        return message_axes("Parallel Coordinate Plot", data.message)
    if not len(data.color):
        return message_axes("Parallel Coordinate Plot", "no trial has every parameter shown")
    dims = data.dimensions
    width, height = plt.rcParams["figure.figsize"]
    ax = new_axes("Parallel Coordinate Plot", figsize=(max(width, 1.6 * len(dims) + 1.5), height),
                  layout="constrained")
    scaled = np.column_stack([_scaled(d.values, d.range) for d in dims])
    order = np.argsort(data.color)
    if data.reverse:  # minimizing: draw the smallest (best) values last, on top
        order = order[::-1]
    xs = np.arange(len(dims), dtype=float)
    segments = [np.column_stack([xs, scaled[i]]) for i in order]
    lines = LineCollection(segments, cmap=blues(reverse=data.reverse), linewidths=1, alpha=0.8)
    lines.set_array(np.asarray(data.color, dtype=float)[order])
    ax.add_collection(lines)
    for i, d in enumerate(dims):
        ax.axvline(i, color="black", lw=1)
        ticks, labels = _ticks(d)
        for t, lab in zip(ticks, labels):
            ax.text(i + 0.03, t, text(lab), fontsize="x-small", va="center",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 1})
    ax.set_xlim(-0.1, len(dims) - 0.6)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xticks(xs, [text(d.label) for d in dims], rotation=30, ha="right")
    ax.set_yticks([])
    ax.figure.colorbar(lines, ax=ax, label=text(target_name))
    return ax


def _scaled(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    lo, hi = bounds
    v = np.asarray(values, dtype=float)
    return np.full(v.shape, 0.5) if hi <= lo else (v - lo) / (hi - lo)


def _ticks(d: Any) -> tuple[np.ndarray, list[str]]:
    """Tick positions on [0, 1] and labels for one parallel axis: its own ticks, else 5 even values."""
    if d.tickvals is not None:
        return _scaled(np.asarray(d.tickvals, dtype=float), d.range), list(d.ticktext or ())
    lo, hi = d.range
    present = np.asarray(d.values, dtype=float)
    if hi > lo and hi - lo <= 10 and np.all(present == np.round(present)):  # a few whole numbers: each one
        vals = np.arange(np.ceil(lo), np.floor(hi) + 1)
    else:
        vals = np.linspace(lo, hi, 5) if hi > lo else np.array([lo])
    return _scaled(vals, d.range), [f"{v:.3g}" for v in vals]


def _grid(names: list[str], axes: dict[str, Axis], title: str):
    """A k x k matrix of Axes (x: the column's parameter, y: the row's); labels on the outer panels only."""
    plt = pyplot()
    k = len(names)
    size = max(2.4 * k, plt.rcParams["figure.figsize"][1])
    fig, axs = plt.subplots(k, k, figsize=(size + 1, size), squeeze=False, layout="constrained")
    fig.suptitle(title)
    for r, y in enumerate(names):
        for c, x in enumerate(names):
            ax = axs[r, c]
            apply_axis(ax, axes[x], "x", title=r == k - 1)
            apply_axis(ax, axes[y], "y", title=c == 0)
            if r != k - 1:
                ax.tick_params(labelbottom=False)
            if c != 0:
                ax.tick_params(labelleft=False)
    return fig, axs


def _contour_panel(ax: Any, panel: Any, axes: dict[str, Axis], cmap: Any, levels: np.ndarray) -> Any:
    filled = None
    if panel.z is not None:
        filled = ax.contourf(panel.grid_px, panel.grid_py, panel.z, levels=levels, cmap=cmap)
    xs, ys = _xy(panel.points, axes[panel.x], axes[panel.y])
    ax.scatter(xs, ys, s=8, color="black", edgecolors="white", linewidths=0.4)
    return filled


def plot_contour(study: Any, params: Sequence[str] | None = None, *,
                 target: Callable[[FrozenTrial], float] | None = None, target_name: str = "Objective Value",
                 states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
                 log: Any = None, max_points: int | None = MAX_POINTS, resolution: int = 60,
                 target_direction: str | None = None) -> Any:
    """The value over a pair of parameters, interpolated between trials: an Axes for two parameters,
    else a k x k array of Axes (default: the 5 most important parameters when there are more)."""
    pyplot()
    data = contour_data(study, params, target=target, target_name=target_name, states=states,
                        include_pruned=include_pruned, log=log, max_points=max_points, resolution=resolution,
                        target_direction=target_direction)
    if data.message is not None:
        return message_axes("Contour Plot", data.message)
    cmap = blues(reverse=data.reverse)  # the good end dark
    surfaces = [p.z for p in data.panels.values() if p.z is not None]
    low = min((float(z.min()) for z in surfaces), default=0.0)
    high = max((float(z.max()) for z in surfaces), default=1.0)
    from matplotlib.ticker import MaxNLocator

    levels = MaxNLocator(15).tick_values(low, high if high > low else low + 1.0)  # one scale for every panel
    names = data.names
    if len(names) == 2:
        ax = new_axes("Contour Plot", layout="constrained")
        filled = _contour_panel(ax, data.panels[(names[0], names[1])], data.axes, cmap, levels)
        apply_axis(ax, data.axes[names[0]], "x")
        apply_axis(ax, data.axes[names[1]], "y")
        if filled is not None:
            ax.figure.colorbar(filled, ax=ax, label=text(target_name))
        return ax
    fig, axs = _grid(names, data.axes, "Contour Plot")
    filled = None
    for r, y in enumerate(names):
        for c, x in enumerate(names):
            if x != y:
                drawn = _contour_panel(axs[r, c], data.panels[(x, y)], data.axes, cmap, levels)
                filled = drawn if drawn is not None else filled
    if filled is not None:
        fig.colorbar(filled, ax=axs.ravel().tolist(), label=text(target_name))
    return axs


def plot_rank(study: Any, params: Sequence[str] | None = None, *,
              target: Callable[[FrozenTrial], float] | None = None, target_name: str = "Objective Value",
              states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
              log: Any = None, max_points: int | None = MAX_POINTS,
              target_direction: str | None = None) -> Any:
    """Trials colored by the rank of their value (0 = best, 1 = worst): the value against one parameter, a pair of
    parameters on one Axes, or a k x k array of Axes for more."""
    pyplot()
    data = rank_data(study, params, target=target, target_name=target_name, states=states,
                     include_pruned=include_pruned, log=log, max_points=max_points,
                      target_direction=target_direction)
    if data.message is not None:
        return message_axes("Rank Plot", data.message)
    names = data.names
    style = {"cmap": "RdYlBu_r", "vmin": 0.0, "vmax": 1.0, "s": 16, "edgecolors": "grey", "linewidths": 0.4}
    if len(names) <= 2:
        y_axis = data.value_axis if len(names) == 1 else data.axes[names[1]]
        key = (names[0], None) if len(names) == 1 else (names[0], names[1])
        ax = new_axes("Rank Plot", layout="constrained")
        grp = data.panels[key]
        xs, ys = _xy(grp, data.axes[names[0]], None if len(names) == 1 else y_axis)
        sc = ax.scatter(xs, ys, c=grp.color, **style)
        apply_axis(ax, data.axes[names[0]], "x")
        apply_axis(ax, y_axis, "y")
        ax.figure.colorbar(sc, ax=ax, label="Rank")
        return ax
    fig, axs = _grid(names, data.axes, "Rank Plot")
    sc = None
    for r, y in enumerate(names):
        for c, x in enumerate(names):
            if x != y:
                grp = data.panels[(x, y)]
                xs, ys = _xy(grp, data.axes[x], data.axes[y])
                sc = axs[r, c].scatter(xs, ys, c=grp.color, **style)
    if sc is not None:
        fig.colorbar(sc, ax=axs.ravel().tolist(), label="Rank")
    return axs


def plot_param_importances(study: Any, evaluator: Any = None, params: Sequence[str] | None = None, *,
                           target: Callable[[FrozenTrial], float] | None = None,
                           target_name: str = "Objective Value", with_ci: bool = True,
                           n_bootstrap: int | None = None, target_direction: str | None = None) -> Any:
    """Horizontal bars of each parameter's importance, the most important on top, with its bootstrap interval.

    As :func:`tunelab.visualization.plot_param_importances` (one set of bars per objective when
    the study has several and no target is given).
    """
    pyplot()
    data = importance_data(study, evaluator, params, target=target, target_name=target_name, with_ci=with_ci,
                           n_bootstrap=n_bootstrap, target_direction=target_direction)
    if data.message is not None:
        return message_axes("Hyperparameter Importances", data.message)
    ax = new_axes("Hyperparameter Importances", layout="constrained")
    names = data.bars[0].names if data.bars else []
    pos = {n: i for i, n in enumerate(names)}
    n_sets = max(len(data.bars), 1)
    height = 0.8 / n_sets
    right = 0.0
    for s, bars in enumerate(data.bars):
        ys = np.array([pos[n] for n in bars.names], dtype=float) + (s - (n_sets - 1) / 2) * height
        vals = np.asarray(bars.values, dtype=float)
        err = None
        if with_ci:
            low, high = np.asarray(bars.low, dtype=float), np.asarray(bars.high, dtype=float)
            err = np.vstack([np.maximum(0.0, vals - low), np.maximum(0.0, high - vals)])
        ax.barh(ys, vals, height=height, xerr=err, capsize=2, label=text(bars.label))
        ends = np.maximum(vals, np.asarray(bars.high, dtype=float)) if with_ci else vals
        for yv, v, end in zip(ys, vals, ends):
            ax.text(end, yv, f"  {v:.2f}", va="center", fontsize="small")
        right = max(right, float(ends.max()) if len(ends) else 0.0)
    ax.set_yticks(range(len(names)), [text(n) for n in names])
    ax.set_xlim(0, max(right, 1e-9) * 1.15)  # room for the labels
    ax.set_xlabel("Hyperparameter Importance")
    ax.set_ylabel("Hyperparameter")
    if len(data.bars) > 1:
        ax.legend(loc="lower right")
    if data.note is not None:
        ax.set_title(f"Hyperparameter Importances\n{text(data.note)}", fontsize="medium")
    return ax
