"""In-memory storage: the default in Python, and the reference behaviour for the others."""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from collections import deque
from datetime import datetime
from typing import Any, Sequence

from tunelab.space import Distribution
from tunelab.storage.sql_records import dumps
from tunelab.storage.base import (
    STALE_ATTR,
    BaseStorage,
    DuplicatedStudyError,
    StudyNotFoundError,
    StudySummary,
    TrialFinishedError,
)
from tunelab.trial import FrozenTrial, StudyDirection, TrialState, best_of


class _Study:
    def __init__(self, name: str, directions: list[StudyDirection]):
        self.name = name
        self.directions = directions
        self.trials: list[FrozenTrial] = []
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self.claims: set[str] = set()
        self.waiting: deque[int] = deque()  # numbers of WAITING trials, oldest first
        self.created = datetime.now()


class InMemoryStorage(BaseStorage):
    """Keeps everything in this process; thread-safe; lost when the process ends.

    Not ``shareable`` (parallel workers are threads) and no heartbeats: a thread is
    not lost without its process.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, _Study] = {}
        self._trial_index: dict[int, tuple[int, int]] = {}  # trial_id -> (study_id, position)
        self._heartbeats: dict[int, float] = {}
        self._next_study_id = 0
        self._next_trial_id = 0

    # ------------------------------------------------------------------ studies
    def _study(self, study_id: int) -> _Study:
        try:
            return self._studies[study_id]
        except KeyError:
            raise StudyNotFoundError(f"no study with id {study_id}") from None

    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> int:
        with self._lock:
            if any(s.name == name for s in self._studies.values()):
                raise DuplicatedStudyError(f"a study named {name!r} exists already")
            study_id = self._next_study_id
            self._next_study_id += 1
            self._studies[study_id] = _Study(name, list(directions))
            return study_id

    def get_study_id(self, name: str) -> int:
        with self._lock:
            for sid, s in self._studies.items():
                if s.name == name:
                    return sid
        raise StudyNotFoundError(f"no study named {name!r}")

    def get_study_name(self, study_id: int) -> str:
        return self._study(study_id).name

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return list(self._study(study_id).directions)

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            study = self._study(study_id)
            for t in study.trials:
                self._trial_index.pop(t.trial_id, None)
            del self._studies[study_id]

    def list_studies(self) -> list[StudySummary]:
        with self._lock:
            out = []
            for sid, s in self._studies.items():
                complete = [t for t in s.trials if t.state == TrialState.COMPLETE]
                best = None
                if complete and len(s.directions) == 1:
                    best = best_of(complete, s.directions[0]).values
                out.append(StudySummary(sid, s.name, list(s.directions), len(s.trials), len(complete), best,
                                        s.created, dict(s.user_attrs)))
            return out

    def set_study_attr(self, study_id: int, key: str, value: Any, system: bool = False) -> None:
        with self._lock:
            study = self._study(study_id)
            (study.system_attrs if system else study.user_attrs)[key] = copy.deepcopy(_json_checked(value, key))

    def get_study_attrs(self, study_id: int, system: bool = False) -> dict[str, Any]:
        with self._lock:
            study = self._study(study_id)
            return copy.deepcopy(study.system_attrs if system else study.user_attrs)

    # ------------------------------------------------------------------ trials
    def create_trial(self, study_id: int, state: TrialState = TrialState.RUNNING,
                     fixed_params: dict[str, Any] | None = None,
                     user_attrs: dict[str, Any] | None = None, *, heartbeat: bool = False) -> tuple[int, int]:
        if state not in (TrialState.RUNNING, TrialState.WAITING):
            raise ValueError(f"a new trial must be RUNNING or WAITING; got {state.name}")
        with self._lock:
            study = self._study(study_id)
            trial_id = self._next_trial_id
            self._next_trial_id += 1
            number = len(study.trials)
            system_attrs = {"fixed_params": copy.deepcopy(fixed_params)} if fixed_params else {}
            trial = FrozenTrial(number=number, trial_id=trial_id, state=state,
                                user_attrs=copy.deepcopy(user_attrs or {}), system_attrs=system_attrs,
                                datetime_start=datetime.now() if state == TrialState.RUNNING else None)
            study.trials.append(trial)
            if state == TrialState.WAITING:
                study.waiting.append(number)
            self._trial_index[trial_id] = (study_id, number)
            if heartbeat and state == TrialState.RUNNING:
                self._heartbeats[trial_id] = time.time()
            return trial_id, number

    def add_trial(self, study_id: int, trial: FrozenTrial) -> tuple[int, int]:
        """The whole record at the study's next number, datetimes kept."""
        with self._lock:
            study = self._study(study_id)
            trial_id = self._next_trial_id
            self._next_trial_id += 1
            number = len(study.trials)
            record = copy.deepcopy(dataclasses.replace(trial, number=number, trial_id=trial_id))
            record.values = None if trial.values is None else [float(v) for v in trial.values]
            study.trials.append(record)
            if record.state == TrialState.WAITING:
                study.waiting.append(number)
            self._trial_index[trial_id] = (study_id, number)
            return trial_id, number

    def pop_waiting_trial(self, study_id: int, *, heartbeat: bool = False) -> tuple[int, int] | None:
        with self._lock:
            study = self._study(study_id)
            while study.waiting:
                t = study.trials[study.waiting.popleft()]
                if t.state == TrialState.WAITING:
                    t.state = TrialState.RUNNING
                    t.datetime_start = datetime.now()
                    if heartbeat:
                        self._heartbeats[t.trial_id] = time.time()
                    return t.trial_id, t.number
        return None

    def _trial(self, trial_id: int, writable: bool = False) -> FrozenTrial:
        try:
            study_id, number = self._trial_index[trial_id]
        except KeyError:
            raise KeyError(f"no trial with id {trial_id}") from None
        trial = self._studies[study_id].trials[number]
        if writable and trial.state.is_finished():
            raise TrialFinishedError(f"trial {trial.number} is {trial.state.name} already and cannot change")
        return trial

    def set_trial_param(self, trial_id: int, name: str, distribution: Distribution, value: Any) -> None:
        with self._lock:
            trial = self._trial(trial_id, writable=True)
            trial.params[name] = value
            trial.distributions[name] = distribution

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        with self._lock:
            self._trial(trial_id, writable=True).intermediate_values[step] = value

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._trial(trial_id, writable=True).user_attrs[key] = copy.deepcopy(_json_checked(value, key))

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._trial(trial_id, writable=True).system_attrs[key] = copy.deepcopy(_json_checked(value, key))

    def finish_trial(self, trial_id: int, state: TrialState, values: Sequence[float] | None = None) -> None:
        if not state.is_finished():
            raise ValueError(f"finish_trial needs a finished state; got {state.name}")
        with self._lock:
            trial = self._trial(trial_id, writable=True)
            trial.state = state
            trial.values = list(values) if values is not None else None
            trial.datetime_complete = datetime.now()
            self._heartbeats.pop(trial_id, None)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            return _snapshot(self._trial(trial_id))

    def get_all_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
        with self._lock:
            trials = self._study(study_id).trials
            picked = trials if states is None else [t for t in trials if t.state in states]
            # finished trials are immutable: share them; copy only the ones still changing
            return [_snapshot(t) for t in picked]

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        with self._lock:
            trials = self._study(study_id).trials
            if 0 <= number < len(trials):
                return trials[number].trial_id
        raise KeyError(f"study {study_id} has no trial number {number}")

    # ------------------------------------------------------------------ coordination
    def claim(self, study_id: int, key: str) -> bool:
        with self._lock:
            claims = self._study(study_id).claims
            if key in claims:
                return False
            claims.add(key)
            return True

    def record_heartbeat(self, trial_id: int) -> None:
        with self._lock:
            self._heartbeats[trial_id] = time.time()

    def get_heartbeats(self, study_id: int) -> dict[int, float]:
        with self._lock:
            running = {t.trial_id for t in self._study(study_id).trials if t.state == TrialState.RUNNING}
            return {tid: beat for tid, beat in self._heartbeats.items() if tid in running}

    def fail_stale_trials(self, study_id: int, grace_seconds: float) -> list[int]:
        now = time.time()
        failed = []
        with self._lock:
            for t in self._study(study_id).trials:
                beat = self._heartbeats.get(t.trial_id)
                if t.state == TrialState.RUNNING and beat is not None and now - beat > grace_seconds:
                    t.system_attrs["fail_reason"] = f"no heartbeat for {now - beat:.0f} s (worker lost)"
                    t.system_attrs[STALE_ATTR] = True
                    self.finish_trial(t.trial_id, TrialState.FAIL)
                    failed.append(t.trial_id)
        return failed


def _json_checked(value: Any, key: str) -> Any:
    """Refuse what a database storage could not keep, so that code tried in memory works on SQL too."""
    dumps(value, f"attr {key!r}")
    return value


def _snapshot(trial: FrozenTrial) -> FrozenTrial:
    """Finished trials never change, so they are shared; a running one is copied."""
    if trial.state.is_finished():
        return trial
    return dataclasses.replace(
        trial, params=dict(trial.params), distributions=dict(trial.distributions),
        intermediate_values=dict(trial.intermediate_values),
        user_attrs=copy.deepcopy(trial.user_attrs) if trial.user_attrs else {},
        system_attrs=copy.deepcopy(trial.system_attrs) if trial.system_attrs else {})
