"""Parallel workers on this machine: threads (in-memory storage) or processes (database storage)."""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import multiprocessing.connection
import os
import pickle
import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any, Callable, Sequence

from tunelab.storage import TrialFinishedError
from tunelab.study._worker import RunningSlot, WorkerRecipe, retry_failed, run_worker
from tunelab.trial import TrialState

if TYPE_CHECKING:
    from tunelab.study._study import Study


def run_threads(study: "Study", recipe: WorkerRecipe, n_jobs: int, progress: Any) -> None:
    """n_jobs daemon threads over one storage; Ctrl-C fails the running trials and returns at once."""
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            run_worker(recipe, index, on_trial=lambda t: _locked(lock, progress.update, t))
        except BaseException as exc:  # surfaced in the caller's thread below
            errors.append(exc)
            recipe.stop.set()

    threads = [threading.Thread(target=run, args=(i,), daemon=True, name=f"tunelab-worker-{i}") for i in range(n_jobs)]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(timeout=0.2)
    except KeyboardInterrupt:
        recipe.stop.set()
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


def _fail_trials_of_dead(study: "Study", procs: list, running: list, buried: set[int],
                         callbacks: Sequence[Callable] = ()) -> None:
    """A worker process that died (killed, segfault) leaves its trial RUNNING: fail it now, with the cause."""
    for i, p in enumerate(procs):
        if p.pid in buried or p.is_alive() or p.exitcode in (None, 0):
            continue
        buried.add(p.pid)
        trial_id = running[i].value
        if trial_id < 0:
            continue
        cause = f"signal {-p.exitcode}" if p.exitcode < 0 else f"exit code {p.exitcode}"
        if _fail(study, trial_id, f"worker process {p.name} died ({cause})"):
            retry_failed(study, [trial_id], callbacks)


def _fail(study: "Study", trial_id: int, reason: str, **attrs: Any) -> bool:
    """Fail a trial some worker left RUNNING; False if it finished meanwhile."""
    try:
        for key, value in {"fail_reason": reason, **attrs}.items():
            study.storage.set_trial_system_attr(trial_id, key, value)
        study.storage.finish_trial(trial_id, TrialState.FAIL)
        return True
    except TrialFinishedError:  # it got to tell, or a sweep was first
        return False


class _Watch:
    """When each worker's current trial started, as seen by the parent (for ``trial_timeout``)."""

    def __init__(self, n: int):
        self.seen: list[tuple[int, float]] = [(-1, 0.0)] * n

    def overdue(self, i: int, trial_id: int, limit: float) -> bool:
        if trial_id < 0:
            self.seen[i] = (-1, 0.0)
            return False
        if self.seen[i][0] != trial_id:
            self.seen[i] = (trial_id, time.monotonic())
        return time.monotonic() - self.seen[i][1] > limit


def _end_inside_objective(p: Any, slot: RunningSlot, watch: "_Watch", i: int, limit: float) -> bool:
    """End worker ``p`` if it still runs the overdue trial, only while it is inside the objective.

    The worker holds its slot's guard except while an objective runs, so holding the guard here means it is
    not between trials: never killed while it holds the shared budget's lock or has asked a trial it has not
    yet shown in its slot.  Returns whether it was ended.
    """
    if not slot.guard.acquire(block=False):
        return False  # between trials: its overdue trial has just ended
    try:
        if not (p.is_alive() and slot.value >= 0 and watch.overdue(i, slot.value, limit)):
            return False
        p.kill()
        p.join()
        return True
    finally:
        slot.guard.release()


def _process_main(recipe: WorkerRecipe, index: int, errors: Any, current: RunningSlot | None = None) -> None:
    if current is not None:
        current.guard.acquire()  # released by the worker only while an objective runs
    try:
        # same settings, a fresh connection pool: never share one across fork
        run_worker(recipe, index, reopen=True, current=current)
    except KeyboardInterrupt:
        sys.exit(130)
    except BaseException as exc:
        errors.put(_portable_error(exc))
        recipe.stop.set()
        sys.exit(1)


class WorkerTraceback(Exception):
    """The traceback of an error raised in a worker process, attached as the cause of the re-raised error."""

    def __str__(self) -> str:
        return "\n" + self.args[0]


