"""Partial dependence and the ablation path on studies with a known shape."""

from __future__ import annotations

import math

import numpy as np
import pytest
from analysis_helpers import linear_study, mixed_study

from tunelab.analysis import ablation_path, partial_dependence


def test_partial_dependence_follows_the_slope():
    study = linear_study(n=400)
    pds = partial_dependence(study, top=2)
    assert [p.param for p in pds] == ["x0", "x1"]
    x0 = pds[0]
    assert len(x0.grid) == len(x0.mean) == 30
    assert x0.grid[0] == pytest.approx(0.0) and x0.grid[-1] == pytest.approx(1.0)
    # y = 10 x0 + ...: the dependence rises by most of 10 across the range
    assert x0.mean[-1] - x0.mean[0] > 7
    assert all(lo <= m + 1e-9 and m <= hi + 1e-9 for lo, m, hi in zip(x0.low, x0.mean, x0.high))
    assert pds[1].mean[-1] - pds[1].mean[0] == pytest.approx(3, abs=1.0)


def test_partial_dependence_log_and_categorical_grids():
    study = mixed_study(n=300)
    pds = {p.param: p for p in partial_dependence(study, ["lr", "optimizer", "layers"], n_points=9)}
    lr = pds["lr"]
    assert lr.log and lr.grid[0] == pytest.approx(1e-5) and lr.grid[-1] == pytest.approx(1e-1)
    ratios = np.diff(np.log10(lr.grid))
    assert np.allclose(ratios, ratios[0])  # evenly spaced on the log scale
    assert pds["optimizer"].grid == ["sgd", "adam"]
    assert pds["optimizer"].mean[0] > pds["optimizer"].mean[1]  # sgd is 0.5 worse
    assert pds["layers"].grid == [1, 2, 3, 4]
    best_lr = lr.grid[int(np.argmin(lr.mean))]
    assert 1e-4 <= best_lr <= 1e-2


def test_partial_dependence_unknown_param():
    with pytest.raises(ValueError, match="unknown or constant"):
        partial_dependence(linear_study(n=50), ["nope"])


def test_ablation_path_from_the_median_to_the_best():
    study = linear_study(n=500, weights=(10.0, 3.0, 0.0, 0.0))
    path = ablation_path(study)
    assert [s.param for s in path.steps][0] == "x0"
    assert sum(s.share for s in path.steps) == pytest.approx(1.0)
    assert path.steps[-1].predicted == pytest.approx(path.best_predicted)
    assert path.reference_predicted > path.best_predicted  # minimizing: the best predicts lower
    assert path.steps[0].share > 0.5
    best = min(study.trials, key=lambda t: t.values[0])
    assert path.best_params == best.params and path.best_value == best.values[0]
    values = sorted(t.values[0] for t in study.trials)
    assert path.reference_value == values[(len(values) - 1) // 2]


def test_ablation_path_from_a_given_reference():
    study = mixed_study(n=300)
    ref = {"lr": 1e-5, "optimizer": "sgd", "layers": 4, "momentum": 0.5}
    path = ablation_path(study, ref)
    assert path.reference_params == ref and path.reference_value is None
    assert path.steps[0].param == "lr"
    assert math.isclose(sum(s.gain for s in path.steps), path.reference_predicted - path.best_predicted,
                        rel_tol=1e-9, abs_tol=1e-9)
    with pytest.raises(ValueError, match="the trials do not have"):
        ablation_path(study, {"dropout": 0.1})
    with pytest.raises(ValueError, match=r"lacks parameter\(s\) \['layers'\]"):
        ablation_path(study, {"lr": 1e-5, "optimizer": "adam"})
    with pytest.raises(TypeError, match="reference"):
        ablation_path(study, 3)


def test_ablation_path_maximizing():
    study = linear_study(n=300, direction="maximize")
    path = ablation_path(study)
    assert path.best_predicted > path.reference_predicted
    assert path.steps[0].param == "x0" and path.steps[0].gain > 0
