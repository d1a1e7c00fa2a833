"""Optuna's ``optuna.storages`` names, mapped onto tunelab's storages.

``RDBStorage`` is tunelab's SQL storage under Optuna's name and arguments;
``JournalStorage`` with ``JournalFileBackend`` / ``JournalRedisBackend`` is tunelab's
journal storage (its own log format; ``tunelab migrate`` reads Optuna's journal files).
The other classes are tunelab's own.
"""

from __future__ import annotations

from typing import Any, Callable

from tunelab.storage import BaseStorage, InMemoryStorage, RetryFailedTrialCallback
from tunelab.storage.journal import BaseJournalBackend, JournalStorage
from tunelab.storage.journal_file import JournalFileBackend, JournalFileOpenLock, JournalFileSymlinkLock
from tunelab.storage.journal_redis import JournalRedisBackend
from tunelab.storage.sql import SQLStorage
from tunelab.storages import journal

__all__ = ["BaseJournalBackend", "BaseJournalLogStorage", "BaseStorage", "InMemoryStorage", "JournalFileBackend",
           "JournalFileOpenLock", "JournalFileStorage", "JournalFileSymlinkLock", "JournalRedisBackend",
           "JournalRedisStorage", "JournalStorage", "RDBStorage", "RetryFailedTrialCallback",
           "RetryHeartbeatStaleTrialCallback", "fail_stale_trials", "get_storage", "journal"]

# Optuna's older names (deprecated there) of the journal classes
JournalFileStorage = JournalFileBackend
JournalRedisStorage = JournalRedisBackend
BaseJournalLogStorage = BaseJournalBackend


class RDBStorage(SQLStorage):
    """Optuna's ``RDBStorage``: a SQL database by URL (SQLite, PostgreSQL, MySQL/MariaDB).

    ``heartbeat_interval`` and ``grace_period`` become tunelab's ``heartbeat_interval`` and
    ``stale_after`` (Optuna's default grace is twice the interval).  Without a heartbeat
    interval no heartbeats are written and no trial is swept as stale, as in Optuna.
    ``failed_trial_callback(study, frozen_trial)`` is called, as in Optuna, for each trial that a
    heartbeat sweep fails as stale (in a worker of ``optimize``; one found when a Study opens, at
    that Study's next ``optimize``), and also
    for a trial whose local worker process died or passed ``trial_timeout`` (tunelab fails
    those at once, where Optuna would wait for the sweep).  ``RetryFailedTrialCallback`` fits.
    ``heartbeat_stale_trial_callback`` is Optuna 5's name for the same callback.
    ``skip_compatibility_check`` is accepted and ignored (tunelab checks its own schema).
    """

    @property
    def heartbeat_stale_trial_callback(self) -> Callable[..., None] | None:
        return self.failed_trial_callback

    def __init__(self, url: str, engine_kwargs: dict[str, Any] | None = None,
                 skip_compatibility_check: bool = False, *, heartbeat_interval: int | None = None,
                 grace_period: int | None = None,
                 failed_trial_callback: Callable[..., None] | None = None, skip_table_creation: bool = False,
                 heartbeat_stale_trial_callback: Callable[..., None] | None = None):
        if heartbeat_stale_trial_callback is not None:  # Optuna 5's name for failed_trial_callback
            if failed_trial_callback is not None:
                raise ValueError("RDBStorage: give 'heartbeat_stale_trial_callback' or 'failed_trial_callback' "
                                 "(its older name), not both")
            failed_trial_callback = heartbeat_stale_trial_callback
        if heartbeat_interval is None and grace_period is not None:
            raise ValueError("RDBStorage: argument 'grace_period' needs 'heartbeat_interval' (an int > 0); got None")
        stale_after = None
        if heartbeat_interval is not None:
            stale_after = float(grace_period) if grace_period is not None else 2.0 * float(heartbeat_interval)
            heartbeat_interval = float(heartbeat_interval)  # type: ignore[assignment]
        super().__init__(url, engine_kwargs=engine_kwargs, heartbeat_interval=heartbeat_interval,
                         stale_after=stale_after)
        if failed_trial_callback is not None and not callable(failed_trial_callback):
            raise TypeError("RDBStorage: argument 'failed_trial_callback' must be callable as (study, trial) or "
                            f"None; got {failed_trial_callback!r}")
        self.failed_trial_callback = failed_trial_callback

    def __reduce__(self) -> tuple:
        # a copy in a worker process or an executor's task keeps the callback (it must pickle there)
        return (_rdb_storage, (self._config, self.failed_trial_callback))

    def reopen(self) -> "RDBStorage":
        return _rdb_storage(self._config, self.failed_trial_callback)


#: Optuna 5's name of the retry callback (``RetryFailedTrialCallback`` is its older one).
RetryHeartbeatStaleTrialCallback = RetryFailedTrialCallback


def get_storage(storage: Any) -> BaseStorage:
    """A storage object from None (in memory), a URL, or a storage object (Optuna's helper)."""
    from tunelab.storage import get_storage as _get_storage

    return _get_storage(storage)


def fail_stale_trials(study: Any) -> None:
    """Fail the study's running trials whose heartbeat is older than the storage's grace period.

    Each trial failed here goes to the storage's ``failed_trial_callback`` (and nowhere else).
    A storage without heartbeats (no ``heartbeat_interval``) has nothing to sweep, as in Optuna.
    """
    from tunelab.study._worker import retry_failed

    storage = study.storage
    grace = getattr(storage, "stale_after", None)
    if not grace or not getattr(storage, "heartbeat_interval", None):
        return
    retry_failed(study, storage.fail_stale_trials(study.study_id, grace), [])


def _rdb_storage(config: tuple, failed_trial_callback: Callable[..., None] | None) -> RDBStorage:
    """An RDBStorage from SQLStorage's settings (how copies and worker processes open it again)."""
    storage = RDBStorage.__new__(RDBStorage)
    SQLStorage.__init__(storage, *config)
    storage.failed_trial_callback = failed_trial_callback
    return storage
