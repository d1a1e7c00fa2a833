"""Gaussian-process Bayesian optimisation: fit a GP to the finished trials, propose the point of highest log EI.

After ``n_startup_trials`` random trials, each ask:

1. takes the parameters every complete trial shares (the intersection space;
   the others are drawn at random, so define-by-run / conditional spaces work);
2. encodes them with the space's unit map (log and steps handled there;
   categoricals as choice indices) and warps the loss (the value, sign
   flipped for maximisation) with a bounded Yeo-Johnson power transform, then
   standardises it (see :func:`warp_losses`);
3. fits a Matern-5/2 ARD GP (:mod:`~tunelab.samplers.gp_model`), warm-started
   from the previous fit (past 50 trials a second start from the prior only
   once per 10 trials), refitting less often as the history grows, so an ask
   stays well under a second at 500 trials;
4. conditions the GP on the running trials (kriging believer: they are assumed to
   land on the posterior mean, so their neighbourhood loses its appeal and
   parallel workers spread out; or a constant liar);
5. maximises log expected improvement over the best observed loss
   (:mod:`~tunelab.samplers.acquisition`), within a trust region around the
   best trial while fewer than ``trust_region_until`` trials are complete
   (:mod:`~tunelab.samplers.trust_region`; off by default, on in ``auto``);
   the first ``first_region_trials`` proposals after the start search a region
   of half the usual side.  No trial's point (finished, failed or running)
   is proposed again while the space holds an untried one.

Failed trials are ignored; pruned trials are too (their last intermediate value
is not comparable with final values).  For several objectives each ask
scalarises them with random weights (ParEGO's augmented Chebyshev).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tunelab._validation import Interval, Options, validate
from tunelab.samplers._blas import single_thread_blas
from tunelab.samplers.acquisition import DEFAULT_FTOL, MixedBox, matches_a_row, optimize_log_ei
from tunelab.samplers.base import BaseSampler, SamplingContext, intersection_space
from tunelab.samplers.gp_model import GPModel, KernelParams, default_params, fit_params
from tunelab.samplers.trust_region import FIRST_LENGTH, region, side_length
from tunelab.space import CategoricalDistribution, Distribution
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

_DETERMINISTIC_NOISE = 1e-6
_COLD_SUBSET = 200  # a first fit on more points starts from a fit on this many
_COLD_ALWAYS, _COLD_EVERY = 50, 10  # refits start from the prior as well: always up to 50 points, then every 10
_WARP_POWER_BOUNDS = (0.5, 1.5)  # Yeo-Johnson powers allowed (1 = no warp)
_MAX_GRID = 1000  # ints / stepped floats with more values than this are optimised as real numbers
# From this many points the acquisition's polish stops at a relative gain of 1e-5 instead of scipy's 2.2e-9:
# about half the evaluations (6-D, 40 to 100 trials), for a proposal whose log EI is 7e-5 lower on
# average and 0.0018 at most (0.2% of EI). Below it asks are cheap and the default stays.
_LOOSE_POLISH_FROM, _LOOSE_POLISH_FTOL = 50, 1e-5

_CONSTRAINTS = {
    "seed": [Interval(int, 0, None), None],
    "n_startup_trials": [Interval(int, 1, None)],
    "deterministic_objective": [bool],
    "pending": [Options(["believer", "liar", "ignore"])],
    "n_candidates": [Interval(int, 16, None)],
    "trust_region_until": [Interval(int, 0, None)],
    "first_region_trials": [Interval(int, 0, None)],
}


class GPSampler(BaseSampler):
    """Bayesian optimisation with a hand-written GP (Matern-5/2 ARD) and log expected improvement.

    pending: how running trials are treated -- "believer" (fantasise the posterior
    mean there), "liar" (fantasise the worst value seen) or "ignore".
    trust_region_until: while fewer trials than this are complete, search only a
    trust region around the best trial (0 = never; ``auto`` uses 40 over floats only, else 30).
    first_region_trials: of those, the first this many proposals after the start use a
    region of side ``FIRST_LENGTH`` (0.25) instead of the replayed side (``auto``: 10
    over floats only, else 0).
    """

    def __init__(self, seed: int | None = None, n_startup_trials: int = 10, deterministic_objective: bool = False,
                 pending: str = "believer", n_candidates: int = 1024, trust_region_until: int = 0,
                 first_region_trials: int = 0):
        validate(_CONSTRAINTS, {"seed": seed, "n_startup_trials": n_startup_trials,
                                "deterministic_objective": deterministic_objective, "pending": pending,
                                "n_candidates": n_candidates, "trust_region_until": trust_region_until,
                                "first_region_trials": first_region_trials},
                 "GPSampler")
        super().__init__(seed)
        self.n_startup_trials = n_startup_trials
        self.deterministic_objective = deterministic_objective
        self.pending = pending
        self.n_candidates = n_candidates
        self.trust_region_until = trust_region_until
        self.first_region_trials = first_region_trials
        self._fit_key: tuple | None = None
        self._fit_params: KernelParams | None = None
        self._fit_n = 0
        self._rows_key: tuple | None = None
        self._rows: dict[tuple, tuple[dict[str, Any], list[float]]] = {}  # (trial_id, number) -> (params, row)
        self.last_model: GPModel | None = None  # the GP behind the last proposal, for inspection

    # ------------------------------------------------------------------ sampler contract
    def infer_relative_space(self, context: SamplingContext) -> dict[str, Distribution]:
        complete = context.finished([TrialState.COMPLETE])
        if len(complete) < self.n_startup_trials:
            return {}
        return dict(sorted(intersection_space(complete).items()))

    def sample_relative(self, context: SamplingContext, space: dict[str, Distribution]) -> dict[str, Any]:
        if not space:
            return {}
        with single_thread_blas():
            return self._propose(context, space)

    def _propose(self, context: SamplingContext, space: dict[str, Distribution]) -> dict[str, Any]:
        names = sorted(space)
        complete = [t for t in context.finished([TrialState.COMPLETE]) if all(n in t.params for n in names)]
        if len(complete) < 2:
            return {}
        X = np.array(self._encoded(complete, names, space))
        loss = self._losses(complete, context.directions)
        y = warp_losses(loss)
        is_cat = np.array([isinstance(space[n], CategoricalDistribution) for n in names])
        params = self._fit(X, y, is_cat, tuple((n, space[n]) for n in names))
        model = GPModel(X, y, params, is_cat)
        best = float(y.min())  # EI over the best observed loss: the posterior-mean minimum lost svc and tree
        running = [t for t in context.running() if all(n in t.params for n in names)]
        Xp = np.array([encode(t.params, names, space) for t in running]).reshape(len(running), len(names))
        model = self._with_pending(model, Xp, y)
        self.last_model = model
        # not proposed again while the box holds an untried point: complete, running, pruned and failed trials
        # (the model ignores the last two, so nothing else keeps it from re-running a failed configuration)
        ignored = [t for t in context.finished([TrialState.PRUNED, TrialState.FAIL])
                   if all(t.distributions.get(n) == space[n] for n in names)]
        tried = np.vstack([X, Xp, np.array([encode(t.params, names, space) for t in ignored]).reshape(-1, len(names))])
        order = np.argsort(y)[: min(5, len(y))]
        box = _box(names, space)
        n_cand = self.n_candidates if len(y) <= 200 else max(256, self.n_candidates // 2)
        maxiter = 100 if len(y) <= 200 else 50
        ftol = _LOOSE_POLISH_FTOL if len(y) >= _LOOSE_POLISH_FROM else DEFAULT_FTOL
        if len(y) < self.trust_region_until and len(context.directions) == 1:
            if len(y) < self.n_startup_trials + self.first_region_trials:
                length = FIRST_LENGTH  # refine the best start point first
            else:
                length = side_length(y, self.n_startup_trials, len(names))
            local = region(box, X[order[0]], params.lengthscales, length)
            x, _ = optimize_log_ei(model, local, best, X[order], self._rng, n_candidates=n_cand, maxiter=maxiter,
                                   ftol=ftol, tried=tried)
            if not repeats_a_trial(x, X, box):
                return decode(x, names, space)
            # the region has nothing new to offer (it would re-run a finished trial): search everywhere
        x, _ = optimize_log_ei(model, box, best, X[order], self._rng, n_candidates=n_cand, maxiter=maxiter,
                               ftol=ftol, tried=tried)
        return decode(x, names, space)

    # ------------------------------------------------------------------ pieces
    def _encoded(self, trials: list[FrozenTrial], names: list[str], space: dict[str, Distribution]) -> list[list[float]]:
        """:func:`encode` of each trial's params, kept per trial between asks (complete trials do not change);
        only the rows of this ask's trials are kept for the next."""
        key = tuple((n, space[n]) for n in names)
        if key != self._rows_key:
            self._rows_key, self._rows = key, {}
        rows, kept, out = self._rows, {}, []
        for t in trials:
            cached = rows.get((t.trial_id, t.number))
            if cached is None or cached[0] != t.params:
                cached = (dict(t.params), encode(t.params, names, space))
            kept[(t.trial_id, t.number)] = cached
            out.append(cached[1])
        self._rows = kept
        return out

    def _losses(self, trials: list[FrozenTrial], directions: list[StudyDirection]) -> np.ndarray:
        """One loss per trial: the signed value, or a random augmented-Chebyshev scalarisation (ParEGO)."""
        V = np.array([t.values for t in trials], dtype=float) * np.array([d.sign() for d in directions])
        if V.shape[1] == 1:
            return V[:, 0]
        span = V.max(axis=0) - V.min(axis=0)
        U = (V - V.min(axis=0)) / np.where(span > 0, span, 1.0)
        w = self._rng.dirichlet(np.ones(V.shape[1]))
        return (U * w).max(axis=1) + 0.05 * (U * w).sum(axis=1)

    def _fit(self, X: np.ndarray, y: np.ndarray, is_cat: np.ndarray, key: tuple) -> KernelParams:
        """Hyperparameters: a full fit the first time, warm-started refits after, fewer of them as n grows."""
        n, d = X.shape
        noise = _DETERMINISTIC_NOISE if self.deterministic_objective else None
        prior = default_params(d, noise)
        if self._fit_key != key or self._fit_params is None:
            if n > _COLD_SUBSET:  # first fit on a long history: fit a subset, then polish on all points
                pick = np.random.default_rng(n).choice(n, _COLD_SUBSET, replace=False)
                prior = fit_params(X[pick], y[pick], is_cat, [prior], noise, maxiter=200)
                params = fit_params(X, y, is_cat, [prior], noise, maxiter=25)
            else:
                params = fit_params(X, y, is_cat, [prior], noise, maxiter=200)
        elif n - self._fit_n < max(1, n // 40):
            return self._fit_params  # refit every ~2.5% growth once the history is long
        else:
            # the previous fit, and up to 100 points a start from the prior too (a way out of a local
            # optimum of the likelihood): at every refit on few points, once per _COLD_EVERY trials after
            cold = n <= _COLD_ALWAYS or n // _COLD_EVERY != self._fit_n // _COLD_EVERY
            starts = [self._fit_params] + ([prior] if n <= 100 and cold else [])
            params = fit_params(X, y, is_cat, starts, noise, maxiter=100 if n <= 200 else 25)
        self._fit_key, self._fit_params, self._fit_n = key, params, n
        return params

    def _with_pending(self, model: GPModel, Xp: np.ndarray, y: np.ndarray) -> GPModel:
        """The model conditioned on the running trials' rows ``Xp`` as ``pending`` says."""
        if self.pending == "ignore" or len(Xp) == 0:
            return model
        if self.pending == "believer":
            yp, _ = model.predict(Xp)
        else:
            yp = np.full(len(Xp), float(y.max()))
        return model.condition_on(Xp, yp)


# ------------------------------------------------------------------ helpers

# ------------------------------------------------------------------ encoding


def encode(params: dict[str, Any], names: list[str], space: dict[str, Distribution]) -> list[float]:
    """A row of the GP input: unit values for numbers, the choice index for categoricals."""
    row = []
    for n in names:
        dist = space[n]
        row.append(float(dist.index(params[n])) if isinstance(dist, CategoricalDistribution)
                   else dist.to_unit(params[n]))
    return row


def decode(x: np.ndarray, names: list[str], space: dict[str, Distribution]) -> dict[str, Any]:
    out = {}
    for n, u in zip(names, x):
        dist = space[n]
        out[n] = dist.choices[int(round(u))] if isinstance(dist, CategoricalDistribution) else dist.from_unit(u)
    return out


def _box(names: list[str], space: dict[str, Distribution]) -> MixedBox:
    is_cat, grids = [], []
    for n in names:
        dist = space[n]
        if isinstance(dist, CategoricalDistribution):
            is_cat.append(True)
            grids.append(list(range(len(dist.choices))))
            continue
        is_cat.append(False)
        discrete = dist.kind == "int" or getattr(dist, "step", None) is not None
        size = (dist.high - dist.low) / dist.step + 1 if discrete else math.inf
        grids.append(sorted(dist.to_unit(v) for v in dist.grid()) if size <= _MAX_GRID else None)
    return MixedBox(np.array(is_cat), grids)


def repeats_a_trial(x: np.ndarray, X: np.ndarray, box: MixedBox, tol: float = 1e-3) -> bool:
    """Whether ``x`` is (within ``tol`` on the unit scale, same choices) a row of ``X``."""
    return bool(matches_a_row(np.asarray(x)[None, :], X, box, tol)[0])


def _standardised(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - values.mean()) / (std if math.isfinite(std) and std > 0 else 1.0)


def _yeojohnson(z: np.ndarray, powers: np.ndarray) -> np.ndarray:
    """Yeo-Johnson transform of ``z`` for each power in ``powers`` (all in (0, 2)): shape (len(powers), len(z))."""
    lam = np.asarray(powers, dtype=float)[:, None]
    pos = z >= 0
    a = np.log1p(np.abs(z))[None, :]
    up = np.expm1(lam * a) / lam  # ((1 + z)^lam - 1) / lam for z >= 0
    down = -np.expm1((2.0 - lam) * a) / (2.0 - lam)  # -((1 - z)^(2 - lam) - 1) / (2 - lam) for z < 0
    return np.where(pos[None, :], up, down)


_WARP_GRID = np.linspace(*_WARP_POWER_BOUNDS, 41)


def _warp_power(z: np.ndarray) -> float:
    """The Yeo-Johnson power in the allowed bounds with the highest profile log-likelihood.

    The likelihood is evaluated on a grid of 41 powers at once and refined by a
    parabola through the best grid point and its neighbours: scipy's
    ``yeojohnson_normmax`` clipped to the bounds to within 0.01 (the likelihood
    is unimodal in the power), for a fraction of its cost.
    """
    t = _yeojohnson(z, _WARP_GRID)
    var = t.var(axis=1)
    jac = np.sum(np.sign(z) * np.log1p(np.abs(z)))
    llf = -0.5 * len(z) * np.log(np.maximum(var, 1e-300)) + (_WARP_GRID - 1.0) * jac
    i = int(np.argmax(llf))
    if 0 < i < len(_WARP_GRID) - 1:
        l0, l1, l2 = llf[i - 1], llf[i], llf[i + 1]
        denom = l0 - 2 * l1 + l2
        if denom < 0:
            h = _WARP_GRID[1] - _WARP_GRID[0]
            return float(np.clip(_WARP_GRID[i] + 0.5 * h * (l0 - l2) / denom, *_WARP_POWER_BOUNDS))
    return float(_WARP_GRID[i])


def warp_losses(loss: np.ndarray) -> np.ndarray:
    """The GP's targets: standardised losses after a Yeo-Johnson power transform.

    Losses are often heavy-tailed (a few diverged or useless configurations far
    above the rest); standardising alone squeezes the differences among the good
    points that the search is about.  The power is fitted by maximum likelihood
    and kept in [0.5, 1.5]: the unbounded fit also stretched the best points'
    tail so much that a run settled in a local basin (docs/auto.md).
    """
    z = _standardised(np.asarray(loss, dtype=float))
    if len(z) < 3 or not np.any(z):
        return z
    power = _warp_power(z)
    return _standardised(_yeojohnson(z, np.array([power]))[0])
