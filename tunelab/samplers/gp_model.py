"""Gaussian-process regression for :class:`~tunelab.samplers.gp.GPSampler` (numpy/scipy only).

Inputs are rows of the unit encoding (floats and ints in [0, 1]) plus, for
categoricals, the choice index.  The kernel is Matern-5/2 over one distance in
which each numeric dimension counts ``((x - x') / l)^2`` and each categorical
counts ``[x != x'] / l^2`` (a Hamming factor), with one lengthscale ``l`` per
dimension (ARD).  Signal variance, lengthscales and noise are fitted by
maximising the log marginal likelihood plus log priors with L-BFGS-B, using the
analytic gradient.  Targets are expected to be standardised by the caller.

Priors (heuristic, the same shapes as Optuna's GPSampler; they decide how a
short history is read):

- inverse squared lengthscale ``lam = 1 / l^2``: ``-(0.1 / lam + 0.1 lam)``, which
  peaks at ``l = 1`` (the width of the unit box) and is nearly flat for ``l`` in
  [0.3, 3], so ARD can both switch a dimension off and resolve a narrow one;
- signal variance ``s``: Gamma(2, rate 1), i.e. ``log s - s`` (targets are standardised);
- noise variance ``n``: Gamma(1.1, rate 30), i.e. ``0.1 log n - 30 n``: nearly
  flat below 0.01, so small real effects (an SVC's ``tol``) are not explained
  away as noise, while noise above ~0.1 of the target variance is penalised.

An earlier log-normal set (``log l ~ N(log(sqrt(d)/2), 1)``, ``log n ~ N(-4, 2^2)``)
scored 3 points lower at 100 trials in benchmarks/search.py; mostly because its
lengthscale prior kept the GP from ignoring an irrelevant dimension (docs/auto.md).
The log priors are written as functions of the log parameters that L-BFGS-B sees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import linalg
from scipy.optimize import minimize

SQRT5 = math.sqrt(5.0)
LOG_LENGTHSCALE_BOUNDS = (math.log(5e-3), math.log(1e3))
LOG_SIGNAL_BOUNDS = (math.log(5e-2), math.log(20.0))
LOG_NOISE_BOUNDS = (math.log(1e-6), math.log(2.0))
_JITTER = 1e-8
_MANY = 64  # query rows from which distances come from one matrix product (see GPModel._r2)


@dataclass(frozen=True)
class KernelParams:
    """Fitted kernel hyperparameters: one lengthscale per dimension, signal and noise variances."""

    lengthscales: np.ndarray
    signal: float
    noise: float

    def to_theta(self) -> np.ndarray:
        return np.concatenate([np.log(self.lengthscales), [math.log(self.signal), math.log(self.noise)]])

    @classmethod
    def from_theta(cls, theta: np.ndarray, noise: float | None = None) -> "KernelParams":
        d = len(theta) - (1 if noise is not None else 2)
        ls = np.exp(np.asarray(theta[:d], dtype=float))
        return cls(ls, float(math.exp(theta[d])), float(noise if noise is not None else math.exp(theta[d + 1])))


def default_params(dim: int, noise: float | None = None) -> KernelParams:
    """The start of a fit with no earlier fit to warm-start from.

    Lengthscales ``sqrt(d) / 2`` (smooth in higher dimension), signal 1 (standardised
    targets) and noise 0.01; L-BFGS-B moves on from there under the priors.
    """
    return KernelParams(np.full(dim, math.sqrt(max(dim, 1)) / 2), 1.0, noise if noise is not None else 1e-2)


def log_prior(theta: np.ndarray, fit_noise: bool) -> tuple[float, np.ndarray]:
    """Log prior density of theta = log(l..., s2[, n2]) (see the module docstring) and its gradient."""
    d = len(theta) - (2 if fit_noise else 1)
    lam = np.exp(-2.0 * theta[:d])  # inverse squared lengthscales
    grad = np.empty_like(theta)
    value = -float(np.sum(0.1 / lam + 0.1 * lam))
    grad[:d] = 0.2 * (lam - 1.0 / lam)  # dlam / dlog l = -2 lam
    signal = math.exp(theta[d])
    value += theta[d] - signal  # Gamma(2, 1) on s2, as a function of log s2
    grad[d] = 1.0 - signal
    if fit_noise:
        noise = math.exp(theta[d + 1])
        value += 0.1 * theta[d + 1] - 30.0 * noise  # Gamma(1.1, 30) on n2
        grad[d + 1] = 0.1 - 30.0 * noise
    return value, grad


def sq_diffs(A: np.ndarray, B: np.ndarray, is_cat: np.ndarray) -> np.ndarray:
    """Per-dimension squared differences, shape (d, len(A), len(B)); 0/1 for categoricals."""
    return _squared(A.T[:, :, None] - B.T[:, None, :], is_cat)


def _squared(D: np.ndarray, is_cat: np.ndarray) -> np.ndarray:
    """Differences (dimension first) squared in place; 0/1 for categoricals (indices differ by >= 1)."""
    D *= D
    if is_cat.any():
        D[is_cat] = (D[is_cat] > 0.25).astype(float)
    return D


def _matern_parts(r2: np.ndarray, grad: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Matern-5/2 correlation M(r) and G(r) = (5/3)(1 + sqrt5 r) exp(-sqrt5 r) (= -2 dM/d(r^2)).

    G only if ``grad``. Written with in-place steps (the same operations in the same order):
    the candidate screen evaluates it on 10^5 pairs per ask.
    """
    t = np.maximum(r2, 0.0)
    np.sqrt(t, out=t)
    t *= SQRT5  # sqrt5 r
    e = np.negative(t)
    np.exp(e, out=e)
    t += 1.0  # 1 + sqrt5 r
    M = r2 * (5.0 / 3.0)
    M += t
    M *= e
    if not grad:
        return M, None
    t *= 5.0 / 3.0
    t *= e
    return M, t


