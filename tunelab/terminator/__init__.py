"""Optuna's ``optuna.terminator``: stop a study once more trials are unlikely to beat the noise.

A :class:`Terminator` compares an improvement evaluator (how much better the
best may still get: :class:`RegretBoundEvaluator`, :class:`EMMREvaluator`,
:class:`BestValueStagnationEvaluator`) with an error evaluator (how large a
difference is noise: :class:`CrossValidationErrorEvaluator` over the fold scores
of :func:`report_cross_validation_scores`, :class:`StaticErrorEvaluator`,
:class:`MedianErrorEvaluator`); :class:`TerminatorCallback` stops
``study.optimize`` when it says so.  The GP behind the regret bounds is
:class:`~tunelab.samplers.GPSampler`'s.  ``tunelab.analysis.keep_going`` is the
same question answered in plain words for reports.
"""

from __future__ import annotations

from tunelab.terminator._emmr import EMMREvaluator
from tunelab.terminator._error import (BaseErrorEvaluator, CrossValidationErrorEvaluator, MedianErrorEvaluator,
                                       StaticErrorEvaluator, report_cross_validation_scores)
from tunelab.terminator._improvement import (BaseImprovementEvaluator, BestValueStagnationEvaluator,
                                             RegretBoundEvaluator)
from tunelab.terminator._terminator import BaseTerminator, Terminator, TerminatorCallback

__all__ = [
    "TerminatorCallback",
    "BaseErrorEvaluator",
    "CrossValidationErrorEvaluator",
    "report_cross_validation_scores",
    "StaticErrorEvaluator",
    "MedianErrorEvaluator",
    "BaseImprovementEvaluator",
    "BestValueStagnationEvaluator",
    "RegretBoundEvaluator",
    "EMMREvaluator",
    "BaseTerminator",
    "Terminator",
]
