"""What only the SQL storage has: URLs, schema versions, errors, caching, locks, pickling."""

from __future__ import annotations

import pickle
import sqlite3
import threading
import time

import numpy as np
import pytest
import sqlalchemy as sa

import tunelab
from tunelab.samplers.random import RandomSampler
from tunelab.space import FloatDistribution
from tunelab.storage import StorageError, get_storage
from tunelab.storage import sql as sql_module
from tunelab.storage import sql_schema
from tunelab.storage.sql import SQLStorage
from tunelab.storage.sql_engine import is_transient, normalize_url
from tunelab.trial import StudyDirection, TrialState

MIN = StudyDirection.MINIMIZE
X = FloatDistribution(0.0, 1.0)


# ------------------------------------------------------------------ URLs and connection errors

def test_bare_scheme_urls_get_our_drivers(tmp_path):
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("mysql://u@h/db").drivername == "mysql+pymysql"
    assert normalize_url("mariadb://u@h/db").drivername == "mariadb+pymysql"
    assert normalize_url("postgresql+psycopg2://u@h/db").drivername == "postgresql+psycopg2"  # explicit wins
    storage = SQLStorage(f"sqlite:///{tmp_path}/../{tmp_path.name}/a.db")
    assert storage.url == f"sqlite:///{tmp_path / 'a.db'}"  # absolute, so workers elsewhere find the file


@pytest.mark.parametrize("url, shown, expected", [
    ("postgresql://ana:s3cret@127.0.0.1:1/db", "postgresql+psycopg://ana:***@127.0.0.1:1/db", "PostgreSQL server"),
    ("mysql://ana:s3cret@127.0.0.1:1/db", "mysql+pymysql://ana:***@127.0.0.1:1/db", "MySQL/MariaDB server"),
])
def test_unreachable_server_names_the_masked_url(url, shown, expected):
    with pytest.raises(StorageError) as info:
        SQLStorage(url)
    message = str(info.value)
    assert shown in message and "s3cret" not in message and expected in message


@pytest.mark.parametrize("url, words", [
    ("oracle://u@h/db", ["unsupported backend 'oracle'", "sqlite:///"]),
    ("::not a url::", ["cannot be parsed", "postgresql://"]),
    ("sqlite:////no/such/folder/x.db", ["'/no/such/folder'", "does not exist"]),
])
def test_bad_urls_get_specific_errors(url, words):
    with pytest.raises(StorageError) as info:
        SQLStorage(url)
    for word in words:
        assert word in str(info.value)


def test_a_file_that_is_no_database_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not an SQLite file, just some text" * 100)
    with pytest.raises(StorageError, match="notes.db"):
        SQLStorage(f"sqlite:///{path}")


def test_constructor_arguments_are_validated(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    with pytest.raises(ValueError, match="'heartbeat_interval'"):
        SQLStorage(url, heartbeat_interval=-1.0)
    with pytest.raises(ValueError, match="'stale_after'"):
        SQLStorage(url, heartbeat_interval=10.0, stale_after=5.0)
    with pytest.raises(TypeError, match="'engine_kwargs'"):
        SQLStorage(url, engine_kwargs=["echo"])
    with pytest.raises(TypeError, match="'url'"):
        SQLStorage(42)
    storage = SQLStorage(url, heartbeat_interval=None, stale_after=None)
    assert (storage.heartbeat_interval, storage.stale_after) == (None, None)


def test_get_storage_opens_sql_for_a_url(sqlite_url):
    storage = get_storage(sqlite_url)
    assert isinstance(storage, SQLStorage)
    assert storage.url == sqlite_url and storage.heartbeat_interval == 20.0 and storage.stale_after == 120.0


def test_in_memory_sqlite_is_shared_by_threads_and_has_no_url():
    storage = SQLStorage("sqlite://")
    assert storage.url is None  # workers cannot reconnect to it: optimize uses threads
    sid = storage.create_study("s", [MIN])
    threads = [threading.Thread(target=storage.create_trial, args=(sid,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [t.number for t in storage.get_all_trials(sid)] == [0, 1, 2, 3]


# ------------------------------------------------------------------ schema versions

def _db_url(kind: str, tmp_path, request) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'v.db'}"
    server = request.getfixturevalue("postgres_url" if kind == "postgres" else "mysql_url")
    return request.getfixturevalue("fresh_server_db")(server)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres),
                                  pytest.param("mysql", marks=pytest.mark.mysql)])