def cholesky(K: np.ndarray, jitter: float = _JITTER) -> tuple[np.ndarray, float]:
    """Lower Cholesky factor of K, adding diagonal jitter (x10 per failure) until it succeeds.

    Calls LAPACK's dpotrf directly: scipy.linalg's wrapper costs more than the
    factorisation itself at the sizes a GP sampler sees (tens to hundreds of rows).
    """
    n = len(K)
    extra = 0.0
    for _ in range(8):
        A = K + extra * np.eye(n) if extra else K
        if np.all(np.isfinite(A)):
            L, info = linalg.lapack.dpotrf(A, lower=1, clean=1, overwrite_a=0)
            if info == 0:
                return L, extra
        extra = jitter if extra == 0.0 else extra * 10.0
    raise linalg.LinAlgError("kernel matrix is not positive definite even with jitter")


def _lower_inverse(L: np.ndarray) -> np.ndarray:
    """The inverse of a lower-triangular factor (LAPACK dtrtri), so that later solves are plain matrix products."""
    Linv, info = linalg.lapack.dtrtri(L, lower=1)
    if info != 0:  # singular factor: fall back to a solve against the identity
        Linv = linalg.solve_triangular(L, np.eye(len(L)), lower=True, check_finite=False)
    return np.tril(Linv)


