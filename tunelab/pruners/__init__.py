"""Early stopping of bad trials.  Modules load on first use."""

from __future__ import annotations

import importlib
from typing import Any

from tunelab.pruners.base import BasePruner, NopPruner, PruningContext

PRUNERS: dict[str, str] = {
    "none": "tunelab.pruners.base:NopPruner",
    "nop": "tunelab.pruners.base:NopPruner",
}

__all__ = ["BasePruner", "NopPruner", "PruningContext", "PRUNERS", "make_pruner"]


def make_pruner(spec: Any) -> BasePruner | None:
    """A pruner object from None, a name ("median", "asha", ...) or a pruner object."""
    if spec is None:
        return None
    if isinstance(spec, BasePruner):
        return spec
    if isinstance(spec, str):
        key = spec.lower()
        if key not in PRUNERS:
            raise ValueError(f"unknown pruner {spec!r}; expected one of {sorted(PRUNERS)} or a pruner object")
        module, cls = PRUNERS[key].split(":")
        return getattr(importlib.import_module(module), cls)()
    raise TypeError(f"pruner must be None, a name such as 'median' or 'asha', or a pruner object; got {spec!r}")
