"""Optuna's ``optuna.terminator.erroreval`` import path: how large a difference is noise."""

from tunelab.terminator._error import (BaseErrorEvaluator, CrossValidationErrorEvaluator, StaticErrorEvaluator,
                                       report_cross_validation_scores)

__all__ = ["BaseErrorEvaluator", "CrossValidationErrorEvaluator", "StaticErrorEvaluator",
           "report_cross_validation_scores"]
