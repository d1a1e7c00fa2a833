"""Where a trial trains: CPU, the GPU, or one of several GPUs.

With ``device="auto"`` and several GPUs, parallel trials spread one per device:
the device is ``cuda:(worker index mod GPU count)``.  The worker index comes
from the name tunelab's local workers carry (``tunelab-worker-<i>``, threads
and processes alike); outside such a worker (a Dask task, a user loop) the
trial number stands in for it.
"""

from __future__ import annotations

import multiprocessing
import re
import threading

_WORKER_NAME = re.compile(r"tunelab-worker-(\d+)$")


def cuda_count() -> int:
    """How many CUDA devices torch sees here (0 without CUDA).

    ``device_count`` asks NVML and, unlike ``is_available``, does not initialise
    the CUDA driver, so the process can still fork workers that use the GPU.
    """
    import torch

    return torch.cuda.device_count()


def worker_index() -> int | None:
    """The index of the tunelab worker running this code, or None outside one."""
    for name in (threading.current_thread().name, multiprocessing.current_process().name):
        match = _WORKER_NAME.search(name or "")
        if match:
            return int(match.group(1))
    return None


def pick_device(device: str = "auto", trial_number: int | None = None, worker: int | None = None,
                n_gpus: int | None = None) -> str:
    """The torch device string for one trial.

    ``device``: "auto" (spread over GPUs if any, else CPU), "cpu", "cuda" (spread
    like auto but insist on a GPU) or an explicit "cuda:N".  ``n_gpus`` defaults
    to what torch sees; ``worker`` to :func:`worker_index`.
    """
    if device == "cpu" or device.startswith("cuda:") or device == "mps":
        return device
    if device not in ("auto", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'; got {device!r}")
    count = cuda_count() if n_gpus is None else n_gpus
    if count == 0:
        if device == "cuda":
            raise RuntimeError("device='cuda' was asked for, but torch sees no CUDA device")
        return "cpu"
    if count == 1:
        return "cuda:0"
    slot = worker if worker is not None else worker_index()
    if slot is None:
        slot = trial_number or 0
    return f"cuda:{slot % count}"
