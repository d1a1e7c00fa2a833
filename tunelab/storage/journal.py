"""Journal storage: an append-only log of operations, replayed into an in-memory state.

Every write is one operation (a JSON object) appended to a shared log; every handle
replays the log in order into its own in-memory state (:class:`InMemoryStorage`, the
reference behaviour) and answers reads from it, after catching up with what other
handles appended.  The log records decisions, never rules: a trial's number, the
waiting trial a pop takes, the winner of a claim or of two racing ``finish_trial``
calls are all settled by the order of the operations in the log, so every handle that
replays it reaches the same state.  A handle learns the outcome of its own operation
(a trial id, or the error that it lost a race) when it replays that operation.

Where the log lives is a backend (:class:`BaseJournalBackend`): a file
(``journal_file.py``), a Redis list (``journal_redis.py``) or anything ordered and
append-only that several processes reach.  The format is tunelab's own (see
docs/storage.md); Optuna's journal files are read by ``tunelab migrate``.
"""

from __future__ import annotations

import abc
import contextlib
import itertools
import json
import pickle
import threading
import time
import uuid
from datetime import datetime
from typing import Any, Iterable, Sequence

from tunelab._gc import paused_gc
from tunelab.space import Distribution, distribution_to_json
from tunelab.storage.base import STALE_ATTR, BaseStorage, StorageError, StudySummary
from tunelab.storage.memory import InMemoryStorage
from tunelab.storage.sql_records import distribution, dumps
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

__all__ = ["BaseJournalBackend", "JournalStorage"]

#: the key every operation of tunelab's journal format has (Optuna's have ``op_code``)
OP = "op"


class BaseJournalBackend(abc.ABC):
    """Where a journal lives: an ordered, append-only list of JSON objects that several processes share.

    ``append_logs`` must append its operations whole and in order, atomically with
    respect to other appenders; ``read_logs(n)`` returns every complete operation from
    number ``n`` on (0: all).  The names are Optuna's, so a backend written for Optuna's
    journal fits here too.  A backend pickles as its settings, so a worker process or an
    executor's task opens the same log.
    """

    @abc.abstractmethod
    def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
        """Operations ``log_number_from``, ``log_number_from + 1``, ... that are complete now."""

    @abc.abstractmethod
    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        """Append ``logs`` at the end of the journal, whole and in order."""

    def close(self) -> None:
        """Release what this handle holds open (nothing by default)."""


class _Replay(InMemoryStorage):
    """The state a journal replays into: the in-memory storage with the times the log recorded."""

    def created_at(self, study_id: int, when: datetime) -> None:
        self._study(study_id).created = when

    def heartbeat_at(self, trial_id: int, beat: float) -> None:
        if self._trial(trial_id).state == TrialState.RUNNING:
            self._heartbeats[trial_id] = beat

    def last_beat(self, trial_id: int) -> float | None:
        return self._heartbeats.get(trial_id)

    def beats(self, study_id: int) -> dict[int, float]:
        return self.get_heartbeats(study_id)


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _now() -> str:
    return datetime.now().isoformat()


def _record_to_json(trial: FrozenTrial) -> dict[str, Any]:
    return {"state": trial.state.name, "values": None if trial.values is None else [float(v) for v in trial.values],
            "params": [[k, v, distribution_to_json(trial.distributions[k])] for k, v in trial.params.items()],
            "intermediate": [[int(s), float(v)] for s, v in trial.intermediate_values.items()],
            "user_attrs": trial.user_attrs, "system_attrs": trial.system_attrs,
            "start": None if trial.datetime_start is None else trial.datetime_start.isoformat(),
            "complete": None if trial.datetime_complete is None else trial.datetime_complete.isoformat()}


def _record_from_json(data: dict[str, Any]) -> FrozenTrial:
    return FrozenTrial(number=-1, trial_id=-1, state=TrialState[data["state"]], values=data["values"],
                       params={k: v for k, v, _ in data["params"]},
                       distributions={k: distribution(d) for k, _, d in data["params"]},
                       intermediate_values={int(s): float(v) for s, v in data["intermediate"]},
                       user_attrs=data["user_attrs"], system_attrs=data["system_attrs"],
                       datetime_start=_time(data["start"]), datetime_complete=_time(data["complete"]))


