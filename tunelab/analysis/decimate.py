"""Decimation: which trials a figure or table draws when a study has more than it can show.

Always kept: the best trial of each objective, every trial on the Pareto front
(several objectives), and any trials the caller names; the rest of the budget is
an evenly spaced sample over trial order (deterministic: the same study gives
the same points, and a growing study keeps most of them).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def pareto_mask(losses: np.ndarray) -> np.ndarray:
    """Which rows of an (n, m) array of losses (smaller is better) no other row dominates."""
    pts = np.asarray(losses, dtype=float)
    n = pts.shape[0]
    if n == 0:
        return np.zeros(0, dtype=bool)
    if pts.ndim == 1 or pts.shape[1] == 1:
        col = pts.reshape(n)
        return col == col.min()
    order = np.lexsort(pts.T[::-1])  # by the first objective, then the next ones
    mask = np.zeros(n, dtype=bool)
    if pts.shape[1] == 2:
        best_second = np.inf
        prev = None
        for i in order:
            a, b = pts[i]
            if b < best_second or (prev is not None and a == prev[0] and b == prev[1]):
                mask[i] = True
                if b < best_second:
                    best_second = b
                prev = (a, b)
        return mask
    front: list[int] = []
    for i in order:
        p = pts[i]
        if front:
            f = pts[front]
            if np.any(np.all(f <= p, axis=1) & np.any(f < p, axis=1)):
                continue
        front.append(int(i))
    mask[front] = True
    return mask


def decimate(losses: np.ndarray, max_points: int, keep: Sequence[int] = ()) -> np.ndarray:
    """Sorted indices of at most ``max_points`` rows (more only if the kept ones alone exceed it).

    losses: (n,) or (n, m) with smaller better (NaN rows are sampled but never "best").
    """
    pts = np.asarray(losses, dtype=float)
    n = pts.shape[0]
    if n <= max_points:
        return np.arange(n)
    must = set(int(k) for k in keep)
    finite = np.all(np.isfinite(pts.reshape(n, -1)), axis=1)
    if finite.any():
        fin_idx = np.flatnonzero(finite)
        sub = pts[fin_idx].reshape(len(fin_idx), -1)
        for j in range(sub.shape[1]):
            must.add(int(fin_idx[int(np.argmin(sub[:, j]))]))
        if sub.shape[1] > 1:
            must.update(int(i) for i in fin_idx[pareto_mask(sub)])
    budget = max(0, max_points - len(must))
    sample = np.linspace(0, n - 1, budget).round().astype(int) if budget else np.empty(0, dtype=int)
    chosen = np.union1d(np.fromiter(must, dtype=int, count=len(must)), sample)
    return chosen
