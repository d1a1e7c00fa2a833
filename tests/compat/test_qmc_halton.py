"""QMCSampler(qmc_type="halton"): trial n takes point n of scipy's Halton sequence, scrambled or not."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import qmc

import tunelab

N = 24


def _points(sampler, n_trials: int = N) -> np.ndarray:
    study = tunelab.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0) + t.suggest_float("y", -2.0, 2.0), n_trials=n_trials)
    return np.array([[t.params["x"], (t.params["y"] + 2.0) / 4.0] for t in study.trials])


@pytest.mark.parametrize("scramble, seed", [(True, 3), (True, 11), (False, None)])
def test_halton_points_are_scipys(scramble, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # halton is honoured now: no warning
        sampler = tunelab.samplers.QMCSampler(qmc_type="halton", scramble=scramble, seed=seed)
    ours = _points(sampler)
    expected = qmc.Halton(2, scramble=scramble, seed=seed).random(N)
    # trial 0 fixes the space (it is drawn at random); trials 1.. take points 1.. (names in sorted order)
    assert np.allclose(ours[1:], expected[1:], atol=1e-12)


def test_halton_with_a_declared_space_starts_at_point_zero():
    space = {"x": tunelab.Float(0.0, 1.0), "y": tunelab.Float(-2.0, 2.0)}
    ours = _points(tunelab.samplers.QMCSampler(qmc_type="halton", seed=5, space=space), 8)
    assert np.allclose(ours, qmc.Halton(2, scramble=True, seed=5).random(8), atol=1e-12)


def test_sobol_stays_the_default_and_differs_from_halton():
    sobol = _points(tunelab.samplers.QMCSampler(seed=3), 8)
    assert np.allclose(sobol[1:], qmc.Sobol(2, scramble=True, seed=3).random(8)[1:], atol=1e-12)
    assert not np.allclose(sobol[1:], _points(tunelab.samplers.QMCSampler(qmc_type="halton", seed=3), 8)[1:])


def test_halton_repeats_under_a_seed_across_workers():
    """Trial n takes point n whichever worker asks: two threads together cover the same points as one."""
    space = {"x": tunelab.Float(0.0, 1.0), "y": tunelab.Float(-2.0, 2.0)}
    study = tunelab.create_study(sampler=tunelab.samplers.QMCSampler(qmc_type="halton", seed=2, space=space))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0) + t.suggest_float("y", -2.0, 2.0), n_trials=16, n_jobs=2)
    got = sorted((round(t.params["x"], 12), t.number) for t in study.trials)
    expected = qmc.Halton(2, scramble=True, seed=2).random(16)
    assert all(abs(x - expected[n, 0]) < 1e-9 for x, n in got)


def test_unknown_qmc_type_is_named():
    with pytest.raises(ValueError, match="'qmc_type' must be one of 'sobol', 'halton'; got 'faure'"):
        tunelab.samplers.QMCSampler(qmc_type="faure")
