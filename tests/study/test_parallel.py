"""Parallel paths: worker threads and processes keep the study's settings; executors (process pools) work."""

from __future__ import annotations

import copy
import pickle
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

import tunelab
from tunelab.samplers.auto import AutoSampler
from tunelab.storage.sql import SQLStorage
from tunelab.trial import TrialState


def quadratic(trial: tunelab.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    return (x - 1.0) ** 2


def record_storage_settings(trial: tunelab.Trial) -> float:
    storage = trial.study.storage
    trial.set_user_attr("heartbeat_interval", storage.heartbeat_interval)
    trial.set_user_attr("stale_after", storage.stale_after)
    return quadratic(trial)


@pytest.mark.parametrize("name", ["auto", "tpe", "gp", "cmaes", "nsga2", "random", "grid", "qmc"])
def test_every_sampler_copies_and_pickles_with_its_locks(name):
    """Worker threads deep-copy the sampler; process and cluster workers pickle it."""
    study = tunelab.create_study(sampler=name, seed=3)
    if name != "grid":  # the grid needs a declared space; its state before any trial is what is copied
        study.optimize(quadratic, n_trials=3)
    for clone in (copy.deepcopy(study.sampler), pickle.loads(pickle.dumps(study.sampler))):
        assert type(clone) is type(study.sampler)
        assert clone is not study.sampler


def test_auto_sampler_copy_gets_its_own_lock():
    sampler = AutoSampler(seed=0)
    clone = copy.deepcopy(sampler)
    assert clone._lock is not sampler._lock
    assert clone._lock.acquire(blocking=False)  # a fresh, unlocked RLock
    clone._lock.release()


def test_threads_with_default_auto_sampler_run_every_trial():
    study = tunelab.create_study(seed=0)
    study.optimize(quadratic, n_trials=24, n_jobs=3)
    trials = study.trials
    assert [t.number for t in trials] == list(range(24))
    assert all(t.state == TrialState.COMPLETE for t in trials)


def test_worker_processes_keep_the_storage_settings(sqlite_url, unique_name):
    storage = SQLStorage(sqlite_url, heartbeat_interval=None, stale_after=None)
    study = tunelab.create_study(name=unique_name, storage=storage, seed=1, sampler="random")
    study.optimize(record_storage_settings, n_trials=8, n_jobs=2)
    trials = study.trials
    assert len(trials) == 8
    assert {t.user_attrs["heartbeat_interval"] for t in trials} == {None}
    assert {t.user_attrs["stale_after"] for t in trials} == {None}


def test_process_pool_executor_runs_the_study(sqlite_url, unique_name):
    storage = SQLStorage(sqlite_url, heartbeat_interval=5.0, stale_after=60.0)
    study = tunelab.create_study(name=unique_name, storage=storage, seed=2, sampler="tpe")
    with ProcessPoolExecutor(max_workers=2) as pool:
        study.optimize(record_storage_settings, n_trials=10, n_jobs=2, executor=pool)
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(10))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert {t.user_attrs["heartbeat_interval"] for t in trials} == {5.0}
    assert study.best_value == min(t.value for t in trials)


def test_executor_refuses_in_memory_storage():
    study = tunelab.create_study()
    with ProcessPoolExecutor(max_workers=1) as pool, pytest.raises(ValueError, match="database storage"):
        study.optimize(quadratic, n_trials=2, executor=pool)