def _apply(state: _Replay, op: dict[str, Any]) -> Any:
    """Replay one operation on ``state``; returns its result or raises what the reference storage raises."""
    kind = op[OP]
    if kind == "create_study":
        study_id = state.create_study(op["name"], [StudyDirection[d] for d in op["directions"]])
        state.created_at(study_id, _time(op["at"]))  # type: ignore[arg-type]
        return study_id
    if kind == "delete_study":
        return state.delete_study(op["study"])
    if kind == "set_study_attr":
        return state.set_study_attr(op["study"], op["key"], op["value"], system=op["system"])
    if kind == "create_trial":
        trial_id, number = state.create_trial(op["study"], TrialState[op["state"]], fixed_params=op["fixed_params"],
                                              user_attrs=op["user_attrs"])
        trial = state._trial(trial_id)
        if trial.state == TrialState.RUNNING:
            trial.datetime_start = _time(op["at"])
            if op.get("beat") is not None:
                state.heartbeat_at(trial_id, op["beat"])
        return trial_id, number
    if kind == "add_trial":
        return state.add_trial(op["study"], _record_from_json(op["trial"]))
    if kind == "pop_waiting":
        popped = state.pop_waiting_trial(op["study"])
        if popped is not None:
            state._trial(popped[0]).datetime_start = _time(op["at"])
            if op.get("beat") is not None:
                state.heartbeat_at(popped[0], op["beat"])
        return popped
    if kind == "set_param":
        return state.set_trial_param(op["trial"], op["name"], distribution(op["distribution"]), op["value"])
    if kind == "set_intermediate":
        return state.set_trial_intermediate_value(op["trial"], op["step"], float(op["value"]))
    if kind == "set_trial_attr":
        setter = state.set_trial_system_attr if op["system"] else state.set_trial_user_attr
        return setter(op["trial"], op["key"], op["value"])
    if kind == "finish_trial":
        state.finish_trial(op["trial"], TrialState[op["state"]], op["values"])
        state._trial(op["trial"]).datetime_complete = _time(op["at"])
        return None
    if kind == "claim":
        return state.claim(op["study"], op["key"])
    if kind == "heartbeat":
        return state.heartbeat_at(op["trial"], op["beat"])
    if kind == "fail_stale":
        # failed only if nothing changed since the writer judged it: still running, same last beat
        trial = state._trial(op["trial"])
        if trial.state != TrialState.RUNNING or state.last_beat(op["trial"]) != op["beat"]:
            return False
        state.set_trial_system_attr(op["trial"], "fail_reason", op["reason"])
        state.set_trial_system_attr(op["trial"], STALE_ATTR, True)
        state.finish_trial(op["trial"], TrialState.FAIL)
        trial.datetime_complete = _time(op["at"])
        return True
    raise AssertionError(kind)  # _sync refuses unknown kinds before they get here


_KINDS = frozenset({"create_study", "delete_study", "set_study_attr", "create_trial", "add_trial", "pop_waiting",
                    "set_param", "set_intermediate", "set_trial_attr", "finish_trial", "claim", "heartbeat",
                    "fail_stale"})


