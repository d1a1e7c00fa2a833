"""NSGA-III (Deb & Jain 2014): NSGA-II whose last front is cut by reference-point niching.

With three or more objectives, crowding distance stops telling spread-out
points from clustered ones.  NSGA-III keeps whole non-dominated fronts as
NSGA-II does, but fills the remaining places from the front that does not fit
by *niching*: the objective vectors are normalised (ideal point at the origin,
intercepts of the hyperplane through the extreme points at 1), each trial is
attached to the nearest reference direction, and places go one at a time to
the direction with the fewest trials so far, so the parents spread over the
front.  The reference points are Das & Dennis's lattice on the unit simplex
(``dividing_parameter`` divisions per objective) unless given.

Everything else (generations by trial number, tournaments, crossover,
mutation, Deb's constraint rule) is NSGA-II's (``nsga2.py``).  Ties in the
niching are broken by a generator seeded from the sampler's seed and the
generation, so every worker computes the same parents.
"""

from __future__ import annotations

import itertools
from typing import Any, Sequence

import numpy as np

from tunelab._validation import Interval, validate
from tunelab.pareto import constrained_ranks, losses, violation
from tunelab.samplers.nsga2 import NSGAIISampler, Population
from tunelab.trial import FrozenTrial, StudyDirection


def simplex_lattice(n_objectives: int, divisions: int) -> np.ndarray:
    """Das & Dennis's reference points: every vector of multiples of 1/divisions that sums to 1."""
    slots = divisions + n_objectives - 1
    rows = []
    for bars in itertools.combinations(range(slots), n_objectives - 1):
        parts = np.diff([-1, *bars, slots]) - 1
        rows.append(parts / divisions)
    return np.array(rows, dtype=float).reshape(-1, n_objectives)


def normalize(points: np.ndarray) -> np.ndarray:
    """Objective vectors (losses) scaled so the ideal point is 0 and the extreme points' hyperplane meets 1.

    Where that hyperplane is degenerate (extreme points linearly dependent, or
    an intercept not positive) the worst value of each objective is used.
    """
    shifted = points - points.min(axis=0)
    m = shifted.shape[1]
    weights = np.full((m, m), 1e-6)
    np.fill_diagonal(weights, 1.0)
    # achievement scalarising function of every point along each axis: the extreme point minimises it
    asf = np.max(shifted[None, :, :] / weights[:, None, :], axis=2)
    extremes = shifted[np.argmin(asf, axis=1)]
    worst = shifted.max(axis=0)
    intercepts = None
    try:
        inverse = np.linalg.solve(extremes, np.ones(m))
        with np.errstate(divide="ignore"):
            candidate = 1.0 / inverse
        if np.all(np.isfinite(candidate)) and np.all(candidate > 1e-6):
            intercepts = candidate
    except np.linalg.LinAlgError:
        pass
    if intercepts is None:
        intercepts = worst
    intercepts = np.where(intercepts > 1e-12, intercepts, 1.0)
    return shifted / intercepts


