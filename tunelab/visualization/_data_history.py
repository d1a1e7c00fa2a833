"""What the figures over time draw, as plain data: history, learning curves, EDF, timeline, terminator.

The plotly figures (``_history.py``) and the matplotlib ones (``matplotlib/``) both
read these, so the two renderers show the same trials and numbers.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from tunelab.analysis.decimate import decimate
from tunelab.trial import FrozenTrial, TrialState
from tunelab.visualization._common import (
    PointGroup,
    check_max_points,
    chosen_states,
    keep_indices,
    studies_of,
    table_for,
    wants_log,
)


@dataclass
class HistorySeries:
    """One study's points (one group per state) and its best-so-far line (a step after each trial)."""

    name: str
    groups: list[PointGroup]
    best_x: np.ndarray
    best_y: np.ndarray


@dataclass
class HistoryData:
    """Optimization history: a series per study, or (``error_bar`` over studies) the mean best line with its std."""

    series: list[HistorySeries]
    band: tuple[np.ndarray, np.ndarray, np.ndarray] | None  # x, mean, std of the best so far
    target_name: str
    log: bool


def history_data(study: Any, *, target: Callable[[FrozenTrial], float] | None = None,
                 target_name: str = "Objective Value", error_bar: bool = False,
                 states: Iterable[TrialState | str] | None = None, include_pruned: bool = False,
                 log: bool | None = None, max_points: int | None = None,
                 target_direction: str | None = None) -> HistoryData:
    """The points and best-so-far lines of :func:`plot_optimization_history` (see it for the arguments)."""
    check_max_points(max_points)
    shown = chosen_states(states, include_pruned)
    views = studies_of(study)
    banded = error_bar and len(views) > 1
    series: list[HistorySeries] = []
    all_values = []
    bests = []
    for s_i, view in enumerate(views):
        table = table_for(view, [], target, shown, "plot_optimization_history", target_direction)
        name = getattr(view, "study_name", f"study {s_i}") if len(views) > 1 else ""
        numbers = np.array([t.number for t in table.trials], dtype=int)
        order = np.argsort(numbers, kind="stable")
        table = table.subset(order)
        numbers = numbers[order]
        all_values.append(table.values)
        complete = np.array([t.state == TrialState.COMPLETE for t in table.trials], dtype=bool)
        best_so_far = running_best(table.loss, complete) * table.direction.sign()
        bests.append((numbers, best_so_far))
        if banded:
            continue
        idx = keep_indices(table, max_points)
        groups = []
        for state in shown:
            pick = idx[[table.trials[i].state == state for i in idx]]
            if not len(pick):
                continue
            label = target_name if state == TrialState.COMPLETE else f"{state.name.lower()} (last report)"
            spread = repeat_spread(table.trials, pick) if error_bar and target is None else None
            groups.append(PointGroup(state, f"{name} {label}".strip(), table.trials, pick, numbers[pick],
                                     table.values[pick], table.values[pick], spread=spread))
        keep = np.isfinite(best_so_far)
        series.append(HistorySeries(name, groups, numbers[keep], best_so_far[keep]))
    flat = np.concatenate(all_values) if all_values else np.empty(0)
    use_log = log is not None and wants_log("objective", None, log, flat)
    return HistoryData(series, mean_band(bests) if banded else None, target_name, use_log)


def running_best(loss: np.ndarray, complete: np.ndarray) -> np.ndarray:
    """The smallest loss of the complete trials up to each row (NaN before the first complete one)."""
    masked = np.where(complete, loss, np.inf)
    best = np.minimum.accumulate(masked) if masked.size else masked
    return np.where(np.isfinite(best), best, np.nan)


def repeat_spread(trials: Sequence[FrozenTrial], pick: np.ndarray) -> list[float] | None:
    """Each trial's standard deviation over its repeated seeds (0 for one seed), or None if no trial repeated."""
    from tunelab.analysis.noise import REPEATS_KEY, value_stats

    if not any(isinstance(trials[i].user_attrs.get(REPEATS_KEY), (list, tuple)) for i in pick):
        return None
    return [value_stats(trials[i]).std for i in pick]


