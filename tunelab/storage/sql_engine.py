"""Connecting to a database: URL rules, engine setup per backend, retries, the schema check.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts
with ``BEGIN IMMEDIATE`` (see ``SQLStorage._write``) so that two processes never both read and then both
write (the source of most "database is locked" errors).  Lock, deadlock and
serialization errors that still happen are retried with backoff by
:func:`retrying`, so they never reach the user.
"""

from __future__ import annotations

import functools
import os
import random
import sqlite3
import time
from typing import Any, Callable, TypeVar

import sqlalchemy as sa
from sqlalchemy import event

from tunelab.storage import sql_schema as schema
from tunelab.storage.base import StorageError

T = TypeVar("T")

_EXPECTED = ("expected a SQLAlchemy database URL such as 'sqlite:///tunelab.db', "
             "'postgresql://user:password@host:5432/db' or 'mysql://user:password@host:3306/db'")

# scheme -> driver we use when the URL names none
_DEFAULT_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
_BACKENDS = ("sqlite", "postgresql", "mysql", "mariadb")
_DRIVER_PACKAGES = {"psycopg": "'tunelab[postgres]'", "pymysql": "'tunelab[mysql]'", "psycopg2": "psycopg2-binary"}

SQLITE_BUSY_TIMEOUT_MS = 60_000


def mask(url: str) -> str:
    """The URL with its password replaced by ***, for messages (see :func:`tunelab.storage.mask_url`)."""
    from tunelab.storage.base import mask_url

    return mask_url(url)


def normalize_url(url: str) -> sa.engine.URL:
    """Parse a URL, choose our drivers for bare postgresql:// and mysql://, make SQLite paths absolute."""
    try:
        parsed = sa.engine.make_url(url)
    except Exception:
        raise StorageError(f"storage URL {url!r} cannot be parsed: {_EXPECTED}") from None
    backend = parsed.get_backend_name()
    if parsed.drivername in _DEFAULT_DRIVERS:
        parsed = parsed.set(drivername=_DEFAULT_DRIVERS[parsed.drivername])
        backend = parsed.get_backend_name()
    if backend not in _BACKENDS:
        raise StorageError(f"storage URL {mask(url)!r} names the unsupported backend {backend!r}; {_EXPECTED}")
    if backend == "sqlite" and parsed.database and not is_memory_sqlite(parsed):
        path = os.path.abspath(os.path.expanduser(parsed.database))
        folder = os.path.dirname(path)
        if not os.path.isdir(folder):
            raise StorageError(f"storage URL {mask(url)!r}: the folder {folder!r} of the SQLite file does not exist")
        parsed = parsed.set(database=path)
    return parsed


def is_memory_sqlite(url: sa.engine.URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def make_engine(url: sa.engine.URL, engine_kwargs: dict[str, Any] | None) -> sa.engine.Engine:
    """An engine with tunelab's per-backend settings; user ``engine_kwargs`` win."""
    backend = url.get_backend_name()
    kwargs: dict[str, Any] = {}
    if backend == "sqlite":
        if is_memory_sqlite(url):
            # one shared connection, so every thread sees the same in-memory database
            kwargs.update(poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False})
    else:
        # no pool_pre_ping: a round trip per checkout; a dead pooled connection (server restart, idle
        # disconnect) fails its first statement and :func:`retrying` runs the work again on a new one
        if backend in ("mysql", "mariadb"):
            kwargs["isolation_level"] = "READ COMMITTED"  # fewer gap locks, fewer deadlocks
    kwargs.update(engine_kwargs or {})
    try:
        engine = sa.create_engine(url, **kwargs)
    except ModuleNotFoundError as exc:
        package = _DRIVER_PACKAGES.get(exc.name or "", exc.name)
        raise StorageError(f"storage URL {mask(str(url))!r} needs the database driver {exc.name!r}; "
                           f"install it with: pip install {package}") from None
    except (sa.exc.ArgumentError, TypeError) as exc:
        raise StorageError(f"cannot create an engine for {mask(str(url))!r}: {exc}") from None
    if backend == "sqlite":
        # connect_args={"timeout": seconds} sets how long a writer waits for the lock before we retry
        timeout = kwargs.get("connect_args", {}).get("timeout")
        busy_ms = SQLITE_BUSY_TIMEOUT_MS if timeout is None else int(float(timeout) * 1000)
        _setup_sqlite(engine, memory=is_memory_sqlite(url), busy_ms=busy_ms)
    return engine


