"""Keep going? An upper bound on how much better the best can still get, against the noise.

In the spirit of Optuna's terminator (after Makarova et al., 2022): a Gaussian
process (scikit-learn's) is fitted to the better half of the complete trials;
the regret bound is the gap between the best upper confidence bound among the
trials tried (what we can count on) and the best lower confidence bound
anywhere in the space (what might still be found).  When that gap is smaller than
the noise of one evaluation (the spread over repeated seeds if trials stored
them, else the noise the GP estimated), more trials are unlikely to find a
better configuration that is better by more than chance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tunelab._validation import Interval, validate
from tunelab.analysis._data import Table, Target, build_table
from tunelab.analysis.importance import _SEED
from tunelab.trial import StudyDirection


@dataclass
class KeepGoing:
    """The estimate after ``n_trials`` complete trials, in the objective's units."""

    n_trials: int
    best_value: float
    regret_bound: float  # how much better the best may still get (upper bound, surrogate's view)
    error: float  # the noise of one evaluation
    error_source: str  # "repeats" or "gp"
    should_stop: bool
    verdict: str


@dataclass
class KeepGoingHistory:
    """The estimate after each of several trial counts (for a curve)."""

    points: list[KeepGoing] = field(default_factory=list)


_MAX_FIT = 200  # trials the GP is fitted on (the best ones)
_MAX_ARD = 10  # above this many parameters the GP shares one length scale (fitting 30+ scales takes minutes)


def ucb_beta(n_params: int, n_trials: int, delta: float = 0.1) -> float:
    """The squared confidence width of GP-UCB (Srinivas et al.), scaled down by 5 as Makarova et al. do."""
    return 2.0 * math.log(max(n_params, 1) * max(n_trials, 1) ** 2 * math.pi ** 2 / (6 * delta)) / 5.0


def _repeat_noise(table: Table) -> float | None:
    from tunelab.analysis.noise import pooled_std, value_stats

    stats = [value_stats(t) for t in table.trials]
    std, dof = pooled_std(stats)
    return std if dof > 0 else None


def _estimate(table: Table, min_n_trials: int, seed: int, repeats: bool = True) -> KeepGoing:
    """repeats: whether the trials' repeated seeds measure the noise (they measure the objective's, not a target's)."""
    import numpy as np

    n = len(table.trials)
    best = float(table.values[int(np.argmin(table.loss))]) if n else math.nan
    if n < min_n_trials or not table.columns:
        return KeepGoing(n, best, math.nan, math.nan, "none", False,
                         f"Too early to tell: {n} complete trial(s); the estimate needs at least {min_n_trials}.")
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    order = np.lexsort((np.arange(n), table.loss))
    keep = order[: min(_MAX_FIT, max(min_n_trials, n // 2))]
    X = table.matrix()[keep]
    X = np.where(np.isnan(X), -0.25, X)
    y = table.loss[keep]
    mu, sd = float(y.mean()), float(y.std()) or 1.0
    z = (y - mu) / sd
    d = X.shape[1]
    scales = np.full(d, 0.5) if d <= _MAX_ARD else 0.5  # one length scale per parameter, or one for all
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(scales, (5e-2, 1e2), nu=2.5) + \
        WhiteKernel(1e-2, (1e-6, 1.0))
    gp = GaussianProcessRegressor(kernel, normalize_y=False, random_state=seed, n_restarts_optimizer=0)
    import warnings

    from threadpoolctl import threadpool_limits

    # small matrices: BLAS threads only contend (seconds per Cholesky on a busy machine)
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        gp.fit(X, z)
    rng = np.random.default_rng(seed)
    tops = X[: min(10, len(X))]
    local = np.clip(np.repeat(tops, 32, axis=0) + rng.normal(0, 0.05, (len(tops) * 32, d)), 0, 1)
    candidates = np.vstack([X, rng.random((1024, d)), local])
    beta = ucb_beta(d, len(X))
    white = float(gp.kernel_.k2.noise_level)
    # sklearn's predictive std includes the fitted white noise; the bound is about the function, so it is removed
    m_obs, s_obs = gp.predict(X, return_std=True)
    m_all, s_all = gp.predict(candidates, return_std=True)
    s_obs = np.sqrt(np.maximum(s_obs ** 2 - white, 0.0))
    s_all = np.sqrt(np.maximum(s_all ** 2 - white, 0.0))
    # loss scale: the best guaranteed among the tried (min UCB) minus the best possible anywhere (min LCB)
    bound_z = float(np.min(m_obs + math.sqrt(beta) * s_obs) - np.min(m_all - math.sqrt(beta) * s_all))
    bound = max(0.0, bound_z * sd)
    noise = _repeat_noise(table) if repeats else None
    if noise is not None:
        error, source = noise, "repeats"
    else:
        error, source = math.sqrt(white) * sd, "gp"
    stop = bound <= error
    where = "the spread over repeated seeds" if source == "repeats" else "the noise the surrogate estimated"
    if stop:
        verdict = (f"Probably done: after {n} trials the surrogate bounds the remaining improvement at "
                   f"{bound:.3g}, within the noise ({error:.3g}, {where}).")
    else:
        verdict = (f"Keep going: after {n} trials the best ({best:.4g}) may still improve by up to {bound:.3g}, "
                   f"more than the noise ({error:.3g}, {where}).")
    return KeepGoing(n, best, bound, error, source, stop, verdict)


def keep_going(study: Any, *, target: Target | None = None, min_n_trials: int = 20, seed: int = _SEED,
               target_direction: str | StudyDirection | None = None) -> KeepGoing:
    """The regret bound and noise after all complete trials, with a plain-words verdict.

    target: a value to judge instead of the objective, in ``target_direction`` (see
    :func:`tunelab.analysis.get_param_importances`); its noise is the GP's estimate
    (repeated seeds measure the objective's noise only).
    """
    validate({"min_n_trials": [Interval(int, 2, None)]}, {"min_n_trials": min_n_trials}, "keep_going")
    table = build_table(study, None, target, what="keep_going", target_direction=target_direction)
    return _estimate(table, min_n_trials, seed, repeats=target is None)


def keep_going_history(study: Any, *, target: Target | None = None, min_n_trials: int = 20, n_points: int = 12,
                       seed: int = _SEED, target_direction: str | StudyDirection | None = None
                       ) -> KeepGoingHistory:
    """The estimate after the first k complete trials (by number), at ``n_points`` evenly spaced k."""
    validate({"min_n_trials": [Interval(int, 2, None)], "n_points": [Interval(int, 1, 200)]},
             {"min_n_trials": min_n_trials, "n_points": n_points}, "keep_going_history")
    import numpy as np

    table = build_table(study, None, target, what="keep_going_history", target_direction=target_direction)
    order = np.argsort([t.number for t in table.trials], kind="stable")
    table = table.subset(order)
    n = len(table.trials)
    if n < min_n_trials:
        return KeepGoingHistory([_estimate(table, min_n_trials, seed, repeats=target is None)])
    counts = sorted(set(int(round(c)) for c in np.linspace(min_n_trials, n, n_points)))
    return KeepGoingHistory([_estimate(table.subset(np.arange(k)), min_n_trials, seed, repeats=target is None)
                             for k in counts])
