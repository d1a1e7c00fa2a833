"""Multi-fidelity benchmark: replay tuning on the learning-curve tables of make_curves.py.

Each trial's configuration is snapped to the nearest grid configuration and
draws one of the 3 seeds; its curve is read epoch by epoch from the table
(the validation score is reported; compute spent = the table's cost of every
epoch trained).  Every method gets the same compute budget.  The configuration
a method returns is its best *complete* trial by final validation score; its
regret is the best mean test score in the table minus the returned
configuration's mean test score (both over the 3 seeds, at the last epoch).
The score is accuracy on the classification tables and R^2 on the regression
one (diabetes); regrets are printed in points (score x 100) either way.

Run:  nice -n 10 python benchmarks/multifidelity.py [--reps 20] [--budget 64] [--methods a,b]
Compute is counted in "full trainings": the mean cost of training one grid configuration for all epochs.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

DATA_DIR = Path(__file__).parent / "data"
WITHIN = 0.005  # "within 0.5 points of the best": regret <= 0.005 (accuracy or R^2)


# ---------------------------------------------------------------------------- the table
@dataclass
class Table:
    name: str
    val: np.ndarray     # (configs, seeds, epochs) validation score (accuracy or R^2; higher is better)
    test: np.ndarray    # (configs, seeds, epochs) test score
    cost: np.ndarray    # (configs, epochs) cost of each epoch
    grid: dict[str, list]
    index: dict[tuple, int]
    score: str = "accuracy"  # what val and test hold: "accuracy" or "R^2"

    @classmethod
    def load(cls, name: str) -> "Table":
        data = np.load(DATA_DIR / f"{name}.npz")
        meta = json.loads(str(data["meta"]))
        grid = meta["grid"]
        columns = [data[f"cfg_{k}"].tolist() for k in grid]
        index = {tuple(row): i for i, row in enumerate(zip(*columns))}
        return cls(name, data["val_acc"].astype(float), data["test_acc"].astype(float),
                   data["cost"].astype(float), grid, index, meta.get("score", "accuracy"))

    @property
    def n_epochs(self) -> int:
        return self.val.shape[2]

    @property
    def true_score(self) -> np.ndarray:
        return self.test[:, :, -1].mean(axis=1)

    @property
    def full_cost(self) -> float:
        """The mean cost of training one configuration for every epoch: the unit of compute."""
        return float(self.cost.sum(axis=1).mean())

    def snap(self, params: dict[str, Any]) -> int:
        """The grid configuration nearest to ``params`` (log scale for lr, batch size and width)."""
        key = []
        for name, choices in self.grid.items():
            v = params[name]
            if isinstance(choices[0], str):
                key.append(v)
                continue
            log = name in ("lr", "batch_size", "width")
            dist = [abs((math.log(v) - math.log(c)) if log else (v - c)) for c in choices]
            key.append(choices[int(np.argmin(dist))])
        return self.index[tuple(key)]


def suggest(trial: Any, grid: dict[str, list]) -> dict[str, Any]:
    """The search space over the grid's ranges (continuous where the grid is numeric); same for every library."""
    return {
        "optimizer": trial.suggest_categorical("optimizer", grid["optimizer"]),
        "lr": trial.suggest_float("lr", min(grid["lr"]), max(grid["lr"]), log=True),
        "batch_size": trial.suggest_int("batch_size", min(grid["batch_size"]), max(grid["batch_size"]), log=True),
        "depth": trial.suggest_int("depth", min(grid["depth"]), max(grid["depth"])),
        "width": trial.suggest_int("width", min(grid["width"]), max(grid["width"]), log=True),
        "weight_decay": trial.suggest_float("weight_decay", min(grid["weight_decay"]), max(grid["weight_decay"])),
        "dropout": trial.suggest_float("dropout", min(grid["dropout"]), max(grid["dropout"])),
    }


