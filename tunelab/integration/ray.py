"""Ray: run a study's workers as Ray tasks through ``optimize(executor=RayExecutor())``."""

from __future__ import annotations

from typing import Any, Callable


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
