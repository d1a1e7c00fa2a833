"""A study run on a real local Ray cluster through optimize(executor=RayExecutor())."""

from __future__ import annotations

import os

import pytest

import tunelab
from executor_helpers import objective, require
from tunelab.integration.ray import RayExecutor
from tunelab.trial import TrialState

ray = require("ray", "ray")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join([os.path.dirname(__file__),
                                                                      os.environ.get("PYTHONPATH", "")])}})
    yield
    ray.shutdown()


def test_ray_workers_share_one_study(local_ray, sqlite_url, unique_name):
    study = tunelab.create_study(name=unique_name, storage=sqlite_url, seed=0, sampler="tpe")
    study.enqueue_trial({"x": 1.0})
    executor = RayExecutor(num_cpus=1)
    study.optimize(objective, n_trials=10, n_jobs=2, executor=executor)
    assert len(executor._remotes) == 1  # both workers' submits reuse one remote function
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(10))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert os.getpid() not in {t.user_attrs["pid"] for t in trials}  # ran in Ray's worker processes
    assert study.best_value == 0.0 and study.best_params == {"x": 1.0}


def exploding(trial: tunelab.Trial) -> float:
    trial.suggest_float("x", 0, 1)
    raise ValueError("boom in a Ray worker")


def test_an_error_in_a_ray_worker_reaches_the_caller_and_the_trial_is_failed(local_ray, sqlite_url, unique_name):
    study = tunelab.create_study(name=unique_name, storage=sqlite_url, seed=0)
    with pytest.raises(Exception, match="boom in a Ray worker"):
        study.optimize(exploding, n_trials=1, n_jobs=1, executor=RayExecutor(), catch=())
    assert [t.state for t in study.trials] == [TrialState.FAIL]
