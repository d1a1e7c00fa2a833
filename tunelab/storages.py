"""Optuna's ``optuna.storages`` names, mapped onto tunelab's storages.

``RDBStorage`` is tunelab's SQL storage under Optuna's name and arguments; the other
classes are tunelab's own.  Journal storages have no counterpart: use a SQLite URL.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

from tunelab.storage import BaseStorage, InMemoryStorage, RetryFailedTrialCallback
from tunelab.storage.sql import SQLStorage

__all__ = ["BaseStorage", "InMemoryStorage", "JournalFileBackend", "JournalStorage", "RDBStorage",
           "RetryFailedTrialCallback"]


class RDBStorage(SQLStorage):
    """Optuna's ``RDBStorage``: a SQL database by URL (SQLite, PostgreSQL, MySQL/MariaDB).

    ``heartbeat_interval`` and ``grace_period`` become tunelab's ``heartbeat_interval`` and
    ``stale_after`` (Optuna's default grace is twice the interval).  Without a heartbeat
    interval no heartbeats are written and no trial is swept as stale, as in Optuna.
    ``failed_trial_callback`` is kept on ``self.failed_trial_callback`` but is not called by
    tunelab's studies: a warning says so; pass it to ``study.optimize(callbacks=[...])``,
    where a ``RetryFailedTrialCallback`` also sees trials swept as stale.
    ``skip_compatibility_check`` is accepted and ignored (tunelab checks its own schema).
    """

    def __init__(self, url: str, engine_kwargs: dict[str, Any] | None = None,
                 skip_compatibility_check: bool = False, *, heartbeat_interval: int | None = None,
                 grace_period: int | None = None,
                 failed_trial_callback: Callable[..., None] | None = None, skip_table_creation: bool = False):
        if heartbeat_interval is None and grace_period is not None:
            raise ValueError("RDBStorage: argument 'grace_period' needs 'heartbeat_interval' (an int > 0); got None")
        stale_after = None
        if heartbeat_interval is not None:
            stale_after = float(grace_period) if grace_period is not None else 2.0 * float(heartbeat_interval)
            heartbeat_interval = float(heartbeat_interval)  # type: ignore[assignment]
        super().__init__(url, engine_kwargs=engine_kwargs, heartbeat_interval=heartbeat_interval,
                         stale_after=stale_after)
        self.failed_trial_callback = failed_trial_callback
        if failed_trial_callback is not None:
            warnings.warn("RDBStorage: argument 'failed_trial_callback' is not called by tunelab's studies; "
                          "pass it to study.optimize(callbacks=[...]) instead", UserWarning, stacklevel=2)


class JournalStorage:
    """Optuna's journal storage has no tunelab counterpart; constructing it raises."""

    def __init__(self, *args: Any, **kwargs: Any):
        raise NotImplementedError("tunelab has no JournalStorage; use a SQLite URL instead, "
                                  "e.g. storage='sqlite:///study.db' or RDBStorage('sqlite:///study.db')")


class JournalFileBackend:
    """Optuna's journal file backend has no tunelab counterpart; constructing it raises."""

    def __init__(self, *args: Any, **kwargs: Any):
        raise NotImplementedError("tunelab has no JournalFileBackend; use a SQLite URL instead, "
                                  "e.g. storage='sqlite:///study.db' or RDBStorage('sqlite:///study.db')")
