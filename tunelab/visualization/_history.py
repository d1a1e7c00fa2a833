"""Figures over time: optimization history, intermediate values, EDF, timeline, terminator improvement."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import numpy as np

from tunelab.trial import FrozenTrial, TrialState
from tunelab.visualization._common import (
    COLORS,
    MAX_CURVES,
    MAX_POINTS,
    check_max_points,
    chosen_states,
    empty_figure,
    escape,
    go,
    keep_indices,
    studies_of,
    table_for,
    trial_hover,
    wants_log,
)


def plot_optimization_history(study: Any, *, target: Callable[[FrozenTrial], float] | None = None,
                              target_name: str = "Objective Value", error_bar: bool = False,
                              states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
                              log: bool | None = None, max_points: int | None = MAX_POINTS):
    """Each trial's value by trial number and the best value so far (one pair of traces per study).

    study: a study or a list of studies. error_bar: with several studies, one mean line
    with a band of ±1 std across them instead of a pair per study; with one study, each
    trial's ±1 std over its repeated seeds (the ``repeat_values`` the trainer stores). log: a log value axis.
    The best-so-far line uses every complete trial; the points are decimated to max_points.
    """
    check_max_points(max_points)
    shown = chosen_states(states, include_pruned)
    views = studies_of(study)
    g = go()
    fig = g.Figure()
    all_values = []
    bests = []
    for s_i, view in enumerate(views):
        table = table_for(view, [], target, shown, "plot_optimization_history")
        name = getattr(view, "study_name", f"study {s_i}") if len(views) > 1 else ""
        numbers = np.array([t.number for t in table.trials])
        order = np.argsort(numbers, kind="stable")
        table = table.subset(order)
        numbers = numbers[order]
        all_values.append(table.values)
        complete = np.array([t.state == TrialState.COMPLETE for t in table.trials], dtype=bool)
        best_so_far = _running_best(table.loss, complete)
        bests.append((numbers, best_so_far * table.direction.sign()))
        if error_bar and len(views) > 1:
            continue
        idx = keep_indices(table, max_points)
        for state in shown:
            pick = idx[[table.trials[i].state == state for i in idx]]
            if not len(pick):
                continue
            label = target_name if state == TrialState.COMPLETE else f"{state.name.lower()} (last report)"
            spread = _repeat_spread(table.trials, pick) if error_bar and len(views) == 1 and target is None else None
            fig.add_trace(g.Scatter(
                x=numbers[pick], y=table.values[pick], mode="markers",
                error_y={"type": "data", "array": spread, "thickness": 1} if spread is not None else None,
                name=f"{escape(name)} {label}".strip(), legendgroup=str(s_i),
                marker={"color": COLORS.get(state.name.lower()) if len(views) == 1 else None,
                        "symbol": "circle" if state == TrialState.COMPLETE else "x"},
                text=trial_hover(table.trials, pick, table.values[pick]), hoverinfo="text"))
        keep = np.isfinite(best_so_far)
        fig.add_trace(g.Scatter(x=numbers[keep], y=(best_so_far * table.direction.sign())[keep],
                                mode="lines", line={"shape": "hv"}, name=f"{escape(name)} Best Value".strip(),
                                legendgroup=str(s_i)))
    if error_bar and len(views) > 1:
        _mean_band(fig, bests, target_name)
    flat = np.concatenate(all_values) if all_values else np.empty(0)
    fig.update_layout(title="Optimization History", xaxis_title="Trial", yaxis_title=escape(target_name))
    if log is not None and wants_log("objective", None, log, flat):
        fig.update_yaxes(type="log")
    return fig


def _repeat_spread(trials: Sequence[FrozenTrial], pick: np.ndarray) -> list[float] | None:
    """Each trial's standard deviation over its repeated seeds (0 for one seed), or None if no trial repeated."""
    from tunelab.analysis.noise import REPEATS_KEY, value_stats

    if not any(isinstance(trials[i].user_attrs.get(REPEATS_KEY), (list, tuple)) for i in pick):
        return None
    return [value_stats(trials[i]).std for i in pick]


