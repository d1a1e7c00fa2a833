"""Patience: stop a trial whose curve has stopped improving (optionally only if another pruner agrees)."""

from __future__ import annotations

import math

from tunelab._validation import Check, Interval, validate
from tunelab.pruners._common import loss
from tunelab.pruners.base import BasePruner, PruningContext

_CONSTRAINTS = {
    "wrapped": [Check(lambda p: isinstance(p, BasePruner), "a pruner object"), None],
    "patience": [Interval(int, 1, None)],
    "min_delta": [Interval(float, 0, None)],
}


class PatiencePruner(BasePruner):
    """Prune once the last ``patience`` reports improved on the best earlier value by no more than ``min_delta``.

    With a ``wrapped`` pruner the stall only *allows* pruning: the trial is
    pruned when it has stalled **and** the wrapped pruner says so; otherwise a
    stall alone prunes.  Direction-aware; NaN counts as no improvement.
    ``trial.budget`` is the wrapped pruner's.
    """

    def __init__(self, wrapped: BasePruner | None = None, patience: int = 5, min_delta: float = 0.0):
        validate(_CONSTRAINTS, {"wrapped": wrapped, "patience": patience, "min_delta": min_delta},
                 "PatiencePruner")
        self.wrapped = wrapped
        self.patience = patience
        self.min_delta = float(min_delta)

    def stalled(self, context: PruningContext) -> bool:
        """Whether the trial's last ``patience`` reports brought no improvement over the ones before."""
        iv = context.trial.intermediate_values
        steps = sorted(iv)
        if len(steps) <= self.patience:
            return False
        before = min(loss(iv[s], context.direction) for s in steps[: -self.patience])
        recent = min(loss(iv[s], context.direction) for s in steps[-self.patience:])
        if math.isinf(before) and math.isinf(recent):
            return True  # nothing but NaN so far
        return not recent < before - self.min_delta

    def prune(self, context: PruningContext) -> bool:
        if not self.stalled(context):
            return False
        return True if self.wrapped is None else bool(self.wrapped.prune(context))

    def budget(self, context: PruningContext) -> float | None:
        return None if self.wrapped is None else self.wrapped.budget(context)
