"""How and where trials run: this thread, local threads or processes, or any executor (Dask, Ray).

Study.optimize hands its arguments to :func:`run_optimize`; the workers drive the
study through ask/tell, and this module never imports the study module.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Callable, Sequence

from tunelab.study._worker import StopRules, TrialBudget, run_trial, worker_loop

if TYPE_CHECKING:
    from tunelab.study._study import Study

__all__ = ["run_optimize", "run_trial", "worker_loop", "StopRules", "TrialBudget"]


def run_optimize(study: "Study", objective: Callable, n_trials: int | None, timeout: float | None, n_jobs: int,
                 catch: Sequence[type[BaseException]], callbacks: Sequence[Callable], show_progress_bar: bool,
                 executor: Any = None, trial_timeout: float | None = None) -> None:
    from tunelab.study import _parallel as local
    from tunelab.study._progress import Progress

    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    deadline = None if timeout is None else time.time() + timeout
    if trial_timeout is not None and (executor is not None or getattr(study.storage, "url", None) is None):
        raise ValueError(
            "optimize(trial_timeout=...) ends a hung trial by ending its worker process, so the trials must run "
            "in local worker processes: use a database storage (e.g. storage='sqlite:///tunelab.db'; any n_jobs, "
            "1 included, then runs processes) and no executor. In this process a running objective cannot be "
            "stopped from outside: give it its own time limit instead (check the time in its loop and raise "
            "tunelab.TrialPruned, or run the slow call in a subprocess with a timeout)")
    with Progress(study, n_trials, timeout, enabled=show_progress_bar) as progress:
        if executor is not None:
            from tunelab.study._executor import run_on_executor

            run_on_executor(study, objective, executor, n_jobs, n_trials, deadline, catch, callbacks, progress)
        elif trial_timeout is not None:
            local.run_processes(study, objective, n_jobs, n_trials, deadline, catch, callbacks, progress,
                                trial_timeout=trial_timeout)
        elif n_jobs == 1:
            rules = StopRules(TrialBudget(n_trials), deadline)
            worker_loop(study, objective, rules, catch, callbacks, on_trial=progress.update)
        elif getattr(study.storage, "url", None) is None:
            local.run_threads(study, objective, n_jobs, n_trials, deadline, catch, callbacks, progress)
        else:
            local.run_processes(study, objective, n_jobs, n_trials, deadline, catch, callbacks, progress)
