"""Quasi-random search: a scrambled Sobol or Halton sequence (scipy.stats.qmc) spreads points evenly.

Trial number n takes point n of the sequence, so workers sharing a storage draw
distinct points without talking to each other.  The space is the one the first
complete trial used (or a declarative space given up front); parameters outside
it are drawn at random.  On a space with no real-valued parameter, a point that
snaps onto a configuration some trial already has is replaced by a uniform draw
that does not (a small grid of ints and choices would otherwise run some twice).
"""

from __future__ import annotations

import warnings
from typing import Any, Mapping

import numpy as np

from tunelab.samplers.base import BaseSampler, SamplingContext, TriedConfigurations, intersection_space, is_discrete
from tunelab.space import Distribution, SearchSpace
from tunelab.trial import TrialState


_ENGINES = ("sobol", "halton")


class QMCSampler(BaseSampler):
    """Scrambled Sobol (or Halton, ``qmc_type="halton"``) points; the same seed gives the same sequence.

    Trial n takes point n of scipy's engine built with ``(dimension, scramble, seed)``.
    """

    def __init__(self, space: Mapping[str, Any] | SearchSpace | None = None, seed: int | None = None,
                 scramble: bool = True, qmc_type: str = "sobol"):
        if qmc_type not in _ENGINES:
            raise ValueError(f"QMCSampler: argument 'qmc_type' must be one of {', '.join(map(repr, _ENGINES))}; "
                             f"got {qmc_type!r}")
        super().__init__(seed)
        self.qmc_type = qmc_type
        self._space = None if space is None else SearchSpace.from_mapping(space).distributions()
        self._scramble_seed = seed
        self._scramble = scramble
        self._engine = None
        self._engine_key: tuple | None = None
        self._position = 0
        self._tried = TriedConfigurations()

    def infer_relative_space(self, context: SamplingContext) -> dict[str, Distribution]:
        if self._space is not None:
            return {k: d for k, d in self._space.items() if not d.single()}
        done = [t for t in context.trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
        return intersection_space(done[:1]) if done else {}

    def _point(self, dim: int, index: int, names: tuple) -> list[float]:
        from scipy.stats import qmc

        key = (dim, names)
        if self._engine is None or self._engine_key != key or self._position > index:
            engine = qmc.Sobol if self.qmc_type == "sobol" else qmc.Halton
            self._engine = engine(dim, scramble=self._scramble, seed=self._scramble_seed)
            self._engine_key = key
            self._position = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if index > self._position:
                self._engine.fast_forward(index - self._position)
            point = self._engine.random(1)[0]
        self._position = index + 1
        return list(point)

    def sample_relative(self, context: SamplingContext, space: dict[str, Distribution]) -> dict[str, Any]:
        names = tuple(sorted(space))
        index = context.trial_number or 0
        point = self._point(len(names), index, names)
        out = {name: space[name].from_unit(u) for name, u in zip(names, point)}
        if not all(is_discrete(space[n]) for n in names):
            return out
        tried = self._tried.of(context.trials, names)
        rng = np.random.default_rng([self._scramble_seed or 0, index])
        for _ in range(_REDRAWS):
            if not tried(tuple(out.values())):
                return out
            out = {name: space[name].from_unit(u) for name, u in zip(names, rng.random(len(names)))}
        return {name: space[name].from_unit(u) for name, u in zip(names, point)}  # all tried, it seems


_REDRAWS = 64  # uniform draws tried before a repeat is accepted
