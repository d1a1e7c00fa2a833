"""Storage fixtures: every backend behind one interface, each test on fresh tables.

PostgreSQL and MariaDB tests run in a database created for this test session
(dropped at its end), so they never touch other tests' tables; the servers
themselves and the session's databases (``server_databases``) come from the
shared fixtures in tests/conftest.py (skip on a laptop, fail when CI=true).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

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


@pytest.fixture
def pg_db_url(postgres_url: str, server_databases: Any) -> str:
    """A PostgreSQL database of this session (shared by its tests: use unique study names)."""
    return server_databases.fresh(postgres_url, key="postgres")


@pytest.fixture
def mysql_db_url(mysql_url: str, server_databases: Any) -> str:
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
def fresh_server_db(server_databases: Any) -> Callable[[str], str]:
    """A new empty database on a server, for tests that must not share one (schema versions)."""
    return lambda server_url: server_databases.fresh(server_url)