def _portable_error(exc: BaseException) -> tuple[bytes | None, str]:
    """The error pickled (None if it cannot be) and its formatted traceback, to re-raise in the parent."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
    except Exception:
        data = None
    return data, text


def _raise_worker_error(error: tuple[bytes | None, str]) -> None:
    """Raise a worker's error in the parent as its own type (as in one process), with the worker's traceback."""
    data, text = error
    if data is not None:
        raise pickle.loads(data) from WorkerTraceback(text)
    last = text.strip().splitlines()[-1] if text.strip() else "unknown error"
    raise RuntimeError(f"a worker process stopped with an error: {last}") from WorkerTraceback(text)


_START_METHODS = ("fork", "spawn", "forkserver")


def start_method() -> str:
    """How worker processes start: fork on Linux; spawn elsewhere, wherever torch sees a GPU, and once JAX runs.

    A forked child cannot use CUDA once its parent has initialised the driver,
    and merely asking ``torch.cuda.is_available()`` does that; so a process that
    has torch and a visible GPU spawns its workers (``device_count`` asks NVML
    and leaves fork usable).  JAX's runtime threads do not survive a fork either.
    ``TUNELAB_START_METHOD`` (fork, spawn or forkserver) overrides the rule.
    """
    return _start_rule()[0]


def _start_rule() -> tuple[str, str]:
    """(start method, why), for :func:`start_method` and for the error when spawning needs pickling."""
    forced = os.environ.get("TUNELAB_START_METHOD")
    if forced:
        if forced not in _START_METHODS:
            raise ValueError(f"TUNELAB_START_METHOD must be one of {', '.join(_START_METHODS)}; got {forced!r}")
        return forced, "TUNELAB_START_METHOD says so"
    if not sys.platform.startswith("linux"):
        return "spawn", "this platform cannot fork"
    torch = sys.modules.get("torch")
    if torch is not None and (torch.cuda.is_initialized() or torch.cuda.device_count() > 0):
        return "spawn", "torch sees a GPU here (a forked child cannot use CUDA)"
    xla = sys.modules.get("jax._src.xla_bridge")
    if xla is not None and getattr(xla, "_backends", None):  # started, not merely imported
        return "spawn", "JAX has started its runtime here (its threads do not survive a fork)"
    return "fork", "Linux forks"


def _check_picklable(recipe: WorkerRecipe, method: str, why: str) -> None:
    for name, obj in (("objective", recipe.objective), ("constraints", recipe.study.constraints),
                      ("sampler", recipe.study.sampler), ("pruner", recipe.study.pruner),
                      ("storage", recipe.study.storage), ("callbacks", list(recipe.callbacks))):
        try:
            pickle.dumps(obj)
        except Exception as exc:
            raise ValueError(f"optimize(n_jobs>1): worker processes start with {method!r} because {why}, so the "
                             f"{name} must be picklable (a function defined at module top level, not a lambda or "
                             f"closure; or set TUNELAB_START_METHOD=fork if forking is safe here); pickling it "
                             f"failed: {exc}") from exc


def run_processes(study: "Study", recipe: WorkerRecipe, n_jobs: int, n_trials: int | None, progress: Any,
                  trial_timeout: float | None = None) -> None:
    """n_jobs processes, each with its own connection to the study's database.

    On Linux the processes are forked, so the objective need not be picklable;
    where they are spawned (see :func:`start_method`) it must be.  A trial running longer than
    ``trial_timeout`` seconds has its process ended and is failed (reason "timeout: ..."); a new
    process takes that worker's place.
    """
    method, why = _start_rule()
    if method != "fork":
        _check_picklable(recipe, method, why)
    ctx = mp.get_context(method)
    if method == "fork":
        import numpy  # noqa: F401  (samplers use it: imported once here, not in every forked worker)
    errors = ctx.Queue()
    recipe = dataclasses.replace(recipe, budget=_SharedBudget(ctx, n_trials))
    callbacks = recipe.callbacks
    study.storage.close()  # children must not inherit open connections
    running = [RunningSlot(ctx) for _ in range(n_jobs)]  # each worker's trial id, -1 between

    def spawn(i: int) -> Any:
        p = ctx.Process(target=_process_main, args=(recipe, i, errors, running[i]), name=f"tunelab-worker-{i}")
        p.start()
        return p

    procs = [spawn(i) for i in range(n_jobs)]
    buried: set[int] = set()  # pids whose death was handled
    ended: set[int] = set()  # pids ended here for a timeout (not a failure of the run)
    watch = _Watch(n_jobs)
    try:
        while any(p.is_alive() for p in procs):
            if trial_timeout is not None:
                for i, p in enumerate(procs):
                    if not (p.is_alive() and watch.overdue(i, running[i].value, trial_timeout)):
                        continue
                    if not _end_inside_objective(p, running[i], watch, i, trial_timeout):
                        continue
                    trial_id = running[i].value
                    buried.add(p.pid)
                    ended.add(p.pid)
                    if _fail(study, trial_id, f"timeout: the trial ran longer than trial_timeout="
                                              f"{trial_timeout:g} s; its worker process was ended", timeout=True):
                        retry_failed(study, [trial_id], callbacks)
                    running[i].value = -1
                    if not recipe.should_stop():
                        procs[i] = spawn(i)
            _fail_trials_of_dead(study, procs, running, buried, callbacks)
            progress.poll()
            # wake at once when a worker exits, so the run ends when its last trial does
            mp.connection.wait([p.sentinel for p in procs if p.is_alive()],
                               timeout=0.05 if trial_timeout is not None else 0.2)
    except KeyboardInterrupt:
        recipe.stop.set()
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()
        raise
    for p in procs:
        p.join()
    _fail_trials_of_dead(study, procs, running, buried, callbacks)
    progress.poll()
    if not errors.empty():
        _raise_worker_error(errors.get())
    died = [p for p in procs if p.exitcode not in (0, None) and p.pid not in ended]
    if died:
        hint = ("; spawned workers re-import the main module and unpickle the objective, so the script needs an "
                "`if __name__ == '__main__':` guard and the objective must be importable (not defined in a "
                "notebook)") if method != "fork" else ""
        raise RuntimeError(f"worker process {died[0].name} exited with code {died[0].exitcode} without reporting "
                           f"an error (killed by a signal if negative; otherwise see its output above){hint}")
