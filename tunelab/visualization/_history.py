"""plotly figures over time: optimization history, intermediate values, EDF, timeline, terminator improvement.

The numbers come from ``_data_history.py``; this module only draws them.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from tunelab.trial import FrozenTrial, TrialState
from tunelab.visualization._common import COLORS, MAX_CURVES, MAX_POINTS
from tunelab.visualization._data_history import (
    edf_data,
    history_data,
    intermediate_data,
    terminator_data,
    timeline_data,
)
from tunelab.visualization._plotly import empty_figure, escape, go, trial_hover


def plot_optimization_history(study: Any, *, target: Callable[[FrozenTrial], float] | None = None,
                              target_name: str = "Objective Value", error_bar: bool = False,
                              states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
                              log: bool | None = None, max_points: int | None = MAX_POINTS,
                              target_direction: str | None = None):
    """Each trial's value by trial number and the best value so far (one pair of traces per study).

    study: a study or a list of studies. error_bar: with several studies, one mean line
    with a band of ±1 std across them instead of a pair per study; with one study, each
    trial's ±1 std over its repeated seeds (the ``repeat_values`` the trainer stores). log: a log value axis.
    The best-so-far line uses every complete trial; the points are decimated to max_points.
    """
    data = history_data(study, target=target, target_name=target_name, error_bar=error_bar, states=states,
                        include_pruned=include_pruned, log=log, max_points=max_points,
                        target_direction=target_direction)
    g = go()
    fig = g.Figure()
    one = len(data.series) == 1
    for s_i, series in enumerate(data.series):
        for grp in series.groups:
            fig.add_trace(g.Scatter(
                x=grp.x, y=grp.y, mode="markers",
                error_y={"type": "data", "array": grp.spread, "thickness": 1} if grp.spread is not None else None,
                name=escape(grp.label), legendgroup=str(s_i),
                marker={"color": COLORS.get(grp.state.name.lower()) if one else None,
                        "symbol": "circle" if grp.state == TrialState.COMPLETE else "x"},
                text=trial_hover(grp.trials, grp.index, grp.values), hoverinfo="text"))
        fig.add_trace(g.Scatter(x=series.best_x, y=series.best_y, mode="lines", line={"shape": "hv"},
                                name=f"{escape(series.name)} Best Value".strip(), legendgroup=str(s_i)))
    if data.band is not None:
        x, mean, std = data.band
        fig.add_trace(g.Scatter(x=list(x) + list(x[::-1]), y=list(mean + std) + list((mean - std)[::-1]),
                                fill="toself", line={"width": 0}, name="±1 std", hoverinfo="skip", opacity=0.3))
        fig.add_trace(g.Scatter(x=x, y=mean, mode="lines", name="Best Value (mean over studies)"))
    fig.update_layout(title="Optimization History", xaxis_title="Trial", yaxis_title=escape(target_name))
    if data.log:
        fig.update_yaxes(type="log")
    return fig


def plot_intermediate_values(study: Any, *, states: Iterable[TrialState | str] | None = None,
                             include_pruned: bool = True, log: bool | None = None,
                             max_curves: int | None = MAX_CURVES, target_name: str = "Intermediate Value"):
    """Learning curves: one trace per state (curves joined with gaps), the best complete trial's on top.

    max_curves: at most this many curves (the best and an even sample over trial order are kept).
    """
    data = intermediate_data(study, states=states, include_pruned=include_pruned, log=log, max_curves=max_curves)
    if data.message is not None:
        return empty_figure("Intermediate Values", data.message)
    g = go()
    fig = g.Figure()
    for state in data.states:
        xs: list[Any] = []
        ys: list[Any] = []
        nums: list[Any] = []
        for c in data.curves:
            if c.state == state:
                xs.extend(c.steps + [None])
                ys.extend(c.values + [None])
                nums.extend([c.number] * len(c.steps) + [None])
        if xs:
            color = COLORS.get(state.name.lower())
            fig.add_trace(g.Scatter(x=xs, y=ys, mode="lines+markers", name=state.name.lower(),
                                    marker={"size": 3, "color": color}, line={"width": 1, "color": color},
                                    opacity=0.6, customdata=nums,
                                    hovertemplate="Trial %{customdata}<br>step %{x}: %{y}<extra></extra>"))
    if data.best is not None:
        b = data.best
        fig.add_trace(g.Scatter(x=b.steps, y=b.values, mode="lines+markers", name=f"best (trial {b.number})",
                                line={"width": 3, "color": COLORS["best"]}))
    fig.update_layout(title="Intermediate Values", xaxis_title="Step", yaxis_title=escape(target_name))
    if data.log:
        fig.update_yaxes(type="log")
    return fig


def plot_edf(study: Any, *, target: Callable[[FrozenTrial], float] | None = None,
             target_name: str = "Objective Value", states: Iterable[TrialState | str] | None = None,
             include_pruned: bool = False, log: bool | None = None, n_points: int = 1000,
             target_direction: str | None = None):
    """The empirical distribution of values: the share of trials at or below each value (one line per study)."""
    data = edf_data(study, target=target, target_name=target_name, states=states, include_pruned=include_pruned,
                    log=log, n_points=n_points, target_direction=target_direction)
    g = go()
    fig = g.Figure()
    for line in data.lines:
        fig.add_trace(g.Scatter(x=line.x, y=line.y, mode="lines", name=escape(line.name)))
    fig.update_layout(title="Empirical Distribution Function Plot", xaxis_title=escape(target_name),
                      yaxis_title="Cumulative Probability", yaxis_range=[0, 1.02])
    if data.log:
        fig.update_xaxes(type="log")
    return fig


def plot_timeline(study: Any, n_recent_trials: int | None = None, *,
                  states: Iterable[TrialState | str] | None = None, include_pruned: bool = True,
                  max_points: int | None = MAX_POINTS):
    """When each trial ran: a bar from its start to its end (running ones up to now), one trace per state.

    n_recent_trials: only the trials with the highest numbers (Optuna's argument).
    """
    data = timeline_data(study, states=states, include_pruned=include_pruned, max_points=max_points,
                         n_recent_trials=n_recent_trials)
    if data.message is not None:
        return empty_figure("Timeline Plot", data.message)
    g = go()
    fig = g.Figure()
    for grp in data.groups:
        fig.add_trace(g.Bar(
            base=grp.starts, x=[(e - s).total_seconds() * 1000 for s, e in zip(grp.starts, grp.ends)],
            y=grp.numbers, orientation="h", name=grp.state.name.lower(),
            marker={"color": COLORS.get(grp.state.name.lower())},
            text=trial_hover(grp.trials, range(len(grp.trials))), hoverinfo="text", textposition="none"))
    fig.update_layout(title="Timeline Plot", xaxis={"type": "date", "title": "Datetime"},
                      yaxis_title="Trial", barmode="overlay")
    return fig


def plot_terminator_improvement(study: Any, plot_error: bool = False, improvement_evaluator: Any = None,
                                error_evaluator: Any = None, min_n_trials: int = 20, *, n_points: int = 12,
                                target: Callable[[FrozenTrial], float] | None = None,
                                target_direction: str | None = None):
    """The regret bound (how much better the best may still get) after each trial count; with the noise if asked.

    Without evaluators the bound and noise come from :func:`tunelab.analysis.keep_going_history`
    (no cross-validation scores needed); with Optuna's ``improvement_evaluator``/``error_evaluator``
    (:mod:`tunelab.terminator`) those are evaluated on growing prefixes of the complete trials.
    """
    data = terminator_data(study, improvement_evaluator=improvement_evaluator, error_evaluator=error_evaluator,
                           min_n_trials=min_n_trials, n_points=n_points, target=target,
                           target_direction=target_direction)
    if not data.n_trials:
        return empty_figure("Terminator Improvement Plot", data.verdict)
    g = go()
    fig = g.Figure()
    fig.add_trace(g.Scatter(x=data.n_trials, y=data.bound, mode="lines+markers", name="Terminator Improvement"))
    if plot_error:
        fig.add_trace(g.Scatter(x=data.n_trials, y=data.error, mode="lines+markers", name="Error"))
    fig.update_layout(title="Terminator Improvement Plot", xaxis_title="Trial", yaxis_title="Terminator Improvement",
                      annotations=[{"text": escape(data.verdict), "showarrow": False, "xref": "paper",
                                    "yref": "paper", "x": 0, "y": 1.08, "xanchor": "left"}])
    return fig
