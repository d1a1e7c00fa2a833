"""The worker recipe: one loop of ask -> run objective -> tell, built the same way wherever it runs.

This thread, a local thread or process, an executor's task (Dask, Ray, a process
pool) or another machine: each runs :func:`run_worker` on one :class:`WorkerRecipe`,
so every mode has the same stop signal, constraints, seed streams and callbacks.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence

from tunelab.samplers.base import SearchExhausted
from tunelab.storage import BaseStorage, TrialFinishedError
from tunelab.trial import FrozenTrial, Trial, TrialPruned, TrialState

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

    @classmethod
    def of(cls, study: "Study") -> "StudyRecipe":
        return cls(study.study_name, study.storage, study.sampler, study.pruner, study.seed, study.constraints,
                   type(study))


def worker_study(recipe: StudyRecipe, worker_index: int, storage: BaseStorage | None = None) -> "Study":
    """A Study object of the same study for one worker, with its own sampler stream."""
    sampler = copy.deepcopy(recipe.sampler)
    sampler.reseed(None if recipe.seed is None else recipe.seed + 1000003 * (worker_index + 1))
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
            if self.storage.get_study_attrs(self.study_id, system=True).get(_STOP_KEY) == self.token:
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
               on_trial: Callable[[FrozenTrial], None] | None = None) -> int:
    """Run trials until the recipe says stop or the sampler is exhausted; returns how many ran.

    ``study``: run on this Study object itself (``n_jobs=1``); otherwise the worker
    opens its own from the recipe, with the sampler stream of ``index`` and, with
    ``reopen``, its own storage connections (a worker process).
    """
    if study is None:
        storage = recipe.study.storage.reopen() if reopen else None
        study = worker_study(recipe.study, index, storage)
        if storage is not None:
            recipe.stop.storage = storage  # this process's copy of the signal reads through its own connections
    study._stop = recipe.stop  # a callback's study.stop() reaches every worker
    ran = 0
    last_sweep = 0.0
    grace = study.storage.stale_after
    while not recipe.should_stop():
        if grace and time.time() - last_sweep > grace / 2:
            study.storage.fail_stale_trials(study.study_id, grace)
            last_sweep = time.time()
        if not recipe.budget.take():
            break
        try:
            frozen = run_trial(study, recipe.objective, recipe.catch)
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
    """Records a heartbeat for the running trial every ``interval`` seconds, in a daemon thread."""

    def __init__(self, storage: Any, trial_id: int, interval: float | None):
        self._storage, self._trial_id, self._interval = storage, trial_id, interval
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "Heartbeat":
        if self._interval:
            self._storage.record_heartbeat(self._trial_id)
            self._thread = threading.Thread(target=self._beat, daemon=True)
            self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._done.wait(self._interval):
            try:
                self._storage.record_heartbeat(self._trial_id)
            except Exception:  # a missed beat is not fatal; the next one may pass
                log.debug("heartbeat failed", exc_info=True)

    def __exit__(self, *exc: Any) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(timeout=1)


def _tell_quietly(study: "Study", trial: Trial, **kwargs: Any) -> FrozenTrial | None:
    try:
        return study.tell(trial, **kwargs)
    except (TrialFinishedError, ValueError):  # finished meanwhile (Ctrl-C handler, stale-trial sweep)
        return None


def run_trial(study: "Study", objective: Callable[[Trial], Any], catch: Sequence[type[BaseException]]) -> FrozenTrial | None:
    """Ask, run, tell.  Exceptions in ``catch`` fail the trial and the study goes on; others propagate."""
    trial = study.ask()
    try:
        with Heartbeat(study.storage, trial.trial_id, study.storage.heartbeat_interval):
            value = objective(trial)
    except TrialPruned:
        return _tell_quietly(study, trial, state=TrialState.PRUNED)
    except KeyboardInterrupt:
        _tell_quietly(study, trial, state=TrialState.FAIL, fail_reason="interrupted (KeyboardInterrupt)")
        raise
    except BaseException as exc:
        reason = f"{type(exc).__name__}: {exc}"
        _tell_quietly(study, trial, state=TrialState.FAIL, fail_reason=reason)
        if isinstance(exc, tuple(catch)):
            log.warning("trial %d failed: %s", trial.number, reason)
            return study.storage.get_trial(trial.trial_id)
        raise
    frozen = _tell_quietly(study, trial, values=value)
    if frozen is not None and frozen.state == TrialState.FAIL:
        log.warning("trial %d failed: %s", trial.number, frozen.system_attrs.get("fail_reason"))
    return frozen
