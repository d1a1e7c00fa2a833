"""Optuna's ``optuna.terminator.improvement.emmr`` import path."""

from tunelab.terminator._emmr import EMMREvaluator
from tunelab.terminator._improvement import BaseImprovementEvaluator

__all__ = ["BaseImprovementEvaluator", "EMMREvaluator"]
