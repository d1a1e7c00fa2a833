"""Generations for genetic samplers (Optuna's ``BaseGASampler``): trial n belongs to generation n // size.

Generations come from trial numbers, not from state a sampler keeps, so
workers that share one storage agree on them without talking.  A subclass
says how the parents of a generation are chosen (``select_parent``); the
methods take anything with ``trials`` and ``directions`` (a sampling context,
or the study view an Optuna-style subclass receives).
"""

from __future__ import annotations

from typing import Any

from tunelab.samplers.base import BaseSampler
from tunelab.trial import FrozenTrial, TrialState


class BaseGASampler(BaseSampler):
    """Base of generational samplers: population size, generation of a trial, members of a generation."""

    def __init__(self, population_size: int | None = None, seed: int | None = None):
        super().__init__(seed)
        self._population_size = population_size

    @property
    def population_size(self) -> int:
        if self._population_size is None:
            raise ValueError(f"{type(self).__name__}: 'population_size' is not set")
        return self._population_size

    @population_size.setter
    def population_size(self, value: int) -> None:
        self._population_size = value

    def get_trial_generation(self, study: Any, trial: FrozenTrial) -> int:
        """The generation of ``trial``: its number divided by the population size."""
        return trial.number // self.population_size

    def get_population(self, study: Any, generation: int) -> list[FrozenTrial]:
        """The complete trials of ``generation``, ordered by number."""
        first = generation * self.population_size
        return [t for t in study.trials if first <= t.number < first + self.population_size
                and t.state == TrialState.COMPLETE and t.values is not None]

    def select_parent(self, study: Any, generation: int) -> list[FrozenTrial]:
        """The parents of ``generation`` (>= 1), chosen from earlier generations."""
        raise NotImplementedError(f"{type(self).__name__} must define select_parent(study, generation)")

    def get_parent_population(self, study: Any, generation: int) -> list[FrozenTrial]:
        """The parents of ``generation``; generation 0 has none (it is drawn at random)."""
        return [] if generation <= 0 else list(self.select_parent(study, generation))
