"""Plug-ins written outside tunelab, as a third party would: a sampler, a pruner and a storage.

Nothing here is under tunelab/; tests/testing/test_outside_plugins.py runs each
through tunelab.testing's suites.
"""

from __future__ import annotations

import math
from typing import Any

from tunelab.pruners import BasePruner
from tunelab.pruners.base import PruningContext
from tunelab.samplers import BaseSampler
from tunelab.samplers.base import SamplingContext
from tunelab.space import Distribution
from tunelab.storage import InMemoryStorage


class LocalSearchSampler(BaseSampler):
    """Random for the first trials, then each parameter is the best complete trial's value nudged on its unit
    scale by a Gaussian step (the first objective decides what is best)."""

    def __init__(self, seed: int | None = None, n_startup_trials: int = 5, scale: float = 0.1):
        super().__init__(seed)
        self.n_startup_trials = n_startup_trials
        self.scale = scale

    def sample_independent(self, context: SamplingContext, name: str, distribution: Distribution) -> Any:
        if distribution.single():
            return distribution.from_unit(0.5)
        done = [t for t in context.finished() if t.distributions.get(name) == distribution]
        if len(done) < self.n_startup_trials:
            return distribution.from_unit(self._rng.random())
        sign = context.direction.sign()  # +1 minimize, -1 maximize
        best = min(done, key=lambda t: sign * t.values[0])
        u = distribution.to_unit(best.params[name]) + self._rng.normal(0.0, self.scale)
        return distribution.from_unit(min(1.0, max(0.0, u)))


class LastPlacePruner(BasePruner):
    """Prunes a trial whose latest value is worse than every other trial's value at that step (NaN counts as
    worst), once at least ``min_others`` others have reported there."""

    def __init__(self, min_others: int = 3):
        self.min_others = min_others

    def prune(self, context: PruningContext) -> bool:
        curve = context.trial.intermediate_values
        if not curve:
            return False
        step = max(curve)
        sign = context.direction.sign()
        mine = sign * curve[step] if math.isfinite(curve[step]) else math.inf
        others = [sign * t.intermediate_values[step] for t in context.trials
                  if step in t.intermediate_values and math.isfinite(t.intermediate_values[step])]
        return len(others) >= self.min_others and mine > max(others)


class CountingStorage(InMemoryStorage):
    """An in-memory storage that counts the calls made to it (a stand-in for anyone's own storage class)."""

    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        if callable(value) and not name.startswith("_"):
            calls = super().__getattribute__("__dict__").setdefault("calls", {})
            calls[name] = calls.get(name, 0) + 1
        return value
