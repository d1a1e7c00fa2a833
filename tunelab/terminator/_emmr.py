"""EMMR: an upper bound on how much the expected minimum simple regret changed with the latest trial.

After Ishibashi et al., "A stopping criterion for Bayesian optimization by the gap
of expected minimum simple regrets" (AISTATS 2023).  Two GPs are fitted: one to
the complete trials but the latest (t-1), one to all of them (t).  The bound adds

- the expected positive part of the change of the posterior mean at the best
  point (best-before under the t-1 model against best-now under the t model,
  with the t model's joint variance of the two points), and
- the t-1 regret bound times the square root of half the KL divergence between
  the two posteriors, which depends only on the latest point's prediction.

It shrinks towards zero as new trials stop changing the model's view of the
best; :class:`~tunelab.terminator.MedianErrorEvaluator` turns it into a stop
rule relative to its early values.  Values are in standardised units.
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np

from tunelab._validation import Interval, validate
from tunelab.terminator._improvement import BaseImprovementEvaluator
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

#: What ``evaluate`` returns while it cannot judge yet: large, so no error evaluator stops the study.
NOT_YET = sys.float_info.max * 0.1


def _positive_part_mean(mean: float, std: float) -> float:
    """E[max(0, N(mean, std^2))]."""
    from scipy.stats import norm

    a = mean / std
    return std * (a * float(norm.cdf(a)) + float(norm.pdf(a)))


class EMMREvaluator(BaseImprovementEvaluator):
    """The expected-minimum-model-regret bound of the latest step (see the module docstring).

    ``deterministic_objective`` fixes the GP's noise at a tiny value; ``delta``
    is the confidence parameter of the regret bound; until ``min_n_trials``
    trials are complete the evaluator returns a huge value (never stop).
    Called after every trial (as by a callback), the t-1 fit starts from the
    previous call's t fit, which saves most of a fit; the result can then differ
    a little from a fresh evaluator's (another optimum of the same posterior).
    """

    def __init__(self, deterministic_objective: bool = False, delta: float = 0.1, min_n_trials: int = 2,
                 seed: int | None = None) -> None:
        validate({"deterministic_objective": [bool],
                  "delta": [Interval(float, 0.0, 1.0, closed="neither")],
                  "min_n_trials": [Interval(int, 2, None)],
                  "seed": [Interval(int, 0, None), None]},
                 {"deterministic_objective": deterministic_objective, "delta": delta,
                  "min_n_trials": min_n_trials, "seed": seed}, "EMMREvaluator")
        self._deterministic = deterministic_objective
        self._delta = float(delta)
        self.min_n_trials = int(min_n_trials)
        self._rng = np.random.default_rng(seed)
        self._last_fit: tuple[tuple, object] | None = None  # (the trials, the hyperparameters fitted to them)

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        from tunelab.samplers.gp_model import GPModel
        from tunelab.analysis.terminator import ucb_beta
        from tunelab.terminator._surrogate import encode_trials, fit_gp, posterior_cov, regret_bound, standardise

        trials = sorted((t for t in trials if t.state == TrialState.COMPLETE), key=lambda t: t.number)
        if len(trials) < self.min_n_trials:
            return NOT_YET
        enc = encode_trials(trials, study_direction)
        if not enc.names:
            warnings.warn("EMMREvaluator: the complete trials share no parameter that varies, so the study "
                          "will never be stopped by this evaluator", stacklevel=2)
            return NOT_YET
        X, (z, _, _) = enc.X, standardise(enc.loss)
        # called after every trial (the usual case), the t-1 fit starts where the last call's t fit ended
        seen = tuple((t.number, float(t.value)) for t in trials)
        warm = self._last_fit[1] if self._last_fit is not None and self._last_fit[0] == seen[:-1] else None
        before = fit_gp(X[:-1], z[:-1], enc.is_cat, start=warm, deterministic=self._deterministic)
        now = fit_gp(X, z, enc.is_cat, start=before.params, deterministic=self._deterministic)
        self._last_fit = (seen, now.params)

        i_now, i_before = int(np.argmin(z)), int(np.argmin(z[:-1]))
        m_now, v_now = (float(a[0]) for a in now.predict(X[i_now]))
        m_before, _ = (float(a[0]) for a in before.predict(X[i_before]))
        _, v_before_now = (float(a[0]) for a in now.predict(X[i_before]))
        cov = v_now if i_now == i_before else posterior_cov(now, X[i_now], X[i_before])
        spread = math.sqrt(max(1e-10, v_now - 2.0 * cov + v_before_now))
        # in losses: how much the model's best got worse (positive) or better (negative) with the latest trial
        mean_shift = _positive_part_mean(m_now - m_before, spread)

        # the latest point as predicted, under the t model's hyperparameters, from the first t-1 trials
        noise = now.params.noise
        m_last, v_last = (float(a[0]) for a in GPModel(X[:-1], z[:-1], now.params, enc.is_cat).predict(X[-1]))
        kl = 0.5 * (math.log1p(v_last / noise) - v_last / (v_last + noise)
                    + v_last * (z[-1] - m_last) ** 2 / (v_last + noise) ** 2)
        kappa = regret_bound(before, enc.space, enc.names, X[:-1], ucb_beta(X.shape[1], len(X) - 1, self._delta),
                             self._rng)
        return min(sys.float_info.max * 0.5, mean_shift + kappa * math.sqrt(0.5 * max(kl, 0.0)))
