"""Shared by the sampler tests: the best value a sampler reaches over fixed seeds."""

from __future__ import annotations

from typing import Any, Sequence

import tunelab
from tunelab.testing.samplers import best_values  # noqa: F401  (re-exported for the sampler tests)
from tunelab.trial import FrozenTrial, TrialState


def random_sampler(seed: int) -> Any:
    return tunelab.samplers.RandomSampler(seed=seed)


def make_trial(number: int, curve: dict[int, float] | Sequence[float], state: TrialState = TrialState.COMPLETE,
               first_step: int = 0) -> FrozenTrial:
    """A trial whose curve is a {step: value} dict or a list of values at steps first_step, first_step+1, ..."""
    iv = dict(curve) if isinstance(curve, dict) else {first_step + i: float(v) for i, v in enumerate(curve)}
    values = [iv[max(iv)]] if state == TrialState.COMPLETE and iv else None
    return FrozenTrial(number=number, trial_id=number, state=state, values=values, intermediate_values=iv)
