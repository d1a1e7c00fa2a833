"""Early stopping of bad trials.  Modules load on first use."""

from __future__ import annotations

import importlib
from typing import Any, Mapping

from tunelab.pruners.base import BasePruner, NopPruner, PruningContext

# name -> "module:Class"; every entry builds with no arguments.  PercentilePruner needs its
# percentile, so it has no name here: pass PercentilePruner(25) itself.
PRUNERS: dict[str, str] = {
    "none": "tunelab.pruners.base:NopPruner",
    "nop": "tunelab.pruners.base:NopPruner",
    "median": "tunelab.pruners.percentile:MedianPruner",
    "threshold": "tunelab.pruners.threshold:ThresholdPruner",  # no bounds: prunes NaN/inf only
    "patience": "tunelab.pruners.patience:PatiencePruner",
    "asha": "tunelab.pruners.halving:SuccessiveHalvingPruner",  # min_resource=1, reduction_factor=3
    "sha": "tunelab.pruners.halving:SuccessiveHalvingPruner",
    "successive_halving": "tunelab.pruners.halving:SuccessiveHalvingPruner",
    "hyperband": "tunelab.pruners.hyperband:HyperbandPruner",
    "cv": "tunelab.pruners.cv:CVPruner",
    "wilcoxon": "tunelab.pruners.wilcoxon:WilcoxonPruner",
}

# classes importable as tunelab.pruners.<Name>, loaded on first use
_LAZY = {
    "MedianPruner": "tunelab.pruners.percentile",
    "PercentilePruner": "tunelab.pruners.percentile",
    "ThresholdPruner": "tunelab.pruners.threshold",
    "PatiencePruner": "tunelab.pruners.patience",
    "SuccessiveHalvingPruner": "tunelab.pruners._optuna_names",  # tunelab's, taking Optuna's arguments too
    "HyperbandPruner": "tunelab.pruners._optuna_names",
    "CVPruner": "tunelab.pruners.cv",
    "WilcoxonPruner": "tunelab.pruners.wilcoxon",
    "PatientPruner": "tunelab.pruners._optuna_names",  # Optuna's rule; PatiencePruner is tunelab's stricter one
}

__all__ = ["BasePruner", "NopPruner", "PruningContext", "PRUNERS", "make_pruner", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tunelab.pruners' has no attribute {name!r}")


def make_pruner(spec: Any) -> BasePruner | None:
    """A pruner object from None, a name ("median", "asha", ...), a table ``{"name": "asha", option: value}`` or a
    pruner object."""
    if spec is None:
        return None
    if isinstance(spec, BasePruner):
        return spec
    if not isinstance(spec, (str, type)) and callable(getattr(spec, "prune", None)):
        from tunelab.pruners._optuna_names import DuckPruner  # Optuna-style prune(study, trial), no BasePruner

        return DuckPruner(spec)
    options: dict[str, Any] = {}
    if isinstance(spec, Mapping) and isinstance(spec.get("name"), str):
        spec, options = spec["name"], {k: v for k, v in spec.items() if k != "name"}
    if isinstance(spec, str):
        key = spec.lower()
        if key not in PRUNERS:
            raise ValueError(f"unknown pruner {spec!r}; expected one of {sorted(PRUNERS)} or a pruner object")
        module, cls = PRUNERS[key].split(":")
        return getattr(importlib.import_module(module), cls)(**options)
    raise TypeError(f"pruner must be None, a name such as 'median' or 'asha', a table with 'name', or a pruner "
                    f"object; got {spec!r}")
