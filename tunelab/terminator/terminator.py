"""Optuna's ``optuna.terminator.terminator`` import path: the terminator and its default evaluators."""

from tunelab.terminator._error import BaseErrorEvaluator, CrossValidationErrorEvaluator, StaticErrorEvaluator
from tunelab.terminator._improvement import (BaseImprovementEvaluator, BestValueStagnationEvaluator,
                                             RegretBoundEvaluator)
from tunelab.terminator._terminator import BaseTerminator, Terminator

__all__ = ["BaseErrorEvaluator", "BaseImprovementEvaluator", "BaseTerminator", "BestValueStagnationEvaluator",
           "CrossValidationErrorEvaluator", "RegretBoundEvaluator", "StaticErrorEvaluator", "Terminator"]
