"""matplotlib figures over time: optimization history, intermediate values, EDF, timeline, terminator improvement.

The numbers come from ``tunelab/visualization/_data_history.py``, as for the plotly figures.
"""

from __future__ import annotations

import textwrap
from typing import Any, Callable, Iterable

import numpy as np

from tunelab.trial import FrozenTrial, TrialState
from tunelab.visualization._common import COLORS, MAX_CURVES, MAX_POINTS
from tunelab.visualization._data_history import (
    edf_data,
    history_data,
    intermediate_data,
    terminator_data,
    timeline_data,
)
from tunelab.visualization.matplotlib._axes import message_axes, new_axes, pyplot, text


def plot_optimization_history(study: Any, *, target: Callable[[FrozenTrial], float] | None = None,
                              target_name: str = "Objective Value", error_bar: bool = False,
                              states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
                              log: bool | None = None, max_points: int | None = MAX_POINTS,
                              target_direction: str | None = None) -> Any:
    """Each trial's value by trial number and the best value so far, on one matplotlib Axes.

    The arguments are those of :func:`tunelab.visualization.plot_optimization_history`:
    a study or a list of studies; error_bar: the mean best line over studies with a ±1 std
    band (one study: each trial's spread over its repeats); log: a log value axis.
    """
    pyplot()
    data = history_data(study, target=target, target_name=target_name, error_bar=error_bar, states=states,
                        include_pruned=include_pruned, log=log, max_points=max_points,
                        target_direction=target_direction)
    ax = new_axes("Optimization History Plot", layout="tight")
    one = len(data.series) == 1
    for series in data.series:
        for grp in series.groups:
            color = COLORS.get(grp.state.name.lower()) if one else None
            marker = "o" if grp.state == TrialState.COMPLETE else "x"
            if grp.spread is not None:
                ax.errorbar(grp.x, grp.y, yerr=grp.spread, fmt=marker, color=color, ms=4, elinewidth=1,
                            label=text(grp.label))
            else:
                ax.scatter(grp.x, grp.y, s=12, marker=marker, color=color, label=text(grp.label))
        ax.step(series.best_x, series.best_y, where="post", color=COLORS["best"] if one else None,
                label=text(f"{series.name} Best Value".strip()))
    if data.band is not None:
        x, mean, std = data.band
        ax.fill_between(x, mean - std, mean + std, alpha=0.3, label="±1 std")
        ax.plot(x, mean, label="Best Value (mean over studies)")
    ax.set_xlabel("Trial")
    ax.set_ylabel(text(target_name))
    if data.log:
        ax.set_yscale("log")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best")
    return ax


def plot_intermediate_values(study: Any, *, states: Iterable[TrialState | str] | None = None,
                             include_pruned: bool = True, log: bool | None = None,
                             max_curves: int | None = MAX_CURVES, target_name: str = "Intermediate Value") -> Any:
    """Learning curves colored by state, the best complete trial's drawn thick on top (at most ``max_curves``)."""
    pyplot()
    data = intermediate_data(study, states=states, include_pruned=include_pruned, log=log, max_curves=max_curves)
    if data.message is not None:
        return message_axes("Intermediate Values Plot", data.message)
    ax = new_axes("Intermediate Values Plot", layout="tight")
    labelled: set[TrialState] = set()
    for c in data.curves:
        color = COLORS.get(c.state.name.lower())
        label = c.state.name.lower() if c.state not in labelled else None
        labelled.add(c.state)
        ax.plot(c.steps, c.values, marker=".", ms=3, lw=1, alpha=0.6, color=color, label=label)
    if data.best is not None:
        b = data.best
        ax.plot(b.steps, b.values, marker=".", lw=3, color=COLORS["best"], label=f"best (trial {b.number})")
    ax.set_xlabel("Step")
    ax.set_ylabel(text(target_name))
    if data.log:
        ax.set_yscale("log")
    ax.legend(loc="best")
    return ax


