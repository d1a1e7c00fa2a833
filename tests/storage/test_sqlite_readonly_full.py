"""A read-only or full SQLite file: one clear line, and everything already stored is still there."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa

import tunelab
from tunelab.samplers.random import RandomSampler
from tunelab.storage import StorageError
from tunelab.storage.sql import SQLStorage
from tunelab.trial import TrialState


def _objective(trial: tunelab.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


def _filled(url: str, n: int = 5) -> list:
    study = tunelab.create_study(study_name="s", storage=url, sampler=RandomSampler(seed=0))
    study.optimize(_objective, n_trials=n)
    return [(t.number, t.params, t.values) for t in study.trials]


def _stored(url: str) -> list:
    storage = SQLStorage(url)
    return [(t.number, t.params, t.values) for t in storage.get_all_trials(storage.get_study_id("s"))]


def _with_pragma(storage: SQLStorage, pragma: str) -> SQLStorage:
    """Every connection of ``storage`` runs ``pragma`` first."""
    @sa.event.listens_for(storage._engine, "connect")
    def _on_connect(dbapi_conn, record) -> None:
        dbapi_conn.execute(pragma)
    storage.close()  # drop pooled connections: the next ones run the pragma
    return storage


def test_a_read_only_file_gives_one_clear_line_and_loses_nothing(tmp_path):
    path = tmp_path / "ro.db"
    url = f"sqlite:///{path}"
    before = _filled(url)
    if os.geteuid() == 0:  # root writes through file modes: the driver's read-only switch stands in for them
        storage = _with_pragma(SQLStorage(url), "PRAGMA query_only = ON")
    else:
        for p in (path, path.with_name("ro.db-wal"), path.with_name("ro.db-shm")):
            if p.exists():
                p.chmod(stat.S_IRUSR)
        storage = url
    try:
        with pytest.raises(StorageError, match="is read-only") as info:
            study = tunelab.load_study(study_name="s", storage=storage, sampler=RandomSampler(seed=1))
            study.optimize(_objective, n_trials=1)
    finally:
        for p in tmp_path.iterdir():
            p.chmod(stat.S_IRUSR | stat.S_IWUSR)
    message = str(info.value)
    assert "\n" not in message and "INSERT" not in message and "UPDATE" not in message
    assert "what is stored is unchanged" in message
    assert _stored(url) == before


def test_a_full_file_gives_one_clear_line_and_loses_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'full.db'}"
    before = _filled(url)
    storage = SQLStorage(url)
    with storage._engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    _with_pragma(storage, f"PRAGMA max_page_count = {pages}")  # the file may not grow: a full disk
    study = tunelab.load_study(study_name="s", storage=storage, sampler=RandomSampler(seed=1))
    with pytest.raises(StorageError, match="is full") as info:
        for i in range(200):  # the pages' free room runs out within a few trials
            study.set_user_attr(f"filler{i}", "x" * 2000)
    message = str(info.value)
    assert "\n" not in message and "INSERT" not in message and "what is stored is unchanged" in message
    assert _stored(url) == before
    storage.close()
    resumed = tunelab.load_study(study_name="s", storage=url, sampler=RandomSampler(seed=2))
    resumed.optimize(_objective, n_trials=1)  # room again: the study goes on
    assert [t.state for t in resumed.trials] == [TrialState.COMPLETE] * (len(before) + 1)
