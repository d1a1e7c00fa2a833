"""Shared fixtures: database servers that must be there in CI and may be absent on a laptop."""

from __future__ import annotations

import os
import uuid
from typing import Callable, Iterator

import pytest
import sqlalchemy as sa

POSTGRES_URL = os.environ.get("TUNELAB_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("TUNELAB_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _reachable(url: str) -> str | None:
    """None if the server answers, else the reason."""
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any driver error means: not usable here
        return f"{type(exc).__name__}: {exc}"


def require_server(url: str, what: str) -> str:
    """Skip when the server is absent on a laptop; fail when it is absent in CI (CI=true)."""
    reason = _reachable(url)
    if reason is not None:
        message = f"{what} at {url} is not reachable ({reason})"
        if in_ci():
            pytest.fail(message + " — CI=true, so this fails instead of skipping")
        pytest.skip(message)
    return url


@pytest.fixture
def postgres_url() -> str:
    return require_server(POSTGRES_URL, "PostgreSQL")


@pytest.fixture
def mysql_url() -> str:
    return require_server(MYSQL_URL, "MariaDB/MySQL")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tunelab.db'}"


@pytest.fixture
def unique_name() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


class ServerDatabases:
    """Databases created on the servers (names start with ``prefix``); ``drop_all`` drops each."""

    def __init__(self, prefix: str = "tunelab_t_") -> None:
        self._prefix = prefix
        self._made: dict[str, str] = {}
        self._engines: dict[str, sa.engine.Engine] = {}

    def fresh(self, server_url: str, key: str | None = None) -> str:
        """The URL of a new empty database on the server (one per key; key None: always new)."""
        if key is not None and key in self._made:
            return self._made[key]
        url = sa.engine.make_url(server_url)
        name = f"{self._prefix}{uuid.uuid4().hex[:12]}"
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
def fresh_database(request: pytest.FixtureRequest) -> Iterator[Callable[[str], str]]:
    """make(kind) -> the URL of a new empty database on that server (dropped after the test)."""
    dbs = ServerDatabases(prefix="tunelab_c_")

    def make(kind: str) -> str:
        return dbs.fresh(request.getfixturevalue("postgres_url" if kind == "postgres" else "mysql_url"))

    yield make
    dbs.drop_all()
