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
    mask_url,
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
