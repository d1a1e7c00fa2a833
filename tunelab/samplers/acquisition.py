"""Log expected improvement and its optimisation over a mixed box, for the GP sampler.

``log_ei`` is the numerically stable log of expected improvement (Ament et al.,
2023, "Unexpected improvements to expected improvement"): where EI underflows
to 0 in floating point its log stays finite and keeps a useful slope, so the
optimiser is not stranded on flat zero regions.

``optimize_log_ei`` screens many quasi-random candidates plus perturbations of
the best points, runs a batched multi-start L-BFGS-B over the numeric
dimensions (categoricals held fixed), then a discrete sweep over each
categorical, snaps ints/stepped floats to their grid and returns the best point.
Small, fully discrete spaces are enumerated instead.  Points given as ``tried``
(the finished and running trials) are not proposed again while the box holds
another: with a noise term in the fit, EI is often highest at the incumbent
itself, and on a discrete space the snapped proposal lands on it exactly.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import erfcx, log_ndtr

from tunelab.samplers.gp_model import GPModel

_C1 = 0.5 * math.log(2 * math.pi)
_C2 = 0.5 * math.log(math.pi / 2)
_Z_TAIL = -1.0 / math.sqrt(np.finfo(float).eps)  # below this, the asymptotic form is exact to eps
# The polish stops when a step improves the summed log EI of its starts by less than ``ftol``, relative;
# scipy's default is this.
DEFAULT_FTOL = 1e7 * float(np.finfo(float).eps)


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """log(1 - exp(x)) for x < 0, accurate on both sides of -log 2."""
    x = np.minimum(x, -1e-300)
    return np.where(x > -math.log(2), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def log_h(z: np.ndarray) -> np.ndarray:
    """log(phi(z) + z * Phi(z)), the log of EI for a unit-variance Gaussian, finite for every z."""
    z = np.asarray(z, dtype=float)
    return _log_h(z, None)


def _log_h(z: np.ndarray, log_cdf: np.ndarray | None) -> np.ndarray:
    """:func:`log_h`, given ``log_ndtr(z)`` where the caller has it already."""
    hi = z > -1.0
    if hi.all():  # the usual case near good points: only the direct formula
        lc = log_ndtr(z) if log_cdf is None else log_cdf
        return np.log(np.exp(-0.5 * z * z - _C1) + z * np.exp(lc))
    out = np.empty_like(z)
    zh = z[hi]
    out[hi] = np.log(np.exp(-0.5 * zh * zh - _C1) + zh * np.exp(log_ndtr(zh) if log_cdf is None else log_cdf[hi]))
    lo = z <= _Z_TAIL
    far = bool(lo.any())
    mid = ~hi
    if far:
        mid &= ~lo
    zm = z[mid]
    out[mid] = -0.5 * zm * zm - _C1 + _log1mexp(np.log(erfcx(-zm / math.sqrt(2)) * np.abs(zm)) + _C2)
    if far:
        zl = z[lo]
        out[lo] = -0.5 * zl * zl - _C1 - 2.0 * np.log(np.abs(zl))
    return out


def log_ei(mean: np.ndarray, var: np.ndarray, best: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log EI for minimisation below ``best``, with its derivatives in mean and in variance."""
    std = np.sqrt(var)
    z = (best - mean) / std
    log_cdf = log_ndtr(z)
    lh = _log_h(z, log_cdf)
    ratio = np.exp(log_cdf - lh)  # Phi(z) / h(z) = d log h / dz
    value = np.log(std) + lh
    d_mean = -ratio / std
    d_std = (1.0 - ratio * z) / std
    return value, d_mean, d_std / (2.0 * std)