# ---------------------------------------------------------------------------- one run
class Run:
    """Drives ask/tell against a table until the compute budget is spent; records the incumbent over time."""

    def __init__(self, table: Table, budget: float, seed: int):
        self.table, self.budget = table, budget
        self.rng = np.random.default_rng(seed + 7919)
        self.spent = 0.0
        self.best_val, self.best_config = -math.inf, None
        self.history: list[tuple[float, int | None]] = []  # (compute spent, incumbent config)
        self.n_trials = 0
        self.model_starts: list[float] = []  # compute spent when each model-proposed trial started

    def trial(self, params: dict[str, Any], report: Callable[[float, int], bool]) -> tuple[bool, float]:
        """Train the snapped configuration on a random seed; ``report(value, epoch)`` returns True to prune."""
        t = self.table
        config, seed = t.snap(params), int(self.rng.integers(t.val.shape[1]))
        value = math.nan
        self.n_trials += 1
        for epoch in range(t.n_epochs):
            self.spent += t.cost[config, epoch]
            value = float(t.val[config, seed, epoch])
            if report(value, epoch + 1) and epoch + 1 < t.n_epochs:
                self.history.append((self.spent, self.best_config))
                return False, value
        if value > self.best_val:
            self.best_val, self.best_config = value, config
        self.history.append((self.spent, self.best_config))
        return True, value

    @property
    def done(self) -> bool:
        return self.spent >= self.budget


def replay(table: Table, budget: float, seed: int, study: Any, pruned_state: Any, prunes: bool) -> Run:
    """Ask/tell on a tunelab or Optuna study (same method names) until the compute budget is spent."""
    run = Run(table, budget, seed)
    while not run.done:
        trial = study.ask()
        params = suggest(trial, table.grid)
        if _model_level(study.sampler) is not None:
            run.model_starts.append(run.spent)

        def report(value: float, step: int) -> bool:
            trial.report(value, step)
            return prunes and trial.should_prune()

        complete, value = run.trial(params, report)
        if complete:
            study.tell(trial, value)
        else:
            study.tell(trial, state=pruned_state)
    return run


def _model_level(sampler: Any) -> float | None:
    """The budget level a FidelitySampler (or `auto`'s, once built) fitted its model on for the latest
    proposal; None for a random proposal or another sampler."""
    inner = getattr(sampler, "_inners", {}).get("fidelity") if hasattr(sampler, "_inners") else sampler
    return getattr(inner, "last_level", None)


def run_tunelab(table: Table, budget: float, seed: int, sampler: str, pruner: str | None) -> Run:
    import tunelab
    from tunelab.pruners.halving import SuccessiveHalvingPruner
    from tunelab.pruners.hyperband import HyperbandPruner
    from tunelab.pruners.percentile import MedianPruner
    from tunelab.samplers.fidelity import FidelitySampler

    E = table.n_epochs
    pruners = {None: None, "asha": SuccessiveHalvingPruner(1, 3, max_resource=E),
               "hyperband": HyperbandPruner(1, E, 3), "median": MedianPruner(n_startup_trials=5, n_warmup_steps=1)}
    samplers = {"random": lambda: tunelab.samplers.RandomSampler(seed),
                "tpe": lambda: tunelab.samplers.load_sampler_class("tpe")(seed=seed),
                "fidelity": lambda: FidelitySampler(base="tpe", seed=seed),
                # the default before the curve-trust rule: a fixed random share of 0.5
                "fidelity-fixed": lambda: FidelitySampler(base="tpe", seed=seed, adaptive=False),
                "auto": lambda: "auto"}  # the real default: create_study(sampler="auto", pruner=...)
    if pruner is not None and pruner.startswith("asha:"):  # "asha:MIN:ETA", the ASHA settings sweep
        r_min, eta = (int(v) for v in pruner.split(":")[1:])
        pruners[pruner] = SuccessiveHalvingPruner(r_min, eta, max_resource=E)
    study = tunelab.create_study(direction="maximize", sampler=samplers[sampler](), pruner=pruners[pruner], seed=seed)
    return replay(table, budget, seed, study, pruned_state="pruned", prunes=pruner is not None)


