"""Crossover and mutation operators of the genetic samplers (Optuna's ``optuna.samplers.nsgaii`` names).

An operator works on numeric parameters in tunelab's unit encoding (each
parameter mapped to ``[0, 1]`` by its distribution, log-scaled where asked),
so ``search_space_bounds`` is ``[[0, 1], ...]``; the sampler decodes the child
with ``from_unit``.  Categorical parameters take a uniform crossover of the
first and last parent.  The method signatures are Optuna's, so a user's own
operator written for Optuna (``n_parents`` and ``crossover(parents_params,
rng, study, search_space_bounds)``) plugs into ``NSGAIISampler(crossover=...)``
and ``NSGAIIISampler`` unchanged: ``rng`` is a ``numpy.random.RandomState``
drawn from the sampler's seeded stream, ``study`` a read-only study view.

A child outside the bounds is drawn again (up to ``MAX_REDRAWS`` times from the
same parents), then clipped (a gene that is not a finite number takes the first
parent's value).
"""

from __future__ import annotations

import abc
import math
from typing import Any

import numpy as np

__all__ = ["BLXAlphaCrossover", "BaseCrossover", "BaseMutation", "PolynomialMutation", "SBXCrossover",
           "SPXCrossover", "UNDXCrossover", "UniformCrossover", "VSBXCrossover"]

MAX_REDRAWS = 100


def _check(owner: str, name: str, value: Any, low: float, high: float | None = None, *,
           open_low: bool = False, optional: bool = False) -> None:
    if value is None and optional:
        return
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if open_low else value >= low) and (high is None or value <= high)
    if not ok:
        left = "(" if open_low else "["
        right = "inf)" if high is None else f"{high}]"
        tail = " or None" if optional else ""
        raise ValueError(f"{owner}: argument {name!r} must be a number in {left}{low}, {right}{tail}; got {value!r}")


def _eta(eta: float | None, study: Any) -> float:
    """The distribution index: as given, else 20 for several objectives and 2 for one (a wider spread)."""
    if eta is not None:
        return float(eta)
    multi = getattr(study, "_is_multi_objective", None)
    return 20.0 if multi is None or multi() else 2.0


