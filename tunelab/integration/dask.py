"""Dask: a storage that lives on the Dask scheduler, so Dask workers anywhere optimize one study.

``DaskStorage(storage=None, name=None, client=None)`` (Optuna's name and arguments) puts a
tunelab storage on the scheduler of ``client`` (default: the current client): in memory
when ``storage`` is None, or a database URL / shareable storage object the scheduler opens.
Every call of a ``DaskStorage`` handle, on the client or inside a task on any worker, is sent
to the scheduler as one message and answered there, so all handles see one state.  A
``DaskStorage`` pickles as its name, and a task's copy talks through that worker's client.

Run trials with ``study.optimize(objective, n_trials=..., n_jobs=k, executor=client)`` (k
tasks, each the ordinary worker loop), or Optuna's way, ``client.submit(study.optimize, ...)``.
"""

from __future__ import annotations

import asyncio
import pickle
import threading
import uuid
from typing import Any, Sequence

from tunelab._extras import require
from tunelab.storage import BaseStorage, StudySummary, get_storage
from tunelab.space import Distribution
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

__all__ = ["DaskStorage"]

_HANDLER = "tunelab_storage"  # the scheduler's handler for storage calls
_EXTENSION = "tunelab_storages"  # the scheduler extension that holds the storages by name

# the storage methods a handle may call on the scheduler
_METHODS = frozenset({
    "create_study", "get_study_id", "get_study_name", "get_study_directions", "delete_study", "list_studies",
    "set_study_attr", "get_study_attrs", "get_study_attr", "create_trial", "add_trial", "pop_waiting_trial",
    "start_trial", "set_trial_param", "set_trial_intermediate_value", "set_trial_user_attr", "set_trial_system_attr",
    "finish_trial", "get_trial", "get_all_trials", "get_trial_id_from_number", "get_n_trials", "claim",
    "record_heartbeat", "get_heartbeats", "fail_stale_trials"})


_HOSTED: list["_SchedulerStorages"] = []  # the extensions of schedulers running in this process


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        return False


class _SchedulerStorages:
    """Runs on the scheduler: storages by name, and the handler every ``DaskStorage`` call goes to."""

    def __init__(self, scheduler: Any):
        self.storages: dict[str, BaseStorage] = {}
        self.lock = threading.Lock()
        scheduler.handlers[_HANDLER] = self.handle
        scheduler.extensions[_EXTENSION] = self
        _HOSTED.append(self)

    def handle(self, comm: Any, name: str, payload: bytes) -> bytes:
        method, args, kwargs = pickle.loads(payload)
        return pickle.dumps(self.call(name, method, args, kwargs))

    def call(self, name: str, method: str, args: tuple, kwargs: dict) -> tuple[bool, Any]:
        """(True, result) or (False, the exception) of one storage call."""
        try:
            if method == "__open__":
                return True, self.open(name, *args)
            storage = self.storages.get(name)
            if storage is None:
                raise KeyError(f"DaskStorage: no storage named {name!r} on this Dask scheduler (was it created "
                               "with another scheduler, or did the scheduler restart?)")
            if method not in _METHODS:
                raise AttributeError(f"DaskStorage: {method!r} is not a storage method")
            return True, getattr(storage, method)(*args, **kwargs)
        except Exception as exc:
            return False, exc

    def open(self, name: str, storage: Any) -> tuple[float | None, float | None]:
        """The named storage, made from ``storage`` if new; returns its heartbeat settings."""
        with self.lock:
            if name not in self.storages:
                self.storages[name] = get_storage(storage)
            inner = self.storages[name]
        return inner.heartbeat_interval, inner.stale_after


def _install(dask_scheduler: Any = None) -> None:
    if _EXTENSION not in dask_scheduler.extensions:
        _SchedulerStorages(dask_scheduler)


