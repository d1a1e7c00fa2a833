"""The Parzen estimator behind TPE: a weighted mixture of product kernels over several parameters.

Each observed configuration is one mixture component; a component is a product
over parameters of

* a Gaussian truncated to [0, 1] for a numeric parameter, on the unit scale of
  :mod:`tunelab.space` (log-scaled where the distribution says ``log``);
  for an int or a float with ``step`` the density is integrated over the
  value's cell, so the estimator gives the probability of each grid value;
* a smoothed one-hot distribution for a categorical parameter.

A broad *prior* component (a wide Gaussian centred on the range, uniform over
choices) keeps every region reachable.  The estimator is vectorised numpy:
``log_pdf`` of C candidates under N components over D parameters costs
O(C * N * D) array work and no Python loop over trials.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy.special import ndtr, ndtri

from tunelab.space import CategoricalDistribution, Distribution, FloatDistribution, IntDistribution

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_TINY = 1e-300


class NumericAxis:
    """The affine map value -> unit of one numeric distribution, vectorised, with its grid cells."""

    def __init__(self, dist: FloatDistribution | IntDistribution):
        if dist.single():
            raise ValueError("a single-value distribution has no axis to model")
        self.dist = dist
        self.log = bool(dist.log)
        step = dist.step if isinstance(dist, FloatDistribution) else float(dist.step)
        self.step: float | None = None if step is None else float(step)
        # to_unit is affine in T(v) (T = log or identity): recover the map from the two ends
        t_lo, t_hi = self._t(np.array([dist.low, dist.high], dtype=float))
        u_lo, u_hi = dist.to_unit(dist.low), dist.to_unit(dist.high)
        self.scale = (u_hi - u_lo) / (t_hi - t_lo)
        self.offset = u_lo - self.scale * t_lo
        if self.step is None:
            self.min_cell = 0.0
        elif self.log:  # cells shrink towards high on a log axis; the last one is the narrowest
            self.min_cell = self.scale * (math.log(dist.high + 0.5) - math.log(dist.high - 0.5))
        else:
            self.min_cell = self.scale * self.step

    @property
    def discrete(self) -> bool:
        return self.step is not None

    def _t(self, v: np.ndarray) -> np.ndarray:
        return np.log(v) if self.log else v

    def _t_inv(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x) if self.log else x

    def encode(self, values: Sequence[float]) -> np.ndarray:
        """Values to unit coordinates (cell centres for ints and stepped floats)."""
        v = np.asarray(values, dtype=float)
        return np.clip(self.offset + self.scale * self._t(v), 0.0, 1.0)

    def snap(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Grid values nearest to unit coordinates ``u``, and each value's cell [lo, hi] in unit coordinates."""
        d = self.dist
        v = np.clip(d.low + self.cell_index(u) * self.step, d.low, d.high)
        half = self.step / 2
        lo = np.clip(self.offset + self.scale * self._t(v - half), 0.0, 1.0)
        hi = np.clip(self.offset + self.scale * self._t(v + half), 0.0, 1.0)
        return v, lo, hi

    @property
    def n_cells(self) -> int:
        """How many grid values a discrete axis has."""
        d = self.dist
        return int(math.floor((d.high - d.low) / self.step + 0.5)) + 1

    def cell_index(self, u: np.ndarray) -> np.ndarray:
        """The grid index (0 = low) of each unit coordinate's nearest grid value, on a discrete axis
        (half-up, as the space rounds)."""
        d = self.dist
        v = self._t_inv((np.asarray(u, dtype=float) - self.offset) / self.scale)
        return np.clip(np.floor((v - d.low) / self.step + 0.5), 0, self.n_cells - 1).astype(np.int64)

    def centres(self) -> np.ndarray:
        """Unit coordinates of every grid value, in grid order."""
        return self.encode(self.dist.low + self.step * np.arange(self.n_cells))

    def decode(self, u: float) -> Any:
        """One unit coordinate to a value inside the distribution."""
        if self.discrete:
            return self.dist.clip(float(self.snap(np.array([u]))[0][0]))  # an int for IntDistribution
        return self.dist.from_unit(float(u))


class CategoricalAxis:
    """Choice values to indices, via a lookup built once (values compare as the space compares them)."""

    def __init__(self, dist: CategoricalDistribution):
        self.dist = dist
        self.n_choices = len(dist.choices)
        self._cache: dict[tuple[type, Any], int] = {}

    def encode(self, values: Sequence[Any]) -> np.ndarray:
        out = np.empty(len(values), dtype=int)
        for i, value in enumerate(values):
            key = (type(value), value)
            idx = self._cache.get(key)
            if idx is None:
                idx = self._cache[key] = self.dist.index(value)
            out[i] = idx
        return out

    def decode(self, index: int) -> Any:
        return self.dist.choices[int(index)]


