"""Pareto dominance for multi-objective studies."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from tunelab.trial import FrozenTrial, StudyDirection


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
