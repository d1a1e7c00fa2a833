"""Shared by the sampler tests: the best value a sampler reaches over fixed seeds."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import tunelab


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
