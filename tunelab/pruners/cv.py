"""Cross-validation pruning: stop scoring folds once a configuration is clearly worse than the best one.

For objectives that report one score per fold (``step`` = fold index) and
return their mean.  After ``min_folds`` folds, the trial's fold scores are
compared with the best complete trial's scores on the same folds by a
one-sided paired t-test (folds are shared, so pairing removes the fold-to-fold
spread).  If the trial is worse with p < ``alpha``, it cannot plausibly catch
up, and the remaining fits are skipped.
"""

from __future__ import annotations

import math

import numpy as np

from tunelab._validation import Interval, validate
from tunelab.pruners._common import loss
from tunelab.pruners.base import BasePruner, PruningContext
from tunelab.trial import FrozenTrial, best_of

_CONSTRAINTS = {
    "min_folds": [Interval(int, 2, None)],
    "alpha": [Interval(float, 0, 1, closed="neither")],
    "margin": [Interval(float, 0, None)],
}


class CVPruner(BasePruner):
    """Prune a cross-validated trial that is significantly worse than the best complete trial on shared folds.

    ``margin`` (>= 0, in score units) makes pruning more cautious: the trial must
    be worse than the best by more than ``margin`` on average.  Before any trial
    has completed nothing is pruned.  A NaN fold score prunes at once.
    """

    def __init__(self, min_folds: int = 2, alpha: float = 0.05, margin: float = 0.0):
        validate(_CONSTRAINTS, {"min_folds": min_folds, "alpha": alpha, "margin": margin}, "CVPruner")
        self.min_folds = min_folds
        self.alpha = float(alpha)
        self.margin = float(margin)

    def best_trial(self, context: PruningContext) -> FrozenTrial | None:
        return best_of([t for t in context.trials if t.intermediate_values], context.direction)

    def p_value(self, context: PruningContext) -> float | None:
        """One-sided p-value of "this trial is worse than the best" on the shared folds (None: not testable)."""
        best = self.best_trial(context)
        if best is None:
            return None
        mine = context.trial.intermediate_values
        folds = sorted(set(mine) & set(best.intermediate_values))
        if len(folds) < self.min_folds:
            return None
        # positive difference = this trial is worse on that fold (loss scale)
        diff = np.array([loss(mine[f], context.direction) - loss(best.intermediate_values[f], context.direction)
                         for f in folds]) - self.margin
        if not np.all(np.isfinite(diff)):
            return 0.0 if np.any(np.isposinf(diff)) else None
        mean, sd = float(diff.mean()), float(diff.std(ddof=1))
        if sd == 0.0:
            return 0.0 if mean > 0 else 1.0
        from scipy import stats

        t = mean / (sd / math.sqrt(len(diff)))
        return float(stats.t.sf(t, df=len(diff) - 1))

    def prune(self, context: PruningContext) -> bool:
        step = context.trial.last_step
        if step is None:
            return False
        if math.isnan(context.trial.intermediate_values[step]):
            return True
        p = self.p_value(context)
        return p is not None and p < self.alpha
