"""Optuna's ``optuna.terminator.improvement.evaluator`` import path."""

from tunelab.terminator._improvement import BaseImprovementEvaluator, BestValueStagnationEvaluator, RegretBoundEvaluator

__all__ = ["BaseImprovementEvaluator", "BestValueStagnationEvaluator", "RegretBoundEvaluator"]
