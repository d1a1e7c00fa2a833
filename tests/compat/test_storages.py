"""``tunelab.storages`` takes Optuna's storage classes and arguments."""

from __future__ import annotations

import pickle
import time
import warnings

import optuna
import pytest

import tunelab
from tunelab import storages
from tunelab.space import FloatDistribution
from tunelab.trial import TrialState


def _objective(trial) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    return x * x


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_rdb_storage_object_runs_and_reloads_a_study(kind, sqlite_url, fresh_database):
    url = sqlite_url if kind == "sqlite" else fresh_database("postgres")
    storage = storages.RDBStorage(url)
    study = tunelab.create_study(study_name="s", storage=storage, sampler=tunelab.samplers.RandomSampler(seed=1))
    study.optimize(_objective, n_trials=5)
    again = tunelab.load_study(study_name="s", storage=storages.RDBStorage(url))
    assert [t.params for t in again.trials] == [t.params for t in study.trials]
    assert again.best_value == study.best_value
    assert all(t.state == TrialState.COMPLETE for t in again.trials)
    storage.close()


def test_heartbeat_and_grace_period_map_like_optuna(sqlite_url):
    mine = storages.RDBStorage(sqlite_url, heartbeat_interval=5, grace_period=30)
    assert (mine.heartbeat_interval, mine.stale_after) == (5.0, 30.0)
    theirs = optuna.storages.RDBStorage(sqlite_url.replace("tunelab.db", "optuna.db"), heartbeat_interval=5)
    default = storages.RDBStorage(sqlite_url, heartbeat_interval=5)
    assert theirs.grace_period is None  # Optuna then uses twice the interval when it looks for stale trials
    assert default.stale_after == 2 * theirs.heartbeat_interval == 10
    plain = storages.RDBStorage(sqlite_url)
    assert (plain.heartbeat_interval, plain.stale_after) == (None, None)
    with pytest.raises(ValueError, match="grace_period"):
        storages.RDBStorage(sqlite_url, grace_period=10)


