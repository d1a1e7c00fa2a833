"""A worker killed with SIGKILL: what it finished survives, its running trial is failed, the study goes on."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import time

import tunelab
from tunelab.samplers.random import RandomSampler
from tunelab.storage.sql import SQLStorage
from tunelab.trial import TrialState

FORK = mp.get_context("fork")
HANG_FROM = 5  # the doomed worker blocks inside trial number 5


def _value(trial: tunelab.Trial) -> float:
    return 3.0 * trial.suggest_float("x", 0.0, 1.0)


def _doomed_worker(url: str, name: str) -> None:
    storage = SQLStorage(url, heartbeat_interval=0.1, stale_after=30.0)

    def objective(trial: tunelab.Trial) -> float:
        value = _value(trial)
        if trial.number >= HANG_FROM:
            time.sleep(120)  # killed here, mid-trial
        return value

    tunelab.load_study(name, storage, sampler=RandomSampler(seed=0)).optimize(objective, n_trials=100)
    os._exit(0)


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out waiting for the worker"
        time.sleep(0.05)


def test_sigkilled_worker_loses_nothing_it_finished(tmp_path):
    url = f"sqlite:///{tmp_path / 'fault.db'}"
    watcher = SQLStorage(url)
    study = tunelab.create_study("fault", storage=watcher)
    proc = FORK.Process(target=_doomed_worker, args=(url, "fault"))
    proc.start()

    def hanging() -> bool:
        trials = watcher.get_all_trials(study.study_id)
        return len(trials) > HANG_FROM and "x" in trials[HANG_FROM].params

    _wait_for(hanging)
    time.sleep(0.3)  # a few heartbeats of the hanging trial
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(timeout=10)
    assert proc.exitcode == -signal.SIGKILL

    reopened = SQLStorage(url)  # a fresh process's view: nothing from the watcher's cache
    trials = reopened.get_all_trials(reopened.get_study_id("fault"))
    assert [t.number for t in trials] == list(range(HANG_FROM + 1))
    assert all(t.state == TrialState.COMPLETE and t.values == [3.0 * t.params["x"]] for t in trials[:HANG_FROM])
    lost = trials[HANG_FROM]
    assert lost.state == TrialState.RUNNING

    sid = study.study_id
    assert reopened.fail_stale_trials(sid, grace_seconds=60) == []  # its last beat is recent
    time.sleep(0.6)
    assert reopened.fail_stale_trials(sid, grace_seconds=0.5) == [lost.trial_id]
    failed = reopened.get_trial(lost.trial_id)
    assert failed.state == TrialState.FAIL and "no heartbeat" in failed.system_attrs["fail_reason"]

    resumed = tunelab.load_study("fault", url, sampler=RandomSampler(seed=1))
    resumed.optimize(_value, n_trials=3)
    after = resumed.trials
    assert [t.number for t in after] == list(range(HANG_FROM + 4))
    assert [t.state for t in after[HANG_FROM + 1:]] == [TrialState.COMPLETE] * 3


def _busy_worker(url: str, name: str) -> None:
    study = tunelab.load_study(name, url, sampler=RandomSampler(seed=2))
    study.optimize(_value, n_trials=100_000)
    os._exit(0)


def test_sigkill_during_writes_leaves_a_consistent_database(tmp_path):
    """Killed at a random moment of a fast loop: committed trials are whole, the file is sound."""
    path = tmp_path / "busy.db"
    url = f"sqlite:///{path}"
    watcher = SQLStorage(url)
    sid = watcher.create_study("busy", [tunelab.StudyDirection.MINIMIZE])
    proc = FORK.Process(target=_busy_worker, args=(url, "busy"))
    proc.start()
    _wait_for(lambda: watcher.get_n_trials(sid) >= 30)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(timeout=10)

    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    trials = SQLStorage(url).get_all_trials(sid)
    assert [t.number for t in trials] == list(range(len(trials)))
    assert sum(t.state == TrialState.RUNNING for t in trials) <= 1  # at most the one it was in
    assert all(t.values == [3.0 * t.params["x"]] for t in trials if t.state == TrialState.COMPLETE)
    resumed = tunelab.load_study("busy", url)
    resumed.optimize(_value, n_trials=2)
    assert resumed.trials[-1].number == len(trials) + 1