def _running_best(loss: np.ndarray, complete: np.ndarray) -> np.ndarray:
    masked = np.where(complete, loss, np.inf)
    best = np.minimum.accumulate(masked) if masked.size else masked
    return np.where(np.isfinite(best), best, np.nan)


def _mean_band(fig: Any, bests: list[tuple[np.ndarray, np.ndarray]], target_name: str) -> None:
    g = go()
    n = max((int(nums.max()) + 1 for nums, _ in bests if nums.size), default=0)
    grid = np.full((len(bests), n), np.nan)
    for k, (nums, vals) in enumerate(bests):
        row = np.full(n, np.nan)
        row[nums] = vals
        # carry the best forward over trial numbers this study's table lacks
        for i in range(1, n):
            if np.isnan(row[i]):
                row[i] = row[i - 1]
        grid[k] = row
    with np.errstate(all="ignore"):
        mean = np.nanmean(grid, axis=0)
        std = np.nanstd(grid, axis=0)
    x = np.arange(n)
    fig.add_trace(g.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([mean + std, (mean - std)[::-1]]),
                            fill="toself", line={"width": 0}, name="±1 std", hoverinfo="skip", opacity=0.3))
    fig.add_trace(g.Scatter(x=x, y=mean, mode="lines", name="Best Value (mean over studies)"))


def plot_intermediate_values(study: Any, *, states: Iterable[TrialState | str] | None = None,
                             include_pruned: bool = True, log: bool | None = None,
                             max_curves: int | None = MAX_CURVES, target_name: str = "Intermediate Value"):
    """Learning curves: one trace per state (curves joined with gaps), the best complete trial's on top.

    max_curves: at most this many curves (the best and an even sample over trial order are kept).
    """
    check_max_points(max_curves)
    shown = chosen_states(states, include_pruned, (TrialState.COMPLETE, TrialState.RUNNING))
    view = studies_of(study)[0]
    trials = [t for t in view.get_trials(list(shown)) if t.intermediate_values]
    g = go()
    if not trials:
        return empty_figure("Intermediate Values", "no trial has reported intermediate values")
    sign = view.directions[0].sign()
    final = np.array([sign * t.values[0] if t.state == TrialState.COMPLETE and t.values else np.nan
                      for t in trials])
    idx = np.arange(len(trials)) if max_curves is None else _keep_curves(final, max_curves)
    best = int(np.nanargmin(final)) if np.isfinite(final).any() else None
    fig = g.Figure()
    for state in shown:
        xs: list[Any] = []
        ys: list[Any] = []
        nums: list[Any] = []
        for i in idx:
            t = trials[i]
            if t.state != state or i == best:
                continue
            steps = sorted(t.intermediate_values)
            xs.extend(steps + [None])
            ys.extend([t.intermediate_values[s] for s in steps] + [None])
            nums.extend([t.number] * len(steps) + [None])
        if xs:
            fig.add_trace(g.Scatter(x=xs, y=ys, mode="lines+markers", name=state.name.lower(),
                                    marker={"size": 3, "color": COLORS.get(state.name.lower())},
                                    line={"width": 1, "color": COLORS.get(state.name.lower())}, opacity=0.6,
                                    customdata=nums, hovertemplate="Trial %{customdata}<br>step %{x}: %{y}"
                                    "<extra></extra>"))
    if best is not None:
        t = trials[best]
        steps = sorted(t.intermediate_values)
        fig.add_trace(g.Scatter(x=steps, y=[t.intermediate_values[s] for s in steps], mode="lines+markers",
                                name=f"best (trial {t.number})", line={"width": 3, "color": COLORS["best"]}))
    fig.update_layout(title="Intermediate Values", xaxis_title="Step", yaxis_title=escape(target_name))
    if log:
        fig.update_yaxes(type="log")
    return fig


def _keep_curves(final: np.ndarray, max_curves: int) -> np.ndarray:
    from tunelab.analysis.decimate import decimate

    return decimate(final, max_curves)


