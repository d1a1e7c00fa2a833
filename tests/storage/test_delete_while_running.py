"""Deleting a study while workers write into it: the delete succeeds in one piece, every worker stops
with StudyNotFoundError (no foreign-key IntegrityError, no bare KeyError)."""

from __future__ import annotations

import multiprocessing as mp
import time

import pytest

import tunelab
from tunelab.samplers.random import RandomSampler
from tunelab.storage import StudyNotFoundError
from tunelab.storage.sql import SQLStorage
from tunelab.trial import StudyDirection

FORK = mp.get_context("fork")
N_WORKERS = 4


def _objective(trial: tunelab.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.set_user_attr("a", x)
    for step in range(3):
        trial.report(x * step, step)
    return x


def _worker(url: str, name: str, out) -> None:
    try:
        study = tunelab.load_study(name, SQLStorage(url, heartbeat_interval=0.05, stale_after=30.0),
                                   sampler=RandomSampler())
        study.optimize(_objective, n_trials=100_000, catch=())
        out.put(("finished", ""))
    except BaseException as exc:  # the report of how it stopped
        out.put((type(exc).__name__, str(exc)))


@pytest.mark.parametrize("rounds", [2])
def test_delete_while_workers_run(sql_backend, rounds):
    storage = sql_backend.open()
    for r in range(rounds):
        name = f"doomed-{r}"
        sid = storage.create_study(name, [StudyDirection.MINIMIZE])
        out = FORK.Queue()
        procs = [FORK.Process(target=_worker, args=(sql_backend.url, name, out)) for _ in range(N_WORKERS)]
        for p in procs:
            p.start()
        deadline = time.time() + 60
        while storage.get_n_trials(sid) < 6 + 6 * r:
            assert time.time() < deadline, "the workers made no progress"
            time.sleep(0.02)
        storage.delete_study(sid)  # must not raise
        reports = [out.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        assert [kind for kind, _ in reports] == ["StudyNotFoundError"] * N_WORKERS, reports
        # a worker still starting when the delete came finds no study of that name at all
        assert all("deleted" in message or f"no study named '{name}'" in message for _, message in reports), reports
        with pytest.raises(StudyNotFoundError):
            storage.get_study_id(name)
    assert [s.name for s in storage.list_studies()] == []