def make_axis(dist: Distribution) -> NumericAxis | CategoricalAxis:
    if isinstance(dist, CategoricalDistribution):
        return CategoricalAxis(dist)
    return NumericAxis(dist)


@dataclass
class Observations:
    """Configurations on the model's scale: numeric columns in [0, 1], categorical columns as indices."""

    numeric: np.ndarray  # (n, d_numeric) floats
    categorical: np.ndarray  # (n, d_categorical) ints

    def __len__(self) -> int:
        return len(self.numeric)


def _logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """log(sum(exp(a), axis=1)), shifted by each row's largest finite entry (scipy's logsumexp costs
    several times more on the (candidates, components) arrays of a big study)."""
    top = np.max(a, axis=1, keepdims=True) if a.shape[1] else np.zeros((len(a), 1))
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):  # a row of -inf sums to 0: its log is -inf, as it should be
        return np.log(np.sum(np.exp(a - top), axis=1)) + top[:, 0]


def _log_mass(lo_z: np.ndarray, hi_z: np.ndarray) -> np.ndarray:
    """log(Phi(hi_z) - Phi(lo_z)), taken on the side of the mode so that far tails keep their digits."""
    upper = lo_z > 0  # both ends above the mode: use the mirrored interval, whose ndtr values are small
    lo, hi = np.where(upper, -hi_z, lo_z), np.where(upper, -lo_z, hi_z)
    return np.log(np.maximum(ndtr(hi) - ndtr(lo), _TINY))