def plot_edf(study: Any, *, target: Callable[[FrozenTrial], float] | None = None,
             target_name: str = "Objective Value", states: Iterable[TrialState | str] | None = None,
             include_pruned: bool = False, log: bool | None = None, n_points: int = 1000):
    """The empirical distribution of values: the share of trials at or below each value (one line per study)."""
    shown = chosen_states(states, include_pruned)
    g = go()
    fig = g.Figure()
    all_vals = []
    for s_i, view in enumerate(studies_of(study)):
        table = table_for(view, [], target, shown, "plot_edf")
        vals = np.sort(table.values)
        all_vals.append(vals)
        if not vals.size:
            continue
        lo, hi = float(vals[0]), float(vals[-1])
        use_log = bool(log) and lo > 0
        xs = np.geomspace(lo, hi, n_points) if use_log and hi > lo else np.linspace(lo, hi, n_points)
        ys = np.searchsorted(vals, xs, side="right") / vals.size
        fig.add_trace(g.Scatter(x=xs, y=ys, mode="lines", name=escape(getattr(view, "study_name", f"study {s_i}"))))
    fig.update_layout(title="Empirical Distribution Function Plot", xaxis_title=escape(target_name),
                      yaxis_title="Cumulative Probability", yaxis_range=[0, 1.02])
    flat = np.concatenate(all_vals) if all_vals else np.empty(0)
    if log is not None and wants_log("objective", None, log, flat):
        fig.update_xaxes(type="log")
    return fig


def plot_timeline(study: Any, *, states: Iterable[TrialState | str] | None = None, include_pruned: bool = True,
                  max_points: int | None = MAX_POINTS):
    """When each trial ran: a bar from its start to its end (running ones up to now), one trace per state."""
    import datetime as dt

    check_max_points(max_points)
    default = (TrialState.COMPLETE, TrialState.FAIL, TrialState.RUNNING)
    shown = chosen_states(states, include_pruned, default)
    view = studies_of(study)[0]
    trials = [t for t in view.get_trials(list(shown)) if t.datetime_start is not None]
    g = go()
    if not trials:
        return empty_figure("Timeline Plot", "no trial has a start time")
    now = dt.datetime.now()
    sign = view.directions[0].sign()
    loss = np.array([sign * t.values[0] if t.state == TrialState.COMPLETE and t.values else np.nan for t in trials])
    idx = np.arange(len(trials)) if max_points is None else _keep_curves(loss, max_points)
    fig = g.Figure()
    for state in shown:
        pick = [i for i in idx if trials[i].state == state]
        if not pick:
            continue
        starts = [trials[i].datetime_start for i in pick]
        ends = [trials[i].datetime_complete or now for i in pick]
        fig.add_trace(g.Bar(
            base=starts, x=[(e - s).total_seconds() * 1000 for s, e in zip(starts, ends)],
            y=[trials[i].number for i in pick], orientation="h", name=state.name.lower(),
            marker={"color": COLORS.get(state.name.lower())},
            text=trial_hover(trials, np.array(pick)), hoverinfo="text", textposition="none"))
    fig.update_layout(title="Timeline Plot", xaxis={"type": "date", "title": "Datetime"},
                      yaxis_title="Trial", barmode="overlay")
    return fig