class DaskStorage(BaseStorage):
    """Optuna's ``DaskStorage``: a storage held by the Dask scheduler, shared by every worker and the client.

    ``storage``: None (in memory on the scheduler), a database URL, or a shareable storage
    object (it travels to the scheduler as its settings).  ``name``: the storage's name on
    the scheduler (default: a new unique one); a second ``DaskStorage`` with a name that
    exists there joins that storage and ignores ``storage``.  ``client``: a
    ``distributed.Client`` (default: the current one, ``distributed.get_client()``).
    """

    def __init__(self, storage: Any = None, name: str | None = None, client: Any = None):
        require("distributed", "DaskStorage", "dask")
        import distributed

        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"DaskStorage: argument 'name' must be a non-empty string or None; got {name!r}")
        if storage is not None and not isinstance(storage, (str, BaseStorage)):
            raise TypeError(f"DaskStorage: argument 'storage' must be None, a database URL or a storage object; "
                            f"got {storage!r}")
        if isinstance(storage, BaseStorage) and not storage.shareable:
            raise ValueError(f"DaskStorage: argument 'storage' must be a storage the scheduler can open again (a "
                             f"database or journal); {type(storage).__name__} lives in this process. Pass "
                             "storage=None to keep the study in memory on the scheduler")
        if client is not None and not isinstance(client, distributed.Client):
            raise TypeError(f"DaskStorage: argument 'client' must be a distributed.Client or None; got {client!r}")
        if client is None:
            try:
                client = distributed.get_client()
            except ValueError:
                raise ValueError("DaskStorage: no Dask client here; pass client=distributed.Client(...) or create "
                                 "one first (argument 'client')") from None
        self._client = client
        self.name = name if name is not None else f"tunelab-{uuid.uuid4().hex}"
        self._client.run_on_scheduler(_install)
        self.heartbeat_interval, self.stale_after = self._call("__open__", storage)

    # ------------------------------------------------------------------ sharing
    @property
    def shareable(self) -> bool:
        return True

    @property
    def client(self) -> Any:
        return self._client

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name, "heartbeat_interval": self.heartbeat_interval, "stale_after": self.stale_after}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _client=None)  # a task's copy takes its worker's client on first use

    def reopen(self) -> "DaskStorage":
        """A handle with a client of its own, connected to the same scheduler (a forked worker process)."""
        import distributed

        clone = pickle.loads(pickle.dumps(self))
        clone._client = distributed.Client(self._connected().scheduler.address, set_as_default=False)
        return clone

    def _connected(self) -> Any:
        if self._client is None:
            import distributed

            try:
                self._client = distributed.get_client()
            except ValueError as exc:
                raise RuntimeError(f"DaskStorage {self.name!r}: no Dask client here; open one with "
                                   "distributed.Client(scheduler_address) or run inside a Dask task") from exc
        return self._client

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if _in_event_loop():  # on the scheduler's own loop (a task graph being unpickled there): no round trip
            hosts = [h for h in _HOSTED if self.name in h.storages]
            if not hosts:
                raise RuntimeError(f"DaskStorage {self.name!r} was called inside an event loop away from its "
                                   "scheduler; call it from a thread (a Dask task, the client's code)")
            ok, result = hosts[-1].call(self.name, method, args, kwargs)
        else:
            client = self._connected()
            payload = pickle.dumps((method, args, kwargs))
            reply = client.sync(client.scheduler.tunelab_storage, name=self.name, payload=payload)
            ok, result = pickle.loads(reply)
        if not ok:
            raise result
        return result

    # ------------------------------------------------------------------ studies
    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> int:
        return self._call("create_study", name, list(directions))

    def get_study_id(self, name: str) -> int:
        return self._call("get_study_id", name)

    def get_study_name(self, study_id: int) -> str:
        return self._call("get_study_name", study_id)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return self._call("get_study_directions", study_id)

    def delete_study(self, study_id: int) -> None:
        self._call("delete_study", study_id)

    def list_studies(self) -> list[StudySummary]:
        return self._call("list_studies")

    def set_study_attr(self, study_id: int, key: str, value: Any, system: bool = False) -> None:
        self._call("set_study_attr", study_id, key, value, system)

    def get_study_attrs(self, study_id: int, system: bool = False) -> dict[str, Any]:
        return self._call("get_study_attrs", study_id, system)

    def get_study_attr(self, study_id: int, key: str, system: bool = False) -> Any:
        return self._call("get_study_attr", study_id, key, system)

    # ------------------------------------------------------------------ trials
    def create_trial(self, study_id: int, state: TrialState = TrialState.RUNNING,
                     fixed_params: dict[str, Any] | None = None,
                     user_attrs: dict[str, Any] | None = None, *, heartbeat: bool = False) -> tuple[int, int]:
        return self._call("create_trial", study_id, state, fixed_params, user_attrs, heartbeat=heartbeat)

    def add_trial(self, study_id: int, trial: FrozenTrial) -> tuple[int, int]:
        return self._call("add_trial", study_id, trial)

    def pop_waiting_trial(self, study_id: int, *, heartbeat: bool = False) -> tuple[int, int] | None:
        return self._call("pop_waiting_trial", study_id, heartbeat=heartbeat)

    def start_trial(self, study_id: int, *, heartbeat: bool = False) -> tuple[int, int, bool]:
        return self._call("start_trial", study_id, heartbeat=heartbeat)

    def set_trial_param(self, trial_id: int, name: str, distribution: Distribution, value: Any) -> None:
        self._call("set_trial_param", trial_id, name, distribution, value)

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        self._call("set_trial_intermediate_value", trial_id, step, value)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._call("set_trial_user_attr", trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._call("set_trial_system_attr", trial_id, key, value)

    def finish_trial(self, trial_id: int, state: TrialState, values: Sequence[float] | None = None) -> None:
        self._call("finish_trial", trial_id, state, None if values is None else list(values))

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return self._call("get_trial", trial_id)

    def get_all_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
        return self._call("get_all_trials", study_id, None if states is None else list(states))

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        return self._call("get_trial_id_from_number", study_id, number)

    def get_n_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> int:
        return self._call("get_n_trials", study_id, None if states is None else list(states))

    # ------------------------------------------------------------------ coordination
    def claim(self, study_id: int, key: str) -> bool:
        return self._call("claim", study_id, key)

    def record_heartbeat(self, trial_id: int) -> None:
        self._call("record_heartbeat", trial_id)

    def get_heartbeats(self, study_id: int) -> dict[int, float]:
        return self._call("get_heartbeats", study_id)

    def fail_stale_trials(self, study_id: int, grace_seconds: float) -> list[int]:
        return self._call("fail_stale_trials", study_id, grace_seconds)
