"""The training loop of the built-in trainer.

``repeats=k`` trains k seeds of one configuration in lockstep, one epoch each
in turn, so that the value reported to the pruner after every epoch is the mean
over seeds and pruning works with repeats too.  Each seed keeps its own random
state (init, shuffling, dropout), so seed r gives the same run whatever k is,
and the same seed gives identical numbers on CPU.

Reported value after each epoch: the mean over seeds of the best validation
metric so far.  Each seed stops early when its validation loss has not improved
for ``patience`` epochs; its model keeps the weights of its best-metric epoch.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from tunelab.nn.data import Dataset
from tunelab.nn.metrics import compute_metric, metric_direction
from tunelab.nn.models import architecture, build_model
from tunelab.trial import TrialPruned


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf before any epoch gave a usable model (the learning rate is usually too high)."""


@dataclass
class RunResult:
    """One seed's training."""

    seed: int
    best_value: float
    best_epoch: int
    history: list[dict[str, float]]
    model: nn.Module
    stopped_early: bool = False
    diverged: bool = False


@dataclass
class TrainResult:
    """A configuration's result over its seeds."""

    metric: str
    direction: str
    values: list[float]
    runs: list[RunResult]
    architecture: dict[str, Any]
    epochs_run: int
    seconds: float = 0.0

    @property
    def value(self) -> float:
        return float(np.mean(self.values))

    @property
    def std(self) -> float:
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else 0.0

    @property
    def model(self) -> nn.Module:
        """The first seed's model, at its best epoch."""
        return self.runs[0].model


@dataclass
class _Run:
    seed: int
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    generator: torch.Generator
    rng_state: torch.Tensor
    cuda_rng_state: torch.Tensor | None
    history: list[dict[str, float]] = field(default_factory=list)
    best_value: float | None = None
    best_epoch: int = 0
    best_state: dict[str, torch.Tensor] | None = None
    best_loss: float = math.inf
    bad_epochs: int = 0
    active: bool = True
    stopped_early: bool = False
    diverged: bool = False


def make_optimizer(config: dict[str, Any], params: Any) -> torch.optim.Optimizer:
    """SGD (lr, momentum, nesterov, weight decay) or Adam/AdamW (lr, betas, eps, weight decay)."""
    name = config.get("optimizer", "adam")
    lr, wd = float(config["lr"]), float(config.get("weight_decay", 0.0))
    if name == "sgd":
        momentum = float(config.get("momentum", 0.0))
        nesterov = bool(config.get("nesterov", False)) and momentum > 0
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=wd)
    kwargs = {"lr": lr, "betas": tuple(config.get("betas", (0.9, 0.999))), "eps": float(config.get("eps", 1e-8)),
              "weight_decay": wd}
    if name == "adam":
        return torch.optim.Adam(params, **kwargs)
    if name == "adamw":
        return torch.optim.AdamW(params, **kwargs)
    raise ValueError(f"unknown optimizer {name!r}; expected 'sgd', 'adam' or 'adamw'")


def make_scheduler(config: dict[str, Any], optimizer: torch.optim.Optimizer, epochs: int) -> Any:
    """None, cosine annealing over the epochs, or a step decay every third of them."""
    kind = config.get("schedule", "none")
    if kind == "none":
        return None
    if kind == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs))
    if kind == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3),
                                               gamma=float(config.get("step_gamma", 0.1)))
    raise ValueError(f"unknown schedule {kind!r}; expected 'none', 'cosine' or 'step'")


def _better(a: float, b: float | None, direction: str) -> bool:
    return b is None or (a > b if direction == "maximize" else a < b)