def plot_terminator_improvement(study: Any, plot_error: bool = False, improvement_evaluator: Any = None,
                                error_evaluator: Any = None, min_n_trials: int = 20, *, n_points: int = 12,
                                target: Callable[[FrozenTrial], float] | None = None):
    """The regret bound (how much better the best may still get) after each trial count; with the noise if asked.

    With neither evaluator given, the bound and noise come from
    :func:`tunelab.analysis.keep_going_history` (the noise needs no cross-validation
    scores).  With ``improvement_evaluator`` or ``error_evaluator`` (Optuna's
    :mod:`tunelab.terminator` evaluators, or any object with ``evaluate(trials,
    study_direction)``), those are run on the first k complete trials at
    ``n_points`` counts from ``min_n_trials``, with Optuna's defaults for the one not given.
    """
    if improvement_evaluator is not None or error_evaluator is not None:
        if target is not None:
            raise ValueError("plot_terminator_improvement: 'target' cannot be combined with 'improvement_evaluator'"
                             "/'error_evaluator' (evaluators read the trials' values)")
        return _terminator_evaluator_curve(studies_of(study)[0], plot_error, improvement_evaluator, error_evaluator,
                                           min_n_trials, n_points)
    from tunelab.analysis.terminator import keep_going_history

    history = keep_going_history(studies_of(study)[0], target=target, min_n_trials=min_n_trials, n_points=n_points)
    pts = [p for p in history.points if np.isfinite(p.regret_bound)]
    g = go()
    if not pts:
        return empty_figure("Terminator Improvement Plot", history.points[-1].verdict if history.points else
                            "no complete trials")
    fig = g.Figure()
    fig.add_trace(g.Scatter(x=[p.n_trials for p in pts], y=[p.regret_bound for p in pts], mode="lines+markers",
                            name="Terminator Improvement"))
    if plot_error:
        fig.add_trace(g.Scatter(x=[p.n_trials for p in pts], y=[p.error for p in pts], mode="lines+markers",
                                name="Error"))
    fig.update_layout(title="Terminator Improvement Plot", xaxis_title="Trial", yaxis_title="Terminator Improvement",
                      annotations=[{"text": escape(pts[-1].verdict), "showarrow": False, "xref": "paper",
                                    "yref": "paper", "x": 0, "y": 1.08, "xanchor": "left"}])
    return fig


def _terminator_evaluator_curve(study: Any, plot_error: bool, improvement_evaluator: Any, error_evaluator: Any,
                                min_n_trials: int, n_points: int):
    """plot_terminator_improvement with tunelab.terminator's evaluators (Optuna's defaults for a missing one)."""
    from tunelab._validation import Interval, validate
    from tunelab.terminator import (BestValueStagnationEvaluator, CrossValidationErrorEvaluator,
                                    RegretBoundEvaluator, StaticErrorEvaluator)

    validate({"min_n_trials": [Interval(int, 1, None)], "n_points": [Interval(int, 1, 200)]},
             {"min_n_trials": min_n_trials, "n_points": n_points}, "plot_terminator_improvement")
    for name, value in (("improvement_evaluator", improvement_evaluator), ("error_evaluator", error_evaluator)):
        if value is not None and not callable(getattr(value, "evaluate", None)):
            raise TypeError(f"plot_terminator_improvement: argument {name!r} must be an evaluator (an object with "
                            f"evaluate(trials, study_direction)) or None; got {value!r}")
    if len(study.directions) != 1:
        raise ValueError("plot_terminator_improvement: the study has several objectives; the terminator judges one")
    improvement_evaluator = improvement_evaluator or RegretBoundEvaluator()
    if error_evaluator is None:
        stagnation = isinstance(improvement_evaluator, BestValueStagnationEvaluator)
        error_evaluator = StaticErrorEvaluator(0) if stagnation else CrossValidationErrorEvaluator()
    complete = sorted((t for t in study.get_trials() if t.state == TrialState.COMPLETE), key=lambda t: t.number)
    if not complete:
        return empty_figure("Terminator Improvement Plot", "no complete trials")
    n = len(complete)
    counts = sorted(set(int(round(c)) for c in np.linspace(min(min_n_trials, n), n, n_points)))
    direction = study.directions[0]
    improvements = [float(improvement_evaluator.evaluate(trials=complete[:k], study_direction=direction))
                    for k in counts]
    g = go()
    fig = g.Figure()
    x = [complete[k - 1].number for k in counts]
    fig.add_trace(g.Scatter(x=x, y=improvements, mode="lines+markers", name="Terminator Improvement"))
    if plot_error:
        errors = [float(error_evaluator.evaluate(trials=complete[:k], study_direction=direction)) for k in counts]
        fig.add_trace(g.Scatter(x=x, y=errors, mode="lines+markers", name="Error"))
    fig.update_layout(title="Terminator Improvement Plot", xaxis_title="Trial", yaxis_title="Terminator Improvement")
    return fig
