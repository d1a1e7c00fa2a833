"""Hyperband: several ASHA brackets with different first rungs, trials spread over them by a fixed hash.

Bracket ``b`` (0 .. s_max, ``s_max = floor(log_eta(max_resource / min_resource))``)
is successive halving whose first rung is ``min_resource * eta**b``: bracket 0
prunes most aggressively, the last bracket least.  The last bracket runs every
trial to ``max_resource`` only when ``max_resource / min_resource`` is a power of
eta (27 and eta 3: its first rung is 27, the end); otherwise its first rung falls
below the end and it decides there once (30 and eta 3: at 27).
A trial's bracket is a hash of its number, weighted like Hyperband's
allocation (brackets that start more trials get more), so every worker
computes the same bracket with no coordination.  Each bracket compares only
its own trials.
"""

from __future__ import annotations

import functools
import hashlib
import math

from tunelab._validation import Interval, Options, validate
from tunelab.pruners.base import BasePruner, PruningContext
from tunelab.pruners.halving import SuccessiveHalvingPruner, auto_resource

_CONSTRAINTS = {
    "min_resource": [Interval(int, 1, None)],
    "max_resource": [Interval(int, 1, None), Options(["auto"])],
    "reduction_factor": [Interval(int, 2, None)],
}


@functools.lru_cache(maxsize=65536)
def _unit_hash(number: int) -> float:
    """A fixed pseudo-random number in [0, 1) for a trial number (the same in every process)."""
    digest = hashlib.blake2b(str(number).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


class HyperbandPruner(BasePruner):
    """Hyperband over ASHA brackets between ``min_resource`` and ``max_resource``.

    ``max_resource="auto"`` takes the longest complete trial's last step and
    prunes nothing before a trial has completed (nor while that step is below
    ``min_resource``).
    """

    def __init__(self, min_resource: int = 1, max_resource: int | str = "auto", reduction_factor: int = 3):
        validate(_CONSTRAINTS, {"min_resource": min_resource, "max_resource": max_resource,
                                "reduction_factor": reduction_factor}, "HyperbandPruner")
        if isinstance(max_resource, int) and max_resource < min_resource:
            raise ValueError(f"HyperbandPruner: 'max_resource' ({max_resource}) must be >= "
                             f"'min_resource' ({min_resource}).")
        self.min_resource = min_resource
        self.max_resource = max_resource
        self.reduction_factor = reduction_factor

    def _max_resource(self, context: PruningContext) -> int | None:
        """The max resource; None while "auto" is unknown or below ``min_resource`` (no rung to decide at)."""
        if self.max_resource != "auto":
            return self.max_resource
        longest = auto_resource(context.trials)
        return longest if longest is not None and longest >= self.min_resource else None

    def n_brackets(self, max_resource: int) -> int:
        ratio = max_resource / self.min_resource
        s_max = int(math.floor(math.log(ratio, self.reduction_factor) + 1e-9)) if ratio >= 1 else 0
        return s_max + 1

    def bracket_of(self, number: int, max_resource: int) -> int:
        """The bracket of trial ``number``: deterministic, the same in every worker."""
        cumulative = _cumulative(self.n_brackets(max_resource), self.reduction_factor)
        u = _unit_hash(number)
        for b, edge in enumerate(cumulative):
            if u < edge:
                return b
        return len(cumulative) - 1

    def _bracket_pruner(self, bracket: int, max_resource: int) -> SuccessiveHalvingPruner:
        return SuccessiveHalvingPruner(self.min_resource, self.reduction_factor, max_resource,
                                       min_early_stopping_rate=bracket)

    def prune(self, context: PruningContext) -> bool:
        r_max = self._max_resource(context)
        if r_max is None:
            return False
        bracket = self.bracket_of(context.trial.number, r_max)
        sha = self._bracket_pruner(bracket, r_max)
        return sha.decide(context, lambda t: self.bracket_of(t.number, r_max) == bracket)

    def budget(self, context: PruningContext) -> float | None:
        r_max = self._max_resource(context)
        if r_max is None:
            return None
        return self._bracket_pruner(self.bracket_of(context.trial.number, r_max), r_max).budget(context)


@functools.lru_cache(maxsize=64)
def _weights(n_brackets: int, eta: int) -> tuple[float, ...]:
    """Share of trials per bracket: Hyperband's n_b = ceil(B / R * eta**s / (s + 1)), s = n_brackets-1-b."""
    raw = [math.ceil(n_brackets * eta ** (n_brackets - 1 - b) / (n_brackets - b)) for b in range(n_brackets)]
    return tuple(r / sum(raw) for r in raw)


@functools.lru_cache(maxsize=64)
def _cumulative(n_brackets: int, eta: int) -> tuple[float, ...]:
    out, acc = [], 0.0
    for w in _weights(n_brackets, eta):
        acc += w
        out.append(acc)
    return tuple(out)
