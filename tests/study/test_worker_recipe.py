"""Every way of running trials follows one worker recipe: the same stop signal, constraints and callbacks."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

import tunelab
from executor_helpers import STOP_AT, quick, require, stop_after_five, x_at_most_one

N_TRIALS = 60


def _run(mode: str, sqlite_url: str, name: str) -> tunelab.Study:
    storage = None if mode in ("this thread", "threads") else sqlite_url
    study = tunelab.create_study(name=name, storage=storage, sampler="random", seed=0)
    kwargs = {"n_trials": N_TRIALS, "callbacks": [stop_after_five]}
    if mode == "this thread":
        study.optimize(quick, n_jobs=1, **kwargs)
    elif mode in ("threads", "processes"):
        study.optimize(quick, n_jobs=2, **kwargs)
    else:
        pool = ThreadPoolExecutor if mode == "thread pool" else ProcessPoolExecutor
        with pool(max_workers=2) as executor:
            study.optimize(quick, n_jobs=2, executor=executor, **kwargs)
    return study


@pytest.mark.parametrize("mode", ["this thread", "threads", "processes", "thread pool", "process pool"])
def test_a_callbacks_stop_stops_every_worker(mode, sqlite_url, unique_name):
    study = _run(mode, sqlite_url, unique_name)
    n = len(study.trials)
    # trials 0..STOP_AT ran; each other worker finishes the trial it is running, then starts no new one
    assert STOP_AT + 1 <= n <= STOP_AT + 1 + 2 * 2, f"{mode}: {n} of {N_TRIALS} trials ran after a stop at {STOP_AT}"
    assert all(t.state.is_finished() for t in study.trials)


def test_a_callbacks_stop_stops_dask_workers(sqlite_url, unique_name):
    require("distributed", "dask")
    from distributed import Client, LocalCluster

    study = tunelab.create_study(name=unique_name, storage=sqlite_url, sampler="random", seed=0)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        study.optimize(quick, n_trials=N_TRIALS, n_jobs=2, executor=client, callbacks=[stop_after_five])
    assert STOP_AT + 1 <= len(study.trials) <= STOP_AT + 1 + 4


def test_a_stop_from_an_earlier_optimize_call_does_not_stop_the_next(sqlite_url, unique_name):
    study = _run("processes", sqlite_url, unique_name)
    before = len(study.trials)
    study.optimize(quick, n_trials=3, n_jobs=2)
    assert len(study.trials) == before + 3


@pytest.mark.parametrize("pool", [ThreadPoolExecutor, ProcessPoolExecutor])
def test_constraints_reach_executor_workers(pool, sqlite_url, unique_name):
    study = tunelab.create_study(name=unique_name, storage=sqlite_url, sampler="random", seed=0,
                                 constraints=x_at_most_one)
    with pool(max_workers=2) as executor:
        study.optimize(quick, n_trials=6, n_jobs=2, executor=executor)
    trials = study.get_trials(states=["complete"])
    assert len(trials) == 6
    assert all(t.system_attrs["constraints"] == [pytest.approx(t.params["x"] - 1.0)] for t in trials)


def test_executor_workers_get_distinct_seed_streams(sqlite_url, unique_name):
    study = tunelab.create_study(name=unique_name, storage=sqlite_url, sampler="random", seed=3)
    with ThreadPoolExecutor(max_workers=2) as executor:
        study.optimize(quick, n_trials=8, n_jobs=2, executor=executor)
    xs = [t.params["x"] for t in study.trials]
    assert len(set(xs)) == 8  # two workers on one seed would propose each value twice


def test_an_executor_worker_sweeps_stale_trials_once_when_it_opens_the_study(sqlite_url, unique_name, monkeypatch):
    """Opening its study sweeps; the worker loop's own sweep waits for the next interval (half the grace)."""
    from tunelab.storage.sql import SQLStorage

    study = tunelab.create_study(name=unique_name, storage=sqlite_url, sampler="random", seed=0)
    sweeps = []
    real = SQLStorage.fail_stale_trials
    monkeypatch.setattr(SQLStorage, "fail_stale_trials", lambda self, *a: sweeps.append(a) or real(self, *a))
    with ThreadPoolExecutor(max_workers=2) as executor:
        study.optimize(quick, n_trials=6, n_jobs=2, executor=executor)
    assert len(study.trials) == 6
    assert len(sweeps) == 2  # one per worker, when it opened the study
