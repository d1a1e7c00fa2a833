"""Optuna's ``optuna.terminator.median_erroreval`` import path."""

from tunelab.terminator._error import BaseErrorEvaluator, MedianErrorEvaluator

__all__ = ["BaseErrorEvaluator", "MedianErrorEvaluator"]
