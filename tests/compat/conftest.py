"""Fixtures for the Optuna-compatibility tests: Optuna itself writes the source databases."""

from __future__ import annotations

import uuid
from typing import Iterator

import pytest
import sqlalchemy as sa


def _admin(url: str, sql: str) -> None:
    parsed = sa.engine.make_url(url)
    admin_db = "postgres" if parsed.get_backend_name() == "postgresql" else None
    engine = sa.create_engine(parsed.set(database=admin_db), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


@pytest.fixture
def fresh_database(request: pytest.FixtureRequest) -> Iterator:
    """make(kind) -> the URL of a new empty database on that server (dropped after the test)."""
    made: list[str] = []

    def make(kind: str) -> str:
        server = request.getfixturevalue("postgres_url" if kind == "postgres" else "mysql_url")
        name = f"tunelab_c_{uuid.uuid4().hex[:12]}"
        _admin(server, f"CREATE DATABASE {name}")
        url = sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
        made.append(url)
        return url

    yield make
    for url in made:
        parsed = sa.engine.make_url(url)
        force = " WITH (FORCE)" if parsed.get_backend_name() == "postgresql" else ""
        try:
            _admin(url, f"DROP DATABASE IF EXISTS {parsed.database}{force}")
        except Exception:  # best effort: a leftover test database is harmless
            pass
