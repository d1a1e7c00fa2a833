"""Optuna's ``optuna.storages.journal`` names: tunelab's journal storage and its backends."""

from __future__ import annotations

from tunelab.storage.journal import BaseJournalBackend, JournalStorage
from tunelab.storage.journal_file import (
    BaseJournalFileLock,
    JournalFileBackend,
    JournalFileFlock,
    JournalFileOpenLock,
    JournalFileSymlinkLock,
)
from tunelab.storage.journal_redis import JournalRedisBackend

__all__ = ["BaseJournalBackend", "BaseJournalFileLock", "JournalFileBackend", "JournalFileFlock",
           "JournalFileOpenLock", "JournalFileSymlinkLock", "JournalRedisBackend", "JournalStorage"]

