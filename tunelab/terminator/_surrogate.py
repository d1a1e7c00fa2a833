"""The Gaussian process the terminator's evaluators reason with, and the regret bound over it.

The GP is the one :class:`~tunelab.samplers.GPSampler` fits
(:mod:`tunelab.samplers.gp_model`: Matern-5/2 ARD, hyperparameters by maximum a
posteriori with the same prior shapes Optuna's GP uses), so a bound computed
here reads trials the way the GP sampler does.  Everything works on losses
(values with their sign flipped for maximisation), so smaller is better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from tunelab.search_space import intersection_search_space
from tunelab.space import CategoricalDistribution, Distribution
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

_MAX_GRID = 1000  # an int / stepped float with more values than this is sampled as a real number
N_SAMPLES = 2048  # random points the lower confidence bound is minimised over


@dataclass
class Encoded:
    """Complete trials as GP inputs: unit-encoded parameters and losses."""

    trials: list[FrozenTrial]
    names: list[str]
    space: dict[str, Distribution]
    X: np.ndarray  # (n, d): unit values, or the choice index for categoricals
    loss: np.ndarray  # (n,): value * direction sign
    is_cat: np.ndarray  # (d,) bool


def encode_trials(trials: Sequence[FrozenTrial], direction: StudyDirection) -> Encoded:
    """The complete trials over the parameters they all share (single-valued ones left out)."""
    from tunelab.samplers.gp import encode

    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    space = {k: d for k, d in intersection_search_space(complete).items() if not d.single()}
    names = sorted(space)
    X = np.array([encode(t.params, names, space) for t in complete], dtype=float).reshape(len(complete), len(names))
    loss = np.array([float(t.value) for t in complete], dtype=float) * StudyDirection.parse(direction).sign()
    loss = np.where(np.isnan(loss), np.inf, loss)
    if not np.all(np.isfinite(loss)) and np.isfinite(loss).any():  # +-inf: clamp just past the finite range
        finite = loss[np.isfinite(loss)]
        span = float(finite.max() - finite.min()) or 1.0
        loss = np.clip(loss, finite.min() - 0.1 * span, finite.max() + 0.1 * span)
    is_cat = np.array([isinstance(space[n], CategoricalDistribution) for n in names], dtype=bool)
    return Encoded(complete, names, space, X, loss, is_cat)


def standardise(y: np.ndarray) -> tuple[np.ndarray, float, float]:
    """``(y - mean) / std`` with the mean and std used (std floored so a flat history stays finite)."""
    mean = float(y.mean())
    std = max(float(y.std()), 1e-10)
    return (y - mean) / std, mean, std


def fit_gp(X: np.ndarray, z: np.ndarray, is_cat: np.ndarray, start: "object | None" = None,
           deterministic: bool = False):
    """A GP (tunelab.samplers.gp_model.GPModel) with hyperparameters fitted to standardised losses ``z``.

    The fit starts from ``start`` (earlier fitted hyperparameters) if given, else
    from the GP sampler's default start.
    """
    from tunelab.samplers.gp import single_thread_blas
    from tunelab.samplers.gp_model import GPModel, default_params, fit_params

    noise = 1e-6 if deterministic else None
    starts = [start if start is not None else default_params(X.shape[1], noise)]
    with single_thread_blas():
        params = fit_params(X, z, is_cat, starts, noise, maxiter=200)
        return GPModel(X, z, params, is_cat)


def random_points(is_cat: np.ndarray, space: dict[str, Distribution], names: list[str], n: int,
                  rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform points of the encoded space (discrete columns on their grid, choice indices for categoricals)."""
    X = rng.random((n, len(names)))
    for j, name in enumerate(names):
        dist = space[name]
        if is_cat[j]:
            X[:, j] = rng.integers(0, len(dist.choices), n)
            continue
        discrete = dist.kind == "int" or getattr(dist, "step", None) is not None
        if discrete and (dist.high - dist.low) / (dist.step or 1) + 1 <= _MAX_GRID:
            grid = np.array(sorted(dist.to_unit(v) for v in dist.grid()))
            X[:, j] = grid[rng.integers(0, len(grid), n)]
    return X


def regret_bound(model, enc_space: dict[str, Distribution], names: list[str], X_ref: np.ndarray, beta: float,
                 rng: np.random.Generator, n_samples: int = N_SAMPLES) -> float:
    """Standardised regret bound: min UCB over the reference trials minus min LCB over the space.

    The first is a loss the best of the tried configurations reaches with high
    probability; the second the lowest loss any configuration might reach.  The
    LCB is minimised over the reference points, ``n_samples`` random points and
    small moves around the best reference points.
    """
    is_cat = model.is_cat
    root = math.sqrt(beta)
    mean_ref, var_ref = model.predict(X_ref)
    ucb_ref = mean_ref + root * np.sqrt(var_ref)
    candidates = [X_ref, random_points(is_cat, enc_space, names, n_samples, rng)]
    num = np.flatnonzero(~is_cat)
    if len(num):
        best = X_ref[np.argsort(mean_ref)[: min(8, len(X_ref))]]
        local = np.repeat(best, 32, axis=0)
        local[:, num] = np.clip(local[:, num] + rng.normal(0.0, 0.05, (len(local), len(num))), 0.0, 1.0)
        candidates.append(local)
    mean_all, var_all = model.predict(np.vstack(candidates))
    lcb_all = mean_all - root * np.sqrt(var_all)
    return max(0.0, float(ucb_ref.min() - lcb_all.min()))


def posterior_cov(model, a: np.ndarray, b: np.ndarray) -> float:
    """Posterior covariance of the latent function at two points ``a`` and ``b``."""
    from scipy.linalg import solve_triangular

    from tunelab.samplers.gp_model import sq_diffs

    P = np.vstack([a, b])

    def kernel(A: np.ndarray, B: np.ndarray) -> np.ndarray:
        r2 = np.einsum("dij,d->ij", sq_diffs(A, B, model.is_cat), 1.0 / model.params.lengthscales ** 2)
        r = np.sqrt(np.maximum(r2, 0.0))
        return model.params.signal * (1.0 + math.sqrt(5.0) * r + 5.0 / 3.0 * r2) * np.exp(-math.sqrt(5.0) * r)

    k_ab = float(kernel(P[:1], P[1:])[0, 0])
    V = solve_triangular(model.L, kernel(model.X, P), lower=True, check_finite=False)  # L^-1 k(X, [a, b])
    return k_ab - float(V[:, 0] @ V[:, 1])
