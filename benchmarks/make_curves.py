"""Build the learning-curve tables that benchmarks/multifidelity.py replays.

Trains small MLPs (PyTorch, CPU, one thread) over a full-factorial grid of
configurations x 3 seeds x every epoch, on scikit-learn's digits, on a
synthetic imbalanced 3-class set, on breast_cancer (2 classes, 569 rows) and,
as a regression table, on diabetes (442 rows; squared-error training, R^2
stored where the classification tables store accuracy), and stores per-epoch
validation and test scores plus the per-epoch cost (CPU seconds) in
benchmarks/data/<name>.npz.

The three seeds of one configuration are trained together as one batched
model (weights of shape (seeds, in, out)): SGD and Adam update each weight
element on its own, and the loss is the sum of the per-seed mean losses, so
this is exactly three independent runs, at a third of the Python overhead.
Seeds differ in initialisation, shuffling and dropout; the data split is fixed.

Run:  nice -n 10 python benchmarks/make_curves.py [--datasets digits,imbalanced,breast_cancer,diabetes] [--limit N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import time
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).parent / "data"
N_EPOCHS = 27
N_SEEDS = 3
REGRESSION = {"diabetes"}  # tables whose score is R^2 (higher is better), not accuracy

# the grid: every combination is one configuration (576 per data set)
GRID: dict[str, list] = {
    "optimizer": ["sgd", "adam"],
    "lr": [3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1],
    "batch_size": [32, 128],
    "depth": [1, 2, 3],
    "width": [32, 128],
    "weight_decay": [0.0, 1e-3],
    "dropout": [0.0, 0.3],
}


def configurations() -> list[dict]:
    keys = list(GRID)
    return [dict(zip(keys, values)) for values in itertools.product(*(GRID[k] for k in keys))]


def load_dataset(name: str) -> tuple[np.ndarray, ...]:
    """(X_train, y_train, X_val, y_val, X_test, y_test), standardised on the training part."""
    from sklearn.datasets import load_digits, make_classification
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    if name == "digits":
        X, y = load_digits(return_X_y=True)
    elif name == "breast_cancer":
        from sklearn.datasets import load_breast_cancer

        X, y = load_breast_cancer(return_X_y=True)
    elif name == "diabetes":
        from sklearn.datasets import load_diabetes

        X, y = load_diabetes(return_X_y=True)
    elif name == "imbalanced":
        X, y = make_classification(n_samples=3000, n_features=20, n_informative=8, n_redundant=4,
                                   n_classes=3, n_clusters_per_class=2, weights=[0.7, 0.2, 0.1],
                                   class_sep=0.8, flip_y=0.03, random_state=0)
    else:
        raise ValueError(f"unknown data set {name!r}; expected 'digits', 'imbalanced', 'breast_cancer' or 'diabetes'")
    regression = name in REGRESSION
    strat = None if regression else y
    X_tr, X_rest, y_tr, y_rest = train_test_split(X, y, test_size=0.4, stratify=strat, random_state=0)
    X_val, X_te, y_val, y_te = train_test_split(X_rest, y_rest, test_size=0.5,
                                                stratify=None if regression else y_rest, random_state=0)
    scaler = StandardScaler().fit(X_tr)
    f = lambda a: scaler.transform(a).astype(np.float32)  # noqa: E731
    if regression:  # targets standardised on the training part too
        mu, sd = float(y_tr.mean()), float(y_tr.std())
        g = lambda a: ((a - mu) / sd).astype(np.float32)  # noqa: E731
        return f(X_tr), g(y_tr), f(X_val), g(y_val), f(X_te), g(y_te)
    return f(X_tr), y_tr, f(X_val), y_val, f(X_te), y_te


def train_config(cfg: dict, data: tuple, n_epochs: int = N_EPOCHS, n_seeds: int = N_SEEDS,
                 base_seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train one configuration for n_seeds seeds at once; (val, test) scores of shape (seeds, epochs), cost (epochs,).

    Classification (integer targets): accuracy.  Regression (float targets): R^2, trained on squared error.
    """
    import torch

    X_tr, y_tr, X_val, y_val, X_te, y_te = (torch.as_tensor(a) for a in data)
    regression = y_tr.is_floating_point()
    n_classes = 1 if regression else int(max(y_tr.max(), y_val.max(), y_te.max())) + 1
    gen = torch.Generator().manual_seed(base_seed)
    sizes = [X_tr.shape[1]] + [cfg["width"]] * cfg["depth"] + [n_classes]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / math.sqrt(fan_in)  # PyTorch's nn.Linear default init, per seed
        w = torch.nn.init.kaiming_uniform_(torch.empty(n_seeds, fan_out, fan_in), a=math.sqrt(5), generator=gen)
        w = w.transpose(1, 2).contiguous().requires_grad_()
        b = ((torch.rand(n_seeds, 1, fan_out, generator=gen) * 2 - 1) * bound).requires_grad_()
        params += [w, b]
    if cfg["optimizer"] == "sgd":
        opt = torch.optim.SGD(params, lr=cfg["lr"], momentum=0.9, weight_decay=cfg["weight_decay"])
    else:
        opt = torch.optim.Adam(params, lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    p_drop = cfg["dropout"]

    def forward(x: "torch.Tensor", train: bool) -> "torch.Tensor":  # x: (seeds, batch, features)
        h = x
        for i in range(0, len(params), 2):
            h = torch.baddbmm(params[i + 1], h, params[i])
            if i + 2 < len(params):
                h = torch.relu(h)
                if train and p_drop > 0:
                    mask = (torch.rand(h.shape, generator=gen) >= p_drop).to(h.dtype) / (1 - p_drop)
                    h = h * mask
        return h

    def accuracy(X: "torch.Tensor", y: "torch.Tensor") -> np.ndarray:
        with torch.no_grad():
            logits = forward(X.unsqueeze(0).expand(n_seeds, -1, -1), train=False)
            if regression:
                sse = ((logits[..., 0] - y.unsqueeze(0)) ** 2).sum(1)
                ok = 1.0 - sse / ((y - y.mean()) ** 2).sum()
            else:
                ok = (logits.argmax(-1) == y.unsqueeze(0)).float().mean(1)
        acc = ok.numpy()
        return np.where(np.isfinite(logits.sum((1, 2)).numpy()), acc, np.nan)

    n = X_tr.shape[0]
    bs = cfg["batch_size"]
    val = np.zeros((n_seeds, n_epochs))
    test = np.zeros((n_seeds, n_epochs))
    cost = np.zeros(n_epochs)
    for epoch in range(n_epochs):
        t0 = time.process_time()
        perms = torch.stack([torch.randperm(n, generator=gen) for _ in range(n_seeds)])
        for start in range(0, n, bs):
            idx = perms[:, start:start + bs]
            xb, yb = X_tr[idx], y_tr[idx]  # (seeds, b, f), (seeds, b)
            logits = forward(xb, train=True)
            if regression:
                loss = ((logits[..., 0] - yb) ** 2).mean(1).sum()
            else:
                loss = torch.nn.functional.cross_entropy(logits.reshape(-1, n_classes), yb.reshape(-1),
                                                         reduction="none").view(n_seeds, -1).mean(1).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        cost[epoch] = (time.process_time() - t0) / n_seeds
        val[:, epoch] = accuracy(X_val, y_val)
        test[:, epoch] = accuracy(X_te, y_te)
    # a diverged run (NaN weights) scores zero: it predicts nothing useful (R^2 is clipped below at -1 too,
    # so one exploded regression run does not dominate a mean)
    val, test = np.nan_to_num(val, nan=0.0), np.nan_to_num(test, nan=0.0)
    if regression:
        val, test = np.maximum(val, -1.0), np.maximum(test, -1.0)
    return val, test, cost


def build(name: str, limit: int | None = None) -> Path:
    import torch

    torch.set_num_threads(1)
    data = load_dataset(name)
    configs = configurations()[:limit] if limit else configurations()
    C = len(configs)
    val = np.zeros((C, N_SEEDS, N_EPOCHS), dtype=np.float32)
    test = np.zeros((C, N_SEEDS, N_EPOCHS), dtype=np.float32)
    cost = np.zeros((C, N_EPOCHS), dtype=np.float32)
    t0 = time.time()
    for i, cfg in enumerate(configs):
        val[i], test[i], cost[i] = train_config(cfg, data, base_seed=1000 + i)
        if (i + 1) % 48 == 0:
            print(f"{name}: {i + 1}/{C} configurations, {time.time() - t0:.0f} s", flush=True)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    out = DATA_DIR / f"{name}.npz"
    meta = {"grid": GRID, "n_epochs": N_EPOCHS, "n_seeds": N_SEEDS, "dataset": name,
            "n_train": int(len(data[1])), "n_val": int(len(data[3])), "n_test": int(len(data[5])),
            "torch": torch.__version__, "build_seconds": round(time.time() - t0, 1),
            "cost_unit": "CPU seconds per epoch per seed (time.process_time, one thread)",
            "score": "R^2" if name in REGRESSION else "accuracy"}
    keys = list(GRID)
    columns = {k: np.array([c[k] for c in configs]) for k in keys}
    np.savez_compressed(out, val_acc=val, test_acc=test, cost=cost, meta=json.dumps(meta),
                        **{f"cfg_{k}": v for k, v in columns.items()})
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB) in {time.time() - t0:.0f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="digits,imbalanced")
    parser.add_argument("--limit", type=int, default=None, help="only the first N configurations (smoke test)")
    args = parser.parse_args()
    for name in args.datasets.split(","):
        build(name.strip(), args.limit)


if __name__ == "__main__":
    main()
