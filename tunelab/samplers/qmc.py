"""Quasi-random search: a scrambled Sobol or Halton sequence (scipy.stats.qmc) spreads points evenly.

Trial number n takes point n of the sequence, so workers sharing a storage draw
distinct points without talking to each other.  The space is the one the first
complete trial used (or a declarative space given up front); parameters outside
it are drawn at random.
"""

from __future__ import annotations

import warnings
from typing import Any, Mapping

from tunelab.samplers.base import BaseSampler, SamplingContext, intersection_space
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
        return {name: space[name].from_unit(u) for name, u in zip(names, point)}
