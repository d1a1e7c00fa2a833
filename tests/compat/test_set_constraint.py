"""Optuna 5's named constraints: ``trial.set_constraint(key, value)`` and ``FrozenTrial.constraints``."""

from __future__ import annotations

import warnings

import pytest

optuna = pytest.importorskip("optuna")

import tunelab  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    y = trial.suggest_float("y", 0.0, 1.0)
    trial.set_constraint("x_small", x - 0.3)
    trial.set_constraint("y_small", y - 0.5)
    return -(x + y)


def test_best_trial_is_feasible_and_constraints_read_back_as_optunas():
    ours = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0))
    ours.optimize(objective, n_trials=60)
    theirs = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    theirs.optimize(objective, n_trials=60)
    for study in (ours, theirs):
        best = study.best_trial
        assert best.params["x"] <= 0.3 and best.params["y"] <= 0.5
        assert set(best.constraints) == {"x_small", "y_small"}
        assert best.constraints["x_small"] == pytest.approx(best.params["x"] - 0.3)
    feasible = [t for t in ours.trials if all(v <= 0 for v in t.constraints.values())]
    assert ours.best_value == min(t.value for t in feasible)


def test_a_constraint_is_set_once_and_checked():
    study = tunelab.create_study()
    trial = study.ask()
    trial.set_constraint("c", 1)
    with pytest.warns(UserWarning, match="constraint 'c' is set already"):
        trial.set_constraint("c", -1.0)
    with pytest.raises(ValueError, match="'value' of constraint 'd' is NaN"):
        trial.set_constraint("d", float("nan"))
    with pytest.raises(TypeError, match="'value' of constraint 'e' must be a number"):
        trial.set_constraint("e", "high")
    assert trial.constraints == {"c": 1.0}
    study.tell(trial, 0.0)
    assert study.trials[0].constraints == {"c": 1.0}
    assert study.trials[0].system_attrs["constraints"] == [1.0]


def test_nsga3_honours_set_constraint():
    def constrained(trial):
        x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(3)]
        trial.set_constraint("sum", x[0] + x[1] - 0.6)
        return x[0], x[1], 1 - x[0] * x[1] + x[2]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sampler = tunelab.samplers.NSGAIIISampler(seed=0, population_size=20)
    study = tunelab.create_study(directions=["minimize"] * 3, sampler=sampler)
    study.optimize(constrained, n_trials=160)
    late = study.trials[-60:]  # 18 % of random points are feasible
    assert sum(t.constraints["sum"] <= 0 for t in late) / len(late) > 0.5
    assert all(t.constraints["sum"] <= 0 for t in study.best_trials)
