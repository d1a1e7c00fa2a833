"""How and where trials run: this thread, local threads or processes, or any executor (Dask, Ray).

Study.optimize hands its arguments to :func:`run_optimize`, which builds one
:class:`~tunelab.study._worker.WorkerRecipe` and runs it in each worker; the
workers drive the study through ask/tell, and this module never imports the study module.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Callable, Sequence

from tunelab.study._worker import StopSignal, StudyRecipe, TrialBudget, WorkerRecipe, retry_failed, run_worker

if TYPE_CHECKING:
    from tunelab.study._study import Study


def run_optimize(study: "Study", objective: Callable, n_trials: int | None, timeout: float | None, n_jobs: int,
                 catch: Sequence[type[BaseException]], callbacks: Sequence[Callable], show_progress_bar: bool,
                 executor: Any = None, trial_timeout: float | None = None) -> None:
    from tunelab.study import _parallel
    from tunelab.study._progress import Progress

    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    if trial_timeout is not None and (executor is not None or not study.storage.shareable):
        raise ValueError(
            "optimize(trial_timeout=...) ends a hung trial by ending its worker process, so the trials must run "
            "in local worker processes: use a database storage (e.g. storage='sqlite:///tunelab.db'; any n_jobs, "
            "1 included, then runs processes) and no executor. In this process a running objective cannot be "
            "stopped from outside: give it its own time limit instead (check the time in its loop and raise "
            "tunelab.TrialPruned, or run the slow call in a subprocess with a timeout)")
    processes = executor is None and study.storage.shareable and (n_jobs > 1 or trial_timeout is not None)
    # workers in other processes share the stop through the storage; threads share the event
    study._stop = StopSignal(study.storage, study.study_id, shared=executor is not None or processes)
    recipe = WorkerRecipe(StudyRecipe.of(study), objective, tuple(catch), list(callbacks), study._stop,
                          TrialBudget(n_trials), None if timeout is None else time.time() + timeout)
    retry_failed(study, study._take_swept_on_open(), recipe.callbacks)  # stale trials found when it was opened
    with Progress(study, n_trials, enabled=show_progress_bar) as progress:
        if executor is not None:
            from tunelab.study._executor import run_on_executor

            run_on_executor(recipe, executor, n_jobs, n_trials, progress)
        elif processes:
            _parallel.run_processes(study, recipe, n_jobs, n_trials, progress, trial_timeout=trial_timeout)
        elif n_jobs == 1:
            run_worker(recipe, 0, study=study, on_trial=progress.update)
        else:
            _parallel.run_threads(study, recipe, n_jobs, progress)
