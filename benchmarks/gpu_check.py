"""Checks of the built-in trainer and of trial placement on a real CUDA GPU.

Run by hand on a machine with a GPU (CI has none):

    python benchmarks/gpu_check.py --out gpu_check.json

Each check records pass/fail with its numbers, so one failure does not hide the
others; the exit status is 1 when any check failed.  What it checks:
- the trainer puts the model and data on the GPU, and its accuracy there is close
  to the CPU's for the same seeds;
- repeats stay per-seed on the GPU too: seed r of a k-seed run equals a 1-seed
  run of seed r (dropout draws from each seed's own CUDA stream), and the same
  seed twice gives the same numbers;
- the small CNN trains on the GPU (and whether two same-seed runs agree there);
- seconds per epoch, CPU against GPU, for a small and a wide network;
- parallel trials on the GPU: worker threads (in-memory study) and worker
  processes (SQLite study) started after this process has already used CUDA
  (they must be spawned: a forked child cannot use CUDA);
- querying the GPU count the way tunelab does leaves fork usable, while
  torch.cuda.is_available() does not (why workers are spawned wherever torch sees a GPU);
- the `tunelab tune` command with the learning-rate range test and 2 workers;
- Lightning on the GPU with tunelab's PruningCallback.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402

import tunelab  # noqa: E402
from tunelab.nn.data import load_dataset  # noqa: E402
from tunelab.nn.objective import NNObjective  # noqa: E402
from tunelab.nn.trainer import train  # noqa: E402
from tunelab.trial import TrialState  # noqa: E402

CONFIG = {"model": "mlp", "layers": 2, "width": 128, "activation": "relu", "dropout": 0.2, "batch_norm": True,
          "optimizer": "adam", "lr": 2e-3, "batch_size": 64, "epochs": 12, "schedule": "cosine"}
WIDE = dict(CONFIG, layers=3, width=1024, batch_size=128, epochs=3)
RESULTS: dict = {}


def check(name):
    def wrap(fn):
        def run(*args):
            tic = time.perf_counter()
            try:
                info = fn(*args) or {}
                RESULTS[name] = {"ok": True, **info}
            except Exception as exc:  # a failed check is a result, not a crash
                RESULTS[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                                 "trace": traceback.format_exc()[-1500:]}
            RESULTS[name]["seconds"] = round(time.perf_counter() - tic, 2)
            print(f"[{'ok' if RESULTS[name]['ok'] else 'FAIL'}] {name}: "
                  f"{ {k: v for k, v in RESULTS[name].items() if k not in ('ok', 'trace')} }", flush=True)
        return run
    return wrap


@check("environment")
def environment():
    return {"torch": torch.__version__, "cuda": torch.version.cuda, "gpus": torch.cuda.device_count(),
            "name": torch.cuda.get_device_name(0), "tunelab": tunelab.__version__}


@check("trainer_on_gpu_matches_cpu")
def trainer_on_gpu(data):
    before = torch.get_rng_state()
    gpu = train(CONFIG, data, seed=0, repeats=2, device="cuda:0", threads=4)
    assert torch.equal(before, torch.get_rng_state()), "the global CPU RNG state was not restored"
    cpu = train(CONFIG, data, seed=0, repeats=2, device="cpu", threads=4)
    where = {p.device.type for p in gpu.model.parameters()}
    assert where == {"cuda"}, f"model parameters on {where}"
    gap = abs(gpu.value - cpu.value)
    assert gap < 0.03, f"GPU accuracy {gpu.value:.4f} vs CPU {cpu.value:.4f}"
    return {"gpu_values": gpu.values, "cpu_values": cpu.values, "gap": round(gap, 4)}


@check("repeats_are_per_seed_on_gpu")
def repeats_per_seed(data):
    both = train(CONFIG, data, seed=0, repeats=2, device="cuda:0")
    alone = train(CONFIG, data, seed=1, repeats=1, device="cuda:0")
    again = train(CONFIG, data, seed=1, repeats=1, device="cuda:0")
    curve = [h["val_loss"] for h in both.runs[1].history]
    alone_curve = [h["val_loss"] for h in alone.runs[0].history]
    again_curve = [h["val_loss"] for h in again.runs[0].history]
    assert alone_curve == again_curve, "the same seed twice gave different curves on the GPU"
    diff = max(abs(a - b) for a, b in zip(curve, alone_curve))
    assert diff < 1e-5, f"seed 1 inside a 2-seed run differs from seed 1 alone by {diff:.2e} (val loss)"
    return {"max_val_loss_diff": diff, "value_in_pair": both.values[1], "value_alone": alone.values[0]}


CNN = {"model": "cnn", "conv_layers": 2, "channels": 32, "width": 128, "activation": "relu", "dropout": 0.2,
       "batch_norm": True, "optimizer": "adam", "lr": 2e-3, "batch_size": 64, "epochs": 10, "schedule": "none"}


@check("cnn_on_gpu")
def cnn_on_gpu(data):
    """The small CNN on the 8x8 digits: trains on the GPU; cuDNN may make repeats differ slightly."""
    first = train(CNN, data, seed=0, device="cuda:0")
    second = train(CNN, data, seed=0, device="cuda:0")
    cpu = train(CNN, data, seed=0, device="cpu", threads=4)
    where = {p.device.type for p in first.model.parameters()}
    assert where == {"cuda"}, f"model parameters on {where}"
    assert first.value > 0.9, f"CNN accuracy {first.value:.4f} on the GPU"
    return {"gpu_value": first.value, "gpu_again": second.value, "same_twice": first.value == second.value,
            "cpu_value": cpu.value, "gpu_s_per_epoch": round(first.seconds / first.epochs_run, 4),
            "cpu_4_threads_s_per_epoch": round(cpu.seconds / cpu.epochs_run, 4)}


def _per_epoch(config, data, device, threads=None):
    result = train(config, data, seed=0, device=device, threads=threads, patience=None)
    return result.seconds / result.epochs_run


@check("seconds_per_epoch_cpu_vs_gpu")
def epoch_times(data):
    train(dict(CONFIG, epochs=1), data, device="cuda:0")  # warm-up: kernels, allocator
    out = {}
    for label, cfg in (("small", CONFIG), ("wide", WIDE)):
        one = _per_epoch(cfg, data, "cpu", threads=1)  # the trainer's default: one thread per trial
        every = _per_epoch(cfg, data, "cpu", threads=os.cpu_count())
        gpu = _per_epoch(cfg, data, "cuda:0", threads=1)
        out[label] = {"cpu_1_thread_s": round(one, 4), f"cpu_{os.cpu_count()}_threads_s": round(every, 4),
                      "gpu_s": round(gpu, 4), "cpu_1_thread_over_gpu": round(one / gpu, 2)}
    return out


def _small_space(trial):
    return {"model": "mlp", "layers": trial.suggest_int("layers", 1, 2), "width": trial.suggest_int("width", 32, 128),
            "activation": "relu", "dropout": trial.suggest_float("dropout", 0.0, 0.3), "batch_norm": False,
            "optimizer": "adam", "lr": trial.suggest_float("lr", 1e-4, 1e-2, log=True), "batch_size": 64,
            "epochs": 6, "schedule": "none"}


def _study_states(study):
    trials = study.trials
    return {"states": sorted({t.state.name for t in trials}), "n": len(trials),
            "devices": sorted({str(t.user_attrs.get("device")) for t in trials})}


@check("worker_threads_on_gpu")
def threads_on_gpu(data):
    objective = NNObjective(data, space=_small_space, device="auto")
    study = tunelab.create_study(direction="maximize", pruner="median", seed=0)
    study.optimize(objective, n_trials=8, n_jobs=2)
    info = _study_states(study)
    assert info["n"] == 8 and set(info["states"]) <= {"COMPLETE", "PRUNED"}, info
    assert info["devices"] == ["cuda:0"], info
    return info


@check("worker_processes_after_cuda_use")
def processes_on_gpu(data, folder):
    from tunelab.study._parallel import start_method

    assert torch.cuda.is_initialized(), "this check needs CUDA in use in the parent"
    method = start_method()
    assert method == "spawn", f"start method {method!r} with CUDA in use"
    objective = NNObjective(data, space=_small_space, device="auto")
    study = tunelab.create_study("procs", f"sqlite:///{folder}/procs.db", direction="maximize", pruner="median",
                                 seed=0)
    study.optimize(objective, n_trials=8, n_jobs=2)
    info = _study_states(study)
    assert info["n"] == 8 and set(info["states"]) <= {"COMPLETE", "PRUNED"}, info
    assert info["devices"] == ["cuda:0"], info
    return {"start_method": method, **info}


@check("forked_workers_after_cuda_use_fail")
def fork_fails(data, folder):
    """The failure the spawn rule avoids, shown once: fork after CUDA use."""
    os.environ["TUNELAB_START_METHOD"] = "fork"
    try:
        objective = NNObjective(data, space=_small_space, device="auto")
        study = tunelab.create_study("fork", f"sqlite:///{folder}/fork.db", direction="maximize", seed=0)
        try:
            study.optimize(objective, n_trials=2, n_jobs=2, catch=())
        except RuntimeError as exc:
            return {"forked_error": str(exc)[:300]}
        return {"forked_error": None, "note": "fork worked here", **_study_states(study)}
    finally:
        del os.environ["TUNELAB_START_METHOD"]


_FORK_PROBE = """
import multiprocessing as mp, sys, torch
from tunelab.study._parallel import start_method
from tunelab.nn.devices import cuda_count
def child(q):
    try:
        torch.zeros(1, device="cuda"); q.put("ok")
    except Exception as exc:
        q.put(type(exc).__name__ + ": " + str(exc)[:80])
