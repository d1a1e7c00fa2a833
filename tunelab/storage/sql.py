"""Durable storage in a SQL database (SQLAlchemy Core): SQLite, PostgreSQL or MySQL/MariaDB.

Many processes and machines may share one database.  Trial numbers come from a
per-study counter row updated in the trial's own transaction, so they are
dense and never repeat; state changes are conditional UPDATEs (``... WHERE
state = RUNNING``), so a trial is popped or finished exactly once.  Finished
trials are cached (see :mod:`tunelab.storage.sql_records`), so a read after the first
asks only for new and unfinished trials; a big first read takes each child table in
its key order (no sort of the whole union) and builds records with little Python per
row.  Opening a study reads one row per parameter name, not its trials
(:meth:`SQLStorage.get_param_distributions`).  Tables: see
:mod:`tunelab.storage.sql_schema`; engines and retries: :mod:`tunelab.storage.sql_engine`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
import weakref
from datetime import datetime
from typing import Any, Callable, NoReturn, Sequence, TypeVar

import sqlalchemy as sa

from tunelab._validation import Interval, validate
from tunelab.space import Distribution, distribution_to_json
from tunelab._gc import paused_gc
from tunelab.storage import sql_engine
from tunelab.storage import sql_queries as Q
from tunelab.storage import sql_schema as S
from tunelab.storage.base import (
    STALE_ATTR,
    BaseStorage,
    DuplicatedStudyError,
    StudyNotFoundError,
    StudySummary,
    TrialFinishedError,
)
from tunelab.storage.sql_records import StudyCache, build_trials, build_trials_split, distribution, dumps, loads
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

T = TypeVar("T")

_MAX_IN = 500  # above this many unfinished trials, re-read from the first one instead of listing ids
_SPLIT_READ = 2000  # above this many trial rows, read children with three queries in key order (no big sort)

_CONSTRAINTS = {
    "url": [str],
    "engine_kwargs": [dict, None],
    "heartbeat_interval": [Interval(float, 0, None, closed="neither"), None],
    "stale_after": [Interval(float, 0, None, closed="neither"), None],
}

_LIVE: "weakref.WeakSet[SQLStorage]" = weakref.WeakSet()


class SQLStorage(BaseStorage):
    """Studies in a database that several processes and machines can share.

    url: ``sqlite:///path.db``, ``postgresql://user:pw@host/db`` (psycopg 3) or
    ``mysql://user:pw@host/db`` (PyMySQL).  heartbeat_interval: seconds between the
    heartbeats a worker records for its running trial (None: none).  stale_after:
    seconds without a heartbeat after which a RUNNING trial counts as lost and
    workers fail it (None: never).
    """

    def __init__(self, url: str, engine_kwargs: dict[str, Any] | None = None,
                 heartbeat_interval: float | None = 20.0, stale_after: float | None = 120.0):
        self._open(url, engine_kwargs, heartbeat_interval, stale_after, check_schema=True)

    def _open(self, url: str, engine_kwargs: dict[str, Any] | None, heartbeat_interval: float | None,
              stale_after: float | None, check_schema: bool) -> None:
        validate(_CONSTRAINTS, {"url": url, "engine_kwargs": engine_kwargs, "heartbeat_interval": heartbeat_interval,
                                "stale_after": stale_after}, "SQLStorage")
        if heartbeat_interval is not None and stale_after is not None and stale_after <= heartbeat_interval:
            raise ValueError(f"SQLStorage: argument 'stale_after' ({stale_after}) must be larger than "
                             f"'heartbeat_interval' ({heartbeat_interval}), or a live trial would count as lost")
        parsed = sql_engine.normalize_url(url)
        self._config = (url, engine_kwargs, heartbeat_interval, stale_after)
        full = parsed.render_as_string(hide_password=False)
        # an in-memory SQLite database lives in this process only: no URL for workers to reconnect to
        self.url: str | None = None if sql_engine.is_memory_sqlite(parsed) else full
        self._display = sql_engine.mask(full)
        self.heartbeat_interval = heartbeat_interval
        self.stale_after = stale_after
        self._engine = sql_engine.make_engine(parsed, engine_kwargs)
        self._dialect = self._engine.dialect.name
        self._sqlite = self._dialect == "sqlite"
        # in-memory SQLite has one connection for all threads: one transaction at a time
        self._serial: Any = threading.Lock() if self.url is None else contextlib.nullcontext()
        self._upserts = Q.make_upserts(self._dialect)
        # PostgreSQL: work that is one statement runs without BEGIN/COMMIT (each is a round trip)
        self._autocommit = (self._engine.execution_options(isolation_level="AUTOCOMMIT")
                            if self._dialect == "postgresql" else None)
        self._returning = self._engine.dialect.update_returning
        self._init_caches()
        if check_schema:
            sql_engine.ensure_schema(self._engine, full)
        _LIVE.add(self)

    def _init_caches(self) -> None:
        self._cache_lock = threading.Lock()
        self._studies: dict[int, StudyCache] = {}
        self._finished_by_id: dict[int, FrozenTrial] = {}

    def __repr__(self) -> str:
        return f"SQLStorage({self._display!r})"

    def __reduce__(self) -> tuple:
        # a copy in another process (a worker, an executor's task) opens its own connections
        return (_reopened, self._config)

    def reopen(self) -> "SQLStorage":
        """A new storage on the same database with the same settings and its own connections (for workers).

        The schema is not checked again: this storage checked it when it opened (reflecting the
        tables took a worker process longer than starting up otherwise)."""
        return _reopened(*self._config)

    @property
    def shareable(self) -> bool:
        return self.url is not None

    def close(self) -> None:
        self._engine.dispose()  # the pool reconnects if the storage is used again

    # ------------------------------------------------------------------ transactions
    def _read(self, fn: Callable[[sa.engine.Connection], T]) -> T:
        """Run ``fn`` in one read transaction (a consistent snapshot on SQLite and MySQL)."""
        def run() -> T:
            with self._serial, self._engine.connect() as conn:
                if self._sqlite:  # the driver is in autocommit mode: open the transaction ourselves
                    sql_engine.sqlite_begin(conn, immediate=False)
                return fn(conn)  # closing the connection rolls the read transaction back
        return sql_engine.retrying(run, "a read", self._display)

    def _write(self, fn: Callable[[sa.engine.Connection], T]) -> T:
        """Run ``fn`` in one write transaction, again after lock errors; SQLite takes its write lock first."""
        def run() -> T:
            with self._serial, self._engine.connect() as conn:
                if self._sqlite:  # take the write lock now, not at the first write (no upgrade deadlocks)
                    sql_engine.sqlite_begin(conn, immediate=True)
                result = fn(conn)
                conn.commit()
                return result
        return sql_engine.retrying(run, "a write", self._display)

    def _single(self, fn: Callable[[sa.engine.Connection], T], write: bool = True) -> T:
        """Run ``fn``, whose statements are each atomic alone, in autocommit mode where that saves
        round trips (PostgreSQL); elsewhere as one transaction (:meth:`_write` or :meth:`_read`)."""
        if self._autocommit is None:
            return self._write(fn) if write else self._read(fn)

        def run() -> T:
            with self._autocommit.connect() as conn:
                return fn(conn)
        return sql_engine.retrying(run, "a write" if write else "a read", self._display)

    def _refuse(self, conn: sa.engine.Connection, trial_id: int, what: str) -> NoReturn:
        """Why a conditional write to a trial changed nothing: StudyNotFoundError or TrialFinishedError."""
        row = conn.execute(Q.trial_state, {"p_trial_id": trial_id}).first()
        if row is None:
            raise _no_trial(trial_id)
        if row.state not in Q.UNFINISHED:
            raise TrialFinishedError(f"trial {row.number} is {TrialState(row.state).name} already and cannot change")
        raise AssertionError(f"trial {trial_id}: {what} not written although the trial is unfinished")

    def _check_study(self, conn: sa.engine.Connection, study_id: int, lock: bool = False) -> None:
        """Raise StudyNotFoundError unless the study exists; ``lock``: keep it so until commit (writers)."""
        query = Q.study_shared if lock else Q.study_exists
        if sql_engine.run_compiled(conn, query, {"p_study_id": study_id}).first() is None:
            raise _no_study(study_id)

    # ------------------------------------------------------------------ studies
    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> int:
        if not isinstance(name, str) or not name or len(name) > S.MAX_STUDY_NAME:
            raise ValueError(f"create_study: 'name' must be a non-empty string of at most {S.MAX_STUDY_NAME} "
                             f"characters; got {name!r}")
        text = dumps([StudyDirection.parse(d).name.lower() for d in directions], "directions")

        def txn(conn: sa.engine.Connection) -> int:
            result = conn.execute(S.studies.insert().values(name=name, directions=text, next_number=0,
                                                            datetime_created=datetime.now()))
            return int(result.inserted_primary_key[0])
        try:
            return self._write(txn)
        except sa.exc.IntegrityError:
            raise DuplicatedStudyError(f"a study named {name!r} exists already") from None

    def get_study_id(self, name: str) -> int:
        row = self._read(lambda c: sql_engine.run_compiled(c, Q.study_by_name, {"p_name": name}).first())
        if row is None:
            raise StudyNotFoundError(f"no study named {name!r}")
        return int(row[0])

    def _study_row(self, study_id: int) -> Any:
        row = self._read(lambda c: sql_engine.run_compiled(c, Q.study_row, {"p_study_id": study_id}).first())
        if row is None:
            raise _no_study(study_id)
        return row

    def get_study_name(self, study_id: int) -> str:
        return self._study_row(study_id).name

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return [StudyDirection.parse(d) for d in loads(self._study_row(study_id).directions)]

    def delete_study(self, study_id: int) -> None:
        trial_ids = sa.select(S.trials.c.trial_id).where(S.trials.c.study_id == study_id).scalar_subquery()

        def txn(conn: sa.engine.Connection) -> None:
            # Lock the study row, then its trial rows, before deleting anything: writers of new trials and
            # study attrs wait on the first, writers into running trials on the second, and all of them
            # find nothing once this commits (StudyNotFoundError), instead of breaking a foreign key.
            if conn.execute(Q.study_exclusive, {"p_study_id": study_id}).first() is None:
                raise _no_study(study_id)
            conn.execute(Q.study_trials_exclusive, {"p_study_id": study_id}).all()
            for table in (S.trial_params, S.trial_intermediate, S.trial_attrs):
                conn.execute(table.delete().where(table.c.trial_id.in_(trial_ids)))
            for table in (S.trials, S.study_attrs, S.claims, S.studies):
                conn.execute(table.delete().where(table.c.study_id == study_id))
        self._write(txn)
        with self._cache_lock:
            cache = self._studies.pop(study_id, None)
            if cache is not None:
                for t in cache.finished:
                    if t is not None:
                        self._finished_by_id.pop(t.trial_id, None)

    def list_studies(self) -> list[StudySummary]:
        def txn(conn: sa.engine.Connection) -> tuple:
            studies = conn.execute(sa.select(S.studies).order_by(S.studies.c.study_id)).all()
            counts = conn.execute(sa.select(S.trials.c.study_id, S.trials.c.state, sa.func.count())
                                  .group_by(S.trials.c.study_id, S.trials.c.state)).all()
            values = conn.execute(sa.select(S.trials.c.study_id, S.trials.c.values_json)
                                  .where(S.trials.c.state == int(TrialState.COMPLETE))).all()
            attrs = conn.execute(sa.select(S.study_attrs).where(S.study_attrs.c.is_system == sa.false())).all()
            return studies, counts, values, attrs
        studies, counts, values, attrs = self._read(txn)
        n_all: dict[int, int] = {}
        n_complete: dict[int, int] = {}
        for study_id, state, n in counts:
            n_all[study_id] = n_all.get(study_id, 0) + n
            if state == TrialState.COMPLETE:
                n_complete[study_id] = n
        directions = {r.study_id: [StudyDirection.parse(d) for d in loads(r.directions)] for r in studies}
        best: dict[int, list[float]] = {}
        for study_id, text in values:
            dirs = directions.get(study_id)
            if dirs is None or len(dirs) != 1 or text is None:
                continue
            vals = loads(text)
            if study_id not in best or dirs[0].sign() * vals[0] < dirs[0].sign() * best[study_id][0]:
                best[study_id] = vals
        user_attrs: dict[int, dict[str, Any]] = {}
        for r in attrs:
            user_attrs.setdefault(r.study_id, {})[r.attr_key] = loads(r.value_json)
        return [StudySummary(r.study_id, r.name, directions[r.study_id], n_all.get(r.study_id, 0),
                             n_complete.get(r.study_id, 0), best.get(r.study_id), r.datetime_created,
                             user_attrs.get(r.study_id, {})) for r in studies]

    def set_study_attr(self, study_id: int, key: str, value: Any, system: bool = False) -> None:
        row = {"study_id": study_id, "is_system": bool(system), "attr_key": _key(key, "study attr key"),
               "value_json": dumps(value, f"study attr {key!r}")}

        def txn(conn: sa.engine.Connection) -> None:
            self._check_study(conn, study_id, lock=True)
            conn.execute(self._upserts["study_attr"], row)
        self._write(txn)

    def get_study_attrs(self, study_id: int, system: bool = False) -> dict[str, Any]:
        def txn(conn: sa.engine.Connection) -> list:
            self._check_study(conn, study_id)
            return conn.execute(sa.select(S.study_attrs.c.attr_key, S.study_attrs.c.value_json)
                                .where(S.study_attrs.c.study_id == study_id,
                                       S.study_attrs.c.is_system == bool(system))).all()
        return {k: loads(v) for k, v in self._read(txn)}

    def get_study_attr(self, study_id: int, key: str, system: bool = False) -> Any:
        args = {"p_study_id": study_id, "p_system": bool(system), "p_key": key}
        row = self._single(lambda c: sql_engine.run_compiled(c, Q.study_attr_value, args).first(), write=False)
        if row is None:
            raise _no_study(study_id)
        return None if row.value_json is None else loads(row.value_json)

    # ------------------------------------------------------------------ trials
    def create_trial(self, study_id: int, state: TrialState = TrialState.RUNNING,
                     fixed_params: dict[str, Any] | None = None,
                     user_attrs: dict[str, Any] | None = None, *, heartbeat: bool = False) -> tuple[int, int]:
        if state not in (TrialState.RUNNING, TrialState.WAITING):
            raise ValueError(f"a new trial must be RUNNING or WAITING; got {TrialState(state).name}")
        attrs = [(True, "fixed_params", fixed_params)] if fixed_params else []
        attrs += [(False, k, v) for k, v in (user_attrs or {}).items()]
        attr_rows = [{"is_system": system, "attr_key": _key(k, "trial attr key"),
                      "value_json": dumps(v, f"trial attr {k!r}")} for system, k, v in attrs]
        start = datetime.now() if state == TrialState.RUNNING else None
        beat = time.time() if heartbeat and start is not None else None

        if self._autocommit is not None and not attr_rows:  # one statement: counter and row together
            args = {"p_study_id": study_id, "p_state": int(state), "p_start": start, "p_beat": beat}
            row = self._single(lambda c: c.execute(Q.insert_trial_numbered, args).first())
            if row is None:
                raise _no_study(study_id)
            return int(row.trial_id), int(row.number)

        def txn(conn: sa.engine.Connection) -> tuple[int, int]:
            number = self._next_number(conn, study_id)
            result = conn.execute(Q.insert_trial, {"study_id": study_id, "number": number, "state": int(state),
                                                   "datetime_start": start, "heartbeat": beat})
            trial_id = int(result.inserted_primary_key[0])
            if attr_rows:
                conn.execute(S.trial_attrs.insert(), [{"trial_id": trial_id, **r} for r in attr_rows])
            return trial_id, number
        return self._write(txn)

    def add_trial(self, study_id: int, trial: FrozenTrial) -> tuple[int, int]:
        """The whole record in one transaction at the study's next number, datetimes kept."""
        values = None if trial.values is None else dumps([float(v) for v in trial.values], "values")
        params = [{"param_name": _key(n, "parameter name"), "distribution_json": distribution_to_json(trial.distributions[n]),
                   "value_json": dumps(v, f"parameter {n!r}")} for n, v in trial.params.items()]
        steps = [{"step": int(k), "value_json": dumps(float(v), "intermediate value")}
                 for k, v in trial.intermediate_values.items()]
        attrs = [{"is_system": system, "attr_key": _key(k, "trial attr key"), "value_json": dumps(v, f"trial attr {k!r}")}
                 for system, src in ((False, trial.user_attrs), (True, trial.system_attrs)) for k, v in src.items()]

        def txn(conn: sa.engine.Connection) -> tuple[int, int]:
            number = self._next_number(conn, study_id)
            result = conn.execute(S.trials.insert().values(
                study_id=study_id, number=number, state=int(trial.state), values_json=values,
                datetime_start=trial.datetime_start, datetime_complete=trial.datetime_complete))
            trial_id = int(result.inserted_primary_key[0])
            for table, rows in ((S.trial_params, params), (S.trial_intermediate, steps), (S.trial_attrs, attrs)):
                if rows:
                    conn.execute(table.insert(), [{"trial_id": trial_id, **r} for r in rows])
            return trial_id, number
        return self._write(txn)

    def _next_number(self, conn: sa.engine.Connection, study_id: int) -> int:
        """Take the study's next trial number; the counter row stays locked until commit."""
        args = {"p_study_id": study_id}
        if self._engine.dialect.update_returning:
            row = conn.execute(Q.bump_number_returning, args).first()
        else:
            row = conn.execute(Q.read_number, args).first() if conn.execute(Q.bump_number, args).rowcount else None
        if row is None:
            raise _no_study(study_id)
        return int(row[0]) - 1

    def pop_waiting_trial(self, study_id: int, *, heartbeat: bool = False) -> tuple[int, int] | None:
        while True:
            # a plain read first: no write lock at all in the usual case where nothing waits
            row = self._single(lambda c: c.execute(Q.oldest_waiting, {"p_study_id": study_id}).first(), write=False)
            if row is None:
                raise _no_study(study_id)
            if row.trial_id is None:
                return None
            args = {"p_trial_id": row.trial_id, "p_now": datetime.now(), "p_beat": time.time() if heartbeat else None}
            if self._write(lambda c: c.execute(Q.take_waiting, args).rowcount) == 1:
                return int(row.trial_id), int(row.number)
            # another worker took it first: look for the next one

    def start_trial(self, study_id: int, *, heartbeat: bool = False) -> tuple[int, int, bool]:
        if self._autocommit is None:
            return super().start_trial(study_id, heartbeat=heartbeat)
        args = {"p_study_id": study_id, "p_start": datetime.now(), "p_beat": time.time() if heartbeat else None}
        # one statement: the queue or a new trial
        row = self._single(lambda c: sql_engine.run_compiled(c, Q.start_trial, args).first())
        if row is None:
            raise _no_study(study_id)
        return int(row.trial_id), int(row.number), bool(row.popped)

    def set_trial_param(self, trial_id: int, name: str, distribution: Distribution, value: Any) -> None:
        row = {"trial_id": trial_id, "param_name": _key(name, "parameter name"),
               "distribution_json": distribution_to_json(distribution), "value_json": dumps(value, f"parameter {name!r}")}
        self._write_child(trial_id, "param", row)

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        row = {"trial_id": trial_id, "step": int(step), "value_json": dumps(float(value), "intermediate value")}
        self._write_child(trial_id, "intermediate", row)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._write_child(trial_id, "trial_attr", {"trial_id": trial_id, "is_system": False,
                                                   "attr_key": _key(key, "trial attr key"),
                                                   "value_json": dumps(value, f"trial attr {key!r}")})

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._write_child(trial_id, "trial_attr", {"trial_id": trial_id, "is_system": True,
                                                   "attr_key": _key(key, "trial attr key"),
                                                   "value_json": dumps(value, f"trial attr {key!r}")})

    def _write_child(self, trial_id: int, kind: str, row: dict[str, Any]) -> None:
        """Upsert a param/intermediate/attr row of an unfinished trial (TrialFinishedError otherwise).

        One statement: the row is inserted from the trial's own row, selected only while the
        trial is unfinished and locked until commit; nothing written means no such trial."""
        def txn(conn: sa.engine.Connection) -> None:
            result = sql_engine.run_compiled(conn, self._upserts[f"{kind}_of_unfinished"], row)
            if (result.first() is None) if result.returns_rows else result.rowcount == 0:
                self._refuse(conn, trial_id, kind)
        self._single(txn)

    def finish_trial(self, trial_id: int, state: TrialState, values: Sequence[float] | None = None) -> None:
        if not TrialState(state).is_finished():
            raise ValueError(f"finish_trial needs a finished state; got {TrialState(state).name}")
        args = {"p_trial_id": trial_id, "p_state": int(state), "p_now": datetime.now(),
                "p_values": None if values is None else dumps([float(v) for v in values], "values")}

        tries = []

        def txn(conn: sa.engine.Connection) -> FrozenTrial:
            tries.append(1)
            # its final record, which callers read back at once (the row comes with the update where it can)
            if self._returning:
                rows = sql_engine.run_compiled(conn, Q.finish_returning, args).all()
                if rows:
                    return self._load_trial(conn, trial_id, rows)
            elif conn.execute(Q.finish, args).rowcount == 1:
                return self._load_trial(conn, trial_id)
            if len(tries) > 1:  # a lost connection may have cut off the answer to our own commit
                mine = self._load_trial(conn, trial_id)
                stored = None if mine.values is None else dumps([float(v) for v in mine.values], "values")
                if mine.state == state and stored == args["p_values"]:
                    return mine
            self._refuse(conn, trial_id, "the finish")
        # the update is atomic alone, and a finished trial's children no longer change
        frozen = self._single(txn)
        with self._cache_lock:
            self._finished_by_id[trial_id] = frozen

    def get_trial(self, trial_id: int) -> FrozenTrial:
        cached = self._finished_by_id.get(trial_id)
        if cached is not None:
            return cached
        frozen = self._read(lambda c: self._load_trial(c, trial_id))
        if frozen.state.is_finished():
            with self._cache_lock:
                self._finished_by_id[trial_id] = frozen
        return frozen

    def _load_trial(self, conn: sa.engine.Connection, trial_id: int, rows: list | None = None) -> FrozenTrial:
        """The trial's record; ``rows``: its trial row if the caller has it (columns of ``Q.trial_by_id``)."""
        args = {"p_trial_id": trial_id}
        rows = sql_engine.run_compiled(conn, Q.trial_by_id, args).all() if rows is None else rows
        if not rows:
            raise _no_trial(trial_id)
        return build_trials(rows, sql_engine.run_compiled(conn, Q.children_by_id, args).all())[trial_id]

    def get_all_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
        with self._cache_lock:
            cache = self._studies.setdefault(study_id, StudyCache())
        known, pending = cache.snapshot(self._finished_by_id)
        cond = Q.T.number >= known
        if len(pending) > _MAX_IN:
            cond = Q.T.number >= min(pending.values())
        elif pending:
            cond = sa.or_(cond, Q.T.trial_id.in_(list(pending)))
        cond = sa.and_(Q.T.study_id == study_id, cond)

        def txn(conn: sa.engine.Connection) -> tuple:
            rows = _raw_rows(conn, sa.select(*Q.READ_COLUMNS).where(cond))
            if not rows:
                if not known:
                    self._check_study(conn, study_id)
                return rows, None
            # trial rows first, then children: a trial read as finished has all its children committed
            if len(rows) <= _SPLIT_READ:
                return rows, _raw_rows(conn, Q.children(lambda table: cond, from_trials=True))
            return rows, [_raw_rows(conn, query) for query in Q.split_children(cond)]
        with paused_gc() if not known else contextlib.nullcontext():  # a first read may bring 100,000s of rows
            rows, children = self._read(txn)
            if children is None or len(rows) <= _SPLIT_READ:
                fresh = build_trials(rows, children or [])
            else:
                fresh = build_trials_split(rows, *children)
            cache.merge(list(fresh.values()))
        trials = cache.assemble(fresh, max([known] + [t.number + 1 for t in fresh.values()]))
        with self._cache_lock:
            for t in fresh.values():
                if t.state.is_finished():
                    self._finished_by_id.setdefault(t.trial_id, t)
        if states is not None:
            wanted = set(states)
            trials = [t for t in trials if t.state in wanted]
        return trials

    def get_param_distributions(self, study_id: int) -> dict[str, Distribution]:
        """One row per parameter name (the newest), not a read of every trial: opening a big study stays cheap."""
        def txn(conn: sa.engine.Connection) -> list:
            self._check_study(conn, study_id)
            ids = [row[0] for row in sql_engine.run_compiled(conn, Q.last_param_rows, {"p_study_id": study_id})]
            return conn.execute(Q.param_distributions, {"p_param_ids": ids}).all() if ids else []
        return {name: distribution(text) for name, text in self._read(txn)}

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        row = self._read(lambda c: c.execute(Q.trial_id_by_number, {"p_study_id": study_id,
                                                                     "p_number": number}).first())
        if row is None:
            raise KeyError(f"study {study_id} has no trial number {number}")
        return int(row[0])

    def get_n_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> int:
        args = {"p_study_id": study_id}
        query = Q.trial_count
        if states is not None:
            query = query.where(Q.T.state.in_([int(s) for s in states]))

        def txn(conn: sa.engine.Connection) -> int:
            self._check_study(conn, study_id)
            result = sql_engine.run_compiled(conn, query, args) if states is None else conn.execute(query, args)
            return int(result.scalar_one())
        return self._read(txn)

    # ------------------------------------------------------------------ coordination
    def claim(self, study_id: int, key: str) -> bool:
        if not isinstance(key, str):
            raise TypeError(f"claim: 'key' must be a string; got {key!r}")
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()

        def txn(conn: sa.engine.Connection) -> None:
            self._check_study(conn, study_id, lock=True)
            conn.execute(S.claims.insert().values(study_id=study_id, key_hash=digest, claim_key=key))
        try:
            self._write(txn)
        except sa.exc.IntegrityError:
            return False
        return True

    def record_heartbeat(self, trial_id: int) -> None:
        args = {"p_trial_id": trial_id, "p_time": time.time()}
        self._write(lambda c: c.execute(Q.heartbeat, args))

    def get_heartbeats(self, study_id: int) -> dict[int, float]:
        """The last heartbeat (``time.time()``) of each RUNNING trial that has one, by trial id."""
        query = sa.select(Q.T.trial_id, Q.T.heartbeat).where(Q.T.study_id == study_id, Q.T.state == Q.RUNNING,
                                                             Q.T.heartbeat.is_not(None))
        return {int(tid): float(beat) for tid, beat in self._read(lambda c: c.execute(query).all())}

    def fail_stale_trials(self, study_id: int, grace_seconds: float) -> list[int]:
        now = time.time()
        cutoff = now - grace_seconds

        def find(conn: sa.engine.Connection) -> list:
            self._check_study(conn, study_id)
            return sql_engine.run_compiled(conn, Q.stale_trials, {"p_study_id": study_id, "p_cutoff": cutoff}).all()
        failed = []
        for trial_id, beat in self._read(find):
            args = {"p_trial_id": trial_id, "p_cutoff": cutoff, "p_now": datetime.now()}
            reason = {"trial_id": trial_id, "is_system": True, "attr_key": "fail_reason",
                      "value_json": dumps(f"no heartbeat for {now - beat:.0f} s (worker lost)", "fail_reason")}
            marker = {"trial_id": trial_id, "is_system": True, "attr_key": STALE_ATTR, "value_json": "true"}

            def txn(conn: sa.engine.Connection) -> bool:
                if conn.execute(Q.fail_stale, args).rowcount != 1:
                    return False  # finished or beat meanwhile, or another sweeper failed it
                conn.execute(self._upserts["trial_attr"], reason)
                conn.execute(self._upserts["trial_attr"], marker)
                return True
            if self._write(txn):
                failed.append(int(trial_id))
        return failed