def train(config: dict[str, Any], data: Dataset, *, metric: str | None = None, seed: int = 0, repeats: int = 1,
          device: str = "cpu", patience: int | None = 5, threads: int | None = 1, trial: Any = None) -> TrainResult:
    """Train ``config`` on ``data`` with ``repeats`` seeds (seed, seed+1, ...); report to ``trial`` if given.

    Raises TrialPruned when the trial's pruner says stop, TrainingDiverged when a
    seed's loss is NaN/inf before any usable epoch.  The global torch RNG state
    is restored on return; set ``threads`` (torch.set_num_threads) to None to
    leave torch's thread count alone.
    """
    metric = metric or data.default_metric
    direction = metric_direction(metric)
    epochs = int(config.get("epochs", 20))
    if threads:
        torch.set_num_threads(threads)
    dev = torch.device(device)
    arch = architecture(config, data.n_features, data.n_outputs, data.image_shape)
    Xt = torch.as_tensor(data.X_train, device=dev)
    Xv = torch.as_tensor(data.X_val, device=dev)
    if data.task == "classification":
        yt = torch.as_tensor(data.y_train, dtype=torch.long, device=dev)
        yv = torch.as_tensor(data.y_val, dtype=torch.long, device=dev)
        weight = None if data.class_weights is None else torch.as_tensor(data.class_weights, device=dev)
        loss_fn: nn.Module = nn.CrossEntropyLoss(weight=weight)
    else:
        yt = torch.as_tensor((data.y_train - data.target_mean) / data.target_std, dtype=torch.float32, device=dev)
        yv = torch.as_tensor((data.y_val - data.target_mean) / data.target_std, dtype=torch.float32, device=dev)
        loss_fn = nn.MSELoss()
    outer_state = torch.get_rng_state()
    outer_cuda_state = torch.cuda.get_rng_state(dev) if dev.type == "cuda" else None
    started = time.perf_counter()
    try:
        runs = [_start_run(config, arch, seed + r, epochs, dev) for r in range(repeats)]
        epoch = 0
        next_check = _budget(trial)
        for epoch in range(1, epochs + 1):
            for run in runs:
                if run.active:
                    _epoch(run, config, data, Xt, yt, Xv, yv, loss_fn, metric, direction, epoch, patience)
            if not any(r.active for r in runs) and all(r.best_value is None for r in runs):
                break
            current = [r.best_value for r in runs]
            if any(v is None for v in current):
                bad = next(r for r in runs if r.best_value is None)
                raise TrainingDiverged(f"training diverged at epoch {epoch} (seed {bad.seed}: the loss is not "
                                       f"finite); the learning rate {config.get('lr')} is probably too high")
            if trial is not None:
                trial.report(float(np.mean(current)), step=epoch)
                if next_check is None or epoch >= next_check:
                    _maybe_prune(trial, runs, epoch)
                    next_check = _budget(trial)
            if not any(r.active for r in runs):
                break
        if any(r.best_value is None for r in runs):
            raise TrainingDiverged(f"training diverged at epoch 1 (the loss is not finite); the learning rate "
                                   f"{config.get('lr')} is probably too high")
    finally:
        torch.set_rng_state(outer_state)
        if outer_cuda_state is not None:
            torch.cuda.set_rng_state(outer_cuda_state, dev)
    results = []
    for run in runs:
        if run.best_state is not None:
            run.model.load_state_dict(run.best_state)
        run.model.eval()
        results.append(RunResult(run.seed, float(run.best_value), run.best_epoch, run.history, run.model,
                                 run.stopped_early, run.diverged))
    out = TrainResult(metric, direction, [r.best_value for r in results], results, arch, epoch,
                      time.perf_counter() - started)
    if trial is not None:
        _record(trial, out.values, [r.best_epoch for r in results], epoch)
    return out


def _start_run(config: dict[str, Any], arch: dict[str, Any], seed: int, epochs: int, dev: torch.device) -> _Run:
    torch.manual_seed(seed)
    model = build_model(arch).to(dev)
    optimizer = make_optimizer(config, model.parameters())
    generator = torch.Generator().manual_seed(seed)
    cuda_state = torch.cuda.get_rng_state(dev) if dev.type == "cuda" else None
    return _Run(seed, model, optimizer, make_scheduler(config, optimizer, epochs), generator, torch.get_rng_state(),
                cuda_state)


