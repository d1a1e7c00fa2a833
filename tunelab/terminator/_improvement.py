"""Improvement evaluators: how much better the best trial may still get (the room left to optimise)."""

from __future__ import annotations

import abc
from typing import Sequence

import numpy as np

from tunelab._validation import Interval, validate
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

DEFAULT_MIN_N_TRIALS = 20
DEFAULT_TOP_TRIALS_RATIO = 0.5


class BaseImprovementEvaluator(abc.ABC):
    """Estimates the room left for improvement from the trials so far (in the objective's units, >= 0 usually)."""

    @abc.abstractmethod
    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The estimate after ``trials`` (any states; only complete trials count)."""


def complete_of(trials: Sequence[FrozenTrial], owner: str) -> list[FrozenTrial]:
    """The complete trials, or a ValueError saying none has completed yet."""
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if not complete:
        raise ValueError(f"{owner}.evaluate: no trial has completed yet, so there is nothing to estimate from")
    return complete


class RegretBoundEvaluator(BaseImprovementEvaluator):
    """An upper bound (with high probability, under a GP model) on how far the best trial is from the optimum.

    A GP is fitted to the best ``top_trials_ratio`` of the complete trials (at
    least ``min_n_trials`` of them, or all there are); the bound is the smallest
    upper confidence bound among those trials minus the smallest lower confidence
    bound anywhere in the search space, in the objective's units.  After
    Makarova et al., "Automatic termination for hyperparameter optimization" (2022).
    """

    def __init__(self, top_trials_ratio: float = DEFAULT_TOP_TRIALS_RATIO,
                 min_n_trials: int = DEFAULT_MIN_N_TRIALS, seed: int | None = None) -> None:
        validate({"top_trials_ratio": [Interval(float, 0.0, 1.0, closed="right")],
                  "min_n_trials": [Interval(int, 1, None)],
                  "seed": [Interval(int, 0, None), None]},
                 {"top_trials_ratio": top_trials_ratio, "min_n_trials": min_n_trials, "seed": seed},
                 "RegretBoundEvaluator")
        self._top_trials_ratio = float(top_trials_ratio)
        self._min_n_trials = int(min_n_trials)
        self._rng = np.random.default_rng(seed)

    def _top(self, loss: np.ndarray) -> np.ndarray:
        """Indices of the best trials: ``ratio * n`` of them, at least ``min_n_trials``, ties at the cut kept."""
        n = len(loss)
        k = min(n, max(int(n * self._top_trials_ratio), self._min_n_trials))
        cut = np.partition(loss, k - 1)[k - 1]
        return np.flatnonzero(loss <= cut)

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        from tunelab.analysis.terminator import ucb_beta
        from tunelab.terminator._surrogate import encode_trials, fit_gp, regret_bound, standardise

        complete_of(trials, "RegretBoundEvaluator")
        enc = encode_trials(trials, study_direction)
        if not enc.names:
            raise ValueError("RegretBoundEvaluator.evaluate: the complete trials share no parameter that varies "
                             "(the intersection search space is empty), so there is no surface to model")
        top = self._top(enc.loss)
        X, (z, _, std) = enc.X[top], standardise(enc.loss[top])
        model = fit_gp(X, z, enc.is_cat)
        beta = ucb_beta(X.shape[1], len(X))
        return regret_bound(model, enc.space, enc.names, X, beta, self._rng) * std


class BestValueStagnationEvaluator(BaseImprovementEvaluator):
    """Trials left before the best value has not improved for ``max_stagnation_trials`` complete trials.

    Zero or less means the best value has stood still that long; pair it with
    ``StaticErrorEvaluator(0)`` (the Terminator's default for it) to stop then.
    """

    def __init__(self, max_stagnation_trials: int = 30) -> None:
        validate({"max_stagnation_trials": [Interval(int, 0, None)]},
                 {"max_stagnation_trials": max_stagnation_trials}, "BestValueStagnationEvaluator")
        self._max_stagnation_trials = int(max_stagnation_trials)

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        complete = complete_of(trials, "BestValueStagnationEvaluator")
        sign = StudyDirection.parse(study_direction).sign()
        best_at, best = 0, sign * float(complete[0].value)
        for i, trial in enumerate(complete):
            loss = sign * float(trial.value)
            if loss < best:
                best_at, best = i, loss
        stagnant = len(complete) - 1 - best_at
        return self._max_stagnation_trials - stagnant
