"""gp_model.neg_log_posterior when LAPACK's dpotri cannot invert the Cholesky factor."""

from __future__ import annotations

import numpy as np
from scipy import linalg

from tunelab.samplers import gp_model


def _problem():
    rng = np.random.default_rng(0)
    X = rng.random((6, 2))
    y = rng.standard_normal(6)
    S = gp_model.sq_diffs(X, X, np.zeros(2, dtype=bool))
    theta = gp_model.default_params(2).to_theta()
    return theta, S, y


def test_a_failed_inverse_gives_the_sentinel_not_a_garbage_gradient(monkeypatch):
    theta, S, y = _problem()
    value, grad = gp_model.neg_log_posterior(theta, S, y)
    assert np.isfinite(value) and value < 1e10 and np.any(grad != 0)
    real = linalg.lapack.dpotri

    def singular(L, lower=1):
        inverse, _ = real(L, lower=lower)
        return np.full_like(inverse, np.nan), 2  # info > 0: a zero on the factor's diagonal

    monkeypatch.setattr(linalg.lapack, "dpotri", singular)
    value, grad = gp_model.neg_log_posterior(theta, S, y)
    assert value == 1e10 and np.all(grad == 0)  # as when the Cholesky factorisation itself fails
