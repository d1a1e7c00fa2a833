"""``tunelab.storages`` takes Optuna's storage classes and arguments."""

from __future__ import annotations

import optuna
import pytest

import tunelab
from tunelab import storages
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


def test_failed_trial_callback_warns_by_name(sqlite_url):
    callback = storages.RetryFailedTrialCallback(max_retry=1)
    with pytest.warns(UserWarning, match="failed_trial_callback"):
        storage = storages.RDBStorage(sqlite_url, heartbeat_interval=5, failed_trial_callback=callback)
    assert storage.failed_trial_callback is callback


def test_in_memory_and_base_storage_names():
    storage = storages.InMemoryStorage()
    assert isinstance(storage, storages.BaseStorage)
    study = tunelab.create_study(storage=storage)
    study.optimize(_objective, n_trials=2)
    assert len(study.trials) == 2
    assert storages.RetryFailedTrialCallback is tunelab.storage.RetryFailedTrialCallback


@pytest.mark.parametrize("cls", [storages.JournalStorage, storages.JournalFileBackend])
def test_journal_storages_name_the_alternative(cls, tmp_path):
    with pytest.raises(NotImplementedError, match="sqlite:///"):
        cls(str(tmp_path / "journal.log"))