def curve(trial: tunelab.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    value = 0.0
    for epoch in range(1, 10):
        value = (x - 1.0) ** 2 + 1.0 / epoch
        trial.report(value, epoch)
        if trial.should_prune():
            raise tunelab.TrialPruned()
    return value


def test_threads_with_auto_and_asha_prune_and_complete():
    study = tunelab.create_study(seed=0, pruner="asha")
    study.optimize(curve, n_trials=30, n_jobs=2)
    states = [t.state for t in study.trials]
    assert len(states) == 30 and TrialState.RUNNING not in states
    assert TrialState.PRUNED in states and TrialState.COMPLETE in states
    assert all(t.intermediate_values for t in study.trials)


def test_the_in_memory_storage_cannot_be_reopened_in_a_worker_process():
    from tunelab.storage.memory import InMemoryStorage

    with pytest.raises(ValueError, match="InMemoryStorage lives in one process and cannot be reopened"):
        InMemoryStorage().reopen()


def test_the_storage_contract_declares_what_execution_reads(sqlite_url):
    from tunelab.storage.memory import InMemoryStorage

    memory = InMemoryStorage()
    assert (memory.shareable, memory.heartbeat_interval, memory.stale_after) == (False, None, None)
    file_db, memory_db = SQLStorage(sqlite_url, heartbeat_interval=3.0, stale_after=30.0), SQLStorage("sqlite://")
    assert (file_db.shareable, file_db.heartbeat_interval, file_db.stale_after) == (True, 3.0, 30.0)
    assert not memory_db.shareable  # an in-memory SQLite database: workers are threads
    assert not hasattr(file_db, "dispose")  # one way to release connections: close()
    file_db.close()
    assert file_db.get_study_id(tunelab.create_study(storage=file_db).study_name) >= 0  # usable after close


def test_reopen_keeps_the_sql_settings(sqlite_url):
    reopened = SQLStorage(sqlite_url, heartbeat_interval=3.0, stale_after=30.0).reopen()
    assert (reopened.heartbeat_interval, reopened.stale_after) == (3.0, 30.0)


def record_worker_process(trial: tunelab.Trial) -> float:
    import multiprocessing

    trial.set_user_attr("process", multiprocessing.current_process().name)
    return quadratic(trial)


def test_spawned_worker_processes_run_the_study(sqlite_url, unique_name, monkeypatch):
    """Spawn is what macOS, Windows and a parent that already uses CUDA get: the study must travel pickled."""
    monkeypatch.setenv("TUNELAB_START_METHOD", "spawn")
    study = tunelab.create_study(name=unique_name, storage=sqlite_url, seed=4, sampler="tpe", pruner="median")
    study.optimize(record_worker_process, n_trials=6, n_jobs=2)
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(6))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert {t.user_attrs["process"] for t in trials} <= {"tunelab-worker-0", "tunelab-worker-1"}


def test_spawned_workers_need_a_picklable_objective(sqlite_url, unique_name, monkeypatch):
    monkeypatch.setenv("TUNELAB_START_METHOD", "spawn")
    study = tunelab.create_study(name=unique_name, storage=sqlite_url, seed=4, sampler="random")
    with pytest.raises(ValueError, match=r"start with 'spawn' because TUNELAB_START_METHOD says so, so the objective must be picklable"):
        study.optimize(lambda t: quadratic(t), n_trials=4, n_jobs=2)
    assert study.trials == []  # nothing started, nothing half-stored


class _FakeCuda:
    def __init__(self, initialized: bool, devices: int):
        self.initialized, self.devices = initialized, devices

    def is_initialized(self) -> bool:
        return self.initialized

    def device_count(self) -> int:
        return self.devices


class _FakeTorch:
    def __init__(self, initialized: bool, devices: int):
        self.cuda = _FakeCuda(initialized, devices)


@pytest.mark.parametrize("torch_state, expected", [
    (None, "fork"),  # torch not imported
    ((False, 0), "fork"),  # torch without a GPU
    ((False, 1), "spawn"),  # a GPU is visible: asking is_available() alone would already break fork
    ((True, 1), "spawn"),  # CUDA in use
])
def test_workers_are_spawned_where_torch_sees_a_gpu(monkeypatch, torch_state, expected):
    import sys

    from tunelab.study._parallel import start_method

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("TUNELAB_START_METHOD", raising=False)
    if torch_state is None:
        monkeypatch.delitem(sys.modules, "torch", raising=False)
    else:
        monkeypatch.setitem(sys.modules, "torch", _FakeTorch(*torch_state))
    assert start_method() == expected


def test_workers_are_spawned_once_jax_has_started_its_runtime(monkeypatch):
    import sys
    import types

    from tunelab.study._parallel import _start_rule

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("TUNELAB_START_METHOD", raising=False)
    monkeypatch.setitem(sys.modules, "torch", _FakeTorch(False, 0))
    bridge = types.ModuleType("jax._src.xla_bridge")
    bridge._backends = {}  # imported, no backend yet: forking is still fine
    monkeypatch.setitem(sys.modules, "jax._src.xla_bridge", bridge)
    assert _start_rule()[0] == "fork"
    bridge._backends = {"cpu": object()}
    assert _start_rule() == ("spawn", "JAX has started its runtime here (its threads do not survive a fork)")


