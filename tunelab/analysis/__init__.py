"""Reading finished studies as plain data: importance, why the best wins, noise, the pruning ledger, keep going?

Every function takes a Study (or a :class:`StudyView`, or a list of FrozenTrials)
and returns dataclasses, dicts and floats, so figures, the report, the
dashboard and tests all use the same numbers.  numpy, scipy and scikit-learn
load when a function runs, not on import.
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "StudyView": "_data",
    "get_param_importances": "importance",
    "param_importances": "importance",
    "interactions": "importance",
    "PedAnovaImportanceEvaluator": "importance",
    "FanovaImportanceEvaluator": "importance",
    "MeanDecreaseImpurityImportanceEvaluator": "importance",
    "ImportanceResult": "importance",
    "ParamImportance": "importance",
    "Interaction": "importance",
    "partial_dependence": "explain",
    "PartialDependence": "explain",
    "ablation_path": "explain",
    "AblationPath": "explain",
    "AblationStep": "explain",
    "noise_summary": "noise",
    "NoiseSummary": "noise",
    "ConfigNoise": "noise",
    "select_best": "noise",
    "pruning_ledger": "ledger",
    "PruningLedger": "ledger",
    "TrialCost": "ledger",
    "keep_going": "terminator",
    "keep_going_history": "terminator",
    "KeepGoing": "terminator",
    "KeepGoingHistory": "terminator",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'tunelab.analysis' has no attribute {name!r}")
    return getattr(importlib.import_module(f"tunelab.analysis.{module}"), name)
