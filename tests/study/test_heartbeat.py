"""One heartbeat thread per worker, pointed at each trial in turn."""

from __future__ import annotations

import threading
import time

import tunelab
from tunelab.storage.memory import InMemoryStorage
from tunelab.study._worker import Heartbeat


class CountingStorage(InMemoryStorage):
    """An in-memory storage that records which trials got a heartbeat, and beats like a database storage."""

    heartbeat_interval = 0.05

    def __init__(self) -> None:
        super().__init__()
        self.beats: list[int] = []

    def record_heartbeat(self, trial_id: int) -> None:
        self.beats.append(trial_id)
        super().record_heartbeat(trial_id)


def test_a_worker_starts_one_heartbeat_thread_for_all_its_trials():
    storage = CountingStorage()
    study = tunelab.create_study(storage=storage, sampler="random", seed=0)
    seen: set[int] = set()

    def objective(trial: tunelab.Trial) -> float:
        seen.update(t.ident for t in threading.enumerate() if t.name == "tunelab-heartbeat")
        time.sleep(0.2 if trial.number == 5 else 0.01)
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=12)
    assert len(seen) == 1  # the same thread for every trial
    assert not any(t.name == "tunelab-heartbeat" for t in threading.enumerate())  # gone with the worker
    # the trial that outlived its first beat got one; the 10 ms ones did not (the first may: imports)
    assert study.trials[5].trial_id in storage.beats
    assert set(storage.beats) <= {study.trials[0].trial_id, study.trials[5].trial_id}


def test_a_trial_faster_than_the_first_beat_records_none():
    storage = CountingStorage()
    study = tunelab.create_study(storage=storage, sampler="random", seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)  # imports, first draws
    storage.beats.clear()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=50)
    time.sleep(0.1)
    assert storage.beats == []  # no write per trial beyond the trial's own


def test_a_long_trial_gets_a_beat_at_its_start_and_every_interval():
    storage = CountingStorage()
    study = tunelab.create_study(storage=storage, sampler="random", seed=0)

    def objective(trial: tunelab.Trial) -> float:
        time.sleep(0.3)  # six intervals
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=2)
    ids = [t._trial_id if hasattr(t, "_trial_id") else t.trial_id for t in study.trials]
    for trial_id in ids:
        assert storage.beats.count(trial_id) >= 3  # the first beat, then about one per 0.05 s
    assert storage.beats.index(ids[1]) > max(i for i, b in enumerate(storage.beats) if b == ids[0])  # in turn


def test_quick_trials_do_not_wake_the_heartbeat_thread_one_by_one():
    """Only a thread waiting with no trial is woken; one waiting for an earlier trial's due waits on."""
    waits = []

    class CountingCondition(threading.Condition):
        def wait(self, timeout=None):
            waits.append(timeout)
            return super().wait(timeout)

    class CountingHeartbeat(Heartbeat):
        def __init__(self, *args):
            super().__init__(*args)
            self._cond = CountingCondition()

    storage = CountingStorage()
    with CountingHeartbeat(storage, 10.0) as beat:
        for trial_id in range(200):
            with beat.running(trial_id):
                time.sleep(0.0005 if trial_id % 20 == 0 else 0)
    assert storage.beats == []
    assert 1 <= len(waits) <= 5, waits  # the first trial wakes it; the rest find it waiting for a due


def test_heartbeat_without_an_interval_starts_no_thread():
    storage = CountingStorage()
    with Heartbeat(storage, None) as beat:
        with beat.running(7):
            pass
        assert beat._thread is None
    assert storage.beats == []


def test_a_workers_trial_starts_with_a_heartbeat_and_an_asked_one_without(tmp_path):
    """The first beat is written with the trial (no write of its own), so a worker that dies at once
    still leaves a trial the stale sweep fails; ``study.ask()`` trials have no heartbeat."""
    study = tunelab.create_study(storage=f"sqlite:///{tmp_path / 'beats.db'}", sampler="random", seed=0)
    seen = []

    def objective(trial: tunelab.Trial) -> float:
        seen.append(set(study.storage.get_heartbeats(study.study_id)) == {trial._trial_id})
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=3)
    assert seen == [True, True, True]
    asked = study.ask()
    assert study.storage.get_heartbeats(study.study_id) == {}
    study.tell(asked, 1.0)
