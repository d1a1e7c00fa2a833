"""Device placement: CPU without CUDA, one GPU, and one GPU per parallel worker (mocked GPU counts)."""

from __future__ import annotations

import threading
import time

import pytest

import tunelab
from tunelab.nn import devices
from tunelab.nn.devices import pick_device, worker_index


def test_cpu_and_single_gpu():
    assert pick_device("auto", n_gpus=0) == "cpu"
    assert pick_device("auto", trial_number=7, n_gpus=1) == "cuda:0"
    assert pick_device("cpu", n_gpus=4) == "cpu"
    assert pick_device("cuda:3", n_gpus=4) == "cuda:3"
    with pytest.raises(RuntimeError, match="no CUDA device"):
        pick_device("cuda", n_gpus=0)
    with pytest.raises(ValueError, match="device must be 'auto', 'cpu'"):
        pick_device("gpu0")


def test_several_gpus_spread_by_worker_then_trial_number():
    assert [pick_device("auto", worker=w, n_gpus=3) for w in range(5)] == \
        ["cuda:0", "cuda:1", "cuda:2", "cuda:0", "cuda:1"]
    assert pick_device("cuda", trial_number=6, worker=None, n_gpus=4) == "cuda:2"


def test_worker_index_is_read_from_the_worker_name():
    assert worker_index() is None
    seen = []
    t = threading.Thread(target=lambda: seen.append(worker_index()), name="tunelab-worker-3")
    t.start()
    t.join()
    assert seen == [3]


def test_parallel_trials_use_one_gpu_per_worker(monkeypatch):
    monkeypatch.setattr(devices, "cuda_count", lambda: 2)
    placed = {}
    lock = threading.Lock()

    def objective(trial):
        with lock:
            placed.setdefault(threading.current_thread().name, set()).add(pick_device("auto",
                                                                                      trial_number=trial.number))
        time.sleep(0.02)  # long enough that both workers take trials
        return 0.0

    study = tunelab.create_study(sampler="random", seed=0)
    study.optimize(objective, n_trials=12, n_jobs=2)
    assert placed == {"tunelab-worker-0": {"cuda:0"}, "tunelab-worker-1": {"cuda:1"}}


def test_without_a_worker_name_the_trial_number_picks_the_gpu(monkeypatch):
    monkeypatch.setattr(devices, "cuda_count", lambda: 4)
    assert [pick_device("auto", trial_number=n) for n in range(5)] == \
        ["cuda:0", "cuda:1", "cuda:2", "cuda:3", "cuda:0"]
