"""Workers on any concurrent.futures-style executor: Dask's Client, a process pool, Ray (integration.ray).

Each task runs the ordinary worker recipe with its share of the trials and opens
the study from the pickled storage settings, so the storage must be a database
every task can reach (PostgreSQL for many machines).
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from tunelab.study._worker import TrialBudget, WorkerRecipe, run_worker


def run_on_executor(recipe: WorkerRecipe, executor: Any, n_jobs: int, n_trials: int | None, progress: Any) -> None:
    if not recipe.study.storage.shareable:
        raise ValueError("optimize(executor=...) needs a database storage that every worker can reach; "
                         "the in-memory storage lives in one process")
    shares: list[int | None] = [None] * n_jobs
    if n_trials is not None:
        shares = [n_trials // n_jobs + (1 if i < n_trials % n_jobs else 0) for i in range(n_jobs)]
    futures = [executor.submit(run_worker, dataclasses.replace(recipe, budget=TrialBudget(share)), i)
               for i, share in enumerate(shares) if share != 0]
    finished = threading.Event()  # set as each task ends, so the caller returns as soon as the last does
    for future in futures:
        future.add_done_callback(lambda _: finished.set())
    try:
        while not all(f.done() for f in futures):
            if any(f.done() and f.exception() is not None for f in futures):
                break  # one worker failed: stop the others now, not after their whole share
            progress.poll()
            finished.wait(0.5)
            finished.clear()  # before the next look at the futures, so no end goes unseen
    except KeyboardInterrupt:
        recipe.stop.set()
        raise
    failed = [f for f in futures if f.done() and f.exception() is not None]
    if failed:
        recipe.stop.set()  # the remote workers read the signal through the storage before each trial
        for f in futures:
            if not f.done():
                f.cancel()
        failed[0].result()  # re-raise the worker's error here
    for f in futures:
        f.result()
