"""Workers on any concurrent.futures-style executor: Dask's Client, a process pool, Ray (integration.ray).

Each task opens the study from its storage URL and runs the ordinary worker loop,
so the storage must be a database every task can reach (PostgreSQL for many machines).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Sequence

from tunelab.study._worker import StopRules, StudyRecipe, TrialBudget, worker_loop, worker_study

if TYPE_CHECKING:
    from tunelab.study._study import Study


def remote_worker(recipe: StudyRecipe, index: int, objective: Callable, n_trials: int | None,
                  deadline: float | None, catch: Sequence[type[BaseException]]) -> int:
    """The task each executor runs: n_trials here is this task's share."""
    study = worker_study(recipe, index)
    return worker_loop(study, objective, StopRules(TrialBudget(n_trials), deadline), catch)


def run_on_executor(study: "Study", objective: Callable, executor: Any, n_jobs: int, n_trials: int | None,
                    deadline: float | None, catch: Sequence[type[BaseException]], callbacks: Sequence[Callable],
                    progress: Any) -> None:
    if getattr(study.storage, "url", None) is None:
        raise ValueError("optimize(executor=...) needs a database storage that every worker can reach; "
                         "the in-memory storage lives in one process")
    if callbacks:
        raise ValueError("optimize(executor=...) does not run callbacks (they would run on remote workers); "
                         "read study.trials after optimize instead")
    shares = [None] * n_jobs
    if n_trials is not None:
        shares = [n_trials // n_jobs + (1 if i < n_trials % n_jobs else 0) for i in range(n_jobs)]
    recipe = StudyRecipe.of(study)  # the storage pickles as its settings; each task opens its own connections
    futures = [executor.submit(remote_worker, recipe, i, objective, share, deadline, catch)
               for i, share in enumerate(shares) if share != 0]
    while not all(f.done() for f in futures):
        progress.poll()
        time.sleep(0.2)
    for f in futures:
        f.result()  # re-raise a worker's error here
