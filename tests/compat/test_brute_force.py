"""``BruteForceSampler`` visits each point of a discrete define-by-run space once, as Optuna's does."""

from __future__ import annotations

import optuna
import pytest

import tunelab
from tunelab.samplers import BruteForceSampler
from tunelab.trial import TrialState


def _conditional(trial) -> float:
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    if kind == "a":
        x = trial.suggest_int("x", 0, 2)
        y = trial.suggest_float("y", 0.0, 1.0, step=0.5)
        return x + y
    if kind == "b":
        return trial.suggest_int("z", 1, 5, step=2)
    return 0.0


def _points(study) -> list[tuple]:
    return sorted(tuple(sorted(t.params.items())) for t in study.trials)


def test_visits_the_same_points_as_optuna():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    theirs = optuna.create_study(sampler=optuna.samplers.BruteForceSampler(seed=0))
    theirs.optimize(_conditional, n_trials=100)
    mine = tunelab.create_study(sampler=BruteForceSampler(seed=0))
    mine.optimize(_conditional, n_trials=100)
    assert len(mine.trials) == 3 * 3 + 3 + 1 == len(theirs.trials)
    assert _points(mine) == _points(theirs)
    assert len(set(_points(mine))) == len(mine.trials)  # each point once
    assert all(t.state == TrialState.COMPLETE for t in mine.trials)


def test_stops_the_study_when_every_point_is_done_on_sqlite(sqlite_url):
    study = tunelab.create_study(storage=sqlite_url, sampler=BruteForceSampler(seed=3))
    study.optimize(lambda t: t.suggest_int("a", 0, 3) + t.suggest_categorical("b", [0, 10]), n_trials=50)
    assert sorted(t.value for t in study.trials) == sorted(a + b for a in range(4) for b in (0, 10))


def test_failed_trials_count_as_visited():
    def objective(trial):
        if trial.suggest_int("a", 0, 2) == 1:
            raise ValueError("boom")
        return 0.0

    study = tunelab.create_study(sampler=BruteForceSampler(seed=0))
    study.optimize(objective, n_trials=20, catch=(ValueError,))
    assert sorted(t.params["a"] for t in study.trials) == [0, 1, 2]


def test_continuous_float_is_refused_by_name():
    study = tunelab.create_study(sampler=BruteForceSampler())
    with pytest.raises(ValueError, match="'lr' is a float without 'step'"):
        study.optimize(lambda t: t.suggest_float("lr", 1e-3, 1.0, log=True), n_trials=1)
