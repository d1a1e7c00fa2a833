"""Optuna's ``optuna.storages`` names, mapped onto tunelab's storages.

``RDBStorage`` is tunelab's SQL storage under Optuna's name and arguments;
``JournalStorage`` with ``JournalFileBackend`` / ``JournalRedisBackend`` is tunelab's
journal storage (its own log format; ``tunelab migrate`` reads Optuna's journal files).
The other classes are tunelab's own.
"""

from __future__ import annotations

from typing import Any, Callable

from tunelab.storage import BaseStorage, InMemoryStorage, RetryFailedTrialCallback
from tunelab.storage import get_storage as _get_storage
from tunelab.storage.journal import BaseJournalBackend, JournalStorage
from tunelab.storage.journal_file import JournalFileBackend, JournalFileOpenLock, JournalFileSymlinkLock
from tunelab.storage.journal_redis import JournalRedisBackend
from tunelab.storage.sql import SQLStorage
from tunelab.storages import journal

__all__ = ["BaseJournalBackend", "BaseJournalLogStorage", "BaseStorage", "InMemoryStorage", "JournalFileBackend",
           "JournalFileOpenLock", "JournalFileStorage", "JournalFileSymlinkLock", "JournalRedisBackend",
           "JournalRedisStorage", "JournalStorage", "RDBStorage", "RetryFailedTrialCallback",
           "RetryHeartbeatStaleTrialCallback", "fail_stale_trials", "get_storage", "journal"]

class RetryHeartbeatStaleTrialCallback(RetryFailedTrialCallback):
    """Optuna 5's name for the retry callback given to ``RDBStorage(heartbeat_stale_trial_callback=...)``.

    It queues a trial failed as stale again with the same parameters (``max_retry``,
    ``inherit_intermediate_values``, ``retried_trial_number``, ``retry_history`` as
    :class:`RetryFailedTrialCallback`, which it is).
    """


def get_storage(storage: Any) -> BaseStorage:
    """Optuna's ``storages.get_storage``: None -> in memory, a URL -> its storage, a storage object as it is."""
    return _get_storage(storage)


def fail_stale_trials(study: Any) -> None:
    """Optuna's ``storages.fail_stale_trials(study)``: fail the study's RUNNING trials whose heartbeat is older
    than the storage's grace period, then call the storage's ``failed_trial_callback`` on each.

    Does nothing for a storage without heartbeats (``stale_after`` None), as in Optuna.
    """
    storage = study.storage
    if not storage.stale_after:
        return
    swept = storage.fail_stale_trials(study.study_id, storage.stale_after)
    callback = getattr(storage, "failed_trial_callback", None)
    for trial_id in swept if callback is not None else ():
        callback(study, storage.get_trial(trial_id))


# Optuna's older names (deprecated there) of the journal classes
JournalFileStorage = JournalFileBackend
JournalRedisStorage = JournalRedisBackend
BaseJournalLogStorage = BaseJournalBackend


class RDBStorage(SQLStorage):
    """Optuna's ``RDBStorage``: a SQL database by URL (SQLite, PostgreSQL, MySQL/MariaDB).

    ``heartbeat_interval`` and ``grace_period`` become tunelab's ``heartbeat_interval`` and
    ``stale_after`` (Optuna's default grace is twice the interval).  Without a heartbeat
    interval no heartbeats are written and no trial is swept as stale, as in Optuna.
    ``heartbeat_stale_trial_callback(study, frozen_trial)`` (or its older name
    ``failed_trial_callback``) is called, as in Optuna, for each trial that a
    heartbeat sweep fails as stale (in a worker of ``optimize``; one found when a Study opens, at
    that Study's next ``optimize``), and also
    for a trial whose local worker process died or passed ``trial_timeout`` (tunelab fails
    those at once, where Optuna would wait for the sweep).  ``RetryFailedTrialCallback`` fits.
    ``skip_compatibility_check`` is accepted and ignored (tunelab checks its own schema).
    """

    def __init__(self, url: str, engine_kwargs: dict[str, Any] | None = None,
                 skip_compatibility_check: bool = False, *, heartbeat_interval: int | None = None,
                 grace_period: int | None = None,
                 heartbeat_stale_trial_callback: Callable[..., None] | None = None,
                 failed_trial_callback: Callable[..., None] | None = None, skip_table_creation: bool = False):
        if heartbeat_interval is None and grace_period is not None:
            raise ValueError("RDBStorage: argument 'grace_period' needs 'heartbeat_interval' (an int > 0); got None")
        stale_after = None
        if heartbeat_interval is not None:
            stale_after = float(grace_period) if grace_period is not None else 2.0 * float(heartbeat_interval)
            heartbeat_interval = float(heartbeat_interval)  # type: ignore[assignment]
        super().__init__(url, engine_kwargs=engine_kwargs, heartbeat_interval=heartbeat_interval,
                         stale_after=stale_after)
        if heartbeat_stale_trial_callback is not None and failed_trial_callback is not None:
            raise ValueError("RDBStorage: give one of 'heartbeat_stale_trial_callback' and 'failed_trial_callback' "
                             "(Optuna's older name of the same callback), not both")
        for name, given in (("heartbeat_stale_trial_callback", heartbeat_stale_trial_callback),
                            ("failed_trial_callback", failed_trial_callback)):
            if given is not None and not callable(given):
                raise TypeError(f"RDBStorage: argument {name!r} must be callable as (study, trial) or None; "
                                f"got {given!r}")
        self.failed_trial_callback = heartbeat_stale_trial_callback or failed_trial_callback

    @property
    def heartbeat_stale_trial_callback(self) -> Callable[..., None] | None:
        """Optuna 5's name of ``failed_trial_callback`` (one callback under both names)."""
        return self.failed_trial_callback

    def __reduce__(self) -> tuple:
        # a copy in a worker process or an executor's task keeps the callback (it must pickle there)
        return (_rdb_storage, (self._config, self.failed_trial_callback))

    def reopen(self) -> "RDBStorage":
        return _rdb_storage(self._config, self.failed_trial_callback)


def _rdb_storage(config: tuple, failed_trial_callback: Callable[..., None] | None) -> RDBStorage:
    """An RDBStorage from SQLStorage's settings (how copies and worker processes open it again)."""
    storage = RDBStorage.__new__(RDBStorage)
    SQLStorage.__init__(storage, *config)
    storage.failed_trial_callback = failed_trial_callback
    return storage
