"""The worker recipe: one loop of ask -> run objective -> tell, built the same way wherever it runs.

This thread, a local thread or process, an executor's task (Dask, Ray, a process
pool) or another machine: each runs :func:`run_worker` on one :class:`WorkerRecipe`,
so every mode has the same stop signal, constraints, seed streams, heartbeats and callbacks.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from tunelab.samplers.base import SearchExhausted
from tunelab.storage import BaseStorage, RetryFailedTrialCallback, TrialFinishedError
from tunelab.trial import FrozenTrial, Trial, TrialPruned, TrialState, check_values

if TYPE_CHECKING:
    from tunelab.study._study import Study

log = logging.getLogger("tunelab")

_STOP_KEY = "optimize_stop"  # study system attr: the token of the optimize call a worker stopped


@dataclass
class StudyRecipe:
    """What a worker needs to open its own Study object of one study (picklable, unlike a Study)."""

    study_name: str
    storage: BaseStorage
    sampler: Any
    pruner: Any
    seed: int | None
    constraints: Any
    study_class: type  # Study, or the caller's subclass: workers never import the study module
    first_number: int = 0  # trials in the study when this optimize call began: each call gets new seed streams

    @classmethod
    def of(cls, study: "Study") -> "StudyRecipe":
        return cls(study.study_name, study.storage, study.sampler, study.pruner, study.seed, study.constraints,
                   type(study), study.storage.get_n_trials(study.study_id))


def worker_seed(seed: int, worker_index: int, first_number: int) -> int:
    """The seed of one worker's sampler stream: distinct per worker and per optimize call, repeatable."""
    import numpy as np

    return int(np.random.SeedSequence([seed, first_number, worker_index]).generate_state(1)[0])


def worker_study(recipe: StudyRecipe, worker_index: int, storage: BaseStorage | None = None) -> "Study":
    """A Study object of the same study for one worker, with its own sampler stream."""
    sampler = copy.deepcopy(recipe.sampler)
    sampler.reseed(None if recipe.seed is None else worker_seed(recipe.seed, worker_index, recipe.first_number))
    return recipe.study_class(recipe.study_name, storage if storage is not None else recipe.storage,
                              sampler=sampler, pruner=recipe.pruner, seed=recipe.seed,
                              constraints=recipe.constraints)


class StopSignal:
    """``Study.stop()`` for every worker of one optimize call.

    Workers in this process share the event.  With ``shared=True`` (processes,
    executors) ``set`` also writes a study attribute holding this call's token, and
    ``is_set`` reads it, so a stop from any worker on any machine reaches all of them.
    A copy (pickled or forked) gets a fresh event and keeps reading the storage.
    """

    def __init__(self, storage: BaseStorage, study_id: int, shared: bool):
        self.storage, self.study_id, self.shared = storage, study_id, shared
        self.token = uuid.uuid4().hex
        self._event = threading.Event()

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_event"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _event=threading.Event())

    def set(self) -> None:
        self._event.set()
        if self.shared:
            self.storage.set_study_attr(self.study_id, _STOP_KEY, self.token, system=True)

    def is_set(self) -> bool:
        if not self._event.is_set() and self.shared:
            if self.storage.get_study_attr(self.study_id, _STOP_KEY, system=True) == self.token:
                self._event.set()
        return self._event.is_set()


class TrialBudget:
    """How many more trials may start, shared by the workers of one process (threads)."""

    def __init__(self, n_trials: int | None):
        self._left = n_trials
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"_left": self._left}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _lock=threading.Lock())

    def take(self) -> bool:
        with self._lock:
            if self._left is None:
                return True
            if self._left <= 0:
                return False
            self._left -= 1
            return True


@dataclass
class WorkerRecipe:
    """Everything a worker runs by; picklable when its objective, callbacks and storage are."""

    study: StudyRecipe
    objective: Callable[[Trial], Any]
    catch: tuple[type[BaseException], ...]
    callbacks: Sequence[Callable[["Study", FrozenTrial], None]]
    stop: StopSignal
    budget: Any = field(default_factory=lambda: TrialBudget(None))  # anything with take() -> bool
    deadline: float | None = None

    def should_stop(self) -> bool:
        return (self.deadline is not None and time.time() >= self.deadline) or self.stop.is_set()