class GPModel:
    """A GP conditioned on (X, y) with fixed hyperparameters: posterior mean and variance with gradients."""

    def __init__(self, X: np.ndarray, y: np.ndarray, params: KernelParams, is_cat: np.ndarray):
        self.X = np.asarray(X, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.params = params
        self.is_cat = np.asarray(is_cat, dtype=bool)
        self._inv_ls2 = 1.0 / params.lengthscales**2
        r2 = np.einsum("dij,d->ij", sq_diffs(self.X, self.X, self.is_cat), self._inv_ls2)
        M, _ = _matern_parts(r2, grad=False)
        K = params.signal * M + (params.noise + _JITTER) * np.eye(len(self.X))
        self.L, _ = cholesky(K)
        self._Linv = _lower_inverse(self.L)
        self.alpha = self._Linv.T @ (self._Linv @ self.y)
        # for many query points at once: numeric columns scaled by 1 / lengthscale, and their squared norms
        self._num = np.flatnonzero(~self.is_cat)
        self._cat = np.flatnonzero(self.is_cat)
        self._Xs = self.X[:, self._num] * np.sqrt(self._inv_ls2[self._num])
        self._Xs_norm = np.sum(self._Xs * self._Xs, axis=1)
        # for a few query points (the acquisition's polish): the data by dimension, and per set of
        # differentiated dimensions their columns and scales
        self._Xt = np.ascontiguousarray(self.X.T)[:, None, :]
        self._by_dims: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def condition_on(self, X_new: np.ndarray, y_new: np.ndarray) -> "GPModel":
        """The same kernel conditioned on extra (fantasised) points, e.g. running trials."""
        return GPModel(np.vstack([self.X, X_new]), np.concatenate([self.y, y_new]), self.params, self.is_cat)

    def _r2(self, Xq: np.ndarray) -> np.ndarray:
        """Scaled squared distances from the rows of Xq to the data, (len(Xq), n).

        A few rows: from the differences themselves.  Many rows (screening candidates):
        ``|a|^2 + |b|^2 - 2 a.b`` on the numeric columns, one matrix product instead of a
        (d, m, n) array; the Matern kernel is smooth in r^2, so its rounding (1e-16 of the
        norms) does not show.
        """
        if len(Xq) < _MANY:  # as sq_diffs(Xq, self.X), against the data laid out by dimension
            return np.einsum("dij,d->ij", _squared(Xq.T[:, :, None] - self._Xt, self.is_cat), self._inv_ls2)
        q = Xq[:, self._num] * np.sqrt(self._inv_ls2[self._num])
        r2 = np.sum(q * q, axis=1)[:, None] + self._Xs_norm[None, :]
        cross = q @ self._Xs.T
        cross *= 2.0
        r2 -= cross
        np.maximum(r2, 0.0, out=r2)
        for j in self._cat:  # Hamming: 1 / l^2 where the choice differs
            r2 += self._inv_ls2[j] * (np.abs(Xq[:, j][:, None] - self.X[:, j][None, :]) > 0.5)
        return r2

    def _cross(self, Xq: np.ndarray, grad: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        M, G = _matern_parts(self._r2(Xq), grad)
        M *= self.params.signal
        if G is not None:
            G *= self.params.signal
        return M, G

    def predict(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and latent variance at the rows of Xq."""
        Kq, _ = self._cross(np.atleast_2d(Xq), grad=False)
        mean = Kq @ self.alpha
        v = self._Linv @ Kq.T  # L^-1 k
        var = np.maximum(self.params.signal - np.einsum("ij,ij->j", v, v), 1e-12)
        return mean, var

    def predict_with_grad(self, Xq: np.ndarray, dims: np.ndarray) -> tuple[np.ndarray, ...]:
        """Mean, variance and their gradients along the numeric dimensions ``dims``: (m,), (m,), (m,k), (m,k)."""
        Xq = np.atleast_2d(Xq)
        Kq, Gq = self._cross(Xq)
        mean = Kq @ self.alpha
        v = self._Linv @ Kq.T  # L^-1 k
        var_raw = self.params.signal - np.einsum("ij,ij->j", v, v)
        var = np.maximum(var_raw, 1e-12)
        w = (self._Linv.T @ v).T  # (m, n) = K^-1 k
        # dk(x, X_j)/dx_c = -G * (x_c - X_jc) / l_c^2, and sum_j c_j (x_c - X_jc) = x_c sum_j c_j - (c @ X)_c:
        # two matrix products instead of an (m, n, k) array
        dims = np.asarray(dims, dtype=np.intp)
        key = dims.tobytes()
        cached = self._by_dims.get(key)
        if cached is None:
            cached = self._by_dims[key] = (self.X[:, dims], self._inv_ls2[dims][None, :])
        Xd, scale = cached
        xq = Xq[:, dims]
        Ga, Gw = Gq * self.alpha[None, :], Gq * w
        dmean = -(xq * Ga.sum(axis=1)[:, None] - Ga @ Xd) * scale
        dvar = 2.0 * (xq * Gw.sum(axis=1)[:, None] - Gw @ Xd) * scale
        dvar[var_raw <= 1e-12] = 0.0
        return mean, var, dmean, dvar


# ------------------------------------------------------------------ hyperparameter fit


def neg_log_posterior(theta: np.ndarray, S: np.ndarray, y: np.ndarray,
                      fixed_noise: float | None = None) -> tuple[float, np.ndarray]:
    """-(log marginal likelihood + log prior) and its gradient in theta = log(l..., s2[, n2]).

    ``S`` is :func:`sq_diffs` of the inputs with themselves, shape (d, n, n).
    """
    return _neg_log_posterior_packed(theta, PackedDiffs.of(S), y, fixed_noise)


@dataclass(frozen=True)
class PackedDiffs:
    """The strict lower triangle of :func:`sq_diffs` (X, X): (d, n(n-1)/2), with where each entry sits in n x n.

    The kernel matrix is symmetric with a known diagonal (signal + noise) and LAPACK's
    Cholesky and inverse read and write one triangle only, so the fit's per-step work
    (distances, Matern terms, gradient sums) runs over half the pairs.
    """

    values: np.ndarray  # (d, n(n-1)/2)
    flat: np.ndarray  # index of each entry in the raveled n x n matrix (row-major, row > column)
    rows: np.ndarray
    cols: np.ndarray
    n: int

    @classmethod
    def of(cls, S: np.ndarray) -> "PackedDiffs":
        d, n = S.shape[0], S.shape[1]
        rows, cols = np.tril_indices(n, -1)
        flat = rows * n + cols
        return cls(np.ascontiguousarray(S.reshape(d, n * n)[:, flat]), flat, rows, cols, n)

    @classmethod
    def of_inputs(cls, X: np.ndarray, is_cat: np.ndarray) -> "PackedDiffs":
        """The same as ``of(sq_diffs(X, X, is_cat))``, without the (d, n, n) array."""
        X = np.asarray(X, dtype=float)
        n = len(X)
        rows, cols = np.tril_indices(n, -1)
        D = _squared(X.T[:, rows] - X.T[:, cols], np.asarray(is_cat, dtype=bool))
        return cls(np.ascontiguousarray(D), rows * n + cols, rows, cols, n)


def _neg_log_posterior_packed(theta: np.ndarray, P: PackedDiffs, y: np.ndarray,
                              fixed_noise: float | None) -> tuple[float, np.ndarray]:
    d, n = P.values.shape[0], P.n
    params = KernelParams.from_theta(theta, fixed_noise)
    inv_ls2 = 1.0 / params.lengthscales**2
    r2 = inv_ls2 @ P.values  # a matrix-vector product over the pairs (BLAS)
    M, G = _matern_parts(r2)
    k_low = params.signal * M
    K = np.zeros(n * n)
    K[P.flat] = k_low
    K = K.reshape(n, n)
    diag = params.signal + (params.noise + _JITTER)  # M(0) = 1
    K[np.diag_indices(n)] = diag
    try:
        L, _ = cholesky(K)
    except linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    alpha, info = linalg.lapack.dpotrs(L, y, lower=1)
    if info != 0:  # pragma: no cover - a factor dpotrf accepted always solves
        return 1e10, np.zeros_like(theta)
    lml = -0.5 * y @ alpha - np.log(np.diag(L)).sum() - 0.5 * n * math.log(2 * math.pi)
    Kinv, info = linalg.lapack.dpotri(L, lower=1)
    if info != 0:  # the factor is singular (info > 0) or the call was wrong (info < 0): no usable inverse
        return 1e10, np.zeros_like(theta)
    # W = alpha alpha^T - K^-1 is symmetric: its strict lower triangle and its diagonal
    w_low = alpha[P.rows] * alpha[P.cols] - Kinv.ravel()[P.flat]
    w_diag = alpha * alpha - np.diag(Kinv)
    grad = np.empty_like(theta)
    # tr(W dK/dlog l_k) / 2 over all pairs = the sum over the lower triangle (the diagonal of S is 0)
    grad[:d] = (P.values @ (w_low * (params.signal * G))) * inv_ls2
    # dK/dlog s2 = s2 * M, whose diagonal is s2
    grad[d] = float(w_low @ k_low) + 0.5 * params.signal * float(w_diag.sum())
    if fixed_noise is None:
        grad[d + 1] = 0.5 * params.noise * float(w_diag.sum())
    lp, lp_grad = log_prior(theta, fixed_noise is None)
    grad += lp_grad
    return float(-(lml + lp)), -grad


def fit_params(X: np.ndarray, y: np.ndarray, is_cat: np.ndarray, starts: Sequence[KernelParams],
               fixed_noise: float | None = None, maxiter: int = 200) -> KernelParams:
    """Maximise the log posterior of the hyperparameters from each start; keep the best."""
    P = PackedDiffs.of_inputs(X, is_cat)
    d = X.shape[1]
    bounds = [LOG_LENGTHSCALE_BOUNDS] * d + [LOG_SIGNAL_BOUNDS] + ([] if fixed_noise is not None else [LOG_NOISE_BOUNDS])
    best_theta, best_value = None, math.inf
    for start in starts:
        theta0 = start.to_theta()
        if fixed_noise is not None:
            theta0 = theta0[:-1]
        theta0 = np.clip(theta0, [b[0] for b in bounds], [b[1] for b in bounds])
        res = minimize(_neg_log_posterior_packed, theta0, args=(P, y, fixed_noise), jac=True, method="L-BFGS-B",
                       bounds=bounds, options={"maxiter": maxiter})
        value = float(res.fun)
        if math.isfinite(value) and value < best_value:
            best_theta, best_value = res.x, value
    if best_theta is None:
        return starts[0]
    return KernelParams.from_theta(best_theta, fixed_noise)
