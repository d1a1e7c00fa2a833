"""Storage fixtures: every backend behind one interface, each test on fresh tables.

PostgreSQL and MariaDB tests run in a database created for this test session
(dropped at its end), so they never touch other tests' tables; the servers
themselves come from the shared fixtures in tests/conftest.py (skip on a
laptop, fail when CI=true).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Callable, Iterator

import pytest
import sqlalchemy as sa

from tunelab.storage import BaseStorage, InMemoryStorage


@dataclass
class Backend:
    """One database for one test; ``open()`` gives a storage object on it (a new one each call for SQL)."""

    name: str
    url: str | None  # None: in memory
    _opened: list[BaseStorage] = field(default_factory=list)
    _memory: InMemoryStorage | None = None

    def open(self, **kwargs: object) -> BaseStorage:
        if self.url is None:
            if self._memory is None:
                self._memory = InMemoryStorage()
            return self._memory
        from tunelab.storage.sql import SQLStorage

        storage = SQLStorage(self.url, **kwargs)  # type: ignore[arg-type]
        self._opened.append(storage)
        return storage

    def close(self) -> None:
        for storage in self._opened:
            storage.close()


class ServerDatabases:
    """Databases this session created on the servers; each is dropped at the end."""

    def __init__(self) -> None:
        self._made: dict[str, str] = {}
        self._engines: dict[str, sa.engine.Engine] = {}

    def fresh(self, server_url: str, key: str | None = None) -> str:
        """The URL of a new empty database on the server (one per key; key None: always new)."""
        if key is not None and key in self._made:
            return self._made[key]
        url = sa.engine.make_url(server_url)
        name = f"tunelab_t_{uuid.uuid4().hex[:12]}"
        _admin(server_url, f"CREATE DATABASE {name}")
        made = url.set(database=name).render_as_string(hide_password=False)
        self._made[key or name] = made
        return made

    def engine(self, url: str) -> sa.engine.Engine:
        """One engine per database for the fixtures' own housekeeping."""
        if url not in self._engines:
            self._engines[url] = sa.create_engine(url, pool_pre_ping=True)  # survives a server restart test
        return self._engines[url]

    def drop_all(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        for made in self._made.values():
            url = sa.engine.make_url(made)
            force = " WITH (FORCE)" if url.get_backend_name() == "postgresql" else ""
            try:
                _admin(made, f"DROP DATABASE IF EXISTS {url.database}{force}")
            except Exception:  # best effort: a leftover test database is harmless
                pass


def _admin(url: str, sql: str) -> None:
    parsed = sa.engine.make_url(url)
    admin_db = "postgres" if parsed.get_backend_name() == "postgresql" else None
    engine = sa.create_engine(parsed.set(database=admin_db), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def server_databases() -> Iterator[ServerDatabases]:
    dbs = ServerDatabases()
    yield dbs
    dbs.drop_all()


@pytest.fixture
def pg_db_url(postgres_url: str, server_databases: ServerDatabases) -> str:
    """A PostgreSQL database of this session (shared by its tests: use unique study names)."""
    return server_databases.fresh(postgres_url, key="postgres")


@pytest.fixture
def mysql_db_url(mysql_url: str, server_databases: ServerDatabases) -> str:
    return server_databases.fresh(mysql_url, key="mysql")


def _wipe(engine: sa.engine.Engine) -> None:
    """Empty every tunelab table, children first (server databases are shared by the session)."""
    from tunelab.storage import sql_schema as S
    from tunelab.storage.sql import SQLStorage

    SQLStorage(engine.url.render_as_string(hide_password=False)).close()  # creates the tables if need be
    with engine.begin() as conn:
        for table in reversed(S.metadata.sorted_tables):
            if table is not S.meta:
                conn.execute(table.delete())


ALL_BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres),
                pytest.param("mysql", marks=pytest.mark.mysql)]
SQL_BACKENDS = ALL_BACKENDS[1:]


def _backend(request: pytest.FixtureRequest, tmp_path) -> Iterator[Backend]:
    kind = request.param
    if kind == "memory":
        backend = Backend(kind, None)
    elif kind == "sqlite":
        backend = Backend(kind, f"sqlite:///{tmp_path / 'tunelab.db'}")
    else:
        url = request.getfixturevalue("pg_db_url" if kind == "postgres" else "mysql_db_url")
        _wipe(request.getfixturevalue("server_databases").engine(url))
        backend = Backend(kind, url)
    yield backend
    backend.close()


@pytest.fixture(params=ALL_BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path) -> Iterator[Backend]:
    """Every storage: memory, SQLite file, PostgreSQL, MariaDB; tables empty at the start."""
    yield from _backend(request, tmp_path)


@pytest.fixture(params=SQL_BACKENDS)
def sql_backend(request: pytest.FixtureRequest, tmp_path) -> Iterator[Backend]:
    """The SQL storages only."""
    yield from _backend(request, tmp_path)


@pytest.fixture
def storage(backend: Backend) -> BaseStorage:
    return backend.open()


@pytest.fixture
def fresh_server_db(server_databases: ServerDatabases) -> Callable[[str], str]:
    """A new empty database on a server, for tests that must not share one (schema versions)."""
    return lambda server_url: server_databases.fresh(server_url)