def associate(points: np.ndarray, references: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each point, the nearest reference direction (perpendicular distance to its ray) and that distance."""
    directions = references / np.linalg.norm(references, axis=1, keepdims=True)
    along = points @ directions.T
    squared = np.maximum((points ** 2).sum(axis=1)[:, None] - along ** 2, 0.0)
    nearest = np.argmin(squared, axis=1)
    return nearest, np.sqrt(squared[np.arange(len(points)), nearest])


def niche(points: np.ndarray, kept: np.ndarray, candidates: np.ndarray, k: int, references: np.ndarray,
          rng: np.random.Generator) -> list[int]:
    """``k`` of the ``candidates`` (indices into ``points``) chosen by niching against the ``kept`` ones."""
    normed = normalize(points[np.concatenate([kept, candidates])])
    nearest, distance = associate(normed, references)
    counts = np.bincount(nearest[:len(kept)], minlength=len(references)).astype(int)
    waiting: dict[int, list[int]] = {}
    for j in range(len(candidates)):
        waiting.setdefault(int(nearest[len(kept) + j]), []).append(j)
    open_refs = set(waiting)
    chosen: list[int] = []
    while len(chosen) < k:
        least = min(counts[r] for r in open_refs)
        ties = sorted(r for r in open_refs if counts[r] == least)
        ref = ties[int(rng.integers(len(ties)))]
        members = waiting[ref]
        if counts[ref] == 0:
            pick = min(members, key=lambda j: (distance[len(kept) + j], j))
        else:
            pick = members[int(rng.integers(len(members)))]
        members.remove(pick)
        chosen.append(int(candidates[pick]))
        counts[ref] += 1
        if not members:
            open_refs.discard(ref)
    return chosen


def select_by_reference_points(pool: Sequence[FrozenTrial], directions: Sequence[StudyDirection], size: int,
                               references: np.ndarray, rng: np.random.Generator) -> Population:
    """The best ``size`` trials of ``pool``: whole fronts first, the last front cut by niching."""
    pool = list(pool)
    if len(pool) > size:
        pts = losses(pool, directions)
        viol = np.array([violation(t) for t in pool])
        ranks = constrained_ranks(pts, viol)
        order = np.argsort(ranks, kind="stable")
        last = ranks[order[size - 1]]
        kept = np.flatnonzero(ranks < last)
        front = np.flatnonzero(ranks == last)
        k = size - len(kept)
        if np.all(viol[front] <= 0) and np.all(np.isfinite(pts[np.concatenate([kept, front])])):
            extra = niche(pts, kept, front, k, references, rng)
        else:  # an infeasible front (equal violation): the earliest trials
            extra = [int(i) for i in sorted(front, key=lambda i: pool[i].number)[:k]]
        pool = [pool[i] for i in [*kept.tolist(), *extra]]
    pool.sort(key=lambda t: t.number)
    if not pool:
        return Population([], np.zeros(0, int), np.zeros(0))
    ranks = constrained_ranks(losses(pool, directions), [violation(t) for t in pool])
    return Population(pool, ranks, np.zeros(len(pool)))  # tournaments compare ranks only


_CONSTRAINTS = {"dividing_parameter": [Interval(int, 1, None)]}


class NSGAIIISampler(NSGAIISampler):
    """NSGA-III: NSGA-II's sampler with reference-point niching (see the module doc).

    ``reference_points``: an array with one column per objective, in the
    normalised loss space (each objective scaled to about [0, 1], lower is
    better); None means Das & Dennis's lattice with ``dividing_parameter``
    divisions.
    """

    def __init__(self, seed: int | None = None, population_size: int = 50, mutation_prob: float | None = None,
                 crossover: Any = "uniform", crossover_prob: float = 0.9, swapping_prob: float = 0.5,
                 sbx_eta: float = 20.0, mutation: Any = None, reference_points: Any = None,
                 dividing_parameter: int = 3):
        validate(_CONSTRAINTS, {"dividing_parameter": dividing_parameter}, "NSGAIIISampler")
        super().__init__(seed=seed, population_size=population_size, mutation_prob=mutation_prob,
                         crossover=crossover, crossover_prob=crossover_prob, swapping_prob=swapping_prob,
                         sbx_eta=sbx_eta, mutation=mutation)
        self.reference_points = None if reference_points is None else _check_references(reference_points)
        self.dividing_parameter = dividing_parameter
        self._niche_seed = 0 if seed is None else seed

    def references(self, n_objectives: int) -> np.ndarray:
        """The reference points used for ``n_objectives`` objectives."""
        if self.reference_points is None:
            return simplex_lattice(n_objectives, self.dividing_parameter)
        if self.reference_points.shape[1] != n_objectives:
            raise ValueError(f"NSGAIIISampler: argument 'reference_points' has {self.reference_points.shape[1]} "
                             f"columns but the study has {n_objectives} objectives")
        return self.reference_points

    def _select(self, pool: Sequence[FrozenTrial], directions: Sequence[StudyDirection],
                generation: int) -> Population:
        rng = np.random.default_rng([self._niche_seed, generation])
        return select_by_reference_points(pool, directions, self.population_size, self.references(len(directions)),
                                          rng)


def _check_references(points: Any) -> np.ndarray:
    try:
        array = np.asarray(points, dtype=float)
    except (TypeError, ValueError):
        array = np.zeros(0)
    if array.ndim != 2 or len(array) == 0 or not np.all(np.isfinite(array)) \
            or np.any(np.linalg.norm(array, axis=1) == 0):
        raise ValueError("NSGAIIISampler: argument 'reference_points' must be a 2-D array of finite numbers, one "
                         f"row per point and one column per objective, no row all zeros; got {points!r}")
    return array
