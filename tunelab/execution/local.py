"""Parallel workers on this machine: threads (in-memory storage) or processes (database storage)."""

from __future__ import annotations

import copy
import multiprocessing as mp
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Sequence

from tunelab.execution.worker import StopRules, TrialBudget, worker_loop
from tunelab.trial import TrialState

if TYPE_CHECKING:
    from tunelab.study import Study


def _worker_study(study: "Study", worker_index: int, storage: Any = None) -> "Study":
    """A Study object of the same study for one worker, with its own sampler stream."""
    from tunelab.study import Study

    sampler = copy.deepcopy(study.sampler)
    if study.seed is not None:
        sampler.reseed(study.seed + 1000003 * (worker_index + 1))
    else:
        sampler.reseed(None)
    return Study(study.study_name, storage if storage is not None else study.storage, sampler=sampler,
                 pruner=study.pruner, seed=study.seed, constraints=study.constraints)


def run_threads(study: "Study", objective: Callable, n_jobs: int, n_trials: int | None, deadline: float | None,
                catch: Sequence[type[BaseException]], callbacks: Sequence[Callable], progress: Any) -> None:
    """n_jobs daemon threads over one storage; Ctrl-C fails the running trials and returns at once."""
    rules = StopRules(TrialBudget(n_trials), deadline, stop_event=study._stop)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            worker_loop(_worker_study(study, index), objective, rules, catch, callbacks,
                        on_trial=lambda t: _locked(lock, progress.update, t))
        except BaseException as exc:  # surfaced in the caller's thread below
            errors.append(exc)
            study.stop()

    threads = [threading.Thread(target=run, args=(i,), daemon=True, name=f"tunelab-worker-{i}") for i in range(n_jobs)]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(timeout=0.2)
    except KeyboardInterrupt:
        study.stop()
        _fail_running(study, "interrupted (KeyboardInterrupt)")
        raise
    if errors:
        raise errors[0]


def _locked(lock: threading.Lock, fn: Callable, *args: Any) -> None:
    with lock:
        fn(*args)


def _fail_running(study: "Study", reason: str) -> None:
    for t in study.get_trials([TrialState.RUNNING]):
        try:
            study.tell(t, state=TrialState.FAIL, fail_reason=reason)
        except Exception:
            pass


class _SharedBudget:
    """TrialBudget across processes."""

    def __init__(self, ctx: Any, n_trials: int | None):
        self._left = None if n_trials is None else ctx.Value("l", n_trials)

    def take(self) -> bool:
        if self._left is None:
            return True
        with self._left.get_lock():
            if self._left.value <= 0:
                return False
            self._left.value -= 1
            return True


def _process_main(study: "Study", index: int, objective: Callable, rules: StopRules,
                  catch: Sequence[type[BaseException]], callbacks: Sequence[Callable], errors: Any) -> None:
    try:
        storage = study.storage.reopen()  # same settings, a fresh connection pool: never share one across fork
        worker_loop(_worker_study(study, index, storage), objective, rules, catch, callbacks)
    except KeyboardInterrupt:
        sys.exit(130)
    except BaseException as exc:
        errors.put(f"{type(exc).__name__}: {exc}")
        rules.extra_stop.set()
        sys.exit(1)


def run_processes(study: "Study", objective: Callable, n_jobs: int, n_trials: int | None, deadline: float | None,
                  catch: Sequence[type[BaseException]], callbacks: Sequence[Callable], progress: Any) -> None:
    """n_jobs processes, each with its own connection to the study's database.

    On Linux the processes are forked, so the objective need not be picklable;
    elsewhere it must be (defined at module top level).
    """
    ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    stop = ctx.Event()
    errors = ctx.Queue()
    rules = StopRules(_SharedBudget(ctx, n_trials), deadline, extra_stop=stop)
    dispose = getattr(study.storage, "dispose", None)
    if dispose is not None:
        dispose()  # children must not inherit open connections
    procs = [ctx.Process(target=_process_main, args=(study, i, objective, rules, catch, callbacks, errors),
                         name=f"tunelab-worker-{i}") for i in range(n_jobs)]
    for p in procs:
        p.start()
    try:
        while any(p.is_alive() for p in procs):
            if study._stop.is_set():
                stop.set()
            progress.poll()
            time.sleep(0.2)
    except KeyboardInterrupt:
        stop.set()
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()
        raise
    for p in procs:
        p.join()
    progress.poll()
    if not errors.empty():
        raise RuntimeError(f"a worker process stopped with an error: {errors.get()}")
