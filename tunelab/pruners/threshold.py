"""Threshold pruning: stop a trial whose latest value leaves a fixed band, or is not finite."""

from __future__ import annotations

import math

from tunelab._validation import Interval, validate
from tunelab.pruners.base import BasePruner, PruningContext

_CONSTRAINTS = {
    "lower": [Interval(float), None],
    "upper": [Interval(float), None],
    "n_warmup_steps": [Interval(int, 0, None)],
    "interval_steps": [Interval(int, 1, None)],
}


class ThresholdPruner(BasePruner):
    """Prune when the latest value is below ``lower`` or above ``upper`` (absolute bounds, any direction).

    NaN and +/-inf prune at once, even during warm-up: a diverged run never
    recovers.  With neither bound given it prunes only those diverged runs,
    which makes ``make_pruner("threshold")`` a safe "stop on NaN" default.
    """

    def __init__(self, lower: float | None = None, upper: float | None = None, n_warmup_steps: int = 0,
                 interval_steps: int = 1):
        validate(_CONSTRAINTS, {"lower": lower, "upper": upper, "n_warmup_steps": n_warmup_steps,
                                "interval_steps": interval_steps}, "ThresholdPruner")
        if lower is not None and upper is not None and lower > upper:
            raise ValueError(f"ThresholdPruner: 'lower' ({lower}) must be <= 'upper' ({upper}).")
        self.lower = None if lower is None else float(lower)
        self.upper = None if upper is None else float(upper)
        self.n_warmup_steps = n_warmup_steps
        self.interval_steps = interval_steps

    def prune(self, context: PruningContext) -> bool:
        step = context.trial.last_step
        if step is None:
            return False
        value = context.trial.intermediate_values[step]
        if not math.isfinite(value):
            return True
        if step < self.n_warmup_steps or (step - self.n_warmup_steps) % self.interval_steps != 0:
            return False
        if self.lower is not None and value < self.lower:
            return True
        return self.upper is not None and value > self.upper
