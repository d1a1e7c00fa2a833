"""The former home of PruningCallback, kept so existing imports work: see :mod:`tunelab.integration.lightning`."""

from tunelab.integration.lightning import LIGHTNING_AVAILABLE, PruningCallback

__all__ = ["LIGHTNING_AVAILABLE", "PruningCallback"]
