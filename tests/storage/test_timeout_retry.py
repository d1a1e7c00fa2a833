"""optimize(trial_timeout=...) ends hung trials; RetryFailedTrialCallback re-runs failed ones, linked."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import tunelab
from tunelab.samplers.random import RandomSampler
from tunelab.storage import RetryFailedTrialCallback
from tunelab.trial import TrialState

MARKER: Path | None = None
SLOW = 0.0


def _hangs_once(trial: tunelab.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    if trial.number == 1 and MARKER is not None and not MARKER.exists():
        MARKER.write_text("hung once")
        time.sleep(60)  # hung: only the timeout gets it out
    time.sleep(SLOW)
    return x


def test_trial_timeout_ends_a_hung_trial_and_the_study_goes_on(sql_backend, tmp_path):
    global MARKER
    MARKER = tmp_path / "marker"
    study = tunelab.create_study(study_name="to", storage=sql_backend.open(), sampler=RandomSampler(seed=0))
    start = time.time()
    study.optimize(_hangs_once, n_trials=4, trial_timeout=2.0)
    assert time.time() - start < 30
    states = {t.number: t.state for t in study.trials}
    assert states == {0: TrialState.COMPLETE, 1: TrialState.FAIL, 2: TrialState.COMPLETE, 3: TrialState.COMPLETE}
    hung = study.trials[1]
    assert hung.system_attrs["fail_reason"].startswith("timeout: the trial ran longer than trial_timeout=2 s")
    assert hung.system_attrs["timeout"] is True


def test_a_timed_out_trial_is_retried_with_its_parameters(sqlite_url, tmp_path):
    global MARKER, SLOW
    MARKER, SLOW = tmp_path / "marker2", 0.3  # the other worker must not use up the budget before the retry
    study = tunelab.create_study(study_name="tr", storage=sqlite_url, sampler=RandomSampler(seed=0))
    study.optimize(_hangs_once, n_trials=12, n_jobs=2, trial_timeout=2.0,
                   callbacks=[RetryFailedTrialCallback(max_retry=1)])
    trials = study.trials
    hung = trials[1]
    [retry] = [t for t in trials if RetryFailedTrialCallback.retried_trial_number(t) == 1]
    assert hung.state == TrialState.FAIL and retry.state == TrialState.COMPLETE
    assert retry.params == hung.params and RetryFailedTrialCallback.retry_history(retry) == [1]
    SLOW = 0.0


def test_trial_timeout_in_this_process_says_what_to_use_instead():
    study = tunelab.create_study()
    with pytest.raises(ValueError, match="needs .*|database storage") as info:
        study.optimize(lambda t: 1.0, n_trials=1, trial_timeout=1.0)
    assert "a database storage" in str(info.value) and "its own time limit" in str(info.value)
    with pytest.raises(ValueError, match="trial_timeout"):
        study.optimize(lambda t: 1.0, n_trials=1, trial_timeout=0)


def _always_fails(trial: tunelab.Trial) -> float:
    trial.suggest_float("x", 0.0, 1.0)
    trial.suggest_categorical("c", ["a", "b"])
    raise RuntimeError("flaky")


def test_failed_trials_are_retried_up_to_max_retry(storage):
    study = tunelab.create_study(study_name="rt", storage=storage, sampler=RandomSampler(seed=0))
    study.optimize(_always_fails, n_trials=5, catch=(RuntimeError,), callbacks=[RetryFailedTrialCallback(max_retry=2)])
    trials = study.trials
    first = trials[0]
    chain = [t for t in trials if RetryFailedTrialCallback.retried_trial_number(t) == 0]
    assert [t.number for t in chain] == [1, 2]
    assert all(t.params == first.params for t in chain)
    assert [RetryFailedTrialCallback.retry_history(t) for t in chain] == [[0], [0, 1]]
    assert RetryFailedTrialCallback.retried_trial_number(trials[3]) is None  # 2 retries of trial 0, then new ones
    finished = [t for t in trials if t.state != TrialState.WAITING]
    assert len(finished) == 5 and all(t.state == TrialState.FAIL for t in finished)
    assert [RetryFailedTrialCallback.retried_trial_number(t) for t in trials[5:]] == [3]  # queued for a next run


def test_retry_callback_validates_max_retry():
    with pytest.raises(ValueError, match="'max_retry' must be an int >= 0 or None; got -1"):
        RetryFailedTrialCallback(max_retry=-1)


def test_a_stale_trial_is_retried_by_the_sweeping_worker(sqlite_url):
    from tunelab.storage.sql import SQLStorage

    storage = SQLStorage(sqlite_url, heartbeat_interval=0.05, stale_after=0.2)
    study = tunelab.create_study(study_name="st", storage=storage, sampler=RandomSampler(seed=0))
    lost = study.ask()
    lost.suggest_float("x", 0.0, 1.0)
    storage.record_heartbeat(lost.trial_id)
    time.sleep(0.3)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2,
                   callbacks=[RetryFailedTrialCallback(max_retry=1)])
    trials = study.trials
    assert trials[0].state == TrialState.FAIL and "no heartbeat" in trials[0].system_attrs["fail_reason"]
    retries = [t for t in trials if RetryFailedTrialCallback.retried_trial_number(t) == 0]
    assert len(retries) == 1 and retries[0].params == trials[0].params and retries[0].state == TrialState.COMPLETE


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_stale_trial_swept_when_the_study_is_loaded_is_retried_by_the_next_optimize(sqlite_url, n_jobs):
    from tunelab.storage.sql import SQLStorage

    storage = SQLStorage(sqlite_url, heartbeat_interval=0.05, stale_after=0.2)
    study = tunelab.create_study(study_name="restart", storage=storage, sampler=RandomSampler(seed=0))
    lost = study.ask()  # a machine that crashed mid-trial
    lost.suggest_float("x", 0.0, 1.0)
    storage.record_heartbeat(lost.trial_id)
    time.sleep(0.3)
    reloaded = tunelab.load_study(study_name="restart", storage=storage, sampler=RandomSampler(seed=1))
    assert reloaded.trials[0].state == TrialState.FAIL  # swept on open, before any optimize
    reloaded.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2, n_jobs=n_jobs,
                      callbacks=[RetryFailedTrialCallback(max_retry=1)])
    trials = reloaded.trials
    retries = [t for t in trials if RetryFailedTrialCallback.retried_trial_number(t) == 0]
    assert len(retries) == 1 and retries[0].params == trials[0].params and retries[0].state == TrialState.COMPLETE


class _SlowAfterTrial(RandomSampler):
    def after_trial(self, *args, **kwargs):
        time.sleep(2.5)  # the worker is between trials here, past trial_timeout, but no objective is running


def _record_callback(study, frozen):
    study.set_user_attr(f"callback-{frozen.number}", frozen.state.name)


def test_trial_timeout_never_ends_a_worker_between_trials(sqlite_url):
    import numpy  # noqa: F401  (imported before the fork: a first import in the worker is not the objective's time)

    study = tunelab.create_study(study_name="between", storage=sqlite_url, sampler=_SlowAfterTrial(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2, n_jobs=1, trial_timeout=1.5,
                   callbacks=[_record_callback])
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    assert all("timeout" not in t.system_attrs for t in study.trials)
    assert study.user_attrs == {f"callback-{n}": "COMPLETE" for n in range(2)}  # every callback ran
