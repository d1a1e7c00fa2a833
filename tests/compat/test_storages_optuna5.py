"""Optuna 5's storage names: ``fail_stale_trials``, ``RetryHeartbeatStaleTrialCallback``,
``RDBStorage(heartbeat_stale_trial_callback=)`` and ``get_storage``."""

from __future__ import annotations

import time

import pytest

import tunelab
from tunelab import storages
from tunelab.trial import TrialState


def _stale_trial(storage, study_name: str, monkeypatch) -> int:
    """A RUNNING trial whose last heartbeat is 100 s old (its worker is gone)."""
    sid = storage.get_study_id(study_name)
    trial_id, _ = storage.create_trial(sid)
    storage.set_trial_param(trial_id, "x", tunelab.FloatDistribution(0.0, 1.0), 0.25)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 100)
    storage.record_heartbeat(trial_id)
    monkeypatch.undo()
    return trial_id


def test_fail_stale_trials_fails_the_lost_trial_and_retries_it(sqlite_url, monkeypatch):
    retry = storages.RetryHeartbeatStaleTrialCallback(max_retry=1)
    storage = storages.RDBStorage(sqlite_url, heartbeat_interval=5, heartbeat_stale_trial_callback=retry)
    assert storage.failed_trial_callback is retry and storage.heartbeat_stale_trial_callback is retry
    study = tunelab.create_study(study_name="s", storage=storage)
    lost = _stale_trial(storage, "s", monkeypatch)
    storages.fail_stale_trials(study)
    states = {t.trial_id: t.state for t in study.trials}
    assert states[lost] == TrialState.FAIL
    waiting = [t for t in study.trials if t.state == TrialState.WAITING]
    assert len(waiting) == 1 and waiting[0].system_attrs["fixed_params"] == {"x": 0.25}  # the same parameters
    assert storages.RetryHeartbeatStaleTrialCallback.retried_trial_number(waiting[0]) == 0
    storages.fail_stale_trials(study)  # nothing stale any more: nothing changes
    assert len(study.trials) == 2


def test_fail_stale_trials_does_nothing_without_heartbeats(sqlite_url, monkeypatch):
    storage = storages.RDBStorage(sqlite_url)
    study = tunelab.create_study(study_name="s", storage=storage)
    lost = _stale_trial(storage, "s", monkeypatch)
    storages.fail_stale_trials(study)
    assert study.storage.get_trial(lost).state == TrialState.RUNNING


def test_both_callback_names_at_once_are_refused(sqlite_url):
    with pytest.raises(ValueError, match="'heartbeat_stale_trial_callback' or 'failed_trial_callback'"):
        storages.RDBStorage(sqlite_url, heartbeat_interval=5, failed_trial_callback=print,
                            heartbeat_stale_trial_callback=print)


def test_get_storage_and_the_retry_alias():
    assert isinstance(storages.get_storage(None), storages.InMemoryStorage)
    memory = storages.InMemoryStorage()
    assert storages.get_storage(memory) is memory
    assert storages.RetryHeartbeatStaleTrialCallback is storages.RetryFailedTrialCallback