@dataclass
class MixedBox:
    """The encoded search box: which columns are categorical indices, the grids to snap to, optional sub-bounds.

    ``grids[j]`` is None for a real-valued column, else the sorted unit values of an
    int / stepped float (or the indices 0..k-1 of a categorical).
    """

    is_cat: np.ndarray
    grids: list
    lower: np.ndarray | None = None  # per-column bounds of a sub-box (a trust region); None = the unit box
    upper: np.ndarray | None = None

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bound of every column (categorical columns' entries are not used)."""
        d = len(self.grids)
        lo = np.zeros(d) if self.lower is None else self.lower
        hi = np.ones(d) if self.upper is None else self.upper
        return lo, hi

    def clip(self, X: np.ndarray) -> np.ndarray:
        """A copy of X with the numeric columns clipped to the box's bounds."""
        lo, hi = self.bounds()
        num = self.numeric
        X = np.array(X, dtype=float, copy=True)
        X[:, num] = np.clip(X[:, num], lo[num], hi[num])
        return X

    def contains(self, X: np.ndarray) -> np.ndarray:
        """Per row of X: whether its numeric columns lie within the box's bounds."""
        lo, hi = self.bounds()
        num = self.numeric
        return np.all((X[:, num] >= lo[num] - 1e-12) & (X[:, num] <= hi[num] + 1e-12), axis=1)

    @property
    def numeric(self) -> np.ndarray:
        return np.flatnonzero(~self.is_cat)

    def snap(self, X: np.ndarray) -> np.ndarray:
        X = np.array(X, dtype=float, copy=True)
        for j, grid in enumerate(self.grids):
            if grid is not None:
                g = np.asarray(grid)
                mid = (g[1:] + g[:-1]) / 2
                X[:, j] = g[np.searchsorted(mid, X[:, j])]
        return X

    def n_points(self) -> float:
        """How many distinct points the box holds (inf if any column is real-valued)."""
        total = 1.0
        for grid in self.grids:
            if grid is None:
                return math.inf
            total *= len(grid)
        return total

    def enumerate(self) -> np.ndarray:
        mesh = np.meshgrid(*[np.asarray(g, dtype=float) for g in self.grids], indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)

    def random(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Sobol points on the numeric columns, uniform choices on the categorical ones."""
        from scipy.stats import qmc

        X = np.empty((n, len(self.grids)))
        num = self.numeric
        if len(num):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # n not a power of 2
                lo, hi = self.bounds()
                X[:, num] = lo[num] + (hi[num] - lo[num]) * qmc.Sobol(len(num), scramble=True, seed=rng).random(n)
        for j in np.flatnonzero(self.is_cat):
            X[:, j] = rng.integers(0, len(self.grids[j]), n)
        return X

    def perturb(self, X: np.ndarray, n_each: int, scale: float, rng: np.random.Generator) -> np.ndarray:
        """Gaussian moves of the numeric columns around each row; each categorical flips with prob 1/d."""
        P = np.repeat(X, n_each, axis=0)
        num = self.numeric
        P[:, num] += scale * rng.standard_normal((len(P), len(num)))
        P = self.clip(P)
        d = len(self.grids)
        for j in np.flatnonzero(self.is_cat):
            flip = rng.random(len(P)) < 1.0 / d
            P[flip, j] = rng.integers(0, len(self.grids[j]), int(flip.sum()))
        return P


def _value(model: GPModel, X: np.ndarray, best: float) -> np.ndarray:
    mean, var = model.predict(X)
    return log_ei(mean, var, best)[0]


def _polish(model: GPModel, box: MixedBox, starts: np.ndarray, best: float, maxiter: int,
            ftol: float = DEFAULT_FTOL) -> np.ndarray:
    """Batched L-BFGS-B on the numeric columns: the sum of independent log EIs, categoricals fixed."""
    num = box.numeric
    if len(num) == 0:
        return starts
    fixed = starts.copy()
    m, k = len(starts), len(num)

    every = k == starts.shape[1]  # no categorical column: the variables are the whole rows

    def f(flat: np.ndarray) -> tuple[float, np.ndarray]:
        if every:
            X = flat.reshape(m, k)
        else:
            X = fixed.copy()
            X[:, num] = flat.reshape(m, k)
        mean, var, dmean, dvar = model.predict_with_grad(X, num)
        value, d_mean, d_var = log_ei(mean, var, best)
        grad = d_mean[:, None] * dmean + d_var[:, None] * dvar
        return -float(value.sum()), -grad.ravel()

    lo, hi = box.bounds()
    bounds = list(zip(np.tile(lo[num], m), np.tile(hi[num], m)))
    res = minimize(f, box.clip(starts)[:, num].ravel(), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": maxiter, "ftol": ftol})
    out = fixed.copy()
    out[:, num] = res.x.reshape(m, k)
    return box.clip(out)


def _sweep_categoricals(model: GPModel, box: MixedBox, X: np.ndarray, best: float) -> np.ndarray:
    """For each row and each categorical column in turn, move to the choice with the highest log EI."""
    X = X.copy()
    for j in np.flatnonzero(box.is_cat):
        k = len(box.grids[j])
        trial = np.repeat(X, k, axis=0)
        trial[:, j] = np.tile(np.arange(k, dtype=float), len(X))
        values = _value(model, trial, best).reshape(len(X), k)
        X[:, j] = values.argmax(axis=1)
    return X


def matches_a_row(X: np.ndarray, rows: np.ndarray | None, box: MixedBox, tol: float = 1e-9) -> np.ndarray:
    """Per row of X: whether it equals a row of ``rows`` (numeric columns within ``tol``, choices exactly)."""
    if rows is None or len(rows) == 0 or len(X) == 0:
        return np.zeros(len(X), bool)
    num, cat = box.numeric, np.flatnonzero(box.is_cat)
    same = np.ones((len(X), len(rows)), bool)
    for j in num:
        same &= np.abs(X[:, j, None] - rows[None, :, j]) <= tol
    for j in cat:
        same &= X[:, j, None] == rows[None, :, j]
    return same.any(axis=1)


def _best_untried(pool: np.ndarray, values: np.ndarray, tried: np.ndarray | None,
                  box: MixedBox) -> int | None:
    """Index of the highest value among the rows of ``pool`` not in ``tried``; None if every row is."""
    fresh = ~matches_a_row(pool, tried, box)
    if not fresh.any():
        return None
    return int(np.flatnonzero(fresh)[values[fresh].argmax()])


def optimize_log_ei(model: GPModel, box: MixedBox, best: float, incumbents: np.ndarray, rng: np.random.Generator,
                    n_candidates: int = 1024, n_starts: int = 6, maxiter: int = 100,
                    ftol: float = DEFAULT_FTOL, tried: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """The point of the box with the highest log EI found, and that value (``ftol``: the polish's stop).

    A point equal to a row of ``tried`` is returned only when every point the search
    looked at is one (a small discrete box fully explored).
    """
    if box.n_points() <= n_candidates:
        X = box.enumerate()
        inside = box.contains(X)
        X = X[inside] if inside.any() else X
        values = _value(model, X, best)
        i = _best_untried(X, values, tried, box)
        i = int(values.argmax()) if i is None else i
        return X[i], float(values[i])
    cand = [box.random(n_candidates, rng)]
    if len(incumbents):
        incumbents = box.clip(incumbents)
        n_each = max(1, n_candidates // (4 * len(incumbents)))
        cand.append(box.perturb(incumbents, n_each, 0.05, rng))
        cand.append(incumbents)
    C = np.vstack(cand)
    values = _value(model, C, best)
    order = np.argsort(-values)
    starts = C[order[:n_starts]]
    X = _polish(model, box, starts, best, maxiter, ftol)
    if box.is_cat.any():
        X = _sweep_categoricals(model, box, X, best)
        X = _polish(model, box, X, best, maxiter // 2, ftol)
    pool = box.snap(np.vstack([X, starts]))
    values = _value(model, pool, best)
    i = _best_untried(pool, values, tried, box)
    if i is None:  # every polished point snapped onto a trial: the best untried screened candidate instead
        pool = box.snap(C)
        values = _value(model, pool, best)
        i = _best_untried(pool, values, tried, box)
        i = int(values.argmax()) if i is None else i
    return pool[i], float(values[i])
