import numpy as np
import pytest

import tunelab
from tunelab.samplers.grid import GridSampler
from tunelab.samplers.qmc import QMCSampler
from tunelab import TrialState


def ridge_like(trial):
    alpha = trial.suggest_float("alpha", 1e-4, 1e4, log=True)
    fit_intercept = trial.suggest_categorical("fit_intercept", [True, False])
    return (np.log10(alpha) - 1) ** 2 + (0 if fit_intercept else 1)


def test_grid_runs_every_point_once_then_stops():
    grid = {"alpha": np.logspace(-4, 4, 9), "fit_intercept": [True, False]}
    study = tunelab.create_study(sampler=GridSampler(grid))
    study.optimize(ridge_like, n_trials=1000)
    seen = [(round(t.params["alpha"], 10), t.params["fit_intercept"]) for t in study.trials]
    assert len(seen) == 18 and len(set(seen)) == 18
    assert study.best_params["fit_intercept"] is True
    assert study.best_params["alpha"] == pytest.approx(10.0)
    with pytest.raises(tunelab.SearchExhausted):
        study.ask()


def test_grid_with_threads_never_repeats_a_point():
    study = tunelab.create_study(sampler=GridSampler({"x": list(range(30))}))
    study.optimize(lambda t: t.suggest_int("x", 0, 29), n_jobs=4)
    assert sorted(t.params["x"] for t in study.trials) == list(range(30))


def test_grid_with_processes_on_sqlite_never_repeats_a_point(sqlite_url):
    study = tunelab.create_study(storage=sqlite_url, sampler=GridSampler({"x": list(range(24))}))
    study.optimize(lambda t: t.suggest_int("x", 0, 29), n_jobs=3)
    xs = sorted(t.params["x"] for t in study.trials)
    assert xs == list(range(24))


def test_grid_from_a_declarative_space_and_errors():
    space = tunelab.SearchSpace.from_mapping({"k": ["a", "b"], "n": tunelab.Int(1, 3)})
    assert len(GridSampler(space)) == 6
    with pytest.raises(ValueError, match="grid entry 'x' must be a non-empty list"):
        GridSampler({"x": []})
    study = tunelab.create_study(sampler="grid")
    with pytest.raises(ValueError, match="GridSampler needs a grid"):
        study.optimize(lambda t: t.suggest_int("x", 0, 1), n_trials=1)


def test_grid_value_outside_the_suggested_range_fails_that_trial_clearly():
    study = tunelab.create_study(sampler=GridSampler({"x": [0.5, 5.0]}))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), catch=(ValueError,))
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL]
    assert "fixed value 5.0 is outside" in study.trials[1].system_attrs["fail_reason"]


def test_qmc_is_seeded_and_spreads_points():
    def objective(trial):
        return trial.suggest_float("x", 0, 1) + trial.suggest_float("y", 0, 1)

    runs = []
    for _ in range(2):
        study = tunelab.create_study(sampler=QMCSampler(seed=7))
        study.optimize(objective, n_trials=33)
        runs.append([(t.params["x"], t.params["y"]) for t in study.trials])
    assert runs[0] == runs[1]
    # points 1..32 come from the Sobol sequence: every quarter of each axis gets 8 of them
    xs = np.array([p[0] for p in runs[0][1:]])
    assert np.bincount((xs * 4).astype(int), minlength=4).tolist() == [8, 8, 8, 8]


@pytest.mark.parametrize("seed", range(5))  # before, 1-3 of the 10 trials repeated a point on every seed
def test_qmc_on_a_small_discrete_space_runs_no_point_twice(seed):
    """12 points (an int of 4 values by 3 choices): 10 trials, 10 distinct points; 14 trials run all 12."""
    def objective(trial):
        return trial.suggest_int("a", 1, 4) + ["x", "y", "z"].index(trial.suggest_categorical("b", ["x", "y", "z"]))

    study = tunelab.create_study(sampler=QMCSampler(seed=seed))
    study.optimize(objective, n_trials=14)
    points = [(t.params["a"], t.params["b"]) for t in study.trials]
    assert len(set(points[:10])) == 10
    assert len(set(points)) == 12  # and when every point has run, the sequence's point is taken again


def test_qmc_with_a_declared_space_is_quasi_random_from_the_first_trial():
    space = {"lr": tunelab.Float(1e-5, 1e-1, log=True), "units": tunelab.Int(16, 256, log=True)}
    study = tunelab.create_study(sampler=QMCSampler(space, seed=0))
    study.optimize(lambda t: t.suggest(space)["lr"], n_trials=16)
    lrs = np.log10([t.params["lr"] for t in study.trials])
    assert np.bincount(((lrs + 5) // 1).astype(int), minlength=4).tolist() == [4, 4, 4, 4]
