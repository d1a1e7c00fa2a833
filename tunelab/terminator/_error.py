"""Error evaluators: how much of a difference between two trials is noise, in the objective's units."""

from __future__ import annotations

import abc
import math
import numbers
import sys
from typing import Any, Sequence

import numpy as np

from tunelab._validation import Interval, validate
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

#: The trial system attribute that holds the scores of :func:`report_cross_validation_scores` (Optuna's key,
#: so studies migrated from Optuna keep theirs).
CV_SCORES_KEY = "terminator:cv_scores"


class BaseErrorEvaluator(abc.ABC):
    """Estimates the statistical error of the objective; the Terminator stops when the room left is below it."""

    @abc.abstractmethod
    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The error after ``trials`` (any states)."""


def report_cross_validation_scores(trial: Any, scores: Sequence[float]) -> None:
    """Store the per-fold scores of a running trial, for :class:`CrossValidationErrorEvaluator`.

    Call it in the objective with the scores whose mean the objective returns.
    """
    if not hasattr(trial, "set_system_attr"):
        raise TypeError(f"report_cross_validation_scores: 'trial' must be a live Trial; got {trial!r}")
    try:
        values = [float(s) for s in scores]
    except (TypeError, ValueError):
        raise TypeError(f"report_cross_validation_scores: 'scores' must be a sequence of numbers; "
                        f"got {scores!r}") from None
    if len(values) < 2:
        raise ValueError(f"report_cross_validation_scores: 'scores' needs at least 2 fold scores to estimate "
                         f"an error; got {len(values)}")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"report_cross_validation_scores: 'scores' must be finite numbers; got {values}")
    trial.set_system_attr(CV_SCORES_KEY, values)


class CrossValidationErrorEvaluator(BaseErrorEvaluator):
    """The standard error of the best trial's cross-validation mean (from :func:`report_cross_validation_scores`).

    With k fold scores of variance s^2 the error is ``sqrt((1/k + 1/(k-1)) s^2)``
    (Nadeau and Bengio's corrected variance for k-fold CV, as Makarova et al. use):
    folds share training data, so the naive ``s^2 / k`` understates it.
    """

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        if not complete:
            raise ValueError("CrossValidationErrorEvaluator.evaluate: no trial has completed yet")
        sign = StudyDirection.parse(study_direction).sign()
        best = min(complete, key=lambda t: sign * float(t.value))
        scores = best.system_attrs.get(CV_SCORES_KEY)
        if scores is None:
            raise ValueError(f"CrossValidationErrorEvaluator: the best trial (number {best.number}) has no "
                             "cross-validation scores; call tunelab.terminator.report_cross_validation_scores("
                             "trial, scores) in the objective, or give the Terminator another error_evaluator "
                             "(e.g. StaticErrorEvaluator)")
        s = np.asarray(scores, dtype=float)
        k = len(s)
        return float(math.sqrt((1.0 / k + 1.0 / (k - 1)) * float(np.var(s))))


class StaticErrorEvaluator(BaseErrorEvaluator):
    """A fixed error: stop once the room left for improvement falls below ``constant``."""

    def __init__(self, constant: float) -> None:
        if isinstance(constant, bool) or not isinstance(constant, numbers.Real) or math.isnan(constant):
            raise TypeError(f"StaticErrorEvaluator: argument 'constant' must be a number; got {constant!r}")
        self._constant = float(constant)

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        return self._constant


class MedianErrorEvaluator(BaseErrorEvaluator):
    """A threshold relative to the paired improvement evaluator's early values (Ishibashi et al., 2023).

    Once ``warm_up_trials + n_initial_trials`` trials are complete, the paired
    evaluator is run on the first 1, 2, ..., ``n_initial_trials`` trials after
    the warm-up; the error is ``threshold_ratio`` times the median of those
    values, computed once and kept.  Before that it returns a tiny negative
    number, so no study stops.
    """

    def __init__(self, paired_improvement_evaluator: Any, warm_up_trials: int = 10, n_initial_trials: int = 20,
                 threshold_ratio: float = 0.01) -> None:
        validate({"paired_improvement_evaluator": [_HasEvaluate()],
                  "warm_up_trials": [Interval(int, 0, None)],
                  "n_initial_trials": [Interval(int, 1, None)],
                  "threshold_ratio": [Interval(float, 0.0, None, closed="neither")]},
                 {"paired_improvement_evaluator": paired_improvement_evaluator, "warm_up_trials": warm_up_trials,
                  "n_initial_trials": n_initial_trials, "threshold_ratio": threshold_ratio},
                 "MedianErrorEvaluator")
        if not math.isfinite(threshold_ratio):
            raise ValueError(f"MedianErrorEvaluator: argument 'threshold_ratio' must be finite; got {threshold_ratio}")
        self._paired = paired_improvement_evaluator
        self._warm_up_trials = int(warm_up_trials)
        self._n_initial_trials = int(n_initial_trials)
        self._threshold_ratio = float(threshold_ratio)
        self._threshold: float | None = None

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        if self._threshold is not None:
            return self._threshold
        complete = sorted((t for t in trials if t.state == TrialState.COMPLETE), key=lambda t: t.number)
        start = self._warm_up_trials
        if len(complete) < start + self._n_initial_trials:
            return -sys.float_info.min  # below any improvement (improvements are >= 0): never stop yet
        early = sorted(self._paired.evaluate(complete[start:start + i], study_direction)
                       for i in range(1, self._n_initial_trials + 1))
        self._threshold = min(sys.float_info.max, early[len(early) // 2] * self._threshold_ratio)
        return self._threshold


class _HasEvaluate:
    """Constraint: an object with an ``evaluate(trials, study_direction)`` method."""

    def accepts(self, value: Any) -> bool:
        return callable(getattr(value, "evaluate", None))

    def describe(self) -> str:
        return "an improvement evaluator (an object with evaluate(trials, study_direction))"