def _raw_rows(conn: sa.engine.Connection, statement: Any) -> list:
    """The rows of a SELECT as the driver's own tuples: SQLAlchemy's Row objects cost more than the
    rest of a 100,000-trial read.  Only for queries whose columns need no type processing (text,
    numbers; datetimes are parsed by sql_records)."""
    result = conn.execute(statement)
    try:
        return result.cursor.fetchall()
    except Exception as exc:  # a driver error while fetching: raised as SQLAlchemy raises it, so retries see it
        base = conn.dialect.loaded_dbapi.Error
        if isinstance(exc, base):
            raise sa.exc.DBAPIError.instance(None, None, exc, base) from exc
        raise
    finally:
        result.close()


def _no_study(study_id: int) -> StudyNotFoundError:
    return StudyNotFoundError(f"no study with id {study_id}: it was never created, or it was deleted")


def _reopened(*config: Any) -> SQLStorage:
    """A storage opened from another's settings, without checking the schema that one checked."""
    storage = SQLStorage.__new__(SQLStorage)
    storage._open(*config, check_schema=False)
    return storage


def _no_trial(trial_id: int) -> StudyNotFoundError:
    """A trial id that is not (or no longer) there; a KeyError too, as the contract asks."""
    return StudyNotFoundError(f"no trial with id {trial_id}: it was never created, or its study was deleted")


def _key(key: Any, what: str) -> str:
    if not isinstance(key, str) or not key or len(key) > S.MAX_KEY:
        raise ValueError(f"a {what} must be a non-empty string of at most {S.MAX_KEY} characters; got {key!r}")
    return key


def _after_fork_in_child() -> None:
    """A forked child must not use its parent's sockets or locks: drop them, keep the objects usable."""
    for storage in list(_LIVE):
        storage._engine.dispose(close=False)
        storage._init_caches()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
