"""Pareto dominance for multi-objective studies: fronts, ranks, crowding, constraints, hypervolume.

Everything works on *losses* (lower is better in every column); :func:`losses`
turns stored values into losses using the study's directions.
``Study.best_trials`` is :func:`pareto_front`; the samplers (MOTPE, NSGA-II) rank
trials with the same functions; tests and benchmarks measure fronts with
:func:`hypervolume`.  It reads trial records only, so it sits just above them and
below both samplers and study.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from tunelab.trial import FrozenTrial, StudyDirection

_CHUNK = 512  # rows of the dominance matrix built at once (bounds the temporary memory)


def losses(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]) -> np.ndarray:
    """Values turned into losses (lower is better for every column)."""
    signs = np.array([d.sign() for d in directions])
    return np.array([t.values for t in trials], dtype=float).reshape(len(trials), len(directions)) * signs


def nondominated_mask(points: np.ndarray) -> np.ndarray:
    """True for rows no other row dominates (<= everywhere, < somewhere); minimisation."""
    n = len(points)
    mask = np.ones(n, dtype=bool)
    for i in range(n):
        if not mask[i]:
            continue
        dominated_by = np.all(points <= points[i], axis=1) & np.any(points < points[i], axis=1)
        if dominated_by.any():
            mask[i] = False
    return mask


def pareto_front(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]) -> list[FrozenTrial]:
    if not trials:
        return []
    mask = nondominated_mask(losses(trials, directions))
    return [t for t, keep in zip(trials, mask) if keep]


# ---------------------------------------------------------------- ranks and crowding


def _as_points(points: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    arr = np.asarray(points, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"points must be a 2-D array (one row per point); got shape {arr.shape}")
    return arr


def _dominance_matrix(points: np.ndarray) -> np.ndarray:
    """dom[i, j] is True when row i dominates row j."""
    n, m = points.shape
    dom = np.empty((n, n), dtype=bool)
    for start in range(0, n, _CHUNK):
        block = points[start:start + _CHUNK]
        no_worse = np.ones((len(block), n), dtype=bool)
        better = np.zeros((len(block), n), dtype=bool)
        for k in range(m):  # one 2-D comparison per objective: no (rows, n, m) temporary
            a, b = block[:, k, None], points[None, :, k]
            no_worse &= a <= b
            better |= a < b
        dom[start:start + _CHUNK] = no_worse & better
    return dom


def nondominated_ranks(points: np.ndarray | Sequence[Sequence[float]], n_stop: int | None = None) -> np.ndarray:
    """Front index of every row (0 = non-dominated, 1 = non-dominated once front 0 is removed, ...).

    With ``n_stop``, sorting stops once at least that many rows are ranked; the
    rest share the next rank.  Equal rows share a rank.
    """
    pts = _as_points(points)
    n = len(pts)
    ranks = np.zeros(n, dtype=int)
    if n == 0:
        return ranks
    if pts.shape[1] == 1:  # one objective: fronts are the distinct values in order
        return np.unique(pts[:, 0], return_inverse=True)[1].astype(int).reshape(n)
    dom = _dominance_matrix(pts)
    counts = dom.sum(axis=0)
    assigned = np.zeros(n, dtype=bool)
    rank = 0
    limit = n if n_stop is None else min(n, max(1, int(n_stop)))
    while assigned.sum() < limit:
        front = (counts == 0) & ~assigned
        ranks[front] = rank
        assigned |= front
        counts = counts - dom[front].sum(axis=0)
        rank += 1
    ranks[~assigned] = rank
    return ranks


def crowding_distance(points: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """NSGA-II crowding distance of each row within one front (inf at the extremes of any objective)."""
    pts = _as_points(points)
    n, m = pts.shape
    dist = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for k in range(m):
        order = np.argsort(pts[:, k], kind="stable")
        col = pts[order, k]
        span = col[-1] - col[0]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0:
            dist[order[1:-1]] += (col[2:] - col[:-2]) / span
    return dist


def violation(trial: FrozenTrial) -> float:
    """How far a trial is from feasible: 0 if feasible or unconstrained, sum of positive constraints else.

    A trial whose constraint function raised (``constraints_error``) counts as infinitely infeasible.
    """
    if "constraints_error" in trial.system_attrs:
        return math.inf
    return float(sum(max(0.0, float(c)) for c in trial.system_attrs.get("constraints", ())))


def constrained_ranks(points: np.ndarray | Sequence[Sequence[float]], violations: Sequence[float],
                      n_stop: int | None = None) -> np.ndarray:
    """Ranks under Deb's constraint-domination: feasible fronts first, then infeasible rows by violation."""
    pts = _as_points(points)
    viol = np.asarray(violations, dtype=float).reshape(len(pts))
    feasible = viol <= 0
    ranks = np.zeros(len(pts), dtype=int)
    n_fronts = 0
    if feasible.any():
        ranks[feasible] = nondominated_ranks(pts[feasible], n_stop)
        n_fronts = int(ranks[feasible].max()) + 1
    if (~feasible).any():
        ranks[~feasible] = n_fronts + np.unique(viol[~feasible], return_inverse=True)[1].reshape(-1)
    return ranks


# ---------------------------------------------------------------- hypervolume


def hypervolume(points: np.ndarray | Sequence[Sequence[float]], reference: Sequence[float]) -> float:
    """Exact volume dominated by ``points`` and bounded by ``reference`` (minimisation).

    Points that do not strictly dominate the reference add nothing.  2-D is a
    sort and sweep (n log n); 3-D and above slice along the last objective and
    sum the (d-1)-D volumes, which is exact and quick for the front sizes of a
    study (a few hundred points in 3-D).
    """
    pts = _as_points(points)
    ref = np.asarray(reference, dtype=float).reshape(-1)
    if pts.size and pts.shape[1] != len(ref):
        raise ValueError(f"reference has {len(ref)} coordinates but the points have {pts.shape[1]}")
    if not np.all(np.isfinite(ref)):
        raise ValueError(f"reference must be finite; got {list(ref)}")
    if len(pts) == 0:
        return 0.0
    pts = pts[np.all(pts < ref, axis=1)]
    if len(pts) == 0:
        return 0.0
    pts = np.unique(pts, axis=0)
    pts = pts[nondominated_mask(pts)]
    return float(_hv(pts, ref))


def _hv(pts: np.ndarray, ref: np.ndarray) -> float:
    d = pts.shape[1]
    if d == 1:
        return float(ref[0] - pts[:, 0].min())
    if d == 2:
        order = np.lexsort((pts[:, 1], pts[:, 0]))
        x, y = pts[order, 0], pts[order, 1]
        best_y = np.minimum.accumulate(y)  # the running lower envelope
        widths = np.diff(np.append(x, ref[0]))
        return float(np.sum(widths * (ref[1] - best_y)))
    order = np.argsort(pts[:, -1], kind="stable")
    pts = pts[order]
    levels = np.append(pts[:, -1], ref[-1])
    total = 0.0
    for i in range(len(pts)):
        height = levels[i + 1] - levels[i]
        if height <= 0:
            continue
        layer = pts[: i + 1, :-1]
        if d - 1 >= 2:
            layer = layer[nondominated_mask(layer)]
        total += height * _hv(layer, ref[:-1])
    return total
