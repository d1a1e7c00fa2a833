"""Where studies live: in memory, in a SQL database (SQLite, PostgreSQL, MySQL/MariaDB) or in a journal."""

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
    """None -> in memory; a database URL -> SQL storage; a journal URL -> journal storage; an object as it is.

    Journal URLs: ``journal:///abs/path.log`` or ``journal:relative.log`` (a file),
    ``journal+redis://host:6379/0`` (a Redis list).
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        if storage in (":memory:", "memory"):
            return InMemoryStorage()
        if storage.startswith(("journal:", "journal+")):
            return _journal_from_url(storage)
        from tunelab.storage.sql import SQLStorage

        return SQLStorage(storage)
    raise TypeError(f"storage must be None, a database URL or a storage object; got {storage!r}")


def _journal_from_url(url: str) -> BaseStorage:
    """``journal:///abs/path.log`` / ``journal:rel.log`` (a file) or ``journal+redis://host:port/db`` (Redis)."""
    if url.startswith("journal+redis://") or url.startswith("journal+rediss://"):
        from tunelab.storage.journal import JournalStorage
        from tunelab.storage.journal_redis import JournalRedisBackend

        return JournalStorage(JournalRedisBackend(url[len("journal+"):]))
    if url.startswith("journal:"):
        path = url[len("journal:"):]
        if path.startswith("//"):
            path = path[2:]  # journal:///abs/path -> /abs/path
        if path:
            from tunelab.storage.journal import JournalStorage
            from tunelab.storage.journal_file import JournalFileBackend

            return JournalStorage(JournalFileBackend(path))
    raise ValueError(f"journal storage URL must be 'journal:///path/to/file.log', 'journal:relative.log' or "
                     f"'journal+redis://host:6379/0'; got {url!r}")
