"""Many processes on one database: trial numbers stay dense and unique, no lock error reaches anyone."""

from __future__ import annotations

import multiprocessing as mp
import os
import traceback

import pytest

import tunelab
from tunelab.samplers.random import RandomSampler
from tunelab.trial import TrialState

FORK = mp.get_context("fork")


def _objective(trial: tunelab.Trial) -> float:
    x = trial.suggest_float("x", -1.0, 1.0)
    trial.suggest_int("k", 0, 3)
    return 2.0 * x


def _worker(url: str, name: str, n_trials: int, index: int, error_dir: str) -> None:
    """One process: half of them use optimize, the other half a hand-written ask/tell loop."""
    try:
        sampler = RandomSampler(seed=index)
        if index % 2 == 0:
            study = tunelab.create_study(name, storage=url, load_if_exists=True, sampler=sampler)
            study.optimize(_objective, n_trials=n_trials)
        else:
            study = tunelab.load_study(name, url, sampler=sampler)
            for _ in range(n_trials):
                trial = study.ask()
                study.tell(trial, _objective(trial))
    except BaseException:
        with open(os.path.join(error_dir, f"worker-{index}.txt"), "w") as f:
            f.write(traceback.format_exc())
        os._exit(1)
    os._exit(0)


def _run_workers(url: str, n_procs: int, per_proc: int, tmp_path, name: str = "crowd") -> tunelab.Study:
    tunelab.create_study(name, storage=url)  # the study exists before any worker starts (load_study needs it)
    procs = [FORK.Process(target=_worker, args=(url, name, per_proc, i, str(tmp_path))) for i in range(n_procs)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    errors = [f.read_text() for f in tmp_path.glob("worker-*.txt")]
    assert not errors, "a worker failed:\n" + "\n".join(errors)
    assert [p.exitcode for p in procs] == [0] * n_procs
    return tunelab.load_study(name, url)


def _assert_dense_and_complete(study: tunelab.Study, n: int) -> None:
    trials = study.trials
    assert len(trials) == n
    assert [t.number for t in trials] == list(range(n))  # no gap, no duplicate
    assert len({t.trial_id for t in trials}) == n
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert all(t.values == [2.0 * t.params["x"]] and set(t.params) == {"x", "k"} for t in trials)


def test_four_processes_share_one_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'crowd.db'}"
    study = _run_workers(url, n_procs=4, per_proc=250, tmp_path=tmp_path)
    _assert_dense_and_complete(study, 1000)


@pytest.mark.postgres
def test_eight_processes_share_one_postgres_database(pg_db_url, unique_name, tmp_path):
    study = _run_workers(pg_db_url, n_procs=8, per_proc=30, tmp_path=tmp_path, name=unique_name)
    _assert_dense_and_complete(study, 240)


def test_optimize_with_process_workers_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    study = tunelab.create_study("jobs", storage=url, sampler=RandomSampler(seed=3))
    study.optimize(_objective, n_trials=40, n_jobs=4)
    _assert_dense_and_complete(study, 40)
    assert len({t.params["x"] for t in study.trials}) == 40  # each worker has its own random stream


def _first_opener(url: str, index: int, error_dir: str) -> None:
    try:
        from tunelab.storage.sql import SQLStorage

        SQLStorage(url).create_study(f"opener-{index}", [tunelab.StudyDirection.MINIMIZE])
    except BaseException:
        with open(os.path.join(error_dir, f"opener-{index}.txt"), "w") as f:
            f.write(traceback.format_exc())
        os._exit(1)
    os._exit(0)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres),
                                  pytest.param("mysql", marks=pytest.mark.mysql)])
def test_processes_racing_to_create_the_tables(kind, tmp_path, request):
    """Several processes open an empty database at once: one creates the tables, the others wait or retry."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
    else:
        server = request.getfixturevalue("postgres_url" if kind == "postgres" else "mysql_url")
        url = request.getfixturevalue("fresh_server_db")(server)
    procs = [FORK.Process(target=_first_opener, args=(url, i, str(tmp_path))) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    errors = [f.read_text() for f in tmp_path.glob("opener-*.txt")]
    assert not errors, "\n".join(errors)
    from tunelab.storage.sql import SQLStorage

    assert sorted(s.name for s in SQLStorage(url).list_studies()) == [f"opener-{i}" for i in range(4)]
