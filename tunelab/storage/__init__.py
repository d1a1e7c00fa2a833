"""Where studies live: in memory, or in a SQL database (SQLite, PostgreSQL, MySQL/MariaDB)."""

from __future__ import annotations

from typing import Any

from tunelab.storage.base import (
    STALE_ATTR,
    BaseStorage,
    DuplicatedStudyError,
    StorageError,
    StudyNotFoundError,
    StudySummary,
    TrialFinishedError,
)
from tunelab.storage._retry import RetryFailedTrialCallback
from tunelab.storage.memory import InMemoryStorage

__all__ = [
    "STALE_ATTR",
    "BaseStorage",
    "DuplicatedStudyError",
    "InMemoryStorage",
    "RetryFailedTrialCallback",
    "StorageError",
    "StudyNotFoundError",
    "StudySummary",
    "TrialFinishedError",
    "get_storage",
    "mask_url",
]


def mask_url(url: Any) -> str:
    """A storage URL fit to print: its password replaced by ``***`` (SQLAlchemy's ``hide_password``).

    Every message and every line of terminal output that names a storage goes through this.
    """
    text = str(url)
    import sqlalchemy as sa  # only here: `import tunelab` stays light

    try:
        return sa.engine.make_url(text).render_as_string(hide_password=True)
    except Exception:  # not a URL: show it only if it cannot hold a password
        return text if "@" not in text else "<unparsable URL>"  # a password needs user:password@


def get_storage(storage: Any) -> BaseStorage:
    """None -> in memory; a database URL -> SQL storage; a storage object is used as it is."""
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        if storage in (":memory:", "memory"):
            return InMemoryStorage()
        from tunelab.storage.sql import SQLStorage

        return SQLStorage(storage)
    raise TypeError(f"storage must be None, a database URL or a storage object; got {storage!r}")