def _setup_sqlite(engine: sa.engine.Engine, memory: bool, busy_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLStorage emits BEGIN / BEGIN IMMEDIATE itself
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
        cur.execute("PRAGMA foreign_keys = ON")
        if not memory:
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")  # durable across process crashes in WAL mode
        cur.close()


def sqlite_begin(conn: sa.engine.Connection, immediate: bool) -> None:
    """Open the transaction on the driver (autocommit mode); lock errors come out as SQLAlchemy's."""
    sql = "BEGIN IMMEDIATE" if immediate else "BEGIN"
    try:
        conn.connection.driver_connection.execute(sql)
    except sqlite3.Error as exc:
        raise sa.exc.OperationalError(sql, None, exc) from exc


# ---------------------------------------------------------------------------- retries

_PG_RETRY = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available
_MYSQL_RETRY = {1205, 1213}  # lock wait timeout, deadlock
_SQLITE_RETRY = ("database is locked", "database table is locked", "database schema is locked")


def is_transient(exc: BaseException) -> bool:
    """Lock, deadlock or serialization errors: the transaction may simply be run again."""
    if not isinstance(exc, sa.exc.DBAPIError) or exc.connection_invalidated:
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _PG_RETRY:
        return True
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _MYSQL_RETRY:
        return True
    text = str(orig).lower()
    return any(s in text for s in _SQLITE_RETRY)


_READ_ONLY = ("readonly database", "read-only")
_FULL = ("database or disk is full", "no space left", "could not extend file")
_SCHEMA_CHANGED = ("no such column", "no such table")


def explain(exc: sa.exc.DBAPIError, url: str) -> StorageError | None:
    """One line for database errors a user can act on (read-only, full, tables changed by hand); else None."""
    orig = exc.orig
    text = str(orig).lower()
    code = getattr(orig, "args", (None,))[0] if getattr(orig, "args", None) else None
    sqlstate = getattr(orig, "sqlstate", None)
    where = mask(url)
    if sqlstate == "25006" or code in (1290, 1036) or any(s in text for s in _READ_ONLY):
        return StorageError(f"the storage {where} is read-only, so tunelab cannot record anything in it "
                            f"({str(orig).splitlines()[0]}); for SQLite, make the file and its folder writable "
                            f"(the -wal and -shm files live beside it); what is stored is unchanged")
    if sqlstate == "53100" or code == 1114 or any(s in text for s in _FULL):
        return StorageError(f"the storage {where} is full ({str(orig).splitlines()[0]}); free disk space and "
                            f"run again: what is stored is unchanged, only this write was refused")
    if sqlstate in ("42703", "42P01") or code in (1054, 1146) or any(s in text for s in _SCHEMA_CHANGED):
        return StorageError(f"the tunelab tables of {where} were changed while in use "
                            f"({str(orig).splitlines()[0]}); restore the database from a backup")
    return None


RECONNECT_SECONDS = 120.0
"""How long an operation keeps trying to reach a server that went away (a restart, a failover)."""

_PG_DISCONNECT = {"57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006"}
_MYSQL_DISCONNECT = {1053, 2002, 2003, 2006, 2013}  # shutdown in progress, can't connect, server gone, lost
_DISCONNECT_TEXT = ("connection refused", "server closed the connection", "terminating connection",
                    "the database system is starting up", "the database system is shutting down",
                    "connection is closed", "consuming input failed", "lost connection", "server has gone away",
                    "connection reset")


def is_disconnect(exc: BaseException) -> bool:
    """The server went away or cannot be reached right now (restart, failover): worth reconnecting."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _PG_DISCONNECT:
        return True
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _MYSQL_DISCONNECT:
        return True
    text = str(orig).lower()
    return any(s in text for s in _DISCONNECT_TEXT)


_COMPILED: dict[tuple[int, str], tuple[Any, str, dict[str, Any]]] = {}


def run_compiled(conn: sa.engine.Connection, statement: Any, args: dict[str, Any] | None = None) -> Any:
    """Execute a statement built once (a module constant); on PostgreSQL as SQL text compiled once per process.

    SQLAlchemy compiles per engine, and every storage object has its own engine: each new one
    (each ``load_study``, each worker, each Dask task) compiled its statements again, which cost
    more than running them.  Elsewhere the statement runs as usual.  It must have no expanding
    (``IN``-list) parameter.
    """
    dialect = conn.dialect
    if dialect.name != "postgresql" or dialect.paramstyle != "pyformat":  # psycopg, psycopg2: %(name)s
        return conn.execute(statement, args or {})
    key = (id(statement), dialect.driver)
    hit = _COMPILED.get(key)
    if hit is None or hit[0] is not statement:  # the statement is held, so its id stays its own
        compiled = statement.compile(dialect=dialect)
        hit = _COMPILED[key] = (statement, str(compiled), dict(compiled.params))
    return conn.exec_driver_sql(hit[1], {**hit[2], **(args or {})})


def retrying(fn: Callable[[], T], what: str, url: str, attempts: int = 40) -> T:
    """Run ``fn`` (one whole transaction), again after transient errors, with jittered backoff.

    Lock errors are retried ``attempts`` times; a lost server connection is retried (on a new
    connection: the pool drops the dead ones) for :data:`RECONNECT_SECONDS`.  A transaction cut
    off by a disconnect was rolled back by the server, unless the connection died between the
    server's commit and its answer: writes that can tell (finishing a trial) check for that.
    """
    delay = 0.002
    lock_tries = 0
    lost_since: float | None = None
    while True:
        try:
            return fn()
        except sa.exc.DBAPIError as exc:
            if is_disconnect(exc):
                now = time.monotonic()
                lost_since = now if lost_since is None else lost_since
                if now - lost_since > RECONNECT_SECONDS:
                    raise StorageError(f"{what} on {mask(url)}: lost the connection to the server and could not "
                                       f"reconnect within {RECONNECT_SECONDS:.0f} s: "
                                       f"{str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else exc}"
                                       ) from exc
                time.sleep(min(0.05 * 2 ** min(int(now - lost_since), 4), 1.0) * (0.5 + random.random()))
                continue
            if not is_transient(exc):
                explained = explain(exc, url)
                if explained is not None:
                    raise explained from None
                raise
            lock_tries += 1
            if lock_tries >= attempts:
                raise StorageError(f"{what} on {mask(url)} kept failing on locks after {attempts} tries: "
                                   f"{exc.orig}") from exc
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 0.5)


# ---------------------------------------------------------------------------- schema


UPGRADE_COMMAND = "tunelab upgrade-schema --storage '{url}'"


def ensure_schema(engine: sa.engine.Engine, url: str) -> None:
    """Create the tables in an empty database; check, upgrade or refuse an existing one.

    A database with tunelab tables but no version (its ``tunelab_meta`` table or row deleted)
    is refused, never stamped again: its tables may be of any version.
    """
    mysql = engine.dialect.name in ("mysql", "mariadb")
    for attempt in range(40 if mysql else 5):
        try:
            present, version = _read_state(engine)
            if not present:
                _create(engine)
                present, version = _read_state(engine)
            if version is None and mysql and attempt < 39:
                # MySQL commits each CREATE TABLE on its own: another process may be half way through creating
                time.sleep(0.05)
                continue
            break
        except sa.exc.OperationalError as exc:
            if not _is_connect_error(exc) and attempt < 4 and (is_transient(exc) or "exist" in str(exc)):
                time.sleep(0.05 * (attempt + 1))  # another process is creating the same tables
                continue
            raise _connect_error(url, exc) from None
        except (sa.exc.ProgrammingError, sa.exc.IntegrityError) as exc:
            if attempt < 4:  # two creators raced (table or row exists already): look again
                time.sleep(0.05 * (attempt + 1))
                continue
            raise StorageError(f"cannot create the tunelab tables in {mask(url)}: {exc.orig}") from None
        except sa.exc.DBAPIError as exc:  # e.g. "file is not a database"
            raise _connect_error(url, exc) from None
    if version is None:
        raise StorageError(
            f"the database {mask(url)} has tunelab tables but no schema version (the tunelab_meta table or its "
            f"'schema_version' row was deleted); refusing to guess which version its tables are: restore the "
            f"database from a backup")
    if version == "1" and not mysql:
        _stamp(engine, url)  # nothing changes in SQLite and PostgreSQL tables from version 1 to 2
        version = str(schema.SCHEMA_VERSION)
    check_version(version, url, mysql)
    check_columns(engine, url)


def _create(engine: sa.engine.Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":  # one creator at a time
            sqlite_begin(conn, immediate=True)
        tables = schema.metadata
        if engine.dialect.name in ("mysql", "mariadb"):
            tables = schema.mysql_metadata(schema.exact_collation(conn))
        tables.create_all(conn)
        if conn.execute(sa.select(schema.meta.c.value)
                        .where(schema.meta.c.name == "schema_version")).first() is None:
            conn.execute(schema.meta.insert(), [{"name": "schema_version", "value": str(schema.SCHEMA_VERSION)}])
        conn.commit()


def _stamp(engine: sa.engine.Engine, url: str, expected: str = "1") -> None:
    """Move the version row from ``expected`` to the current version (a no-op if another process did)."""
    def run() -> None:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                sqlite_begin(conn, immediate=True)
            conn.execute(schema.meta.update().where(schema.meta.c.name == "schema_version",
                                                    schema.meta.c.value == expected)
                         .values(value=str(schema.SCHEMA_VERSION)))
            conn.commit()
    retrying(run, "upgrading the schema version", url)


def upgrade_schema(url: str) -> str:
    """Bring a database of an older tunelab schema to the current one; returns what was done.

    Version 1 to 2 on MySQL/MariaDB converts every tunelab table to the binary collation
    (``ALTER TABLE ... CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin``); run it with no
    worker on the database.  Names that differed only in case or accents could not both be stored
    under version 1, so the conversion never meets duplicates.
    """
    engine = make_engine(normalize_url(url), None)
    try:
        present, version = _read_state(engine)
        if not present:
            raise StorageError(f"the database {mask(url)} has no tunelab tables: nothing to upgrade")
        if version == str(schema.SCHEMA_VERSION):
            return f"{mask(url)} is at tunelab schema version {version} already: nothing to do"
        if version != "1":
            check_version(version, url, mysql=False)
        if engine.dialect.name in ("mysql", "mariadb"):
            with engine.begin() as conn:
                collation = schema.exact_collation(conn)
                for table in schema.metadata.sorted_tables:
                    conn.exec_driver_sql(f"ALTER TABLE `{table.name}` CONVERT TO CHARACTER SET "
                                         f"{schema.MYSQL_CHARSET} COLLATE {collation}")
        _stamp(engine, url)
        check_columns(engine, url)
        return f"{mask(url)}: upgraded the tunelab schema from version 1 to {schema.SCHEMA_VERSION}"
    finally:
        engine.dispose()


def check_version(version: str, url: str, mysql: bool) -> None:
    if version == str(schema.SCHEMA_VERSION):
        return
    if version == "1" and mysql:
        raise StorageError(
            f"the database {mask(url)} has tunelab schema version 1, in which MySQL/MariaDB compare names "
            f"ignoring case, accents and trailing spaces; upgrade it to version {schema.SCHEMA_VERSION} once, "
            f"with no worker running, with: {UPGRADE_COMMAND.format(url=mask(url))}")
    try:
        newer = int(version) > schema.SCHEMA_VERSION
    except ValueError:
        newer = False
    if newer:
        raise StorageError(
            f"the database {mask(url)} has tunelab schema version {version}, newer than the version "
            f"{schema.SCHEMA_VERSION} this tunelab understands; upgrade tunelab to open it")
    raise StorageError(
        f"the database {mask(url)} has an unknown tunelab schema version {version!r} "
        f"(expected {schema.SCHEMA_VERSION}); refusing to read or write it")


@functools.cache
def _columns_probe() -> sa.CompoundSelect:
    """One statement that names every tunelab table and column and reads no row: it fails where one is missing."""
    def probe(table: sa.Table) -> sa.Select:
        return sa.select(sa.literal_column("1")).select_from(table).where(
            sa.and_(sa.text("1 = 0"), sa.or_(*[c.is_(None) for c in table.columns])))
    return sa.union_all(*[probe(t) for t in schema.metadata.sorted_tables])


def check_columns(engine: sa.engine.Engine, url: str) -> None:
    """Every tunelab table and column is there (a table or column dropped by hand is named, once, here).

    An intact database costs one round trip (:func:`_columns_probe`); only when that fails are the
    tables reflected one by one to name what is missing.
    """
    try:
        with engine.connect() as conn:
            run_compiled(conn, _columns_probe()).all()
        return
    except sa.exc.DBAPIError:
        pass  # something is missing, or the probe met a passing error: reflection below tells which
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        names = set(inspector.get_table_names())
        for table in schema.metadata.sorted_tables:
            if table.name not in names:
                raise StorageError(f"the database {mask(url)} lacks the table {table.name!r} of tunelab schema "
                                   f"version {schema.SCHEMA_VERSION} (dropped by hand?); restore it from a backup")
            have = {c["name"] for c in inspector.get_columns(table.name)}
            missing = [c.name for c in table.columns if c.name not in have]
            if missing:
                raise StorageError(f"the database {mask(url)} lacks the column(s) {', '.join(missing)} of the "
                                   f"table {table.name!r} (tunelab schema version {schema.SCHEMA_VERSION}; "
                                   f"changed by hand?); restore it from a backup")


_VERSION_ROW = sa.select(schema.meta.c.value).where(schema.meta.c.name == "schema_version")


def _read_state(engine: sa.engine.Engine) -> tuple[bool, str | None]:
    """(whether any tunelab table exists, the stored schema version or None).

    A database of the current version answers in one round trip; the tables are listed only when
    the version row cannot be read or holds another version.
    """
    with engine.connect() as conn:
        try:
            row = run_compiled(conn, _VERSION_ROW).first()
            if row is not None and row[0] == str(schema.SCHEMA_VERSION):
                return True, row[0]
        except sa.exc.DBAPIError:  # no meta table; a lost connection fails again just below
            conn.rollback()
        names = set(sa.inspect(conn).get_table_names())
        present = any(t.name in names for t in schema.metadata.sorted_tables)
        if schema.meta.name not in names:
            return present, None
        row = conn.execute(_VERSION_ROW).first()
        return present, None if row is None else row[0]


def _is_connect_error(exc: sa.exc.DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return any(s in text for s in ("connect", "unable to open", "could not translate", "name or service",
                                   "access denied", "authentication", "does not exist", "unknown database"))


def _connect_error(url: str, exc: sa.exc.DBAPIError) -> StorageError:
    backend = sa.engine.make_url(url).get_backend_name()
    expected = {"sqlite": "a readable and writable SQLite file",
                "postgresql": "a running PostgreSQL server that accepts this user and database",
                "mysql": "a running MySQL/MariaDB server that accepts this user and database",
                "mariadb": "a running MariaDB server that accepts this user and database"}[backend]
    reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
    return StorageError(f"cannot open the storage {mask(url)}: {reason}; expected {expected}")