def test_unknown_or_newer_schema_version_is_refused(kind, tmp_path, request):
    url = _db_url(kind, tmp_path, request)
    first = SQLStorage(url)
    sid = first.create_study("kept", [MIN])
    first.close()
    engine = sa.create_engine(normalize_url(url))
    version = sql_schema.meta.c.name == "schema_version"
    with engine.begin() as conn:
        assert conn.execute(sa.select(sql_schema.meta.c.value).where(version)).scalar_one() == str(sql_schema.SCHEMA_VERSION)
        conn.execute(sql_schema.meta.update().where(version).values(value=str(sql_schema.SCHEMA_VERSION + 1)))
    with pytest.raises(StorageError, match=f"schema version {sql_schema.SCHEMA_VERSION + 1}, newer .* upgrade tunelab"):
        SQLStorage(url)
    with engine.begin() as conn:
        conn.execute(sql_schema.meta.update().where(version).values(value="banana"))
    with pytest.raises(StorageError, match="unknown tunelab schema version 'banana'"):
        SQLStorage(url)
    with engine.begin() as conn:  # back to ours: the data was never touched
        conn.execute(sql_schema.meta.update().where(version).values(value=str(sql_schema.SCHEMA_VERSION)))
    engine.dispose()
    assert SQLStorage(url).get_study_id("kept") == sid


# ------------------------------------------------------------------ values

def test_values_must_be_json(sqlite_url):
    storage = SQLStorage(sqlite_url)
    sid = storage.create_study("s", [MIN])
    tid, _ = storage.create_trial(sid)
    with pytest.raises(TypeError, match="trial attr 'model' must be JSON-serializable"):
        storage.set_trial_user_attr(tid, "model", object())
    with pytest.raises(ValueError, match="at most 255"):
        storage.set_trial_user_attr(tid, "k" * 300, 1)
    with pytest.raises(ValueError, match="'name'"):
        storage.create_study("", [MIN])
    storage.set_trial_user_attr(tid, "np", {"a": np.float32(0.5), "b": np.int64(3), "c": np.arange(2)})
    storage.set_trial_param(tid, "x", X, np.float64(0.25))
    t = storage.get_trial(tid)
    assert t.user_attrs["np"] == {"a": 0.5, "b": 3, "c": [0, 1]} and t.params == {"x": 0.25}


# ------------------------------------------------------------------ caching