def run_optuna(table: Table, budget: float, seed: int, sampler: str, pruner: str | None) -> Run:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    E = table.n_epochs
    samplers = {"random": lambda: optuna.samplers.RandomSampler(seed), "tpe": lambda: optuna.samplers.TPESampler(seed=seed)}
    pruners = {None: lambda: optuna.pruners.NopPruner(),
               "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=1, max_resource=E, reduction_factor=3),
               "asha": lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)}
    # a fixed name: Optuna's Hyperband hashes study name + trial number into brackets
    study = optuna.create_study(study_name=f"mf-{seed}", direction="maximize", sampler=samplers[sampler](),
                                pruner=pruners[pruner]())
    return replay(table, budget, seed, study, pruned_state=optuna.trial.TrialState.PRUNED, prunes=pruner is not None)


METHODS: dict[str, Callable[[Table, float, int], Run]] = {
    "random (full budget)": lambda t, b, s: run_tunelab(t, b, s, "random", None),
    "optuna TPE": lambda t, b, s: run_optuna(t, b, s, "tpe", None),
    "optuna TPE + Hyperband": lambda t, b, s: run_optuna(t, b, s, "tpe", "hyperband"),
    "tunelab TPE": lambda t, b, s: run_tunelab(t, b, s, "tpe", None),
    "tunelab random + ASHA": lambda t, b, s: run_tunelab(t, b, s, "random", "asha"),
    "tunelab random + Hyperband": lambda t, b, s: run_tunelab(t, b, s, "random", "hyperband"),
    "tunelab random + median": lambda t, b, s: run_tunelab(t, b, s, "random", "median"),
    "tunelab TPE + ASHA": lambda t, b, s: run_tunelab(t, b, s, "tpe", "asha"),
    "tunelab fidelity-TPE + ASHA": lambda t, b, s: run_tunelab(t, b, s, "fidelity", "asha"),
    "tunelab fidelity-TPE + Hyperband": lambda t, b, s: run_tunelab(t, b, s, "fidelity", "hyperband"),
    "tunelab auto + ASHA (default)": lambda t, b, s: run_tunelab(t, b, s, "auto", "asha"),
    "tunelab fidelity-TPE fixed share + ASHA": lambda t, b, s: run_tunelab(t, b, s, "fidelity-fixed", "asha"),
}
DEFAULT_METHODS = list(METHODS)
# other ASHA settings (min resource r, reduction factor eta), run on request: --methods "tunelab random + ASHA r2 eta3"
for _r, _eta in ((2, 3), (3, 3), (1, 2), (1, 4)):
    for _sampler in ("random", "auto"):
        METHODS[f"tunelab {_sampler} + ASHA r{_r} eta{_eta}"] = (
            lambda t, b, s, _x=_sampler, _p=f"asha:{_r}:{_eta}": run_tunelab(t, b, s, _x, _p))


def method(name: str) -> Callable[[Table, float, int], Run]:
    """A method by name; "tunelab fidelity-TPE + ASHA [KEY=VALUE;...]" runs FidelitySampler with those options
    (e.g. ``[trust_range=(0.2, 0.6)]``; values are Python literals), for probes of its settings."""
    if name in METHODS:
        return METHODS[name]
    head, sep, options = name.partition(" [")
    if not sep or head != "tunelab fidelity-TPE + ASHA" or not options.endswith("]"):
        raise ValueError(f"unknown method {name!r}; expected one of {list(METHODS)} or "
                         "'tunelab fidelity-TPE + ASHA [KEY=VALUE;...]'")
    import ast

    kwargs = {k.strip(): ast.literal_eval(v.strip()) for k, _, v in
              (item.partition("=") for item in options[:-1].split(";") if item.strip())}

    def run(table: Table, budget: float, seed: int) -> Run:
        import tunelab
        from tunelab.pruners.halving import SuccessiveHalvingPruner
        from tunelab.samplers.fidelity import FidelitySampler

        study = tunelab.create_study(direction="maximize", sampler=FidelitySampler(base="tpe", seed=seed, **kwargs),
                                     pruner=SuccessiveHalvingPruner(1, 3, max_resource=table.n_epochs), seed=seed)
        return replay(table, budget, seed, study, pruned_state="pruned", prunes=True)

    return run


