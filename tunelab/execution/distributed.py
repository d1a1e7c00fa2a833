"""Workers on any concurrent.futures-style executor: Dask's Client, a process pool, Ray through RayExecutor.

Each task opens the study from its storage URL and runs the ordinary worker loop,
so the storage must be a database every task can reach (PostgreSQL for many machines).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable, Sequence

from tunelab.execution.worker import StopRules, TrialBudget, worker_loop

if TYPE_CHECKING:
    from tunelab.study import Study


def remote_worker(storage: Any, study_name: str, sampler: Any, pruner: Any, seed: int | None,
                  objective: Callable, n_trials: int | None, deadline: float | None,
                  catch: Sequence[type[BaseException]]) -> int:
    """The task each executor runs: n_trials here is this task's share."""
    from tunelab.study import load_study

    sampler.reseed(seed)
    study = load_study(study_name, storage, sampler=sampler, pruner=pruner, seed=seed)
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
    futures = []
    for i, share in enumerate(shares):
        if share == 0:
            continue
        sampler = study.sampler
        seed = None if study.seed is None else study.seed + 1000003 * (i + 1)
        # the storage pickles as its settings; each task opens its own connections
        futures.append(executor.submit(remote_worker, study.storage, study.study_name, sampler, study.pruner, seed,
                                       objective, share, deadline, catch))
    while not all(f.done() for f in futures):
        progress.poll()
        time.sleep(0.2)
    for f in futures:
        f.result()  # re-raise a worker's error here


class RayExecutor:
    """``optimize(executor=RayExecutor(), n_jobs=k)``: each worker is a Ray task on the cluster.

    Ray has no concurrent.futures executor of its own; this adapter turns
    ``submit`` into a remote task and hands back its future.  Connect first
    (``ray.init(address=...)``), or let the first ``submit`` start a local Ray.
    ``task_options`` go to ``ray.remote`` (for example ``num_gpus=1`` to give
    each worker a GPU, or ``num_cpus=2``).
    """

    def __init__(self, **task_options: Any):
        self.task_options = task_options
        self._remotes: dict[int, tuple[Callable, Any]] = {}  # one remote function per callable, not one per submit

    def submit(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        import ray

        cached = self._remotes.get(id(fn))
        if cached is not None and cached[0] is fn:
            remote = cached[1]
        else:
            remote = ray.remote(**self.task_options)(fn) if self.task_options else ray.remote(fn)
            self._remotes[id(fn)] = (fn, remote)  # holding fn keeps its id from being reused
        return remote.remote(*args, **kwargs).future()