def test_repeated_reads_fetch_only_new_or_unfinished_trials(sqlite_url, monkeypatch):
    writer, reader = SQLStorage(sqlite_url), SQLStorage(sqlite_url)
    sid = writer.create_study("s", [MIN])
    for i in range(200):
        tid, _ = writer.create_trial(sid)
        writer.set_trial_param(tid, "x", X, i / 200)
        writer.finish_trial(tid, TrialState.COMPLETE, [float(i)])
    running, _ = writer.create_trial(sid)
    fetched: list[int] = []
    statements: list[str] = []
    real_build = sql_module.build_trials

    def counting_build(trial_rows, child_rows):
        trial_rows = list(trial_rows)
        fetched.append(len(trial_rows))
        return real_build(trial_rows, child_rows)

    monkeypatch.setattr(sql_module, "build_trials", counting_build)
    sa.event.listen(reader._engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert len(reader.get_all_trials(sid)) == 201
    assert fetched == [201] and len(statements) == 2  # trials, then all their children in one query
    first = reader.get_all_trials(sid)
    assert fetched[-1] == 1  # only the running trial again
    writer.finish_trial(running, TrialState.COMPLETE, [-1.0])
    for _ in range(3):
        writer.create_trial(sid)
    statements.clear()
    again = reader.get_all_trials(sid)
    assert fetched[-1] == 4 and len(statements) == 2  # the finished one and the three new ones
    assert again[200].state == TrialState.COMPLETE and again[200].values == [-1.0] and len(again) == 204
    assert all(a is b for a, b in zip(first[:200], again[:200]))  # finished records are shared, not re-read
    assert reader.get_trial(again[5].trial_id) is again[5]


def test_many_unfinished_trials_are_reread_from_the_first_one(sqlite_url, monkeypatch):
    """Above 500 unfinished trials the read switches from an id list to 'number >= first unfinished'."""
    writer, reader = SQLStorage(sqlite_url), SQLStorage(sqlite_url)
    sid = writer.create_study("s", [MIN])
    done = [writer.create_trial(sid)[0] for _ in range(5)]
    for tid in done:
        writer.finish_trial(tid, TrialState.COMPLETE, [0.0])
    running = [writer.create_trial(sid)[0] for _ in range(600)]
    assert len(reader.get_all_trials(sid)) == 605
    writer.finish_trial(running[0], TrialState.PRUNED)
    writer.finish_trial(running[-1], TrialState.FAIL)
    fetched: list[int] = []
    real_build = sql_module.build_trials
    monkeypatch.setattr(sql_module, "build_trials",
                        lambda rows, children: fetched.append(len(rows := list(rows))) or real_build(rows, children))
    trials = reader.get_all_trials(sid)
    assert fetched == [600]  # the 5 finished before the first unfinished one are not read again
    assert [t.number for t in trials] == list(range(605))
    assert (trials[5].state, trials[604].state, trials[300].state) == (TrialState.PRUNED, TrialState.FAIL,
                                                                       TrialState.RUNNING)


def test_a_study_of_another_storage_object_is_seen_whole(sqlite_url):
    a = tunelab.create_study("shared", storage=sqlite_url, sampler=RandomSampler(seed=1))
    a.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    b = tunelab.load_study("shared", sqlite_url, sampler=RandomSampler(seed=2))
    b.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert [t.number for t in a.trials] == list(range(8))
    assert a.best_value == min(t.params["x"] for t in b.trials)


# ------------------------------------------------------------------ locks, retries, processes

def test_a_write_waits_for_and_retries_a_held_lock(sqlite_url):
    """Another connection holds the write lock longer than the busy timeout: the write is retried, not lost."""
    storage = SQLStorage(sqlite_url, engine_kwargs={"connect_args": {"timeout": 0.05}})
    sid = storage.create_study("s", [MIN])
    blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None,
                              check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.6, blocker.execute, args=("COMMIT",))
    release.start()
    started = time.perf_counter()
    tid, number = storage.create_trial(sid)
    waited = time.perf_counter() - started
    release.join()
    blocker.close()
    assert number == 0 and waited >= 0.5  # it waited for the lock (several busy timeouts) and then succeeded
    assert storage.get_trial(tid).state == TrialState.RUNNING


def test_lock_errors_are_transient_and_others_are_not():
    class Locked(sqlite3.OperationalError):
        pass

    class PgError(Exception):
        def __init__(self, sqlstate):
            self.sqlstate = sqlstate

    def wrap(orig):
        return sa.exc.OperationalError("stmt", {}, orig)

    assert is_transient(wrap(Locked("database is locked")))
    assert is_transient(wrap(PgError("40001"))) and is_transient(wrap(PgError("40P01")))
    assert is_transient(wrap(Exception(1213, "Deadlock found when trying to get lock")))
    assert not is_transient(wrap(Exception(1062, "Duplicate entry")))
    assert not is_transient(wrap(PgError("23505")))
    assert not is_transient(ValueError("database is locked"))


def test_pickled_storage_reconnects(sqlite_url):
    storage = SQLStorage(sqlite_url, heartbeat_interval=2.0, stale_after=9.0)
    sid = storage.create_study("s", [MIN])
    copy = pickle.loads(pickle.dumps(storage))
    assert copy is not storage and copy.url == storage.url
    assert (copy.heartbeat_interval, copy.stale_after) == (2.0, 9.0)
    assert copy.create_trial(sid) == (1, 0)
    twin = storage.reopen()
    assert twin is not storage and twin._engine is not storage._engine
    assert (twin.url, twin.heartbeat_interval, twin.stale_after) == (storage.url, 2.0, 9.0)
    assert twin.get_trial(1).number == 0


def test_a_copy_in_a_worker_does_not_check_the_schema_again(sqlite_url, monkeypatch):
    """An executor's task unpickles the storage the caller opened: its schema was checked there."""
    storage = SQLStorage(sqlite_url)
    sid = storage.create_study("s", [MIN])
    checks = []
    monkeypatch.setattr(sql_module.sql_engine, "ensure_schema", lambda *args: checks.append(args))
    copy = pickle.loads(pickle.dumps(storage))
    assert copy.get_study_name(sid) == "s" and storage.reopen().get_study_name(sid) == "s"
    assert checks == []
    SQLStorage(sqlite_url)  # a storage opened by hand still checks
    assert len(checks) == 1