def plot_edf(study: Any, *, target: Callable[[FrozenTrial], float] | None = None,
             target_name: str = "Objective Value", states: Iterable[TrialState | str] | None = None,
             include_pruned: bool = False, log: bool | None = None, n_points: int = 1000,
             target_direction: str | None = None) -> Any:
    """The share of trials at or below each value, one line per study."""
    pyplot()
    data = edf_data(study, target=target, target_name=target_name, states=states, include_pruned=include_pruned,
                    log=log, n_points=n_points, target_direction=target_direction)
    ax = new_axes("Empirical Distribution Function Plot")
    for line in data.lines:
        ax.plot(line.x, line.y, label=text(line.name))
    ax.set_xlabel(text(target_name))
    ax.set_ylabel("Cumulative Probability")
    ax.set_ylim(0, 1.02)
    if data.log:
        ax.set_xscale("log")
    if len(data.lines) > 1:
        ax.legend(loc="best")
    return ax


def plot_timeline(study: Any, n_recent_trials: int | None = None, *,
                  states: Iterable[TrialState | str] | None = None, include_pruned: bool = True,
                  max_points: int | None = MAX_POINTS) -> Any:
    """A bar per trial from its start to its end (running ones up to now), colored by state."""
    pyplot()
    import matplotlib.dates as mdates
    from matplotlib.collections import PolyCollection

    data = timeline_data(study, states=states, include_pruned=include_pruned, max_points=max_points,
                         n_recent_trials=n_recent_trials)
    if data.message is not None:
        return message_axes("Timeline Plot", data.message)
    ax = new_axes("Timeline Plot", layout="tight")
    for grp in data.groups:
        # one collection of rectangles per state: thousands of bars draw in well under a second
        left = np.asarray(mdates.date2num(grp.starts), dtype=float)
        right = np.asarray(mdates.date2num(grp.ends), dtype=float)
        y = np.asarray(grp.numbers, dtype=float)
        boxes = np.stack([np.column_stack([left, y - 0.4]), np.column_stack([right, y - 0.4]),
                          np.column_stack([right, y + 0.4]), np.column_stack([left, y + 0.4])], axis=1)
        ax.add_collection(PolyCollection(boxes, facecolors=COLORS.get(grp.state.name.lower()),
                                         edgecolors="none", label=grp.state.name.lower()))
    ax.autoscale_view()
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.set_xlabel("Datetime")
    ax.set_ylabel("Trial")
    ax.legend(loc="best")
    return ax


def plot_terminator_improvement(study: Any, plot_error: bool = False, improvement_evaluator: Any = None,
                                error_evaluator: Any = None, min_n_trials: int = 20, *, n_points: int = 12,
                                target: Callable[[FrozenTrial], float] | None = None,
                                target_direction: str | None = None) -> Any:
    """The regret bound after each trial count (and the noise with ``plot_error``), with the verdict.

    As :func:`tunelab.visualization.plot_terminator_improvement` (Optuna's evaluators accepted).
    """
    pyplot()
    data = terminator_data(study, improvement_evaluator=improvement_evaluator, error_evaluator=error_evaluator,
                           min_n_trials=min_n_trials, n_points=n_points, target=target,
                           target_direction=target_direction)
    if not data.n_trials:
        return message_axes("Terminator Improvement Plot", data.verdict)
    ax = new_axes("Terminator Improvement Plot", layout="constrained")
    ax.plot(data.n_trials, data.bound, marker="o", label="Terminator Improvement")
    if plot_error:
        ax.plot(data.n_trials, data.error, marker="o", label="Error")
    ax.set_xlabel("Trial")
    ax.set_ylabel("Terminator Improvement")
    ax.legend(loc="best")
    caption = textwrap.fill(text(data.verdict), 90)
    ax.annotate(caption, xy=(0, -0.14), xycoords="axes fraction", va="top", fontsize="small")
    return ax
