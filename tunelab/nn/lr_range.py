"""Learning-rate range test: propose learning-rate bounds from one short run.

The learning rate grows exponentially from ``lr_min`` to ``lr_max`` over
``steps`` mini-batches while the training loss is recorded and smoothed (an
exponential moving average with bias correction).  The run stops once the
smoothed loss exceeds ``diverge`` times its minimum.  The proposed range is the
stretch where the smoothed loss falls fastest against log(lr) (slope at least
half the steepest), widened 3x at each end, never above the learning rate of
the lowest loss and at least one decade wide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunelab._validation import Interval, Options, validate


@dataclass
class LRRange:
    """The outcome of a range test: the proposed bounds, the curve behind them, and why."""

    optimizer: str
    low: float
    high: float
    suggestion: float  # where the loss fell fastest
    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    diverged_at: float | None
    reason: str


_CONSTRAINTS = {
    "optimizer": [Options(["sgd", "adam", "adamw"])],
    "lr_min": [Interval(float, 0, None, closed="neither")],
    "lr_max": [Interval(float, 0, None, closed="neither")],
    "steps": [Interval(int, 10, None)],
    "beta": [Interval(float, 0, 1, closed="left")],
    "diverge": [Interval(float, 1, None, closed="neither")],
}

DEFAULT_ARCH = {"model": "mlp", "layers": 2, "width": 128, "activation": "relu", "dropout": 0.0,
                "batch_norm": False, "conv_layers": 2, "channels": 16}


def lr_range_test(data: Any, optimizer: str = "adam", config: dict[str, Any] | None = None, *,
                  lr_min: float = 1e-6, lr_max: float = 10.0, steps: int = 150, batch_size: int = 64,
                  beta: float = 0.9, diverge: float = 4.0, seed: int = 0, device: str = "cpu",
                  threads: int | None = 1) -> LRRange:
    """Run the test on ``data`` (a Dataset) for one optimizer family; SGD runs with momentum 0.9.

    ``config`` sets the network (default: a 2x128 ReLU MLP, or a small CNN with
    model="cnn"); its optimizer entries are ignored.
    """
    validate(_CONSTRAINTS, {"optimizer": optimizer, "lr_min": lr_min, "lr_max": lr_max, "steps": steps,
                            "beta": beta, "diverge": diverge}, "lr_range_test")
    if lr_min >= lr_max:
        raise ValueError(f"lr_range_test: 'lr_min' ({lr_min}) must be below 'lr_max' ({lr_max})")
    lrs, losses = _sweep(data, optimizer, {**DEFAULT_ARCH, **(config or {})}, lr_min, lr_max, steps, batch_size,
                         diverge, beta, seed, device, threads)
    smoothed = _smooth(losses, beta)
    return _propose(optimizer, lrs, losses, smoothed, diverge, lr_max)


def _sweep(data: Any, optimizer: str, config: dict[str, Any], lr_min: float, lr_max: float, steps: int,
           batch_size: int, diverge: float, beta: float, seed: int, device: str,
           threads: int | None) -> tuple[list[float], list[float]]:
    import torch
    from torch import nn

    from tunelab.nn.models import architecture, build_model
    from tunelab.nn.trainer import make_optimizer

    if threads:
        torch.set_num_threads(threads)
    outer = torch.get_rng_state()
    try:
        torch.manual_seed(seed)
        model = build_model(architecture(config, data.n_features, data.n_outputs, data.image_shape)).to(device)
        opt_cfg = {"optimizer": optimizer, "lr": lr_min, "momentum": 0.9 if optimizer == "sgd" else 0.0}
        opt = make_optimizer(opt_cfg, model.parameters())
        X = torch.as_tensor(data.X_train, device=device)
        if data.task == "classification":
            y = torch.as_tensor(data.y_train, dtype=torch.long, device=device)
            weight = None if data.class_weights is None else torch.as_tensor(data.class_weights, device=device)
            loss_fn: nn.Module = nn.CrossEntropyLoss(weight=weight)
        else:
            y = torch.as_tensor((data.y_train - data.target_mean) / data.target_std, dtype=torch.float32,
                                device=device)
            loss_fn = nn.MSELoss()
        gen = torch.Generator().manual_seed(seed)
        q = (lr_max / lr_min) ** (1.0 / (steps - 1))
        n, perm, pos = X.shape[0], torch.randperm(X.shape[0], generator=gen), 0
        lrs: list[float] = []
        losses: list[float] = []
        avg, best = 0.0, math.inf
        model.train()
        for i in range(steps):
            if pos + batch_size > n:
                perm, pos = torch.randperm(n, generator=gen), 0
            idx = perm[pos:pos + batch_size].to(device)
            pos += batch_size
            lr = lr_min * q ** i
            for group in opt.param_groups:
                group["lr"] = lr
            opt.zero_grad(set_to_none=True)
            out = model(X[idx])
            loss = loss_fn(out.squeeze(-1) if data.task == "regression" else out, y[idx])
            value = float(loss.detach())
            lrs.append(lr)
            losses.append(value)
            if not math.isfinite(value):
                break
            avg = beta * avg + (1 - beta) * value
            smooth = avg / (1 - beta ** (i + 1))
            best = min(best, smooth)
            if i >= 5 and smooth > diverge * best:
                break
            loss.backward()
            opt.step()
        return lrs, losses
    finally:
        torch.set_rng_state(outer)


def _smooth(losses: list[float], beta: float) -> list[float]:
    out, avg = [], 0.0
    for i, v in enumerate(losses):
        if not math.isfinite(v):
            out.append(math.inf)
            continue
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta ** (i + 1)))
    return out


def _propose(optimizer: str, lrs: list[float], losses: list[float], smoothed: list[float], diverge: float,
             lr_max: float) -> LRRange:
    from tunelab.nn.search_space import DEFAULT_LR, lr_family

    s = np.asarray(smoothed, dtype=float)
    finite = np.isfinite(s)
    last = int(np.flatnonzero(finite)[-1]) if finite.any() else -1
    diverged_at = lrs[-1] if (last < len(lrs) - 1 or s[last] > diverge * np.min(s[finite])) and \
        lrs[-1] < lr_max * 0.999 else None
    head = (f"{optimizer}: lr swept from {lrs[0]:.2g} to {lrs[-1]:.2g} over {len(lrs)} batches"
            + (f" (stopped: the loss diverged at {diverged_at:.2g})" if diverged_at else ""))
    lo_default, hi_default = DEFAULT_LR[lr_family(optimizer)]
    i_min = int(np.argmin(np.where(finite, s, np.inf)))
    if last < 8 or i_min < 3 or s[i_min] > 0.95 * s[0]:
        return LRRange(optimizer, lo_default, hi_default, math.sqrt(lo_default * hi_default), lrs, losses, smoothed,
                       diverged_at, f"{head}; the loss never clearly fell, so the default range "
                                    f"[{lo_default:.2g}, {hi_default:.2g}] is kept")
    log_lr = np.log10(np.asarray(lrs))
    w = max(2, len(lrs) // 30)  # slope over a window of batches: single-batch noise must not win
    slope = np.zeros(i_min + 1)
    for i in range(i_min + 1):
        lo_i, hi_i = max(0, i - w), min(i_min, i + w)
        slope[i] = (s[hi_i] - s[lo_i]) / (log_lr[hi_i] - log_lr[lo_i]) if hi_i > lo_i else 0.0
    slope[:max(1, len(lrs) // 10)] = 0.0  # the first batches are warm-up: the average is still settling
    k = int(np.argmin(slope))
    steep = slope[k]
    a = k
    while a > 0 and slope[a - 1] <= 0.5 * steep:
        a -= 1
    b = k
    while b < i_min and slope[b + 1] <= 0.5 * steep:
        b += 1
    cap = lrs[i_min]
    low, high = lrs[a] / 3, min(lrs[b] * 3, cap)
    if high / low < 10:
        centre = math.sqrt(low * high)
        low, high = centre / math.sqrt(10), centre * math.sqrt(10)
        if high > cap:
            low, high = cap / 10, cap
    reason = (f"{head}; the smoothed loss fell fastest between {lrs[a]:.2g} and {lrs[b]:.2g} (steepest at "
              f"{lrs[k]:.2g}) and was lowest at {cap:.2g}; proposed range [{low:.2g}, {high:.2g}] "
              "(the steep stretch widened 3x, capped at the lowest-loss lr)")
    return LRRange(optimizer, float(low), float(high), float(lrs[k]), lrs, losses, smoothed, diverged_at, reason)