# ---------------------------------------------------------------------------- scoring
def regret_at(run: Run, table: Table, compute: float) -> float:
    """Regret of the incumbent known once ``compute`` was spent.

    Before the first complete trial a method has nothing to return; it is charged
    the expected regret of a configuration picked at random from the table.
    """
    true = table.true_score
    incumbent = None
    for spent, config in run.history:
        if spent > compute:
            break
        incumbent = config
    return float(true.max() - (true[incumbent] if incumbent is not None else true.mean()))


def compute_to_within(run: Run, table: Table, tol: float = WITHIN) -> float:
    """Compute spent when the incumbent first came within ``tol`` of the best (inf if never)."""
    true = table.true_score
    for spent, config in run.history:
        if config is not None and true.max() - true[config] <= tol:
            return spent
    return math.inf


def _one_rep(job: tuple[str, str, float, int]) -> tuple[list[float], float, int, list[int]]:
    """One repetition of one method on one table: (regret at each checkpoint, compute to 0.5 points, trials,
    model-proposed trials started by each checkpoint)."""
    table_name, name, budget_units, seed = job
    logging.getLogger("tunelab").setLevel(logging.WARNING)
    table = _TABLES.get(table_name) or _TABLES.setdefault(table_name, Table.load(table_name))
    unit = table.full_cost
    checkpoints = [budget_units * f for f in CHECKPOINT_SHARES]
    run = method(name)(table, budget_units * unit, seed)
    return ([regret_at(run, table, c * unit) for c in checkpoints], compute_to_within(run, table) / unit,
            run.n_trials, [sum(s < c * unit for s in run.model_starts) for c in checkpoints])


_TABLES: dict[str, Table] = {}
CHECKPOINT_SHARES = (1 / 32, 1 / 16, 1 / 8, 1 / 5, 1 / 4, 1 / 2, 1)


def evaluate(table: Table, methods: list[str], reps: int, budget_units: float, first_seed: int = 0,
             workers: int = 1, partial: Path | None = None) -> dict[str, dict]:
    """Every method's repetitions on one table; with ``partial``, each finished method is written there at once."""
    checkpoints = [budget_units * f for f in CHECKPOINT_SHARES]
    seeds = list(range(first_seed, first_seed + reps))
    out = {}
    pool = None
    if workers > 1:
        from multiprocessing import get_context

        pool = get_context("spawn").Pool(workers)
    for name in methods:
        t0 = time.time()
        jobs = [(table.name, name, budget_units, s) for s in seeds]
        if pool:
            results = pool.map(_one_rep, jobs)
        else:  # one at a time, each repetition's regrets written to ``partial`` as it ends (long runs can be cut)
            results = []
            for job in jobs:
                results.append(_one_rep(job))
                if partial is not None:
                    partial.with_suffix(".reps").write_text(json.dumps({"table": table.name, "method": name,
                                                                       "seeds": seeds[:len(results)],
                                                                       "regret": [r[0] for r in results],
                                                                       "checkpoints": checkpoints}))
        regrets = [r[0] for r in results]
        reach = [r[1] for r in results]
        trials = [r[2] for r in results]
        model = np.array([r[3] for r in results])
        r = np.array(regrets)
        out[name] = {"checkpoints": checkpoints, "seeds": seeds, "regret": np.round(r, 7).tolist(),
                     "regret_mean": r.mean(0).tolist(),
                     # runs (share) that had made at least one model-based proposal by each checkpoint
                     "model_runs_share": (model > 0).mean(0).tolist(), "model_trials": model.tolist(),
                     "regret_se": (r.std(0, ddof=1) / math.sqrt(reps)).tolist(),
                     "reach_median": float(np.median(reach)), "reach_share": float(np.mean(np.isfinite(reach))),
                     "trials_mean": float(np.mean(trials)), "seconds": time.time() - t0}
        if partial is not None:
            partial.write_text(json.dumps({table.name: out}, indent=1))
        print(f"  {table.name:10s} {name:34s} regret@B {r[:, -1].mean() * 100:5.2f} points  "
              f"reach {np.median(reach):6.1f}  ({time.time() - t0:.0f} s)", flush=True)
    if pool:
        pool.close()
    return out


