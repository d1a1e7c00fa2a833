"""Exhaustive grid search, like scikit-learn's GridSearchCV.

Every grid point becomes an enqueued (WAITING) trial, each claimed once in the
storage, so several workers on one database split the grid without running a
point twice; the study stops when no point is left.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any, Mapping, Sequence

import numpy as np

from tunelab.samplers.base import BaseSampler, SamplingContext
from tunelab.space import SearchSpace


def _points_from_grid(grid: Mapping[str, Sequence] | Sequence[Mapping[str, Sequence]] | SearchSpace
                      ) -> list[dict[str, Any]]:
    if isinstance(grid, SearchSpace):
        return grid.grid()
    if isinstance(grid, Sequence) and not isinstance(grid, (str, bytes)) and grid:  # several grids, one after another
        return [point for part in grid for point in _points_from_grid(part)]
    if not isinstance(grid, Mapping) or not grid:
        raise ValueError(f"GridSampler: 'grid' must be a non-empty mapping of names to lists of values; got {grid!r}")
    names, values = [], []
    for name, vals in grid.items():
        vals = [v.item() if isinstance(v, np.generic) else v for v in (vals.tolist() if hasattr(vals, "tolist") else vals)]
        if isinstance(vals, (str, bytes)) or not isinstance(vals, Sequence) or len(vals) == 0:
            raise ValueError(f"GridSampler: grid entry {name!r} must be a non-empty list of values; got {vals!r}")
        names.append(name)
        values.append(vals)
    return [dict(zip(names, combo)) for combo in itertools.product(*values)]


class GridSampler(BaseSampler):
    """Runs every point of ``grid`` once (declared order, or shuffled with ``shuffle=True``).

    ``grid``: a mapping of names to lists of values, a list of such mappings (their points one after another,
    as in GridSearchCV's ``param_grid``), or a declarative space whose floats have a step.
    """

    def __init__(self, grid: Mapping[str, Sequence] | Sequence[Mapping[str, Sequence]] | SearchSpace | None = None,
                 seed: int | None = None, shuffle: bool = False):
        super().__init__(seed)
        self._points = None if grid is None else _points_from_grid(grid)
        if self._points is not None and shuffle:
            order = np.random.default_rng(seed).permutation(len(self._points))
            self._points = [self._points[i] for i in order]
        self._enqueued = False

    @property
    def points(self) -> list[dict[str, Any]]:
        if self._points is None:
            raise ValueError("GridSampler needs a grid: GridSampler({'alpha': [0.1, 1.0, 10.0]}) "
                             "or a declarative space whose floats have a step")
        return self._points

    def __len__(self) -> int:
        return len(self.points)

    def before_trial(self, context: SamplingContext) -> None:
        if self._enqueued:
            return
        for point in self.points:
            key = "grid:" + hashlib.sha1(json.dumps(point, sort_keys=True).encode()).hexdigest()
            if context.claim(key):
                context.enqueue(point)
        self._enqueued = True

    def is_exhausted(self, context: SamplingContext) -> bool:
        return self._enqueued
