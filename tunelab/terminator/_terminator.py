"""Terminator: stop a study when the room left for improvement is smaller than the noise; and its callback."""

from __future__ import annotations

import abc
import logging
from typing import Any

from tunelab._validation import Interval, validate
from tunelab.terminator._error import (BaseErrorEvaluator, CrossValidationErrorEvaluator, StaticErrorEvaluator,
                                       _HasEvaluate)
from tunelab.terminator._improvement import (DEFAULT_MIN_N_TRIALS, BaseImprovementEvaluator,
                                             BestValueStagnationEvaluator, RegretBoundEvaluator)
from tunelab.trial import FrozenTrial, TrialState

_logger = logging.getLogger("tunelab.terminator")


class BaseTerminator(abc.ABC):
    """Decides from a study's trials whether to stop it."""

    @abc.abstractmethod
    def should_terminate(self, study: Any) -> bool:
        """True when more trials are unlikely to pay off."""


class Terminator(BaseTerminator):
    """Stop when ``improvement_evaluator`` says less room is left than ``error_evaluator``'s noise.

    Defaults: a :class:`RegretBoundEvaluator` against the cross-validation error
    of the best trial (:class:`CrossValidationErrorEvaluator`, which needs
    :func:`report_cross_validation_scores` in the objective); with a
    :class:`BestValueStagnationEvaluator` the default error is
    ``StaticErrorEvaluator(0)``.  Nothing is judged before ``min_n_trials``
    trials are complete.
    """

    def __init__(self, improvement_evaluator: BaseImprovementEvaluator | None = None,
                 error_evaluator: BaseErrorEvaluator | None = None,
                 min_n_trials: int = DEFAULT_MIN_N_TRIALS) -> None:
        validate({"improvement_evaluator": [_HasEvaluate(), None],
                  "error_evaluator": [_HasEvaluate(), None],
                  "min_n_trials": [Interval(int, 1, None)]},
                 {"improvement_evaluator": improvement_evaluator, "error_evaluator": error_evaluator,
                  "min_n_trials": min_n_trials}, "Terminator")
        self._improvement_evaluator = improvement_evaluator or RegretBoundEvaluator()
        if error_evaluator is None:
            stagnation = isinstance(self._improvement_evaluator, BestValueStagnationEvaluator)
            error_evaluator = StaticErrorEvaluator(0) if stagnation else CrossValidationErrorEvaluator()
        self._error_evaluator = error_evaluator
        self._min_n_trials = int(min_n_trials)

    def should_terminate(self, study: Any) -> bool:
        """Judge from the study's trials: room left < error."""
        trials = study.get_trials()
        if sum(t.state == TrialState.COMPLETE for t in trials) < self._min_n_trials:
            return False
        direction = study.direction
        improvement = self._improvement_evaluator.evaluate(trials=trials, study_direction=direction)
        error = self._error_evaluator.evaluate(trials=trials, study_direction=direction)
        return bool(improvement < error)


class TerminatorCallback:
    """A ``study.optimize`` callback that stops the study when its terminator says so.

    It calls ``study.stop()``: every worker (threads, processes, executor tasks)
    finishes its running trial and starts no new one.
    """

    def __init__(self, terminator: BaseTerminator | None = None) -> None:
        if terminator is not None and not callable(getattr(terminator, "should_terminate", None)):
            raise TypeError(f"TerminatorCallback: argument 'terminator' must be a terminator (an object with "
                            f"should_terminate(study)) or None; got {terminator!r}")
        self._terminator = terminator or Terminator()

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        if self._terminator.should_terminate(study=study):
            _logger.info("The terminator stopped the study after trial %d.", trial.number)
            study.stop()
