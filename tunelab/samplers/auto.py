"""The default strategy: picks a sampler by space, budget and objectives."""

from __future__ import annotations

from typing import Any

from tunelab.samplers.base import BaseSampler, SamplingContext
from tunelab.space import Distribution
from tunelab.trial import FrozenTrial


class AutoSampler(BaseSampler):
    """Delegates every call to the sampler chosen for the study (random for now)."""

    def __init__(self, seed: int | None = None, n_objectives: int = 1, pruner: Any = None):
        super().__init__(seed)
        from tunelab.samplers.random import RandomSampler

        self._inner: BaseSampler = RandomSampler(seed)

    def reseed(self, seed: int | None) -> None:
        super().reseed(seed)
        self._inner.reseed(seed)

    def infer_relative_space(self, context: SamplingContext) -> dict[str, Distribution]:
        return self._inner.infer_relative_space(context)

    def sample_relative(self, context: SamplingContext, space: dict[str, Distribution]) -> dict[str, Any]:
        return self._inner.sample_relative(context, space)

    def sample_independent(self, context: SamplingContext, name: str, distribution: Distribution) -> Any:
        return self._inner.sample_independent(context, name, distribution)

    def after_trial(self, context: SamplingContext, trial: FrozenTrial) -> None:
        self._inner.after_trial(context, trial)
