"""Wilcoxon pruning: stop evaluating a configuration on more instances once it is clearly worse than the best.

For objectives that average a score over many problem instances, folds or
seeds, reporting each instance's score with ``step`` = the instance's id (in
any order).  The trial's scores are paired with the best complete trial's
scores on the same instances, and a one-sided Wilcoxon signed-rank test
(``scipy.stats.wilcoxon``) asks whether the trial is worse.  Below
``p_threshold`` the trial is pruned, unless its mean so far is still at least as
good as the best trial's mean (a guard against pruning on a few lucky instances
of the best trial).  Unlike :class:`~tunelab.pruners.cv.CVPruner`'s paired
t-test, the signed-rank test assumes no normality, which suits skewed per-instance
scores; with few folds the t-test has more power.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from tunelab._validation import Interval, validate
from tunelab.pruners._common import loss
from tunelab.pruners.base import BasePruner, PruningContext
from tunelab.trial import FrozenTrial, best_of

_CONSTRAINTS = {
    "p_threshold": [Interval(float, 0, 1)],
    "n_startup_steps": [Interval(int, 0, None)],
}


class WilcoxonPruner(BasePruner):
    """Prune when a signed-rank test says the trial is worse than the best trial on the shared instances.

    p_threshold: prune when the one-sided p-value is below it (higher prunes more).
    n_startup_steps: the number of shared instances needed before testing (at least 2).
    Nothing is pruned before a complete trial exists, nor while the best trial's
    curve holds NaN or infinity (a warning says so); a NaN score of the trial itself
    is the worst score and prunes it (Optuna keeps such a trial, with a warning).
    """

    def __init__(self, *, p_threshold: float = 0.1, n_startup_steps: int = 2):
        validate(_CONSTRAINTS, {"p_threshold": p_threshold, "n_startup_steps": n_startup_steps}, "WilcoxonPruner")
        self.p_threshold = float(p_threshold)
        self.n_startup_steps = n_startup_steps

    @staticmethod
    def best_trial(context: PruningContext) -> FrozenTrial | None:
        """The complete trial with the best value (the one pruning compares against)."""
        return best_of(context.trials, context.direction)

    def p_value(self, context: PruningContext) -> float | None:
        """One-sided p-value of "this trial is worse than the best on the shared instances" (None: untestable)."""
        mine = context.trial.intermediate_values
        if not mine:
            return None
        best = self.best_trial(context)
        if best is None:
            return None
        theirs = best.intermediate_values
        if not theirs:
            warnings.warn(f"WilcoxonPruner: the best trial ({best.number}) has no reported instances, so "
                          "nothing can be compared with it", RuntimeWarning, stacklevel=2)
            return None
        if not all(math.isfinite(v) for v in theirs.values()):
            warnings.warn(f"WilcoxonPruner: the best trial ({best.number}) reported NaN or infinity; trial "
                          f"{context.trial.number} is not pruned", RuntimeWarning, stacklevel=2)
            return None
        shared = sorted(set(mine) & set(theirs))
        if len(shared) < max(2, self.n_startup_steps):
            return None
        d = context.direction
        # positive difference: this trial is worse on that instance (loss scale)
        diff = np.array([loss(mine[s], d) - loss(theirs[s], d) for s in shared])
        from scipy import stats

        return float(stats.wilcoxon(diff, alternative="greater", zero_method="zsplit").pvalue)

    def prune(self, context: PruningContext) -> bool:
        if any(math.isnan(v) for v in context.trial.intermediate_values.values()):
            return self.best_trial(context) is not None  # NaN is the worst score (Optuna keeps it, with a warning)
        p = self.p_value(context)
        if p is None or not p < self.p_threshold:
            return False
        d = context.direction
        best = self.best_trial(context)
        mine_mean = float(np.mean([loss(v, d) for v in context.trial.intermediate_values.values()]))
        best_mean = float(np.mean([loss(v, d) for v in best.intermediate_values.values()]))
        return mine_mean > best_mean  # still as good on average as the best: keep it for now
