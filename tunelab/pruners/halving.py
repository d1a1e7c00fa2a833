"""Asynchronous successive halving (ASHA): promote the top 1/eta at each rung, without waiting for it to fill.

Rungs sit at resources ``r_k = min_resource * eta**(min_early_stopping_rate + k)``
(``eta`` is the reduction factor).  A trial *reaches* rung k at its first report
with ``step >= r_k``; there it continues only if its value is among the best
``max(1, n // eta)`` of the ``n`` values recorded at rung k so far (its own
included), otherwise it is pruned.  Nothing is written anywhere: a trial's
value at a rung is read back from its intermediate values, so any number of
workers over one storage agree without coordination.  Report ``step`` as the
resource spent so far (epochs done, samples seen), and train up to
``trial.budget`` between checks.
"""

from __future__ import annotations

from typing import Callable, Sequence

from tunelab._validation import Interval, Options, validate
from tunelab.pruners._common import comparable, first_step_at_or_after, loss
from tunelab.pruners.base import BasePruner, PruningContext
from tunelab.trial import FrozenTrial, TrialState

_CONSTRAINTS = {
    "min_resource": [Interval(int, 1, None), Options(["auto"])],
    "reduction_factor": [Interval(int, 2, None)],
    "max_resource": [Interval(int, 1, None), Options(["auto"]), None],
    "min_early_stopping_rate": [Interval(int, 0, None)],
}


def auto_min_resource(max_resource: int, reduction_factor: int) -> int:
    """The smallest budget "auto" picks: 1/eta**3 of the largest, rounded up (no rung just below the end)."""
    return max(1, -(-max_resource // reduction_factor ** 3))


def auto_resource(trials: Sequence[FrozenTrial]) -> int | None:
    """The longest last step among complete trials (None before one completes): the 'auto' max resource."""
    steps = [t.last_step for t in trials if t.state == TrialState.COMPLETE and t.last_step is not None]
    return max(steps) if steps else None


class SuccessiveHalvingPruner(BasePruner):
    """ASHA over the rungs ``min_resource * eta**(s + k)``; ``max_resource`` (if set) ends the last rung.

    ``min_resource="auto"`` takes 1/eta**3 of the longest complete trial, rounded
    up (three rungs that decide, then the end: 100 steps give 4, 12, 36; none
    sits just below the end), and prunes nothing until a trial has completed.  The best trial
    at a rung always continues, so the first trials are never pruned for want of
    company.  Ties favour the trial being judged.
    """

    def __init__(self, min_resource: int | str = 1, reduction_factor: int = 3,
                 max_resource: int | str | None = None, min_early_stopping_rate: int = 0):
        validate(_CONSTRAINTS, {"min_resource": min_resource, "reduction_factor": reduction_factor,
                                "max_resource": max_resource, "min_early_stopping_rate": min_early_stopping_rate},
                 type(self).__name__)
        if isinstance(min_resource, int) and isinstance(max_resource, int) and max_resource < min_resource:
            raise ValueError(f"{type(self).__name__}: 'max_resource' ({max_resource}) must be >= "
                             f"'min_resource' ({min_resource}).")
        self.min_resource = min_resource
        self.reduction_factor = reduction_factor
        self.max_resource = max_resource
        self.min_early_stopping_rate = min_early_stopping_rate

    # ------------------------------------------------------------------ rungs
    def resolve(self, trials: Sequence[FrozenTrial]) -> tuple[int, int | None] | None:
        """(min_resource, max_resource) with 'auto' resolved from complete trials; None while unknown."""
        longest = None
        if self.min_resource == "auto" or self.max_resource == "auto":
            longest = auto_resource(trials)
            if longest is None:
                return None
        r_min = self.min_resource if self.min_resource != "auto" else auto_min_resource(longest, self.reduction_factor)
        r_max = self.max_resource if self.max_resource != "auto" else longest
        return r_min, r_max

    def rung_resources(self, r_min: int, r_max: int | None, up_to: float) -> list[int]:
        """The rungs' resources up to ``up_to`` (decision points only: below ``r_max``)."""
        out = []
        r = r_min * self.reduction_factor ** self.min_early_stopping_rate
        while r <= up_to and (r_max is None or r < r_max):
            out.append(r)
            r *= self.reduction_factor
        return out

    # ------------------------------------------------------------------ verdicts
    def prune(self, context: PruningContext) -> bool:
        return self.decide(context, lambda t: True)

    def decide(self, context: PruningContext, same_group: Callable[[FrozenTrial], bool]) -> bool:
        """The ASHA verdict, comparing only with trials for which ``same_group`` holds (Hyperband brackets)."""
        trial = context.trial
        step = trial.last_step
        if step is None:
            return False
        resolved = self.resolve(context.trials)
        if resolved is None:
            return False
        rungs = self.rung_resources(*resolved, up_to=step)
        if not rungs:
            return False
        rung = rungs[-1]
        if first_step_at_or_after(trial, rung) != step:
            return False  # already judged at this rung (promoted): run on to the next one
        mine = loss(trial.intermediate_values[step], context.direction)
        others = []
        for t in comparable(context.trials):
            if t.number == trial.number or not same_group(t):
                continue
            s = first_step_at_or_after(t, rung)
            if s is not None:
                others.append(loss(t.intermediate_values[s], context.direction))
        n_top = max(1, (len(others) + 1) // self.reduction_factor)
        n_better = sum(1 for v in others if v < mine)
        return n_better >= n_top

    def budget(self, context: PruningContext) -> float | None:
        """The resource of the next rung above the trial's last step (``max_resource`` at most)."""
        resolved = self.resolve(context.trials)
        if resolved is None:
            return None
        r_min, r_max = resolved
        step = context.trial.last_step
        r = r_min * self.reduction_factor ** self.min_early_stopping_rate
        while step is not None and r <= step and (r_max is None or r < r_max):
            r *= self.reduction_factor
        return r if r_max is None else min(r, r_max)
