"""Percentile and median pruning: stop a trial whose curve is below most others at the same step."""

from __future__ import annotations

import math

import numpy as np

from tunelab._validation import Interval, validate
from tunelab.pruners._common import best_loss, comparable, n_complete
from tunelab.pruners.base import BasePruner, PruningContext

_CONSTRAINTS = {
    "percentile": [Interval(float, 0, 100)],
    "n_startup_trials": [Interval(int, 0, None)],
    "n_warmup_steps": [Interval(int, 0, None)],
    "interval_steps": [Interval(int, 1, None)],
    "n_min_trials": [Interval(int, 1, None)],
}


class PercentilePruner(BasePruner):
    """Keep the best ``percentile`` percent of trials at each step; prune the rest.

    At the trial's latest step ``s``, its best value so far is compared with the
    other finished trials' best values up to ``s`` (only trials that reported at
    ``s`` take part).  The trial is pruned if it is worse than the
    ``percentile``-th percentile counted from the best end (direction-aware), so
    ``percentile=25`` keeps the top quarter and ``50`` is the median rule.

    No pruning before ``n_startup_trials`` trials have completed, before step
    ``n_warmup_steps``, at steps off the ``interval_steps`` grid, or with fewer
    than ``n_min_trials`` others to compare with.  A NaN report prunes (after
    warm-up), since NaN is worse than any value.
    """

    def __init__(self, percentile: float, n_startup_trials: int = 5, n_warmup_steps: int = 0,
                 interval_steps: int = 1, n_min_trials: int = 1):
        validate(_CONSTRAINTS, {"percentile": percentile, "n_startup_trials": n_startup_trials,
                                "n_warmup_steps": n_warmup_steps, "interval_steps": interval_steps,
                                "n_min_trials": n_min_trials}, type(self).__name__)
        self.percentile = float(percentile)
        self.n_startup_trials = n_startup_trials
        self.n_warmup_steps = n_warmup_steps
        self.interval_steps = interval_steps
        self.n_min_trials = n_min_trials

    def prune(self, context: PruningContext) -> bool:
        trial = context.trial
        step = trial.last_step
        if step is None or step < self.n_warmup_steps:
            return False
        if (step - self.n_warmup_steps) % self.interval_steps != 0:
            return False
        if n_complete(context.trials) < self.n_startup_trials:
            return False
        if math.isnan(trial.intermediate_values[step]):
            return True  # diverged
        current = best_loss(trial, context.direction, up_to=step)
        others = [best_loss(t, context.direction, up_to=step)
                  for t in comparable(context.finished()) if step in t.intermediate_values]
        others = [v for v in others if not math.isinf(v)]
        if len(others) < self.n_min_trials:
            return False
        threshold = float(np.percentile(np.asarray(others), self.percentile))
        return current > threshold


class MedianPruner(PercentilePruner):
    """Prune a trial whose best value so far is worse than the median of the others at the same step."""

    def __init__(self, n_startup_trials: int = 5, n_warmup_steps: int = 0, interval_steps: int = 1,
                 n_min_trials: int = 1):
        super().__init__(50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials)


__all__ = ["MedianPruner", "PercentilePruner"]