class ParzenEstimator:
    """A mixture of product kernels (one per observation, plus the prior) over a group of parameters.

    ``bandwidth`` follows Scott's rule on the unit cube, ``factor * n ** (-1 / (d + 4))``,
    clipped below by half a grid cell for discrete axes and by ``min_bandwidth``.
    """

    def __init__(self, axes: Sequence[NumericAxis | CategoricalAxis], obs: Observations,
                 prior_weight: float = 1.0, bandwidth_factor: float = 0.2, min_bandwidth: float = 0.01):
        self.num_axes = [a for a in axes if isinstance(a, NumericAxis)]
        self.cat_axes = [a for a in axes if isinstance(a, CategoricalAxis)]
        n = len(obs)
        d = max(1, len(axes))
        # component 0 is the prior
        self.log_weights = np.log(np.concatenate([[prior_weight], np.ones(n)]) / (prior_weight + n))

        sigma = bandwidth_factor * max(n, 1) ** (-1.0 / (d + 4))
        self.mu = np.vstack([np.full((1, len(self.num_axes)), 0.5), obs.numeric.reshape(n, len(self.num_axes))])
        floors = np.array([max(min_bandwidth, 0.5 * a.min_cell) for a in self.num_axes])
        # every observation's bandwidth per axis (the same for all of them)
        self._obs_sigma = np.clip(np.maximum(sigma, floors), None, 1.0).reshape(len(self.num_axes))
        self.sigma = np.vstack([np.ones((1, len(self.num_axes))),
                                np.broadcast_to(self._obs_sigma, (n, len(self.num_axes)))])
        self._log_z = _log_mass(-self.mu / self.sigma, (1.0 - self.mu) / self.sigma)  # truncation to [0, 1]
        self.discrete = np.array([a.discrete for a in self.num_axes], dtype=bool)
        # on a discrete axis with fewer grid values than observations, each observation's grid index: a cell's
        # mass under an observation's kernel then depends on two grid indices only (see _discrete_mass)
        self._grid_index: dict[int, np.ndarray] = {}
        for j, axis in enumerate(self.num_axes):
            if axis.discrete and axis.n_cells < n:
                index = axis.cell_index(self.mu[1:, j])
                if np.allclose(axis.centres()[index], self.mu[1:, j], rtol=0.0, atol=1e-12):
                    self._grid_index[j] = index

        # categorical kernels: (components, d_cat, max_choices) probabilities, zero-padded
        k_max = max([a.n_choices for a in self.cat_axes], default=1)
        self.cat_prob = np.zeros((n + 1, len(self.cat_axes), k_max))
        eps = 1.0 / (1.0 + math.sqrt(max(n, 1)))  # smoothing shrinks as evidence grows
        for j, axis in enumerate(self.cat_axes):
            k = axis.n_choices
            self.cat_prob[0, j, :k] = 1.0 / k
            if n:
                self.cat_prob[1:, j, :k] = eps / k
                self.cat_prob[1 + np.arange(n), j, obs.categorical[:, j]] += 1.0 - eps
        self._log_cat = np.log(np.maximum(self.cat_prob, _TINY))

    def _discrete_mass(self, j: int, u: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Log mass of each candidate's cell on discrete axis ``j`` under every component: shape (C, components).

        The observations share one bandwidth and sit on grid values, so the mass is computed
        once per (candidate cell, grid value) and gathered per observation: C x grid values
        normal CDFs instead of C x observations (a 10,000-trial study over a few small ints).
        """
        axis, s = self.num_axes[j], self._obs_sigma[j]
        _, first, inverse = np.unique(axis.cell_index(u), return_index=True, return_inverse=True)
        centres = axis.centres()
        table = _log_mass((lo[first][:, None] - centres[None]) / s, (hi[first][:, None] - centres[None]) / s)
        out = np.empty((len(u), self.n_components))
        out[:, 0] = _log_mass(lo - self.mu[0, j], hi - self.mu[0, j])  # the prior: bandwidth 1
        out[:, 1:] = table[inverse.reshape(-1)][:, self._grid_index[j]]
        return out

    @property
    def n_components(self) -> int:
        return len(self.log_weights)

    def sample(self, rng: np.random.Generator, size: int) -> Observations:
        """Draw ``size`` configurations (discrete numeric axes are snapped to their cell centres later)."""
        comp = rng.choice(self.n_components, size=size, p=np.exp(self.log_weights))
        mu, sigma = self.mu[comp], self.sigma[comp]
        lo, hi = ndtr(-mu / sigma), ndtr((1.0 - mu) / sigma)
        r = rng.random(mu.shape)
        numeric = np.clip(mu + sigma * ndtri(np.clip(lo + r * (hi - lo), 1e-15, 1 - 1e-15)), 0.0, 1.0)
        categorical = np.empty((size, len(self.cat_axes)), dtype=int)
        for j, axis in enumerate(self.cat_axes):
            cum = np.cumsum(self.cat_prob[comp, j, : axis.n_choices], axis=1)
            draw = rng.random(size)[:, None]
            categorical[:, j] = np.minimum((cum < draw * cum[:, -1:]).sum(axis=1), axis.n_choices - 1)
        return Observations(numeric, categorical)

    def snap(self, obs: Observations) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Numeric columns with discrete axes moved to their grid values' cells: (u, cell_lo, cell_hi)."""
        u = obs.numeric.copy()
        lo, hi = u.copy(), u.copy()
        for j, axis in enumerate(self.num_axes):
            if axis.discrete:
                values, lo[:, j], hi[:, j] = axis.snap(u[:, j])
                u[:, j] = axis.encode(values)
        return u, lo, hi

    def log_pdf(self, obs: Observations, cells: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """Log density (log probability on discrete axes) of each row of ``obs``: shape (C,)."""
        u, lo, hi = cells if cells is not None else self.snap(obs)
        total = np.zeros((len(u), self.n_components))
        if self.num_axes:
            cont, d = ~self.discrete, self.discrete
            if cont.any():
                # Gaussian densities on continuous axes.  Every observation shares one bandwidth per axis, so the
                # squared distances come from one matrix product instead of a (candidates, components, axes) array.
                s = self._obs_sigma[cont]
                uc = u[:, cont]
                z0 = uc - 0.5  # the prior component: centred, bandwidth 1
                total[:, 0] += -0.5 * np.sum(z0 * z0, axis=1) - cont.sum() * _LOG_SQRT_2PI
                if self.n_components > 1:
                    U, M = uc / s, self.mu[1:, cont] / s
                    sq = np.sum(U * U, axis=1)[:, None] - 2.0 * (U @ M.T) + np.sum(M * M, axis=1)[None, :]
                    total[:, 1:] += -0.5 * np.maximum(sq, 0.0) - np.log(s).sum() - cont.sum() * _LOG_SQRT_2PI
            if d.any():  # probability of the whole grid cell on discrete axes
                direct = np.array([j for j in np.flatnonzero(d) if j not in self._grid_index], dtype=np.int64)
                if len(direct):
                    m, sg = self.mu[None][:, :, direct], self.sigma[None][:, :, direct]
                    total += _log_mass((lo[:, None, direct] - m) / sg, (hi[:, None, direct] - m) / sg).sum(axis=2)
                for j in self._grid_index:
                    total += self._discrete_mass(j, u[:, j], lo[:, j], hi[:, j])
            total -= self._log_z.sum(axis=1)[None]
        for j in range(len(self.cat_axes)):
            total += self._log_cat[:, j, :][:, obs.categorical[:, j]].T
        return _logsumexp_rows(total + self.log_weights[None])
