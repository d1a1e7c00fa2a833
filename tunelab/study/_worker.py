"""One worker: a loop of ask -> run objective -> tell.  The same loop runs in a thread,
a local process, a Dask or Ray task, or on another machine against a shared storage."""

from __future__ import annotations

import contextlib
import copy
import logging
import threading
import time
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from tunelab.samplers.base import SearchExhausted
from tunelab.storage import RetryFailedTrialCallback, TrialFinishedError
from tunelab.trial import FrozenTrial, Trial, TrialPruned, TrialState, check_values

if TYPE_CHECKING:
    from tunelab.study._study import Study

log = logging.getLogger("tunelab")


@dataclass
class StudyRecipe:
    """What a worker needs to open its own Study object of one study (picklable, unlike a Study)."""

    study_name: str
    storage: Any
    sampler: Any
    pruner: Any
    seed: int | None
    constraints: Any
    study_class: type  # Study, or the caller's subclass: workers never import the study module

    @classmethod
    def of(cls, study: "Study") -> "StudyRecipe":
        return cls(study.study_name, study.storage, study.sampler, study.pruner, study.seed, study.constraints,
                   type(study))


def worker_study(recipe: StudyRecipe, worker_index: int, storage: Any = None) -> "Study":
    """A Study object of the same study for one worker, with its own sampler stream."""
    sampler = copy.deepcopy(recipe.sampler)
    if recipe.seed is not None:
        sampler.reseed(recipe.seed + 1000003 * (worker_index + 1))
    else:
        sampler.reseed(None)
    return recipe.study_class(recipe.study_name, storage if storage is not None else recipe.storage, sampler=sampler,
                 pruner=recipe.pruner, seed=recipe.seed, constraints=recipe.constraints)


class TrialBudget:
    """How many more trials may start, shared by the workers of one optimize call (threads)."""

    def __init__(self, n_trials: int | None):
        self._left = n_trials
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._left is None:
                return True
            if self._left <= 0:
                return False
            self._left -= 1
            return True


@dataclass
class StopRules:
    """When a worker starts no new trial."""

    budget: Any  # anything with take() -> bool
    deadline: float | None = None
    stop_event: Any = None  # threading.Event or multiprocessing.Event
    extra_stop: Any = None

    def should_stop(self) -> bool:
        if self.deadline is not None and time.time() >= self.deadline:
            return True
        for event in (self.stop_event, self.extra_stop):
            if event is not None and event.is_set():
                return True
        return False


class Heartbeat:
    """Records heartbeats for the trial a worker is running, from one daemon thread per worker.

    Starting and joining a thread for every trial cost more than a fast trial itself
    on a loaded machine, so one thread lives as long as the worker loop and is pointed
    at each trial in turn (:meth:`running`): it records a beat as soon as a trial
    starts (off the worker's path) and every ``interval`` seconds after.  A beat
    that lands after the trial finished changes nothing (storages update RUNNING
    trials only).  With ``interval`` None no thread is started.
    """

    def __init__(self, storage: Any, interval: float | None):
        self._storage, self._interval = storage, interval
        self._cond = threading.Condition()
        self._trial_id: int | None = None
        self._fresh = False
        self._due = 0.0
        self._closed = False
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "Heartbeat":
        if self._interval:
            self._thread = threading.Thread(target=self._beat, daemon=True, name="tunelab-heartbeat")
            self._thread.start()
        return self

    @contextlib.contextmanager
    def running(self, trial_id: int) -> Iterator[None]:
        """Beat for ``trial_id`` while the block runs."""
        if self._thread is None:
            yield
            return
        with self._cond:
            self._trial_id, self._fresh = trial_id, True
            self._cond.notify()
        try:
            yield
        finally:
            with self._cond:
                self._trial_id, self._fresh = None, False

    def _beat(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (self._trial_id is None
                                            or (not self._fresh and time.monotonic() < self._due)):
                    self._cond.wait(None if self._trial_id is None else max(0.0, self._due - time.monotonic()))
                if self._closed:
                    return
                trial_id, self._fresh = self._trial_id, False
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
    except (TrialFinishedError, ValueError):  # finished meanwhile (Ctrl-C handler, stale-trial sweep)
        return None


def _keep_traceback(study: "Study", trial: Trial, exc: BaseException) -> None:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        study.storage.set_trial_system_attr(trial._trial_id, TRACEBACK_ATTR, text[-_MAX_TRACEBACK:])
    except TrialFinishedError:  # swept meanwhile: the fail reason still says what happened
        pass


def run_trial(study: "Study", objective: Callable[[Trial], Any], catch: Sequence[type[BaseException]],
              current: Any = None, heartbeat: Heartbeat | None = None) -> FrozenTrial | None:
    """Ask, run, tell.  Exceptions in ``catch`` fail the trial and the study goes on; others fail it and propagate.

    A failed trial keeps the traceback in its system attr ``traceback``.  ``current`` (a shared
    value, for a parent watching worker processes) holds the running trial's id, -1 between trials.
    ``heartbeat``: the worker's beating thread (a one-off one is started for this trial when None).
    """
    trial = study.ask()
    if current is not None:
        current.value = trial._trial_id
    try:
        if heartbeat is None:
            with Heartbeat(study.storage, getattr(study.storage, "heartbeat_interval", None)) as own:
                return _run_asked(study, trial, objective, catch, own)
        return _run_asked(study, trial, objective, catch, heartbeat)
    finally:
        if current is not None:
            current.value = -1


def _run_asked(study: "Study", trial: Trial, objective: Callable[[Trial], Any],
               catch: Sequence[type[BaseException]], heartbeat: Heartbeat) -> FrozenTrial | None:
    try:
        with heartbeat.running(trial._trial_id):
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
            return study.storage.get_trial(trial._trial_id)
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
    callbacks among ``callbacks``; other callbacks see only the trials their worker ran."""
    retries = [c for c in callbacks if isinstance(c, RetryFailedTrialCallback)]
    for trial_id in trial_ids if retries else ():
        frozen = study.storage.get_trial(trial_id)
        for callback in retries:
            callback(study, frozen)


def worker_loop(study: "Study", objective: Callable[[Trial], Any], rules: StopRules,
                catch: Sequence[type[BaseException]], callbacks: Sequence[Callable] = (),
                on_trial: Callable[[FrozenTrial], None] | None = None, current: Any = None) -> int:
    """Run trials until a stop rule holds or the sampler is exhausted; returns how many it ran."""
    with Heartbeat(study.storage, getattr(study.storage, "heartbeat_interval", None)) as heartbeat:
        return _loop(study, objective, rules, catch, callbacks, on_trial, current, heartbeat)


def _loop(study: "Study", objective: Callable[[Trial], Any], rules: StopRules,
          catch: Sequence[type[BaseException]], callbacks: Sequence[Callable],
          on_trial: Callable[[FrozenTrial], None] | None, current: Any, heartbeat: Heartbeat) -> int:
    ran = 0
    last_sweep = 0.0
    grace = getattr(study.storage, "stale_after", None)
    while not rules.should_stop() and not study._stop.is_set():
        if grace and time.time() - last_sweep > grace / 2:
            swept = study.storage.fail_stale_trials(study.study_id, grace)
            last_sweep = time.time()
            retry_failed(study, swept, callbacks)
        if not rules.budget.take():
            break
        try:
            frozen = run_trial(study, objective, catch, current, heartbeat)
        except SearchExhausted:
            break
        ran += 1
        if frozen is None:
            continue
        for callback in callbacks:
            callback(study, frozen)
        if on_trial is not None:
            on_trial(frozen)
    return ran
