"""Tuning neural networks: tunelab's built-in trainer tuned by tunelab and by Optuna, same trainer, same budget.

Tasks: digits (scikit-learn's 8x8 digits, MLP) and a synthetic CSV with text
columns, missing values and imbalanced classes (written to a temp file and read
back through tunelab.nn.load_dataset, as a user's file would be).  Each data set
is split train/validation/test (60/20/20); tuning sees the validation metric,
and the best configuration is retrained with the same seed and scored on the
held-out test split.

Methods (same NNObjective, same trial budget):
  tunelab        sampler="auto", pruner="asha" (the `tunelab tune` default)
  tunelab-tpe    sampler="tpe", pruner="asha"
  tunelab-nopr   sampler="auto", no pruning
  optuna-asha    optuna TPESampler + SuccessiveHalvingPruner (its ASHA)
  optuna-tpe     optuna TPESampler, no pruning
  sklearn-mlp    scikit-learn MLPClassifier with default settings, untuned (a reference)

Run (by hand, not in CI):  nice -n 10 python benchmarks/nn.py [--quick] [--trials 40] [--seeds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from typing import Any

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import tunelab  # noqa: E402
from tunelab.nn.data import load_dataset  # noqa: E402
from tunelab.nn.metrics import compute_metric  # noqa: E402
from tunelab.nn.objective import NNObjective  # noqa: E402
from tunelab.nn.search_space import SpaceOptions  # noqa: E402

METHODS = ("tunelab", "tunelab-tpe", "tunelab-nopr", "optuna-asha", "optuna-tpe", "sklearn-mlp")


def synthetic_csv(path: str, seed: int = 0) -> None:
    """3 imbalanced classes, 10 numeric columns (8 % missing in three), 2 text columns (5 % missing)."""
    import pandas as pd
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=2000, n_features=12, n_informative=6, n_redundant=2, n_classes=3,
                               weights=[0.6, 0.3, 0.1], class_sep=1.0, random_state=seed)
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(X[:, :10], columns=[f"x{i}" for i in range(10)])
    df["region"] = np.array(["north", "south", "east", "west"], dtype=object)[np.digitize(X[:, 10], [-1, 0, 1])]
    df["segment"] = np.array(["retail", "pro", "public"], dtype=object)[np.digitize(X[:, 11], [-0.5, 0.5])]
    for col in ("x1", "x4", "x7"):
        df.loc[rng.random(len(df)) < 0.08, col] = np.nan
    df.loc[rng.random(len(df)) < 0.05, "region"] = np.nan
    df["label"] = np.array(["class_a", "class_b", "class_c"], dtype=object)[y]
    df.to_csv(path, index=False)


def test_score(objective: NNObjective, params: dict[str, Any]) -> float:
    """Retrain a configuration (same seed) and score it on the test split."""
    import torch

    result = objective.retrain(params)
    with torch.no_grad():
        out = result.model(torch.as_tensor(objective.data.X_test)).numpy().astype(np.float64)
    return compute_metric(objective.metric, objective.data.y_test, out)


def run_tunelab(objective: NNObjective, trials: int, seed: int, sampler: str, pruner: str | None) -> dict[str, Any]:
    study = tunelab.create_study(direction=objective.direction, sampler=sampler, pruner=pruner, seed=seed)
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    wall = time.perf_counter() - start
    epochs = sum(t.user_attrs.get("epochs_run", 0) for t in study.trials)
    return {"val": study.best_value, "params": study.best_params, "wall": wall, "epochs": epochs,
            "pruned": sum(t.state == tunelab.TrialState.PRUNED for t in study.trials)}


def run_optuna(objective: NNObjective, trials: int, seed: int, prune: bool) -> dict[str, Any]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = optuna.pruners.SuccessiveHalvingPruner() if prune else optuna.pruners.NopPruner()
    study = optuna.create_study(direction=objective.direction, sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=pruner)

    def wrapped(trial: Any) -> float:
        try:
            return objective(trial)
        except tunelab.TrialPruned:
            raise optuna.TrialPruned() from None

    start = time.perf_counter()
    study.optimize(wrapped, n_trials=trials)
    wall = time.perf_counter() - start
    epochs = sum(t.user_attrs.get("epochs_run", 0) for t in study.trials)
    return {"val": study.best_value, "params": study.best_params, "wall": wall, "epochs": epochs,
            "pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)}


def run_sklearn(data: Any, metric: str, seed: int) -> dict[str, Any]:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(random_state=seed, max_iter=200).fit(data.X_train, data.y_train)
    wall = time.perf_counter() - start

    def score(X: np.ndarray, y: np.ndarray) -> float:
        proba = np.clip(model.predict_proba(X), 1e-12, 1)
        return compute_metric(metric, y, np.log(proba))

    return {"val": score(data.X_val, data.y_val), "test": score(data.X_test, data.y_test), "wall": wall,
            "epochs": model.n_iter_, "pruned": 0}


def bench(task: str, data: Any, methods: list[str], trials: int, seeds: list[int], epochs: int) -> list[dict]:
    from tunelab.nn.trainer import train

    train({"layers": 1, "width": 32, "optimizer": "adam", "lr": 1e-3, "epochs": 1}, data)  # warm-up: not timed
    rows = []
    for method in methods:
        for seed in seeds:
            objective = NNObjective(data, SpaceOptions(epochs=epochs), seed=seed, device="cpu")
            if method == "sklearn-mlp":
                res = run_sklearn(data, objective.metric, seed)
            else:
                if method.startswith("tunelab"):
                    res = run_tunelab(objective, trials, seed, "tpe" if method == "tunelab-tpe" else "auto",
                                      None if method == "tunelab-nopr" else "asha")
                else:
                    res = run_optuna(objective, trials, seed, prune=method == "optuna-asha")
                res["test"] = test_score(objective, res.pop("params"))
            res.update(task=task, method=method, seed=seed, metric=objective.metric)
            rows.append(res)
            print(f"{task:8s} {method:13s} seed={seed} val={res['val']:.4f} test={res['test']:.4f} "
                  f"wall={res['wall']:.1f}s epochs={res['epochs']} pruned={res['pruned']}", flush=True)
    return rows


def table(rows: list[dict], trials: int) -> str:
    lines = [f"| task (metric) | method | best val (mean ± sd) | test of best | wall s | epochs trained | "
             f"pruned / {trials} |", "|---|---|---|---|---|---|---|"]
    keys = []
    for r in rows:
        if (r["task"], r["method"]) not in keys:
            keys.append((r["task"], r["method"]))
    for task, method in keys:
        rs = [r for r in rows if r["task"] == task and r["method"] == method]
        val = np.array([r["val"] for r in rs])
        test = np.array([r["test"] for r in rs])
        lines.append(f"| {task} ({rs[0]['metric']}) | {method} | {val.mean():.4f} ± {val.std():.4f} | "
                     f"{test.mean():.4f} ± {test.std():.4f} | {np.mean([r['wall'] for r in rs]):.1f} | "
                     f"{np.mean([r['epochs'] for r in rs]):.0f} | {np.mean([r['pruned'] for r in rs]):.1f} |")
    return "\n".join(lines)


def versions() -> str:
    import optuna
    import sklearn
    import torch

    return (f"python {platform.python_version()}, torch {torch.__version__}, optuna {optuna.__version__}, "
            f"scikit-learn {sklearn.__version__}, tunelab {tunelab.__version__}; {platform.machine()}, "
            f"{os.cpu_count()} CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--tasks", default="digits,csv")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--quick", action="store_true", help="8 trials, 1 seed, 5 epochs: a smoke run")
    parser.add_argument("--json", default=None, help="also write the raw rows to this file")
    args = parser.parse_args()
    if args.quick:
        args.trials, args.seeds, args.epochs = 8, 1, 5
    methods = [m for m in args.methods.split(",") if m]
    unknown = set(methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown method(s) {sorted(unknown)}; expected {METHODS}")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for task in args.tasks.split(","):
            if task == "digits":
                data = load_dataset("digits", test_size=0.2, seed=0)
            elif task == "csv":
                path = os.path.join(tmp, "synthetic.csv")
                synthetic_csv(path)
                data = load_dataset(path, "label", test_size=0.2, seed=0)
                print(data.report.summary())
            else:
                parser.error(f"unknown task {task!r}; expected digits or csv")
            rows += bench(task, data, methods, args.trials, list(range(args.seeds)), args.epochs)
    print()
    print(f"{time.strftime('%Y-%m-%d')}; {versions()}; {args.trials} trials x {args.seeds} seeds, "
          f"max {args.epochs} epochs")
    print(table(rows, args.trials))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1, default=str)


if __name__ == "__main__":
    main()
