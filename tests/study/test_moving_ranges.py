"""A parameter's range may change between trials (Optuna's rule): a range set by another parameter."""

from __future__ import annotations

import numpy as np
import pytest

import tunelab
from tunelab.space import FloatDistribution, IntDistribution


def conditional(trial) -> float:
    """``b``'s lower bound and ``c``'s upper bound come from ``a``: a range that moves with each trial."""
    a = trial.suggest_int("a", 1, 10)
    b = trial.suggest_int("b", a, 20)
    c = trial.suggest_float("c", 0.0, float(a))
    return (b - 12) ** 2 + (c - 0.5) ** 2 + a


@pytest.mark.parametrize("sampler", ["auto", "tpe", "gp", "cmaes", "random", "qmc", "nsga2"])
def test_every_sampler_runs_a_study_whose_ranges_move(sampler):
    study = tunelab.create_study(sampler=sampler, seed=0)
    study.optimize(conditional, n_trials=30)
    trials = study.trials
    assert [t.state.name for t in trials] == ["COMPLETE"] * 30
    for t in trials:  # each value inside the range its own trial asked for
        assert t.distributions["b"] == IntDistribution(t.params["a"], 20) and t.params["a"] <= t.params["b"] <= 20
        assert t.distributions["c"] == FloatDistribution(0.0, t.params["a"]) and 0 <= t.params["c"] <= t.params["a"]
    assert len({t.distributions["b"] for t in trials}) > 1


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "mysql"])
def test_moved_ranges_are_stored_per_trial_and_a_loaded_study_goes_on(backend, request, unique_name):
    url = request.getfixturevalue(f"{backend}_url")
    study = tunelab.create_study(study_name=unique_name, storage=url, sampler="tpe", seed=1)
    study.optimize(conditional, n_trials=12)
    loaded = tunelab.load_study(study_name=unique_name, storage=url, sampler="tpe")
    assert [t.distributions for t in loaded.trials] == [t.distributions for t in study.trials]
    loaded.optimize(conditional, n_trials=3)
    with pytest.raises(ValueError, match="'c' is suggested with .*: another log setting"):
        loaded.ask().suggest_float("c", 0.1, 1.0, log=True)
    tunelab.delete_study(study_name=unique_name, storage=url)


def test_analysis_spans_every_trials_range():
    """Importance and figures place each trial's value on one axis that covers all the ranges used."""
    from tunelab.analysis._data import _distribution_of

    study = tunelab.create_study(sampler="random", seed=3)
    study.optimize(conditional, n_trials=60)
    lows = [t.params["a"] for t in study.trials]
    assert _distribution_of(study.trials, "b") == IntDistribution(min(lows), 20)
    assert _distribution_of(study.trials, "c") == FloatDistribution(0.0, float(max(lows)))
    importances = tunelab.importance.get_param_importances(study, evaluator="fanova")
    assert set(importances) == {"a", "b", "c"} and min(importances.values()) > 0
    assert sum(importances.values()) == pytest.approx(1.0)
    fig = tunelab.visualization.plot_slice(study, params=["c"])
    assert np.isfinite(np.asarray(fig.data[0].x, dtype=float)).sum() == 60