def noise_floor(table: Table, draws: int = 500) -> float:
    """Mean regret of training *every* configuration once (random seed) and picking the best validation score.

    No method that selects on one seed's validation score can expect much less.
    """
    rng = np.random.default_rng(0)
    true, final = table.true_score, table.val[:, :, -1]
    n = len(true)
    picks = [int(np.argmax(final[np.arange(n), rng.integers(final.shape[1], size=n)])) for _ in range(draws)]
    return float(np.mean(true.max() - true[picks]))


def oracle_pool(table: Table, budget_units: float, share: float, draws: int = 6000) -> tuple[int, float]:
    """(k, mean regret) of completing k configurations drawn from the table's best ``share``, picked by validation.

    k is as many as ``budget_units`` full trainings pay for at that pool's mean cost, with nothing spent on
    finding the pool: what a method whose every complete trial came from it could at best expect.
    """
    rng = np.random.default_rng(0)
    true, final = table.true_score, table.val[:, :, -1]
    pool = np.flatnonzero(true >= np.quantile(true, 1 - share))
    k = int(budget_units // (table.cost[pool].sum(axis=1).mean() / table.full_cost))
    regrets = []
    for _ in range(draws):
        configs = rng.choice(pool, k, replace=False)
        picked = configs[np.argmax(final[configs, rng.integers(final.shape[1], size=k)])]
        regrets.append(true.max() - true[picked])
    return k, float(np.mean(regrets))


def compute_to_match(result: dict, target: float) -> float:
    """The smallest checkpoint at which the mean regret is <= target (inf if none)."""
    for c, r in zip(result["checkpoints"], result["regret_mean"]):
        if r <= target + 1e-12:
            return c
    return math.inf


def merge_results(paths: list[Path]) -> dict[str, dict[str, dict]]:
    """{table: {method: {"checkpoints", "seeds", "regret", "model_trials"}}} over several --out files,
    repetitions pooled by seed ("model_trials": None unless every file recorded model-based proposals).

    A seed that two files both hold must have the same regrets in both (the replay is deterministic).
    Methods without per-repetition regrets (files older than the "regret" key) are left out.
    """
    merged: dict[str, dict[str, dict]] = {}
    for path in paths:
        for table, methods in json.loads(Path(path).read_text()).items():
            for name, r in methods.items():
                if "regret" not in r:  # files written before per-repetition regrets were kept
                    continue
                into = merged.setdefault(table, {}).setdefault(
                    name, {"checkpoints": r["checkpoints"], "by_seed": {}, "model": {}, "all_model": True})
                if "model_trials" in r:
                    into["model"].update(zip(r["seeds"], r["model_trials"]))
                else:
                    into["all_model"] = False
                if not np.allclose(into["checkpoints"], r["checkpoints"]):
                    raise ValueError(f"{path}: {table} / {name} has other checkpoints than an earlier file")
                for seed, regret in zip(r["seeds"], r["regret"]):
                    old = into["by_seed"].setdefault(seed, regret)
                    if not np.allclose(old, regret, rtol=0, atol=1e-6):  # files round regrets to 1e-7
                        raise ValueError(f"{path}: {table} / {name}, seed {seed} differs from an earlier file")
    return {table: {name: {"checkpoints": r["checkpoints"], "seeds": sorted(r["by_seed"]),
                           "regret": [r["by_seed"][s] for s in sorted(r["by_seed"])],
                           "model_trials": [r["model"][s] for s in sorted(r["by_seed"])] if r["all_model"] else None}
                    for name, r in methods.items()} for table, methods in merged.items()}


def paired(a: dict, b: dict) -> dict[str, Any]:
    """Method ``a`` against ``b`` on the seeds both ran: per checkpoint, both mean regrets, the mean of the
    per-seed differences a - b and its paired t (positive: ``a`` is worse; nan where every difference is 0)."""
    common = sorted(set(a["seeds"]) & set(b["seeds"]))
    if len(common) < 2:
        raise ValueError("fewer than 2 seeds in common")
    ra = np.array([a["regret"][a["seeds"].index(s)] for s in common])
    rb = np.array([b["regret"][b["seeds"].index(s)] for s in common])
    d = ra - rb
    sd = d.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(sd > 0, d.mean(axis=0) / (sd / math.sqrt(len(common))), math.nan)
    model = None
    if a.get("model_trials") is not None:  # share of a's runs that had made a model-based proposal by then
        model = (np.array([a["model_trials"][a["seeds"].index(s)] for s in common]) > 0).mean(0).tolist()
    return {"seeds": common, "checkpoints": a["checkpoints"], "mean_a": ra.mean(0).tolist(),
            "mean_b": rb.mean(0).tolist(), "diff": d.mean(0).tolist(), "t": t.tolist(), "model_share_a": model}


def markdown(results: dict[str, dict[str, dict]], budget_units: float) -> str:
    lines = []
    for dataset, res in results.items():
        cps = next(iter(res.values()))["checkpoints"]
        random_final = res.get("random (full budget)", {}).get("regret_mean", [math.nan])[-1]
        table = Table.load(dataset)
        best = table.true_score.max()
        best_s = f"{best:.4f}" if table.score == "R^2" else f"{best * 100:.2f} %"
        lines.append(f"\n**{dataset}** ({table.val.shape[0]} configurations; best mean test {table.score} {best_s}; "
                     "selection-noise floor — every configuration trained once, best validation score picked — "
                     f"{noise_floor(table) * 100:.2f} points)")
        unit = "R^2 x 100" if table.score == "R^2" else "percentage points"
        lines.append(f"\nMean regret in test {table.score} ({unit}, ± s.e.) after "
                     "the given compute (in full trainings); 'to 0.5': median compute until the incumbent "
                     "is within 0.5 points of the best (share of runs that got there); 'match random': compute at "
                     f"which the mean regret first is <= random search's at {budget_units:g}.\n")
        lines.append("| method | " + " | ".join(f"{c:.3g}" for c in cps) + " | to 0.5 | match random | trials |")
        lines.append("|---|" + "---:|" * (len(cps) + 3))
        for name, r in res.items():
            cells = [f"{m * 100:.2f} ± {s * 100:.2f}" for m, s in zip(r["regret_mean"], r["regret_se"])]
            reach = f"{r['reach_median']:.1f} ({r['reach_share'] * 100:.0f} %)" if math.isfinite(r["reach_median"]) \
                else f"> {budget_units:g} ({r['reach_share'] * 100:.0f} %)"
            match = compute_to_match(r, random_final)
            match_s = f"{match:.3g}" if math.isfinite(match) else f"> {budget_units:g}"
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {reach} | {match_s} | {r['trials_mean']:.0f} |")
    return "\n".join(lines)


def environment() -> str:
    import importlib.metadata as md

    versions = {p: md.version(p) for p in ("tunelab", "optuna", "numpy", "torch", "scikit-learn")}
    return (f"{time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
            f"Python {platform.python_version()}, " + ", ".join(f"{k} {v}" for k, v in versions.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="digits,imbalanced")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--budget", type=float, default=64.0, help="compute budget in full trainings")
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                        help="comma-separated ('|'-separated if a name holds a comma); default all but the ASHA "
                        f"settings sweep; any of {list(METHODS)}, or 'tunelab fidelity-TPE + ASHA [KEY=VALUE;...]'")
    parser.add_argument("--out", default=None, help="write the raw results as JSON here")
    parser.add_argument("--first-seed", type=int, default=0, help="repetitions use seeds first-seed .. first-seed+reps-1")
    parser.add_argument("--workers", type=int, default=1, help="processes over the repetitions")
    parser.add_argument("--paired", default=None, metavar="JSON[,JSON...]",
                        help="only compare 'tunelab auto + ASHA (default)' with 'tunelab random + ASHA' on the seeds "
                        "both ran in these --out files (pooled by seed): mean regrets and paired t per checkpoint")
    parser.add_argument("--oracle-pools", type=float, default=None, metavar="BUDGET",
                        help="only print the oracle-pool simulation (docs/pruning.md) at this many full trainings")
    args = parser.parse_args()
    if args.paired is not None:
        for table, res in merge_results([Path(p) for p in args.paired.split(",")]).items():
            a, b = res.get("tunelab auto + ASHA (default)"), res.get("tunelab random + ASHA")
            if a is None or b is None:
                continue
            p = paired(a, b)
            print(f"{table}: auto + ASHA against random + ASHA on {len(p['seeds'])} seeds (points; t > 0: auto worse)")
            print("| | " + " | ".join(f"{c:.3g}" for c in p["checkpoints"]) + " |")
            print("|---|" + "---:|" * len(p["checkpoints"]))
            for label, key, fmt in (("auto + ASHA", "mean_a", "{:.2f}"), ("random + ASHA", "mean_b", "{:.2f}"),
                                    ("auto - random", "diff", "{:+.2f}"), ("paired t", "t", "{:.2f}")):
                scale = 1 if key == "t" else 100
                print(f"| {label} | " + " | ".join(fmt.format(v * scale) for v in p[key]) + " |")
            if p["model_share_a"] is not None:
                print("| auto runs with a model proposal by then | "
                      + " | ".join(f"{v * 100:.0f} %" for v in p["model_share_a"]) + " |")
        return
    if args.oracle_pools is not None:
        for name in args.datasets.split(","):
            table = Table.load(name.strip())
            for share in (0.3, 0.25, 0.2, 0.15, 0.1):
                k, regret = oracle_pool(table, args.oracle_pools, share)
                print(f"{name}: best {share:.0%} pool, {k} complete trials, regret {regret * 100:.2f}")
        return
    logging.getLogger("tunelab").setLevel(logging.WARNING)
    methods = [m.strip() for m in args.methods.split("|" if "|" in args.methods else ",")]
    unknown = [m for m in methods if m not in METHODS and not m.startswith("tunelab fidelity-TPE + ASHA [")]
    if unknown:
        parser.error(f"unknown method(s) {unknown}; expected some of {list(METHODS)}")
    results = {}
    for name in args.datasets.split(","):
        table = Table.load(name.strip())
        print(f"{name}: {table.val.shape[0]} configurations, best mean test {table.score} "
              f"{table.true_score.max():.4f}, full training = {table.full_cost:.3f} CPU s", flush=True)
        partial = Path(f"{args.out}.{name.strip()}.partial") if args.out else None
        results[name] = evaluate(table, methods, args.reps, args.budget, args.first_seed, args.workers, partial)
    print(markdown(results, args.budget))
    print("\n" + environment())
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