class _Calls:
    """A failed_trial_callback that records what it was called with."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __call__(self, study, trial) -> None:
        self.calls.append((study, trial))


def _stale_trial(storage, study_name: str, monkeypatch) -> int:
    """A RUNNING trial whose last heartbeat is 100 s old (its worker is gone)."""
    sid = storage.get_study_id(study_name)
    trial_id, _ = storage.create_trial(sid)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 100)
    storage.record_heartbeat(trial_id)
    monkeypatch.undo()
    return trial_id


def test_failed_trial_callback_gets_study_and_trial_of_a_stale_sweep_on_sqlite(sqlite_url, monkeypatch):
    callback = _Calls()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "not called" warning any more
        storage = storages.RDBStorage(sqlite_url, heartbeat_interval=5, failed_trial_callback=callback)
    assert storage.failed_trial_callback is callback
    study = tunelab.create_study(study_name="s", storage=storage, sampler="random")
    lost = _stale_trial(storage, "s", monkeypatch)
    study.optimize(_objective, n_trials=2)  # the worker's sweep fails the lost trial first
    assert len(callback.calls) == 1
    seen_study, frozen = callback.calls[0]
    assert seen_study.study_name == "s" and seen_study.storage.failed_trial_callback is callback
    assert frozen.trial_id == lost and frozen.state == TrialState.FAIL
    assert "no heartbeat" in frozen.system_attrs["fail_reason"]
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.COMPLETE, TrialState.COMPLETE]
    again = _stale_trial(storage, "s", monkeypatch)
    reopened = tunelab.load_study(study_name="s", storage=storage)  # opening a study sweeps too ...
    assert reopened.storage.get_trial(again).state == TrialState.FAIL and len(callback.calls) == 1
    reopened.optimize(_objective, n_trials=1)  # ... and its next optimize hands the trial on, once
    reopened.optimize(_objective, n_trials=1)
    assert [t.trial_id for _, t in callback.calls] == [lost, again]


def test_retry_callback_on_the_storage_retries_in_worker_processes(sqlite_url, monkeypatch):
    """Optuna's recipe: RDBStorage(failed_trial_callback=RetryFailedTrialCallback()); the sweep runs in a
    forked worker, which reopens the storage with its callback."""
    retry = storages.RetryFailedTrialCallback(max_retry=1)
    storage = storages.RDBStorage(sqlite_url, heartbeat_interval=5, failed_trial_callback=retry)
    study = tunelab.create_study(study_name="p", storage=storage, sampler="random")
    lost = _stale_trial(storage, "p", monkeypatch)  # a worker started it, then died
    storage.set_trial_param(lost, "x", FloatDistribution(-2.0, 2.0), 0.5)
    study.optimize(_objective, n_trials=4, n_jobs=2)
    trials = study.trials
    assert trials[0].state == TrialState.FAIL and trials[0].system_attrs.get("stale") is True
    retried = [t for t in trials if storages.RetryFailedTrialCallback.retried_trial_number(t) == 0]
    assert len(retried) == 1 and retried[0].params == {"x": 0.5} and retried[0].state == TrialState.COMPLETE
    assert len(trials) == 5  # the lost trial, then four run here (the retry among them)
    copy = pickle.loads(pickle.dumps(storage))
    assert isinstance(copy, storages.RDBStorage) and isinstance(copy.failed_trial_callback,
                                                                 storages.RetryFailedTrialCallback)
    assert storage.reopen().failed_trial_callback is retry


def test_failed_trial_callback_must_be_callable(sqlite_url):
    with pytest.raises(TypeError, match="failed_trial_callback"):
        storages.RDBStorage(sqlite_url, failed_trial_callback="retry")


def test_in_memory_and_base_storage_names():
    storage = storages.InMemoryStorage()
    assert isinstance(storage, storages.BaseStorage)
    study = tunelab.create_study(storage=storage)
    study.optimize(_objective, n_trials=2)
    assert len(study.trials) == 2
    assert storages.RetryFailedTrialCallback is tunelab.storage.RetryFailedTrialCallback


def test_journal_names_are_optunas():
    from optuna.storages import journal as optuna_journal

    from tunelab.storages import journal

    assert set(optuna_journal.__all__) <= set(journal.__all__)
    for name in ("JournalStorage", "JournalFileBackend", "JournalFileSymlinkLock", "JournalFileOpenLock",
                 "JournalFileStorage", "JournalRedisStorage", "JournalRedisBackend", "BaseJournalLogStorage"):
        assert hasattr(storages, name), name
    assert storages.JournalFileStorage is journal.JournalFileBackend


def test_optuna5_names_of_the_stale_trial_callback(sqlite_url, monkeypatch):
    retry = storages.RetryHeartbeatStaleTrialCallback(max_retry=1)
    storage = storages.RDBStorage(sqlite_url, heartbeat_interval=5, heartbeat_stale_trial_callback=retry)
    assert storage.heartbeat_stale_trial_callback is retry is storage.failed_trial_callback
    with pytest.raises(ValueError, match="not both"):
        storages.RDBStorage(sqlite_url, heartbeat_interval=5, heartbeat_stale_trial_callback=retry,
                            failed_trial_callback=retry)
    study = tunelab.create_study(study_name="h", storage=storage)
    lost = _stale_trial(storage, "h", monkeypatch)
    storage.set_trial_param(lost, "x", FloatDistribution(-2.0, 2.0), 1.5)
    storages.fail_stale_trials(study)  # Optuna's function: sweep, then the storage's callback
    trials = study.trials
    assert trials[0].state == TrialState.FAIL and trials[1].state == TrialState.WAITING
    assert storages.RetryHeartbeatStaleTrialCallback.retried_trial_number(trials[1]) == 0
    assert trials[1].system_attrs["fixed_params"] == {"x": 1.5}
    storages.fail_stale_trials(tunelab.create_study())  # no heartbeats: nothing to do
    assert isinstance(storages.get_storage(None), storages.InMemoryStorage)
    assert storages.get_storage(storage) is storage
