"""Shared by the sampler tests: the best value a sampler reaches over fixed seeds."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

import tunelab
from tunelab.trial import FrozenTrial, TrialState


def best_values(make_sampler: Callable[[int], Any], objective: Callable, n_trials: int, seeds: range) -> np.ndarray:
    """Each seed's best value after ``n_trials`` of a study with ``make_sampler(seed)``."""
    bests = []
    for seed in seeds:
        study = tunelab.create_study(sampler=make_sampler(seed))
        study.optimize(objective, n_trials=n_trials)
        bests.append(study.best_value)
    return np.array(bests)


def random_sampler(seed: int) -> Any:
    return tunelab.samplers.RandomSampler(seed=seed)


def make_trial(number: int, curve: dict[int, float] | Sequence[float], state: TrialState = TrialState.COMPLETE,
               first_step: int = 0) -> FrozenTrial:
    """A trial whose curve is a {step: value} dict or a list of values at steps first_step, first_step+1, ..."""
    iv = dict(curve) if isinstance(curve, dict) else {first_step + i: float(v) for i, v in enumerate(curve)}
    values = [iv[max(iv)]] if state == TrialState.COMPLETE and iv else None
    return FrozenTrial(number=number, trial_id=number, state=state, values=values, intermediate_values=iv)