def run_worker(recipe: WorkerRecipe, index: int, study: "Study | None" = None, reopen: bool = False,
               on_trial: Callable[[FrozenTrial], None] | None = None, current: Any = None) -> int:
    """Run trials until the recipe says stop or the sampler is exhausted; returns how many ran.

    ``study``: run on this Study object itself (``n_jobs=1``); otherwise the worker
    opens its own from the recipe, with the sampler stream of ``index`` and, with
    ``reopen``, its own storage connections (a worker process).  ``current``: a
    shared value that holds the running trial's id for a watching parent.
    """
    last_sweep = 0.0
    if study is None:
        storage = recipe.study.storage.reopen() if reopen else None
        study = worker_study(recipe.study, index, storage)
        last_sweep = time.time()  # opening the study swept its stale trials just now
        if storage is not None:
            recipe.stop.storage = storage  # this process's copy of the signal reads through its own connections
    study._stop = recipe.stop  # a callback's study.stop() reaches every worker
    retry_failed(study, study._take_swept_on_open(), recipe.callbacks)
    ran = 0
    grace = study.storage.stale_after
    with Heartbeat(study.storage, study.storage.heartbeat_interval) as heartbeat:
        while not recipe.should_stop():
            if grace and time.time() - last_sweep > grace / 2:
                swept = study.storage.fail_stale_trials(study.study_id, grace)
                last_sweep = time.time()
                retry_failed(study, swept, recipe.callbacks)
            if not recipe.budget.take():
                break
            try:
                frozen = run_trial(study, recipe.objective, recipe.catch, current, heartbeat)
            except SearchExhausted:
                break
            ran += 1
            if frozen is None:
                continue
            for callback in recipe.callbacks:
                callback(study, frozen)
            if on_trial is not None:
                on_trial(frozen)
    return ran


class Heartbeat:
    """Records heartbeats for the trial a worker is running, from one daemon thread per worker.

    Starting and joining a thread for every trial cost more than a fast trial itself
    on a loaded machine, so one thread lives as long as the worker loop and is pointed
    at each trial in turn (:meth:`running`).  A trial's first beat is written with the trial
    itself (:attr:`stamps`, passed to ``Study._ask``), and the thread records one every
    ``interval`` seconds after, off the worker's path, so a trial shorter than ``interval``
    costs no write of its own for beats, nor a thread switch: the thread sleeps until the due
    it last saw, then looks again, and a new trial wakes it only when it waits with no trial.
    A beat that lands after the trial finished changes nothing (storages update RUNNING trials
    only).  With ``interval`` None no thread is started.
    """

    def __init__(self, storage: Any, interval: float | None):
        self._storage, self._interval = storage, interval
        self._cond = threading.Condition()
        self._trial_id: int | None = None
        self._due = 0.0
        self._closed = False
        self._idle = False  # the thread waits with no deadline (no trial): only then must a new trial wake it
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "Heartbeat":
        if self._interval:
            self._thread = threading.Thread(target=self._beat, daemon=True, name="tunelab-heartbeat")
            self._thread.start()
        return self

    @property
    def stamps(self) -> bool:
        """Whether trials should start with their first heartbeat (this worker beats for them)."""
        return bool(self._interval)

    @contextlib.contextmanager
    def running(self, trial_id: int) -> Iterator[None]:
        """Beat for ``trial_id`` while the block runs; its first beat was written when it started."""
        if self._thread is None:
            yield
            return
        with self._cond:
            self._trial_id = trial_id
            self._due = time.monotonic() + self._interval
            if self._idle:  # a thread waiting for an earlier trial's due wakes by then and waits on for this one
                self._cond.notify()
        try:
            yield
        finally:
            with self._cond:
                self._trial_id = None

    def _beat(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (self._trial_id is None or time.monotonic() < self._due):
                    self._idle = self._trial_id is None
                    self._cond.wait(None if self._idle else max(0.0, self._due - time.monotonic()))
                    self._idle = False
                if self._closed:
                    return
                trial_id = self._trial_id
                self._due = time.monotonic() + self._interval
            try:
                self._storage.record_heartbeat(trial_id)
            except Exception:  # a missed beat is not fatal; the next one may pass
                log.debug("heartbeat failed", exc_info=True)

    def __exit__(self, *exc: Any) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=1)


TRACEBACK_ATTR = "traceback"
"""System attr of a failed trial: the formatted traceback of the objective's exception."""
_MAX_TRACEBACK = 20_000  # characters kept (the end, where the error is)


def _tell_quietly(study: "Study", trial: Trial, **kwargs: Any) -> FrozenTrial | None:
    try:
        return study.tell(trial, **kwargs)
    except TrialFinishedError:  # finished meanwhile (Ctrl-C handler, stale-trial sweep)
        return None


