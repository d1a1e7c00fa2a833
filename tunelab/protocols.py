"""Seams between packages of one layer that must not import each other.

A provider satisfies a protocol here by having its attributes (structural typing),
so neither side imports the other: samplers know of the study's pruner only
through :class:`PrunerInfo`, which :class:`tunelab.pruners.BasePruner` satisfies.
"""

from __future__ import annotations

from typing import Protocol


class PrunerInfo(Protocol):
    """What a sampler may know of the study's pruner."""

    #: whether the pruner may stop trials early (False for NopPruner)
    prunes: bool


def stops_trials(pruner: PrunerInfo | None) -> bool:
    """True when there is a pruner and it may stop trials."""
    return pruner is not None and bool(pruner.prunes)