class BaseCrossover(abc.ABC):
    """Makes one child (a vector of numeric parameters) from ``n_parents`` parent vectors."""

    def __str__(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        args = ", ".join(f"{k.lstrip('_')}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"

    @property
    @abc.abstractmethod
    def n_parents(self) -> int:
        """How many parents one crossover takes."""

    @abc.abstractmethod
    def crossover(self, parents_params: np.ndarray, rng: np.random.RandomState, study: Any,
                  search_space_bounds: np.ndarray) -> np.ndarray:
        """One child from ``parents_params`` (``n_parents`` rows, one column per numeric parameter)."""


class UniformCrossover(BaseCrossover):
    """Each gene from the first parent, or with probability ``swapping_prob`` from the second."""

    n_parents = 2

    def __init__(self, swapping_prob: float = 0.5) -> None:
        _check("UniformCrossover", "swapping_prob", swapping_prob, 0.0, 1.0)
        self._swapping_prob = float(swapping_prob)

    def crossover(self, parents_params: np.ndarray, rng: np.random.RandomState, study: Any,
                  search_space_bounds: np.ndarray) -> np.ndarray:
        take_second = rng.random_sample(parents_params.shape[1]) < self._swapping_prob
        return np.where(take_second, parents_params[1], parents_params[0])


class BLXAlphaCrossover(BaseCrossover):
    """Blend crossover (Eshelman & Schaffer 1993): uniform in the parents' box widened by ``alpha`` per side."""

    n_parents = 2

    def __init__(self, alpha: float = 0.5) -> None:
        _check("BLXAlphaCrossover", "alpha", alpha, 0.0)
        self._alpha = float(alpha)

    def crossover(self, parents_params: np.ndarray, rng: np.random.RandomState, study: Any,
                  search_space_bounds: np.ndarray) -> np.ndarray:
        low, high = parents_params.min(axis=0), parents_params.max(axis=0)
        spread = self._alpha * (high - low)
        return rng.uniform(low - spread, high + spread)


def _sbx_pair(x1: np.ndarray, x2: np.ndarray, eta: float, bounds: np.ndarray,
              rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
    """Bounded simulated binary crossover (Deb & Agrawal 1995): two children per gene, inside the bounds.

    The spread factor's distribution is cut at each bound, so a child never
    falls outside; genes where the parents agree are copied.
    """
    low, high = np.minimum(x1, x2), np.maximum(x1, x2)
    gap = np.maximum(high - low, 1e-12)
    lo, hi = bounds[:, 0], bounds[:, 1]
    u = rng.random_sample(len(x1))

    def spread(room: np.ndarray) -> np.ndarray:
        beta = 1.0 + 2.0 * np.maximum(room, 0.0) / gap
        alpha = 2.0 - beta ** (-(eta + 1.0))
        inside = u <= 1.0 / alpha
        q = np.where(inside, u * alpha, 1.0 / np.maximum(2.0 - u * alpha, 1e-12))
        return q ** (1.0 / (eta + 1.0))

    c1 = 0.5 * (low + high - spread(low - lo) * gap)
    c2 = 0.5 * (low + high + spread(hi - high) * gap)
    same = np.abs(x1 - x2) < 1e-14
    return np.where(same, x1, c1), np.where(same, x2, c2)


def _one_of_two(children: tuple[np.ndarray, np.ndarray], parents: tuple[np.ndarray, np.ndarray],
                uniform_crossover_prob: float, use_child_gene_prob: float,
                rng: np.random.RandomState) -> np.ndarray:
    """One child from two children and two parents: per gene a child's (or a parent's) pair, maybe swapped."""
    d = len(children[0])
    use_child = rng.random_sample(d) < use_child_gene_prob
    swap = rng.random_sample(d) < uniform_crossover_prob
    first = np.where(use_child, children[0], parents[0])
    second = np.where(use_child, children[1], parents[1])
    a, b = np.where(swap, second, first), np.where(swap, first, second)
    return a if rng.random_sample() < 0.5 else b


class SBXCrossover(BaseCrossover):
    """Simulated binary crossover; ``eta`` (default 2 for one objective, 20 for several) narrows the spread.

    SBX makes two children; one is returned, built gene by gene: the
    children's genes with probability ``use_child_gene_prob`` (else the
    parents'), the pair swapped with probability ``uniform_crossover_prob``.
    """

    n_parents = 2

    def __init__(self, eta: float | None = None, uniform_crossover_prob: float = 0.5,
                 use_child_gene_prob: float = 0.5) -> None:
        _check("SBXCrossover", "eta", eta, 0.0, optional=True)
        _check("SBXCrossover", "uniform_crossover_prob", uniform_crossover_prob, 0.0, 1.0)
        _check("SBXCrossover", "use_child_gene_prob", use_child_gene_prob, 0.0, 1.0, open_low=True)
        self._eta = None if eta is None else float(eta)
        self._uniform_crossover_prob = float(uniform_crossover_prob)
        self._use_child_gene_prob = float(use_child_gene_prob)

    def crossover(self, parents_params: np.ndarray, rng: np.random.RandomState, study: Any,
                  search_space_bounds: np.ndarray) -> np.ndarray:
        x1, x2 = parents_params[0], parents_params[1]
        children = _sbx_pair(x1, x2, _eta(self._eta, study), np.asarray(search_space_bounds, float), rng)
        # _sbx_pair orders the children by the smaller and larger parent gene: pair them back with x1, x2
        first_is_low = x1 <= x2
        c_for_1 = np.where(first_is_low, children[0], children[1])
        c_for_2 = np.where(first_is_low, children[1], children[0])
        return _one_of_two((c_for_1, c_for_2), (x1, x2), self._uniform_crossover_prob,
                           self._use_child_gene_prob, rng)


class VSBXCrossover(SBXCrossover):
    """vSBX (Ballester & Carter 2003): SBX whose children may land anywhere, between or beyond the parents.

    Each child mixes the two parents with spread factors drawn for both sides
    (no region is excluded); children outside the bounds are drawn again.
    """

    def crossover(self, parents_params: np.ndarray, rng: np.random.RandomState, study: Any,
                  search_space_bounds: np.ndarray) -> np.ndarray:
        eta = _eta(self._eta, study)
        x1, x2 = parents_params[0], parents_params[1]
        u = np.clip(rng.random_sample(len(x1)), 1e-10, 1 - 1e-10)
        b1 = (1.0 / (2.0 * u)) ** (1.0 / (eta + 1.0))
        b2 = (1.0 / (2.0 * (1.0 - u))) ** (1.0 / (eta + 1.0))
        if rng.random_sample() <= 0.5:
            c1 = 0.5 * ((1 + b1) * x1 + (1 - b2) * x2)
        else:
            c1 = 0.5 * ((1 - b1) * x1 + (1 + b2) * x2)
        if rng.random_sample() <= 0.5:
            c2 = 0.5 * ((3 - b1) * x1 - (1 - b2) * x2)
        else:
            c2 = 0.5 * (-(1 - b1) * x1 + (3 - b2) * x2)
        return _one_of_two((c1, c2), (x1, x2), self._uniform_crossover_prob, self._use_child_gene_prob, rng)


class SPXCrossover(BaseCrossover):
    """Simplex crossover (Tsutsui, Yamamura & Higuchi 1999) over three parents.

    The parents' simplex is enlarged about its centre by ``epsilon`` (default
    sqrt(number of parameters + 2)), and the child is drawn uniformly inside it.
    """

    n_parents = 3

    def __init__(self, epsilon: float | None = None) -> None:
        _check("SPXCrossover", "epsilon", epsilon, 0.0, optional=True)
        self._epsilon = None if epsilon is None else float(epsilon)

    def crossover(self, parents_params: np.ndarray, rng: np.random.RandomState, study: Any,
                  search_space_bounds: np.ndarray) -> np.ndarray:
        n = len(parents_params)
        epsilon = math.sqrt(parents_params.shape[1] + 2) if self._epsilon is None else self._epsilon
        centre = parents_params.mean(axis=0)
        vertices = centre + epsilon * (parents_params - centre)
        offset = np.zeros(parents_params.shape[1])
        for k in range(1, n):
            r = rng.random_sample() ** (1.0 / k)
            offset = r * (vertices[k - 1] - vertices[k] + offset)
        return vertices[-1] + offset


class UNDXCrossover(BaseCrossover):
    """Unimodal normal distribution crossover (Ono & Kobayashi 1997) over three parents.

    The child is normal about the first two parents' midpoint: along the line
    joining them with spread ``sigma_xi`` (times their distance), across it
    with ``sigma_eta`` (default 0.35 / sqrt(number of parameters)) times the
    third parent's distance from that line.
    """

    n_parents = 3

    def __init__(self, sigma_xi: float = 0.5, sigma_eta: float | None = None) -> None:
        _check("UNDXCrossover", "sigma_xi", sigma_xi, 0.0)
        _check("UNDXCrossover", "sigma_eta", sigma_eta, 0.0, optional=True)
        self._sigma_xi = float(sigma_xi)
        self._sigma_eta = None if sigma_eta is None else float(sigma_eta)

    def crossover(self, parents_params: np.ndarray, rng: np.random.RandomState, study: Any,
                  search_space_bounds: np.ndarray) -> np.ndarray:
        x1, x2, x3 = parents_params[0], parents_params[1], parents_params[2]
        n = len(x1)
        middle, direction = (x1 + x2) / 2.0, x2 - x1
        child = middle + rng.normal(0.0, self._sigma_xi) * direction
        if n == 1:
            return child
        sigma_eta = 0.35 / math.sqrt(n) if self._sigma_eta is None else self._sigma_eta
        length = float(np.linalg.norm(direction))
        unit = direction / length if length > 1e-12 else np.zeros(n)
        to_third = x3 - x1
        distance = float(np.linalg.norm(to_third - (to_third @ unit) * unit))
        # an orthonormal basis of the directions orthogonal to the parents' line
        basis = np.linalg.qr(np.column_stack([unit, np.eye(n)]))[0][:, 1:n] if length > 1e-12 else np.eye(n)
        etas = rng.normal(0.0, sigma_eta, size=basis.shape[1])
        return child + distance * (basis @ etas)


class BaseMutation(abc.ABC):
    """Changes one numeric parameter (on the unit scale) of a child."""

    def __str__(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        args = ", ".join(f"{k.lstrip('_')}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"

    @abc.abstractmethod
    def mutation(self, param: float, rng: np.random.RandomState, study: Any, search_space_bounds: np.ndarray) -> float:
        """The mutated value of ``param``, inside ``search_space_bounds`` (low, high)."""


class PolynomialMutation(BaseMutation):
    """Polynomial mutation (Deb & Goyal 1996): a step whose size follows a polynomial law of index ``eta``.

    The step is scaled to the distance to each bound, so the result stays inside;
    a larger ``eta`` keeps it closer to the parent.
    """

    def __init__(self, eta: float = 20.0) -> None:
        _check("PolynomialMutation", "eta", eta, 0.0)
        self._eta = float(eta)

    def mutation(self, param: float, rng: np.random.RandomState, study: Any, search_space_bounds: np.ndarray) -> float:
        low, high = (float(b) for b in np.asarray(search_space_bounds, float).reshape(2))
        width = high - low
        if width <= 0:
            return low
        power = self._eta + 1.0
        u = rng.random_sample()
        if u < 0.5:
            room = 1.0 - (param - low) / width
            step = (2 * u + (1 - 2 * u) * room ** power) ** (1 / power) - 1.0
        else:
            room = 1.0 - (high - param) / width
            step = 1.0 - (2 * (1 - u) + 2 * (u - 0.5) * room ** power) ** (1 / power)
        return float(min(high, max(low, param + step * width)))


def is_crossover(obj: Any) -> bool:
    """An operator object: a BaseCrossover, or any object with ``n_parents`` and ``crossover`` (Optuna's own)."""
    return isinstance(obj, BaseCrossover) or (
        isinstance(getattr(obj, "n_parents", None), int) and callable(getattr(obj, "crossover", None)))


def is_mutation(obj: Any) -> bool:
    return isinstance(obj, BaseMutation) or callable(getattr(obj, "mutation", None))


def crossover_in_bounds(operator: Any, parents: np.ndarray, rng: np.random.RandomState, study: Any) -> np.ndarray:
    """The operator's child of ``parents`` (unit scale), drawn again while outside [0, 1], clipped at last."""
    bounds = np.tile([0.0, 1.0], (parents.shape[1], 1))
    child = np.asarray(operator.crossover(parents, rng, study, bounds), dtype=float)
    for _ in range(MAX_REDRAWS):
        if np.all((child >= 0.0) & (child <= 1.0)):
            return child
        child = np.asarray(operator.crossover(parents, rng, study, bounds), dtype=float)
    child = np.where(np.isfinite(child), child, parents[0])  # a user's operator may return NaN or inf
    return np.clip(child, 0.0, 1.0)
