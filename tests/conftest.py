"""Shared fixtures: database servers that must be there in CI and may be absent on a laptop."""

from __future__ import annotations

import os
import uuid

import pytest

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
