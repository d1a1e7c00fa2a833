"""Hyperparameter importance with Optuna's names: ``tunelab.importance.get_param_importances(study)``.

The methods live in :mod:`tunelab.analysis.importance`; this module is the
import path Optuna users know (``optuna.importance``).
"""

from tunelab.analysis.importance import (
    BaseImportanceEvaluator,
    FanovaImportanceEvaluator,
    ImportanceEvaluator,
    ImportanceResult,
    MeanDecreaseImpurityImportanceEvaluator,
    PedAnovaImportanceEvaluator,
    get_param_importances,
    interactions,
    param_importances,
)

__all__ = [
    "BaseImportanceEvaluator",
    "FanovaImportanceEvaluator",
    "ImportanceEvaluator",
    "ImportanceResult",
    "MeanDecreaseImpurityImportanceEvaluator",
    "PedAnovaImportanceEvaluator",
    "get_param_importances",
    "interactions",
    "param_importances",
]