if sys.argv[1] == "is_available":
    torch.cuda.is_available()
else:
    cuda_count()
ctx = mp.get_context("fork"); q = ctx.Queue(); p = ctx.Process(target=child, args=(q,)); p.start(); p.join()
print(start_method(), "|", q.get())
"""


@check("fork_after_device_query")
def fork_after_device_query():
    """tunelab's device count leaves fork usable; torch.cuda.is_available() does not; both processes spawn."""
    out = {}
    for how in ("cuda_count", "is_available"):
        proc = subprocess.run([sys.executable, "-c", _FORK_PROBE, how], capture_output=True, text=True, timeout=120)
        out[how] = (proc.stdout.strip() or proc.stderr.strip()[-300:])
    assert out["cuda_count"] == "spawn | ok", out
    assert out["is_available"].startswith("spawn | RuntimeError"), out
    return out


@check("tune_command_with_range_test")
def tune_command(folder):
    cmd = [sys.executable, "-c", "from tunelab.cli import main; main()", "tune", "digits", "--trials", "6",
           "--n-jobs", "2", "--epochs", "4", "--auto-range", "--no-progress", "--storage",
           f"sqlite:///{folder}/cli.db", "--study", "cli", "--out", f"{folder}/best"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    tail = (proc.stdout + proc.stderr)[-1200:]
    assert proc.returncode == 0, tail
    assert "saved the best model" in proc.stdout, tail
    study = tunelab.load_study("cli", f"sqlite:///{folder}/cli.db")
    return {"tail": tail[-400:], **_study_states(study)}


@check("lightning_on_gpu_with_pruning_callback")
def lightning_on_gpu():
    import pytorch_lightning as pl
    from torch import nn

    from tunelab.nn.lightning import PruningCallback

    g = torch.Generator().manual_seed(0)
    X = torch.randn(512, 8, generator=g)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).long()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=64)

    class Net(pl.LightningModule):
        def __init__(self, lr):
            super().__init__()
            self.lr, self.net = lr, nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2))

        def training_step(self, batch, _):
            return nn.functional.cross_entropy(self.net(batch[0]), batch[1])

        def validation_step(self, batch, _):
            acc = (self.net(batch[0]).argmax(1) == batch[1]).float().mean()
            self.log("val_acc", acc)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.lr)

        def on_train_start(self):
            self.trial.set_user_attr("device", str(self.device))  # fit moves the model back to the CPU at the end

    def objective(trial):
        model = Net(trial.suggest_float("lr", 1e-5, 1.0, log=True))
        model.trial = trial
        trainer = pl.Trainer(accelerator="gpu", devices=1, max_epochs=5, enable_progress_bar=False,
                             enable_model_summary=False, logger=False, enable_checkpointing=False,
                             callbacks=[PruningCallback(trial, monitor="val_acc")])
        trainer.fit(model, loader, loader)
        return float(trainer.callback_metrics["val_acc"])

    from tunelab.pruners import MedianPruner

    study = tunelab.create_study(direction="maximize", pruner=MedianPruner(n_startup_trials=2), seed=0)
    study.enqueue_trial({"lr": 0.3})
    study.enqueue_trial({"lr": 0.3})
    study.enqueue_trial({"lr": 1e-5})  # learns nothing in 5 epochs: the median pruner should stop it
    study.optimize(objective, n_trials=3)
    info = _study_states(study)
    assert info["n"] == 3 and all(t.state != TrialState.FAIL for t in study.trials), info
    assert study.trials[2].state == TrialState.PRUNED, [t.state.name for t in study.trials]
    assert info["devices"] == ["cuda:0"], info
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="gpu_check.json")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device: nothing to check")
        return 2
    environment()
    data = load_dataset("digits", seed=0)
    with tempfile.TemporaryDirectory() as folder:
        trainer_on_gpu(data)
        repeats_per_seed(data)
        cnn_on_gpu(data)
        epoch_times(data)
        threads_on_gpu(data)
        processes_on_gpu(data, folder)
        fork_fails(data, folder)
        fork_after_device_query()
        tune_command(folder)
        lightning_on_gpu()
    with open(args.out, "w") as fh:
        json.dump(RESULTS, fh, indent=1, default=str)
    failed = [k for k, v in RESULTS.items() if not v["ok"]]
    print("failed:", failed or "none")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