def test_start_method_can_be_forced_and_a_bad_value_is_named(monkeypatch):
    import sys

    from tunelab.study._parallel import start_method

    monkeypatch.setitem(sys.modules, "torch", _FakeTorch(True, 1))
    monkeypatch.setenv("TUNELAB_START_METHOD", "fork")
    assert start_method() == "fork"
    monkeypatch.setenv("TUNELAB_START_METHOD", "thread")
    with pytest.raises(ValueError, match="TUNELAB_START_METHOD must be one of fork, spawn, forkserver; got 'thread'"):
        start_method()


def test_a_spawned_worker_that_dies_before_it_starts_is_an_error(sqlite_url, unique_name, monkeypatch):
    """An objective the parent can pickle but a fresh process cannot import (a notebook's function, say)."""
    import sys
    import types

    module = types.ModuleType("tunelab_module_only_in_this_process")

    def objective(trial):
        return quadratic(trial)

    objective.__module__ = module.__name__
    objective.__qualname__ = "objective"
    module.objective = objective
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setenv("TUNELAB_START_METHOD", "spawn")
    study = tunelab.create_study(name=unique_name, storage=sqlite_url, seed=4, sampler="random")
    with pytest.raises(RuntimeError, match=r"worker process tunelab-worker-\d exited with code 1 .*__main__"):
        study.optimize(objective, n_trials=4, n_jobs=2)
    assert study.trials == []


def test_heartbeats_are_read_through_the_contract():
    from tunelab.storage.memory import InMemoryStorage

    storage = InMemoryStorage()
    study = tunelab.create_study(storage=storage)
    running, done = study.ask(), study.ask()
    for trial in (running, done):
        storage.record_heartbeat(trial.trial_id)
    study.tell(done, 1.0)
    assert set(storage.get_heartbeats(study.study_id)) == {running.trial_id}  # RUNNING trials only


def fail_second_trial(trial: tunelab.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    if trial.number == 1:
        raise ValueError("boom in trial 1")
    time.sleep(0.05)
    return x


def test_an_executor_worker_error_stops_the_other_workers(sqlite_url, unique_name):
    study = tunelab.create_study(name=unique_name, storage=sqlite_url, sampler="random")
    with ThreadPoolExecutor(2) as pool, pytest.raises(ValueError, match="boom in trial 1"):
        study.optimize(fail_second_trial, n_trials=200, n_jobs=2, executor=pool)
    # the other worker stops at its next trial instead of running its share of 100
    assert len(study.trials) < 10
    assert study.trials[1].state == TrialState.FAIL


class _Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("cannot pickle this error")


def _raise_in_worker(trial: tunelab.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    if trial.number == 0:
        raise KeyError("missing column 'age'")
    if trial.number == 1:
        raise _Unpicklable("odd error")
    return x


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_worker_process_error_is_raised_as_its_own_type_with_the_remote_traceback(sqlite_url, unique_name, n_jobs):
    study = tunelab.create_study(name=unique_name, storage=sqlite_url, sampler="random")
    study.enqueue_trial({"x": 0.5})
    with pytest.raises(KeyError, match="missing column 'age'") as info:
        study.optimize(_raise_in_worker, n_trials=1, n_jobs=n_jobs, trial_timeout=60)
    # with trial_timeout, n_jobs=1 runs in a worker process too
    assert "_raise_in_worker" in str(info.value.__cause__)


def test_an_error_that_cannot_be_pickled_comes_back_as_a_runtime_error_naming_it(sqlite_url, unique_name):
    study = tunelab.create_study(name=unique_name, storage=sqlite_url, sampler="random")
    study.add_trial(tunelab.trial.create_trial(params={"x": 0.1}, distributions={
        "x": tunelab.distributions.FloatDistribution(0, 1)}, value=0.1))
    with pytest.raises(RuntimeError, match="a worker process stopped with an error: .*odd error") as info:
        study.optimize(_raise_in_worker, n_trials=1, n_jobs=1, trial_timeout=60)
    assert "_raise_in_worker" in str(info.value.__cause__)