def mean_band(bests: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and std over studies of the best so far at each trial number (carried over numbers a study lacks)."""
    n = max((int(nums.max()) + 1 for nums, _ in bests if nums.size), default=0)
    grid = np.full((len(bests), n), np.nan)
    for k, (nums, vals) in enumerate(bests):
        row = np.full(n, np.nan)
        row[nums] = vals
        for i in range(1, n):
            if np.isnan(row[i]):
                row[i] = row[i - 1]
        grid[k] = row
    with warnings.catch_warnings():  # "mean of empty slice" where no study has reached a trial number
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(grid, axis=0)
        std = np.nanstd(grid, axis=0)
    return np.arange(n), mean, std


@dataclass
class Curve:
    """One trial's intermediate values by step."""

    number: int
    state: TrialState
    steps: list[int]
    values: list[float]


@dataclass
class IntermediateData:
    """Learning curves (the best complete trial's apart, drawn on top), or a message saying why there are none."""

    states: tuple[TrialState, ...]
    curves: list[Curve] = field(default_factory=list)
    best: Curve | None = None
    log: bool = False
    message: str | None = None


def _curve(t: FrozenTrial) -> Curve:
    steps = sorted(t.intermediate_values)
    return Curve(t.number, t.state, steps, [t.intermediate_values[s] for s in steps])


def intermediate_data(study: Any, *, states: Iterable[TrialState | str] | None = None, include_pruned: bool = True,
                      log: bool | None = None, max_curves: int | None = None) -> IntermediateData:
    """The curves of :func:`plot_intermediate_values`: at most ``max_curves`` (the best and an even sample)."""
    check_max_points(max_curves)
    shown = chosen_states(states, include_pruned, (TrialState.COMPLETE, TrialState.RUNNING))
    view = studies_of(study)[0]
    trials = [t for t in view.get_trials(list(shown)) if t.intermediate_values]
    if not trials:
        return IntermediateData(shown, message="no trial has reported intermediate values")
    sign = view.directions[0].sign()
    final = np.array([sign * t.values[0] if t.state == TrialState.COMPLETE and t.values else np.nan
                      for t in trials])
    idx = np.arange(len(trials)) if max_curves is None else decimate(final, max_curves)
    best = int(np.nanargmin(final)) if np.isfinite(final).any() else None
    curves = [_curve(trials[i]) for i in idx if i != best and trials[i].state in shown]
    return IntermediateData(shown, curves, _curve(trials[best]) if best is not None else None, bool(log))


@dataclass
class EdfLine:
    name: str
    x: np.ndarray
    y: np.ndarray  # share of the study's trials at or below x


@dataclass
class EdfData:
    lines: list[EdfLine]
    target_name: str
    log: bool


def edf_data(study: Any, *, target: Callable[[FrozenTrial], float] | None = None,
             target_name: str = "Objective Value", states: Iterable[TrialState | str] | None = None,
             include_pruned: bool = False, log: bool | None = None, n_points: int = 1000,
             target_direction: str | None = None) -> EdfData:
    """The empirical distribution of each study's values on ``n_points`` points between its min and max."""
    shown = chosen_states(states, include_pruned)
    lines = []
    all_vals = []
    for s_i, view in enumerate(studies_of(study)):
        table = table_for(view, [], target, shown, "plot_edf", target_direction)
        vals = np.sort(table.values)
        all_vals.append(vals)
        if not vals.size:
            continue
        lo, hi = float(vals[0]), float(vals[-1])
        use_log = bool(log) and lo > 0
        xs = np.geomspace(lo, hi, n_points) if use_log and hi > lo else np.linspace(lo, hi, n_points)
        ys = np.searchsorted(vals, xs, side="right") / vals.size
        lines.append(EdfLine(str(getattr(view, "study_name", f"study {s_i}")), xs, ys))
    flat = np.concatenate(all_vals) if all_vals else np.empty(0)
    return EdfData(lines, target_name, log is not None and wants_log("objective", None, log, flat))


@dataclass
class TimelineGroup:
    """Trials of one state as bars from ``starts`` to ``ends`` (running ones end now)."""

    state: TrialState
    trials: list[FrozenTrial]
    numbers: list[int]
    starts: list[dt.datetime]
    ends: list[dt.datetime]


@dataclass
class TimelineData:
    groups: list[TimelineGroup]
    message: str | None = None


def timeline_data(study: Any, *, states: Iterable[TrialState | str] | None = None, include_pruned: bool = True,
                  max_points: int | None = None, n_recent_trials: int | None = None) -> TimelineData:
    """When each trial ran, one group per state; ``n_recent_trials`` keeps the most recent trials only."""
    check_max_points(max_points)
    if n_recent_trials is not None and (isinstance(n_recent_trials, bool) or not isinstance(n_recent_trials, int)
                                        or n_recent_trials < 1):
        raise ValueError(f"n_recent_trials must be an int >= 1 or None; got {n_recent_trials!r}")
    shown = chosen_states(states, include_pruned, (TrialState.COMPLETE, TrialState.FAIL, TrialState.RUNNING))
    view = studies_of(study)[0]
    trials = [t for t in view.get_trials(list(shown)) if t.datetime_start is not None]
    if n_recent_trials is not None:
        trials = sorted(trials, key=lambda t: t.number)[-n_recent_trials:]
    if not trials:
        return TimelineData([], "no trial has a start time")
    now = dt.datetime.now()
    sign = view.directions[0].sign()
    loss = np.array([sign * t.values[0] if t.state == TrialState.COMPLETE and t.values else np.nan for t in trials])
    idx = np.arange(len(trials)) if max_points is None else decimate(loss, max_points)
    groups = []
    for state in shown:
        pick = [trials[i] for i in idx if trials[i].state == state]
        if pick:
            groups.append(TimelineGroup(state, pick, [t.number for t in pick], [t.datetime_start for t in pick],
                                        [t.datetime_complete or now for t in pick]))
    return TimelineData(groups)


@dataclass
class TerminatorData:
    """The regret bound (and noise) after each trial count, with the verdict; or a message when too early."""

    n_trials: list[int]
    bound: list[float]
    error: list[float]
    verdict: str


def terminator_data(study: Any, *, improvement_evaluator: Any = None, error_evaluator: Any = None,
                    min_n_trials: int = 20, n_points: int = 12,
                    target: Callable[[FrozenTrial], float] | None = None,
                    target_direction: str | None = None) -> TerminatorData:
    """The points of :func:`plot_terminator_improvement`.

    Without evaluators: from :func:`tunelab.analysis.keep_going_history`.  With
    ``improvement_evaluator`` or ``error_evaluator`` (:mod:`tunelab.terminator`'s, or
    any object with ``evaluate(trials, study_direction)``): those, on the first k
    complete trials at ``n_points`` counts from ``min_n_trials``, x = the k-th
    trial's number, with Optuna's default for the one not given.
    """
    if improvement_evaluator is not None or error_evaluator is not None:
        if target is not None or target_direction is not None:
            raise ValueError("plot_terminator_improvement: 'target' cannot be combined with 'improvement_evaluator'"
                             "/'error_evaluator' (evaluators read the trials' values)")
        return _evaluator_terminator_data(studies_of(study)[0], improvement_evaluator, error_evaluator,
                                          min_n_trials, n_points)
    from tunelab.analysis.terminator import keep_going_history

    history = keep_going_history(studies_of(study)[0], target=target, min_n_trials=min_n_trials, n_points=n_points,
                                 target_direction=target_direction)
    pts = [p for p in history.points if np.isfinite(p.regret_bound)]
    if not pts:
        verdict = history.points[-1].verdict if history.points else "no complete trials"
        return TerminatorData([], [], [], verdict)
    return TerminatorData([p.n_trials for p in pts], [p.regret_bound for p in pts], [p.error for p in pts],
                          pts[-1].verdict)


def _evaluator_terminator_data(study: Any, improvement_evaluator: Any, error_evaluator: Any, min_n_trials: int,
                               n_points: int) -> TerminatorData:
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
    explicit_error = error_evaluator is not None
    improvement_evaluator = improvement_evaluator or RegretBoundEvaluator()
    if error_evaluator is None:
        stagnation = isinstance(improvement_evaluator, BestValueStagnationEvaluator)
        error_evaluator = StaticErrorEvaluator(0) if stagnation else CrossValidationErrorEvaluator()
    complete = sorted((t for t in study.get_trials() if t.state == TrialState.COMPLETE), key=lambda t: t.number)
    if not complete:
        return TerminatorData([], [], [], "no complete trials")
    n, direction = len(complete), study.directions[0]
    counts = sorted(set(int(round(c)) for c in np.linspace(min(min_n_trials, n), n, n_points)))
    bound = [float(improvement_evaluator.evaluate(trials=complete[:k], study_direction=direction)) for k in counts]
    try:
        error = [float(error_evaluator.evaluate(trials=complete[:k], study_direction=direction)) for k in counts]
    except ValueError as exc:  # the default (cross-validation) error needs scores the objective may not report
        if explicit_error:
            raise
        error, note = [float("nan")] * len(counts), f" No error: {exc}"
    else:
        note = ""
    if np.isfinite(error[-1]):
        head = "Stop" if bound[-1] < error[-1] else "Keep going"
        verdict = f"{head}: after {n} trials the improvement is {bound[-1]:.3g}, the error {error[-1]:.3g}."
    else:
        verdict = f"After {n} trials the improvement is {bound[-1]:.3g}." + note
    return TerminatorData([complete[k - 1].number for k in counts], bound, error, verdict)