class JournalStorage(BaseStorage):
    """A tunelab storage over a journal backend (a file, a Redis list): Optuna's ``JournalStorage``.

    ``shareable``: worker processes (``optimize(n_jobs=...)``), executor tasks and
    ``tunelab worker`` commands open the same backend and replay the same log.
    ``heartbeat_interval`` and ``grace_period`` work as in :class:`~tunelab.storages.RDBStorage`
    (grace defaults to twice the interval); without them no heartbeats are written.
    """

    def __init__(self, log_storage: BaseJournalBackend, *, heartbeat_interval: float | None = None,
                 grace_period: float | None = None):
        if not isinstance(log_storage, BaseJournalBackend):
            raise TypeError("JournalStorage: argument 'log_storage' must be a journal backend such as "
                            f"JournalFileBackend(path) or JournalRedisBackend(url); got {log_storage!r}")
        if heartbeat_interval is None and grace_period is not None:
            raise ValueError("JournalStorage: argument 'grace_period' needs 'heartbeat_interval' (a number > 0); "
                             "got None")
        if heartbeat_interval is not None and not heartbeat_interval > 0:
            raise ValueError(f"JournalStorage: argument 'heartbeat_interval' must be > 0; got {heartbeat_interval!r}")
        self._backend = log_storage
        self._settings = {"heartbeat_interval": heartbeat_interval, "grace_period": grace_period}
        if heartbeat_interval is not None:
            self.heartbeat_interval = float(heartbeat_interval)
            self.stale_after = float(grace_period) if grace_period is not None else 2.0 * float(heartbeat_interval)
        self._lock = threading.RLock()
        self._state = _Replay()
        self._replayed = 0  # operations of the log applied to _state
        self._writer = uuid.uuid4().hex  # this handle's operations carry it, to find their outcomes
        self._seq = itertools.count()
        self._outcomes: dict[int, tuple[bool, Any]] = {}  # seq -> (ok, result or exception)
        self._sync()

    # ------------------------------------------------------------------ sharing
    @property
    def shareable(self) -> bool:
        return True

    @property
    def backend(self) -> BaseJournalBackend:
        return self._backend

    def __getstate__(self) -> dict[str, Any]:
        return {"backend": self._backend, "settings": self._settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["backend"], **state["settings"])  # type: ignore[misc]

    def reopen(self) -> "JournalStorage":
        return pickle.loads(pickle.dumps(self))

    def close(self) -> None:
        self._backend.close()

    # ------------------------------------------------------------------ the log
    def _sync(self) -> None:
        """Apply the operations other handles appended since the last call."""
        with self._lock, paused_gc() if self._replayed == 0 else contextlib.nullcontext():  # opening: the whole log
            for op in self._backend.read_logs(self._replayed):
                self._replayed += 1
                if OP not in op:
                    if "op_code" in op:
                        source = getattr(self._backend, "file_path", "JOURNAL_PATH")
                        raise StorageError("JournalStorage: this journal was written by Optuna; tunelab keeps its "
                                           f"own format. Copy it with `tunelab migrate --from {source} --to "
                                           "journal:///new.log` (or any tunelab storage URL)")
                    raise StorageError(f"JournalStorage: operation {self._replayed - 1} of the journal has no "
                                       f"{OP!r} key; not a tunelab journal?")
                if op[OP] not in _KINDS:  # replaying past it would leave this handle's state wrong
                    self._replayed -= 1
                    raise StorageError(f"JournalStorage: operation {self._replayed} of the journal is "
                                       f"{op[OP]!r}, which this tunelab does not know (written by a newer "
                                       "tunelab? upgrade this one)")
                try:
                    result: tuple[bool, Any] = (True, _apply(self._state, op))
                except (KeyError, ValueError, TypeError, StorageError) as exc:
                    result = (False, exc)  # the operation lost a race (or was invalid): no effect
                if op.get("by") == self._writer:
                    self._outcomes[op["seq"]] = result

    def _write(self, op: dict[str, Any]) -> Any:
        """Append one operation, replay up to it and return its outcome (or raise its error)."""
        seq = next(self._seq)
        op.update(by=self._writer, seq=seq)
        json.dumps(op)  # fail here, before the log, on anything the log could not keep
        self._backend.append_logs([op])
        with self._lock:
            self._sync()
            if seq not in self._outcomes:
                raise StorageError("JournalStorage: an appended operation is missing from the journal when read "
                                   "back (does the backend keep every append?)")
            ok, result = self._outcomes.pop(seq)
        if not ok:
            raise result
        return result

    def _read(self) -> _Replay:
        self._sync()
        return self._state

    # ------------------------------------------------------------------ studies
    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> int:
        names = [StudyDirection(d).name for d in directions]
        return self._write({OP: "create_study", "name": name, "directions": names, "at": _now()})

    def get_study_id(self, name: str) -> int:
        return self._read().get_study_id(name)

    def get_study_name(self, study_id: int) -> str:
        return self._read().get_study_name(study_id)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return self._read().get_study_directions(study_id)

    def delete_study(self, study_id: int) -> None:
        self._read()._study(study_id)  # a missing study raises before anything is written
        self._write({OP: "delete_study", "study": study_id})

    def list_studies(self) -> list[StudySummary]:
        return self._read().list_studies()

    def set_study_attr(self, study_id: int, key: str, value: Any, system: bool = False) -> None:
        self._read()._study(study_id)
        dumps(value, f"attr {key!r}")
        self._write({OP: "set_study_attr", "study": study_id, "key": key, "value": value, "system": bool(system)})

    def get_study_attrs(self, study_id: int, system: bool = False) -> dict[str, Any]:
        return self._read().get_study_attrs(study_id, system)

    # ------------------------------------------------------------------ trials
    def create_trial(self, study_id: int, state: TrialState = TrialState.RUNNING,
                     fixed_params: dict[str, Any] | None = None,
                     user_attrs: dict[str, Any] | None = None, *, heartbeat: bool = False) -> tuple[int, int]:
        if state not in (TrialState.RUNNING, TrialState.WAITING):
            raise ValueError(f"a new trial must be RUNNING or WAITING; got {TrialState(state).name}")
        self._read()._study(study_id)
        dumps(fixed_params, "fixed_params")
        dumps(user_attrs, "user_attrs")
        op = {OP: "create_trial", "study": study_id, "state": TrialState(state).name,
              "fixed_params": fixed_params, "user_attrs": user_attrs, "at": _now()}
        if heartbeat and state == TrialState.RUNNING:
            op["beat"] = time.time()
        trial_id, number = self._write(op)
        return trial_id, number

    def add_trial(self, study_id: int, trial: FrozenTrial) -> tuple[int, int]:
        """The whole record at the study's next number, datetimes kept."""
        self._read()._study(study_id)
        record = _record_to_json(trial)
        dumps(record, "trial record")
        trial_id, number = self._write({OP: "add_trial", "study": study_id, "trial": record})
        return trial_id, number

    def pop_waiting_trial(self, study_id: int, *, heartbeat: bool = False) -> tuple[int, int] | None:
        with self._lock:
            study = self._read()._study(study_id)
            if not any(study.trials[n].state == TrialState.WAITING for n in study.waiting):
                return None  # nothing waiting now: no need to write
        op = {OP: "pop_waiting", "study": study_id, "at": _now()}
        if heartbeat:
            op["beat"] = time.time()
        popped = self._write(op)
        return None if popped is None else (popped[0], popped[1])

    def _writable(self, trial_id: int) -> None:
        """Raise now (KeyError, TrialFinishedError) rather than write an operation bound to fail."""
        with self._lock:
            self._read()._trial(trial_id, writable=True)

    def set_trial_param(self, trial_id: int, name: str, distribution: Distribution, value: Any) -> None:
        self._writable(trial_id)
        dumps(value, f"param {name!r}")
        self._write({OP: "set_param", "trial": trial_id, "name": name,
                     "distribution": distribution_to_json(distribution), "value": value})

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        self._writable(trial_id)
        self._write({OP: "set_intermediate", "trial": trial_id, "step": int(step), "value": float(value)})

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(trial_id, key, value, False)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(trial_id, key, value, True)

    def _set_trial_attr(self, trial_id: int, key: str, value: Any, system: bool) -> None:
        self._writable(trial_id)
        dumps(value, f"attr {key!r}")
        self._write({OP: "set_trial_attr", "trial": trial_id, "key": key, "value": value, "system": system})

    def finish_trial(self, trial_id: int, state: TrialState, values: Sequence[float] | None = None) -> None:
        if not state.is_finished():
            raise ValueError(f"finish_trial needs a finished state; got {state.name}")
        self._writable(trial_id)
        self._write({OP: "finish_trial", "trial": trial_id, "state": state.name,
                     "values": None if values is None else [float(v) for v in values], "at": _now()})

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return self._read().get_trial(trial_id)

    def get_all_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
        return self._read().get_all_trials(study_id, states)

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        return self._read().get_trial_id_from_number(study_id, number)

    def get_n_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> int:
        return self._read().get_n_trials(study_id, states)

    # ------------------------------------------------------------------ coordination
    def claim(self, study_id: int, key: str) -> bool:
        state = self._read()
        with self._lock:
            if key in state._study(study_id).claims:
                return False
        return bool(self._write({OP: "claim", "study": study_id, "key": key}))

    def record_heartbeat(self, trial_id: int) -> None:
        with self._lock:
            if self._read()._trial(trial_id).state != TrialState.RUNNING:
                return
        self._write({OP: "heartbeat", "trial": trial_id, "beat": time.time()})

    def get_heartbeats(self, study_id: int) -> dict[int, float]:
        return self._read().beats(study_id)

    def fail_stale_trials(self, study_id: int, grace_seconds: float) -> list[int]:
        now = time.time()
        stale = [(tid, beat) for tid, beat in self._read().beats(study_id).items() if now - beat > grace_seconds]
        failed = []
        for trial_id, beat in sorted(stale):
            reason = f"no heartbeat for {now - beat:.0f} s (worker lost)"
            if self._write({OP: "fail_stale", "trial": trial_id, "beat": beat, "reason": reason, "at": _now()}):
                failed.append(trial_id)
        return failed