def test_close_keeps_the_storage_usable(sqlite_url):
    storage = SQLStorage(sqlite_url)
    sid = storage.create_study("s", [MIN])
    storage.close()
    assert storage.create_trial(sid)[1] == 0
    assert "sqlite" in repr(storage)


@pytest.mark.postgres
def test_repr_masks_the_password_but_url_keeps_it(pg_db_url):
    url = sa.engine.make_url(pg_db_url).set(password="s3cret").render_as_string(hide_password=False)
    storage = SQLStorage(url)  # the test server trusts local users, so any password works
    assert "s3cret" not in repr(storage) and "***" in repr(storage)
    assert "s3cret" in storage.url  # worker processes need it to reconnect


# ------------------------------------------------------------------ round trips per trial

def test_a_trials_life_costs_few_statements(sql_backend):
    """A worker's trial with one parameter: the queue check, the creation (with its first heartbeat),
    one statement for the parameter, the finish and the read of its final record.  On PostgreSQL
    each runs alone in autocommit (no BEGIN/COMMIT round trips), and the queue check and the
    creation are one statement."""
    storage = sql_backend.open()
    study = tunelab.create_study(storage=storage, sampler="random", seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)  # first reads, caches
    statements: list[str] = []
    commits: list[str] = []
    sa.event.listen(storage._engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *rest: statements.append(statement.split()[0].upper()))
    sa.event.listen(storage._engine, "commit", lambda conn: commits.append("commit"))

    def per_trial(n: int) -> tuple[dict[str, int], int]:
        statements.clear()
        commits.clear()
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n)
        return {kind: statements.count(kind) for kind in set(statements)}, len(commits)

    (ten, ten_commits), (twenty, twenty_commits) = per_trial(10), per_trial(20)  # the difference: 10 trials
    trial = {kind: (twenty.get(kind, 0) - ten.get(kind, 0)) / 10 for kind in set(ten) | set(twenty)}
    trial = {kind: n for kind, n in trial.items() if n}
    commits_per_trial = (twenty_commits - ten_commits) / 10
    if sql_backend.name == "postgres":
        assert trial == {"SELECT": 1, "WITH": 1, "INSERT": 1, "UPDATE": 1} and commits_per_trial == 0
    elif sql_backend.name == "sqlite":
        assert trial == {"SELECT": 2, "UPDATE": 2, "INSERT": 2} and commits_per_trial == 3
    else:  # no UPDATE ... RETURNING: the counter and the final record are read back
        assert trial == {"SELECT": 4, "UPDATE": 2, "INSERT": 2} and commits_per_trial == 3
    assert all(t.state.name == "COMPLETE" and "x" in t.params for t in study.trials)


def test_a_new_storage_objects_trials_compile_no_statement_on_postgres(postgres_url, monkeypatch):
    """Every storage object has its own engine, and SQLAlchemy compiles per engine: the statements of
    optimize and of a trial's life are compiled once per process instead, so the first trial of each
    ``load_study`` (each Dask task, each worker) costs what the later ones do."""
    study = tunelab.create_study(storage=postgres_url, sampler="random")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)  # compiled here, once
    again = tunelab.load_study(study.study_name, SQLStorage(postgres_url), sampler="random")
    compiled: list[str] = []
    real = sa.sql.compiler.SQLCompiler.__init__

    def counting(self, dialect, statement, *args, **kwargs):
        compiled.append(type(statement).__name__)
        real(self, dialect, statement, *args, **kwargs)

    monkeypatch.setattr(sa.sql.compiler.SQLCompiler, "__init__", counting)
    again.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert compiled == [] and [t.state.name for t in again.trials] == ["COMPLETE"] * 4


def test_opening_an_intact_database_checks_the_schema_in_two_statements(sql_backend):
    """The version row and one probe naming every table and column: no per-table reflection."""
    sql_backend.open().close()  # tables exist
    statements: list[str] = []

    def count(conn, cursor, statement, *rest):
        statements.append(" ".join(statement.split()))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    try:
        SQLStorage(sql_backend.url).close()
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)
    assert len(statements) == 2, statements
    assert "tunelab_meta" in statements[0]
    probe = statements[1]
    from tunelab.storage import sql_schema as S

    assert all(f"{t.name}.{c.name}" in probe for t in S.metadata.sorted_tables for c in t.columns)
