"""Keep going?: the regret bound against the noise, with a verdict in words."""

from __future__ import annotations

import math

import numpy as np
from analysis_helpers import from_matrix

from tunelab.analysis import keep_going, keep_going_history


def _bowl(n, seed=0, noise=0.0, spread=1.0):
    rng = np.random.default_rng(seed)
    X = 0.5 + spread * (rng.random((n, 2)) - 0.5)
    y = ((X - 0.5) ** 2).sum(axis=1) + rng.normal(0, noise, n)
    return from_matrix(X, y)


def test_too_early():
    kg = keep_going(_bowl(5))
    assert not kg.should_stop and math.isnan(kg.regret_bound)
    assert kg.verdict.startswith("Too early")


def test_a_well_explored_noisy_bowl_says_stop_and_a_barely_started_one_says_go():
    # 120 trials near the optimum, where differences are within the noise (std 0.1)
    done = keep_going(_bowl(120, noise=0.1, spread=0.3))
    assert done.should_stop, done.verdict
    assert done.error_source == "gp" and done.regret_bound <= done.error
    assert done.verdict.startswith("Probably done")
    early = keep_going(_bowl(25, seed=3))
    assert not early.should_stop, early.verdict
    assert early.verdict.startswith("Keep going") and early.regret_bound > early.error


def test_deterministic_and_history():
    study = _bowl(60)
    assert keep_going(study) == keep_going(study)
    hist = keep_going_history(study, n_points=3)
    assert [p.n_trials for p in hist.points] == [20, 40, 60]
    assert hist.points[-1] == keep_going(study)