def _keep_traceback(study: "Study", trial: Trial, exc: BaseException) -> None:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        study.storage.set_trial_system_attr(trial.trial_id, TRACEBACK_ATTR, text[-_MAX_TRACEBACK:])
    except TrialFinishedError:  # swept meanwhile: the fail reason still says what happened
        pass


class RunningSlot:
    """A worker process's window for its watching parent: the running trial's id (-1 between trials) and
    a guard the worker holds except while an objective runs (so the parent ends it only inside one)."""

    def __init__(self, ctx: Any):
        self._id = ctx.Value("q", -1, lock=False)
        self.guard = ctx.Lock()

    @property
    def value(self) -> int:
        return self._id.value

    @value.setter
    def value(self, trial_id: int) -> None:
        self._id.value = trial_id


@contextlib.contextmanager
def _objective_window(current: Any) -> Iterator[None]:
    """Release the slot's guard while the objective runs (no-op without a guarded slot)."""
    guard = getattr(current, "guard", None)
    if guard is None:
        yield
        return
    guard.release()
    try:
        yield
    finally:
        guard.acquire()


def run_trial(study: "Study", objective: Callable[[Trial], Any], catch: Sequence[type[BaseException]],
              current: Any = None, heartbeat: Heartbeat | None = None) -> FrozenTrial | None:
    """Ask, run, tell.  Exceptions in ``catch`` fail the trial and the study goes on; others fail it and propagate.

    A failed trial keeps the traceback in its system attr ``traceback``.  ``current`` (a
    :class:`RunningSlot`, for a parent watching worker processes) holds the running trial's id, -1 between
    trials, and its guard is released while the objective runs.
    ``heartbeat``: the worker's beating thread (a one-off one is started for this trial when None).
    """
    if heartbeat is None:
        with Heartbeat(study.storage, study.storage.heartbeat_interval) as own:
            return run_trial(study, objective, catch, current, own)
    trial = study._ask(heartbeat=heartbeat.stamps)
    if current is not None:
        current.value = trial.trial_id
    try:
        return _run_asked(study, trial, objective, catch, heartbeat, current)
    finally:
        if current is not None:
            current.value = -1


def _run_asked(study: "Study", trial: Trial, objective: Callable[[Trial], Any],
               catch: Sequence[type[BaseException]], heartbeat: Heartbeat, current: Any = None) -> FrozenTrial | None:
    try:
        with heartbeat.running(trial.trial_id), _objective_window(current):
            value = objective(trial)
    except TrialPruned:
        return _tell_quietly(study, trial, state=TrialState.PRUNED)
    except KeyboardInterrupt:
        _tell_quietly(study, trial, state=TrialState.FAIL, fail_reason="interrupted (KeyboardInterrupt)")
        raise
    except BaseException as exc:
        reason = f"{type(exc).__name__}: {exc}"
        _keep_traceback(study, trial, exc)
        _tell_quietly(study, trial, state=TrialState.FAIL, fail_reason=reason)
        if isinstance(exc, tuple(catch)):
            log.warning("trial %d failed: %s", trial.number, reason)
            return study.storage.get_trial(trial.trial_id)
        raise
    checked, reason = check_values(value, len(study.directions))
    if reason is not None:  # the trial fails with the reason (tell would refuse a wrong count outright)
        frozen = _tell_quietly(study, trial, state=TrialState.FAIL, fail_reason=reason)
    else:
        frozen = _tell_quietly(study, trial, values=checked)
    if frozen is not None and frozen.state == TrialState.FAIL:
        log.warning("trial %d failed: %s", trial.number, frozen.system_attrs.get("fail_reason"))
    return frozen


def retry_failed(study: "Study", trial_ids: Sequence[int], callbacks: Sequence[Callable]) -> None:
    """Give trials failed outside any worker's own loop (stale sweeps, dead workers, timeouts) to the retry
    callbacks among ``callbacks`` and to the storage's ``failed_trial_callback`` (Optuna's ``RDBStorage``
    argument), each called ``(study, frozen_trial)``; other callbacks see only the trials their worker ran."""
    retries = [c for c in callbacks if isinstance(c, RetryFailedTrialCallback)]
    on_failed = getattr(study.storage, "failed_trial_callback", None)
    if on_failed is not None and all(on_failed is not c for c in retries):  # the same object is called once
        retries.append(on_failed)
    for trial_id in trial_ids if retries else ():
        frozen = study.storage.get_trial(trial_id)
        for callback in retries:
            callback(study, frozen)