def _epoch(run: _Run, config: dict[str, Any], data: Dataset, Xt: torch.Tensor, yt: torch.Tensor, Xv: torch.Tensor,
           yv: torch.Tensor, loss_fn: nn.Module, metric: str, direction: str, epoch: int,
           patience: int | None) -> None:
    torch.set_rng_state(run.rng_state)  # this seed's dropout stream, whatever the other seeds did
    if run.cuda_rng_state is not None:
        torch.cuda.set_rng_state(run.cuda_rng_state, Xt.device)  # on a GPU, dropout draws from the device's stream
    tic = time.perf_counter()
    run.model.train()
    n, bs = Xt.shape[0], int(config.get("batch_size", 64))
    perm = torch.randperm(n, generator=run.generator).to(Xt.device)
    losses, sizes = [], []  # kept on the device: one transfer per epoch, not one sync per batch
    for start in range(0, n, bs):
        idx = perm[start:start + bs]
        if len(idx) < 2 and n > 1:
            continue  # batch norm cannot train on one row
        run.optimizer.zero_grad(set_to_none=True)
        out = run.model(Xt[idx])
        loss = loss_fn(out.squeeze(-1) if data.task == "regression" else out, yt[idx])
        loss.backward()
        run.optimizer.step()
        losses.append(loss.detach())
        sizes.append(len(idx))
    if run.scheduler is not None:
        run.scheduler.step()
    run.rng_state = torch.get_rng_state()
    if run.cuda_rng_state is not None:
        run.cuda_rng_state = torch.cuda.get_rng_state(Xt.device)
    run.model.eval()
    with torch.no_grad():
        out = run.model(Xv)
        val_loss = float(loss_fn(out.squeeze(-1) if data.task == "regression" else out, yv))
    train_loss = float(np.dot(torch.stack(losses).cpu().numpy(), sizes)) / sum(sizes) if losses else 0.0
    if not (math.isfinite(val_loss) and math.isfinite(train_loss)):
        run.active, run.diverged = False, True
        return
    outputs = out.detach().cpu().numpy().astype(np.float64)
    if data.task == "regression":
        outputs = outputs.reshape(-1) * data.target_std + data.target_mean
    value = compute_metric(metric, data.y_val, outputs)
    run.history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, metric: value,
                        "seconds": time.perf_counter() - tic})
    if _better(value, run.best_value, direction):
        run.best_value, run.best_epoch = value, epoch
        run.best_state = {k: v.detach().clone() for k, v in run.model.state_dict().items()}
    if val_loss < run.best_loss - 1e-4:
        run.best_loss, run.bad_epochs = val_loss, 0
    else:
        run.bad_epochs += 1
        if patience and run.bad_epochs >= patience:
            run.active, run.stopped_early = False, True


def _budget(trial: Any) -> float | None:
    """The epoch of the trial's next pruning check (``trial.budget``), or None: check every epoch."""
    return None if trial is None else getattr(trial, "budget", None)


def _maybe_prune(trial: Any, runs: list[_Run], epoch: int) -> None:
    if trial.should_prune():
        _record(trial, [float(r.best_value) for r in runs], [r.best_epoch for r in runs], epoch)
        raise TrialPruned(f"pruned after epoch {epoch}")


def _record(trial: Any, values: list[float], best_epochs: list[int], epochs_run: int) -> None:
    trial.set_user_attr("repeat_values", [float(v) for v in values])
    trial.set_user_attr("repeat_std", float(np.std(values, ddof=1)) if len(values) > 1 else 0.0)
    trial.set_user_attr("best_epochs", [int(e) for e in best_epochs])
    trial.set_user_attr("epochs_run", int(epochs_run))
