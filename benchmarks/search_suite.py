"""A wider search suite, so that `auto` is judged on problems it was not tuned on.

Two families, each scored at two budgets like benchmarks/search.py (100 = the
optimum or the best loss any method found, 0 = uniform random search at that
budget, computed exactly from 2,000 random draws):

* ``bbob``: the 24 noiseless COCO/BBOB functions (the ``ioh`` package's
  implementation), 5-D on [-5, 5]^5; seed ``s`` runs instance ``s + 1``, so
  every seed shifts and rotates the function anew and no instance is learned
  by heart.  Optimum: the instance's known minimum.
* ``ml``: Bayesmark's grid of scikit-learn models (decision tree, random
  forest, MLP with adam and with sgd, SVM, AdaBoost, kNN, lasso, linear) on the
  data sets bundled with scikit-learn (iris, wine, breast_cancer, digits as
  classification; diabetes as regression, with the models' regressor
  counterparts), scored by 3-fold cross-validation (1 - accuracy, or 1 - R^2).
  Spaces follow Bayesmark's, with the integer and categorical parameters a
  user would tune (a tree's criterion, kNN's weights, a linear model's
  solver) added so that the family is mixed.  Digits only with the models
  whose fit takes well under a second (dt, rf, svm, linear).
  As in benchmarks/search_tasks.py, each problem is a surrogate: 64 Sobol
  configurations are cross-validated for real once (cached under
  results/cache/suite-*.json, with the surrogate's 5-fold CV R^2), and the
  average of a GP and extra trees fitted to them, clipped to the range of the
  real losses, stands in for the model.  Real CV for every trial of every
  method and seed would take hours of CPU on this machine.
  Optimum: the best loss any method reached (or a random draw found).

    nice -n 10 python benchmarks/search_suite.py --family bbob --budgets 20,60 --seeds 5
    nice -n 10 python benchmarks/search_suite.py --family ml --budgets 20,50 --seeds 5 --problems "dt-*,knn-*"
    python benchmarks/search_suite.py --report benchmarks/results/suite-*.jsonl --budgets 20,60

HEBO (``--methods ...,hebo --hebo-python /path/to/venv/bin/python``) runs in its
own interpreter, since it needs numpy<2 and scipy<=1.12: a child process started
with that Python answers JSON lines on stdin/stdout (``ask`` -> parameters,
``tell`` -> ok).  Nothing of HEBO is imported here.  Setting up that interpreter
is described in docs/benchmarks.md ("Search suite").

Significance per problem: one-sided 5 % Student's t on the gap of the seed
means against the best other peer (see benchmarks/search.py).  ``--report ...
--paired auto,hebo`` adds the paired difference of two methods over the
(problem, seed) runs both have, per run and per problem mean:

    python benchmarks/search_suite.py --report benchmarks/results/suite-bbob*.jsonl --budgets 15,40 --paired auto,hebo
"""

from __future__ import annotations

import argparse
import datetime as _dt
import fnmatch
import json
import math
import os
import platform
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from search import TIE_TOLERANCE, beats_best_peer, expected_best_of  # noqa: E402
from search_methods import METHODS, available, count_repeats, method_runner  # noqa: E402
from search_tasks import Task  # noqa: E402
from tunelab.space import Categorical, Float, Int, SearchSpace  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
N_REFERENCE = 2000
# peers for "the best other peer": Optuna's samplers, HEBO and random search
PEERS = ["optuna-tpe", "optuna-gp", "optuna-cmaes", "hebo", "random"]
DEFAULT_METHODS = ["auto", "tpe", "gp", "random", "optuna-tpe", "optuna-gp"]

# ------------------------------------------------------------------ BBOB

BBOB_DIM = 5


def bbob_task(fid: int, instance: int, dim: int = BBOB_DIM) -> Task:
    """BBOB function ``fid`` (1-24), instance ``instance``, on [-5, 5]^dim, through ioh."""
    import ioh

    problem = ioh.get_problem(fid, instance=instance, dimension=dim, problem_class=ioh.ProblemClass.BBOB)
    space = SearchSpace({f"x{i}": Float(-5.0, 5.0) for i in range(dim)})
    name = problem.meta_data.name

    def loss(p: dict[str, Any]) -> float:
        return float(problem([p[f"x{i}"] for i in range(dim)]))

    return Task(f"bbob-f{fid:02d}", "synthetic", space, loss, float(problem.optimum.y),
                f"BBOB f{fid} {name}, {dim}-D, instance {instance}")


# ------------------------------------------------------------------ Bayesmark-style ML problems

CLASSIFICATION = ["iris", "wine", "breast_cancer", "digits"]
REGRESSION = ["diabetes"]
MODELS = ["dt", "rf", "mlp-adam", "mlp-sgd", "svm", "ada", "knn", "lasso", "linear"]
MLP_MAX_ITER = 40


def _load(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets

    return getattr(datasets, f"load_{name}")(return_X_y=True)


def _mlp_space(solver: str) -> dict:
    common = {"hidden_layer_sizes": Int(50, 200), "alpha": Float(1e-5, 1e1, log=True),
              "batch_size": Int(10, 250), "learning_rate_init": Float(1e-5, 1e-1, log=True),
              "tol": Float(1e-5, 1e-1, log=True), "validation_fraction": Float(0.1, 0.9)}
    if solver == "adam":
        return {**common, "beta_1": Float(0.5, 0.99), "beta_2": Float(0.9, 1 - 1e-6),
                "epsilon": Float(1e-9, 1e-6, log=True)}
    return {**common, "power_t": Float(0.1, 0.9), "momentum": Float(0.001, 0.999),
            "activation": Categorical(["relu", "tanh"])}


def model_space(model: str, regression: bool) -> dict:
    """Bayesmark's space for ``model``, plus the integer / categorical settings named in the module docstring."""
    tree = {"max_depth": Int(1, 15), "min_samples_split": Float(0.01, 0.99), "min_samples_leaf": Float(0.01, 0.49),
            "min_weight_fraction_leaf": Float(0.01, 0.49), "max_features": Float(0.01, 0.99),
            "min_impurity_decrease": Float(0.0, 0.5)}
    criterion = (Categorical(["squared_error", "friedman_mse", "absolute_error"]) if regression
                 else Categorical(["gini", "entropy", "log_loss"]))
    if model == "dt":
        return {**tree, "criterion": criterion}
    if model == "rf":
        return {**tree, "n_estimators": Int(5, 30), "criterion": criterion}
    if model == "mlp-adam":
        return _mlp_space("adam")
    if model == "mlp-sgd":
        return _mlp_space("sgd")
    if model == "svm":
        return {"C": Float(1.0, 1e3, log=True), "gamma": Float(1e-4, 1e-1, log=True),
                "tol": Float(1e-5, 1e-1, log=True), "kernel": Categorical(["rbf", "sigmoid"])}
    if model == "ada":  # Bayesmark: 10-100 estimators; 50 at most here, for the cost of the real runs
        return {"n_estimators": Int(10, 50), "learning_rate": Float(1e-4, 1e1, log=True)}
    if model == "knn":
        return {"n_neighbors": Int(1, 25), "p": Int(1, 4), "weights": Categorical(["uniform", "distance"])}
    if model == "lasso":
        if regression:
            return {"alpha": Float(1e-4, 1e2, log=True), "fit_intercept": Categorical([True, False]),
                    "tol": Float(1e-5, 1e-1, log=True), "selection": Categorical(["cyclic", "random"])}
        return {"C": Float(1e-3, 1e3, log=True), "intercept_scaling": Float(1e-2, 1e2, log=True),
                "fit_intercept": Categorical([True, False]), "tol": Float(1e-5, 1e-1, log=True)}
    if model == "linear":
        if regression:
            return {"alpha": Float(1e-4, 1e4, log=True), "fit_intercept": Categorical([True, False]),
                    "solver": Categorical(["svd", "cholesky", "lsqr", "sparse_cg"]),
                    "tol": Float(1e-6, 1e-1, log=True)}
        return {"C": Float(1e-3, 1e3, log=True), "fit_intercept": Categorical([True, False]),
                "solver": Categorical(["lbfgs", "newton-cg", "saga"]), "tol": Float(1e-5, 1e-1, log=True)}
    raise ValueError(f"unknown model {model!r}; expected one of {MODELS}")


def make_estimator(model: str, regression: bool, p: dict[str, Any]) -> Any:
    from sklearn import ensemble, linear_model, neighbors, neural_network, svm, tree
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    p = dict(p)
    if model == "dt":
        est = (tree.DecisionTreeRegressor if regression else tree.DecisionTreeClassifier)(random_state=0, **p)
    elif model == "rf":
        est = (ensemble.RandomForestRegressor if regression else ensemble.RandomForestClassifier)(random_state=0, **p)
    elif model.startswith("mlp"):
        p["hidden_layer_sizes"] = (int(p["hidden_layer_sizes"]),)
        solver = model.split("-")[1]
        extra = {"learning_rate": "invscaling"} if solver == "sgd" else {}
        cls = neural_network.MLPRegressor if regression else neural_network.MLPClassifier
        est = cls(solver=solver, early_stopping=True, max_iter=MLP_MAX_ITER, random_state=0, **extra, **p)
    elif model == "svm":
        est = svm.SVR(**p) if regression else svm.SVC(random_state=0, **p)
    elif model == "ada":
        est = (ensemble.AdaBoostRegressor if regression else ensemble.AdaBoostClassifier)(random_state=0, **p)
    elif model == "knn":
        est = (neighbors.KNeighborsRegressor if regression else neighbors.KNeighborsClassifier)(**p)
    elif model == "lasso":
        est = (linear_model.Lasso(max_iter=2000, random_state=0, **p) if regression else
               linear_model.LogisticRegression(l1_ratio=1.0, solver="saga", max_iter=300, random_state=0, **p))
    elif model == "linear":
        est = linear_model.Ridge(**p) if regression else linear_model.LogisticRegression(max_iter=500, **p)
    else:
        raise ValueError(f"unknown model {model!r}; expected one of {MODELS}")
    return make_pipeline(StandardScaler(), est)


def ml_real_task(model: str, dataset: str) -> Task:
    """The model tuned on the data set by 3-fold CV (stratified for classification); loss 1 - accuracy or 1 - R^2."""
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

    regression = dataset in REGRESSION
    X, y = _load(dataset)
    cv = (KFold if regression else StratifiedKFold)(3, shuffle=True, random_state=0)
    space = SearchSpace.from_mapping(model_space(model, regression))

    def loss(p: dict[str, Any]) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score = cross_val_score(make_estimator(model, regression, p), X, y, cv=cv, error_score=np.nan).mean()
        return 1.0 - float(score) if np.isfinite(score) else 1.0 + (1.0 if regression else 0.0)

    return Task(f"{model}-{dataset}", "real", space, loss, None,
                f"{model} on {dataset}, 3-fold CV, 1 - {'R^2' if regression else 'accuracy'}")


ML_POINTS = 64
DIGITS_MODELS = ["dt", "rf", "svm", "linear"]


def _split(name: str) -> tuple[str, str]:
    for d in CLASSIFICATION + REGRESSION:
        if name.endswith("-" + d):
            return name[: -len(d) - 1], d
    raise ValueError(f"unknown ML problem {name!r}")


def _evaluate_unit(args: tuple[str, list[float]]) -> float:
    task = _real_cached(args[0])
    return task(task.decode(np.array(args[1])))


_REAL: dict[str, Task] = {}


def _real_cached(name: str) -> Task:
    if name not in _REAL:
        _REAL[name] = ml_real_task(*_split(name))
    return _REAL[name]


def build_ml_cache(name: str, pool: Any = None) -> dict[str, Any]:
    """Cross-validate the problem's ML_POINTS Sobol configurations for real, once (cached as JSON)."""
    path = RESULTS / "cache" / f"suite-{name}.json"
    if path.exists():
        return json.loads(path.read_text())
    from scipy.stats import qmc

    from search_tasks import _surrogate_r2

    real = _real_cached(name)
    units = qmc.Sobol(len(real.space.params), scramble=True, seed=12345).random(ML_POINTS).tolist()
    start = time.process_time()
    jobs = [(name, u) for u in units]
    losses = pool.map(_evaluate_unit, jobs, chunksize=8) if pool else [_evaluate_unit(j) for j in jobs]
    data = {"task": name, "names": list(real.space.params), "unit": units, "loss": losses,
            "cpu_seconds_parent": round(time.process_time() - start, 1), "description": real.notes,
            "surrogate_r2": _surrogate_r2(np.array(units), np.array(losses))}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return data


def ml_task(name: str) -> Task:
    """The surrogate of an ML problem (see the module docstring)."""
    import search_tasks

    data = build_ml_cache(name)
    X, y = np.array(data["unit"])[:ML_POINTS], np.array(data["loss"])[:ML_POINTS]  # a Sobol prefix is Sobol
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = [make(X.shape[1]).fit(X, y) for make in search_tasks._surrogate_models().values()]
    real = _real_cached(name)
    task = Task(name, "surrogate", real.space, lambda p: 0.0,
                notes=f"{real.notes}; surrogate over {len(y)} real runs (CV R^2 {data['surrogate_r2']['average']:.2f})")
    lo, hi = float(y.min()), float(y.max())

    def predict(X: np.ndarray) -> np.ndarray:
        return np.clip(np.mean([m.predict(X) for m in models], axis=0), lo, hi)

    def loss(p: dict[str, Any]) -> float:
        return float(predict(task.encode(p)[None, :])[0])

    task.loss = loss
    task.memo["__batch__"] = predict  # the random-search reference predicts its draws in one batch
    return task


def problems(family: str) -> list[str]:
    if family == "bbob":
        return [f"bbob-f{f:02d}" for f in range(1, 25)]
    if family == "ml":
        return [f"{m}-{d}" for d in CLASSIFICATION + REGRESSION for m in MODELS
                if d != "digits" or m in DIGITS_MODELS]
    raise ValueError(f"unknown family {family!r}; expected 'bbob' or 'ml'")


def get_problem(name: str, seed: int) -> Task:
    """The task for one (problem, seed): BBOB problems change instance with the seed, ML problems do not."""
    if name.startswith("bbob-f"):
        return bbob_task(int(name[6:]), instance=seed + 1)
    if name not in _SURROGATES:
        _SURROGATES[name] = ml_task(name)
    return _SURROGATES[name]


_SURROGATES: dict[str, Task] = {}


# ------------------------------------------------------------------ HEBO, in its own interpreter

HEBO_PYTHON: str | None = None  # set by --hebo-python

# The child: reads one JSON object per line.  {"space": [...], "seed": s} builds the optimiser;
# {"op": "ask"} answers {"params": {...}}; {"op": "tell", "params": {...}, "value": v} answers {"ok": true}.
HEBO_CHILD = r"""
import json, sys, warnings
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd, torch
from hebo.design_space.design_space import DesignSpace
from hebo.optimizers.hebo import HEBO

out = sys.stdout
sys.stdout = sys.stderr  # HEBO's own prints must not corrupt the protocol
setup = json.loads(sys.stdin.readline())
np.random.seed(setup["seed"])
torch.manual_seed(setup["seed"])
space = DesignSpace().parse(setup["space"])
opt = HEBO(space, scramble_seed=setup["seed"])
names = [p["name"] for p in setup["space"]]
out.write(json.dumps({"ready": True}) + "\n"); out.flush()
for line in sys.stdin:
    msg = json.loads(line)
    if msg["op"] == "ask":
        rec = opt.suggest(n_suggestions=1)
        row = rec.iloc[0]
        params = {k: (row[k].item() if hasattr(row[k], "item") else row[k]) for k in names}
        out.write(json.dumps({"params": params}) + "\n")
    else:
        rec = pd.DataFrame([msg["params"]])[names]
        opt.observe(rec, np.array([[msg["value"]]]))
        out.write(json.dumps({"ok": True}) + "\n")
    out.flush()
"""


def hebo_space(space: SearchSpace) -> list[dict[str, Any]]:
    """The suite's space in HEBO's terms: log floats as 'pow', ints as 'int' (or 'pow_int'), categoricals as
    'cat' over the choices' indices (as strings, so that booleans and mixed types survive JSON)."""
    from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution

    out = []
    for name, param in space.params.items():
        if param.when:
            raise NotImplementedError("HEBO has no conditional spaces")
        d = param.distribution
        if isinstance(d, CategoricalDistribution):
            out.append({"name": name, "type": "cat", "categories": [str(i) for i in range(len(d.choices))]})
        elif isinstance(d, IntDistribution):
            if d.step not in (None, 1):
                raise NotImplementedError("HEBO has no stepped integers")
            out.append({"name": name, "type": "pow_int" if d.log else "int", "lb": d.low, "ub": d.high}
                       | ({"base": 10} if d.log else {}))
        elif isinstance(d, FloatDistribution):
            if d.step is not None:
                raise NotImplementedError("HEBO has no stepped floats")
            out.append({"name": name, "type": "pow" if d.log else "num", "lb": d.low, "ub": d.high}
                       | ({"base": 10} if d.log else {}))
        else:
            raise NotImplementedError(f"no HEBO type for {d!r}")
    return out


def hebo_run(task: Task, seed: int, n: int) -> Any:
    """HEBO with its defaults (1 + dim random points, then its GP + multi-objective acquisition), one
    suggestion per ask.  Overhead: the round trip of ask and tell; the child's start-up is not counted."""
    import subprocess

    from search_methods import Run

    if not HEBO_PYTHON:
        raise RuntimeError("hebo needs --hebo-python")
    spec = hebo_space(task.space)
    kinds = {p["name"]: p for p in spec}
    child = subprocess.Popen([HEBO_PYTHON, "-c", HEBO_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, bufsize=1)
    assert child.stdin is not None and child.stdout is not None

    def call(msg: dict[str, Any]) -> dict[str, Any]:
        child.stdin.write(json.dumps(msg) + "\n")
        child.stdin.flush()
        line = child.stdout.readline()
        if not line:
            raise RuntimeError(f"HEBO child exited with {child.wait()}")
        return json.loads(line)

    def decode(raw: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, param in task.space.params.items():
            v, kind = raw[name], kinds[name]["type"]
            if kind == "cat":
                out[name] = param.distribution.choices[int(v)]
            elif kind in ("int", "pow_int"):
                out[name] = int(min(max(round(float(v)), param.distribution.low), param.distribution.high))
            else:
                out[name] = float(min(max(float(v), param.distribution.low), param.distribution.high))
        return out

    try:
        call({"space": spec, "seed": seed})
        losses, overhead, configs = [], 0.0, []
        for _ in range(n):
            t0 = time.perf_counter()
            raw = call({"op": "ask"})["params"]
            overhead += time.perf_counter() - t0
            configs.append(decode(raw))
            value = task(configs[-1])
            t0 = time.perf_counter()
            call({"op": "tell", "params": raw, "value": value})
            overhead += time.perf_counter() - t0
            losses.append(value)
        return Run(losses, overhead, repeats=count_repeats(configs))
    finally:
        child.stdin.close()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()


def runner(method: str) -> Any:
    return hebo_run if method == "hebo" else method_runner(method)


# ------------------------------------------------------------------ running


def run_job(job: tuple[str, int, list[str], int, str | None]) -> list[dict[str, Any]]:
    global HEBO_PYTHON
    name, seed, methods, n, HEBO_PYTHON = job
    task = get_problem(name, seed)
    records = []
    for method in methods:
        start, cpu = time.time(), time.process_time()
        record: dict[str, Any] = {"task": name, "method": method, "seed": seed, "n": n}
        try:
            run = runner(method)(task, seed, n)
            record.update(losses=[float(f"{v:.7g}") for v in run.losses], overhead_s=round(run.overhead_s, 4))
            if run.repeats is not None:
                record["repeats"] = run.repeats
        except Exception as exc:  # one broken method must not lose the others' results
            record.update(losses=[], overhead_s=0.0, error=f"{type(exc).__name__}: {exc}")
        record["wall_s"] = round(time.time() - start, 3)
        record["cpu_s"] = round(time.process_time() - cpu, 3)
        records.append(record)
    return records


def random_reference(name: str, seed: int, draws: int) -> np.ndarray:
    """Losses of ``draws`` uniform random configurations (cached per problem and, for BBOB, instance)."""
    key = name if not name.startswith("bbob") else f"{name}-i{seed + 1}"
    path = RESULTS / "cache" / f"suite-random-{key}-{draws}.json"
    if path.exists():
        return np.array(json.loads(path.read_text()))
    task = get_problem(name, seed)
    rng = np.random.default_rng(20240601)
    draws_ = [task.random_params(rng) for _ in range(draws)]
    batch = task.memo.get("__batch__")
    losses = ([float(v) for v in batch(np.array([task.encode(p) for p in draws_]))] if batch is not None
              else [task(p) for p in draws_])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(losses))
    return np.array(losses)


def _reference_job(args: tuple[str, int, int]) -> None:
    random_reference(*args)


def _standard_error(values: np.ndarray) -> float:
    """The standard error of the mean of ``values`` (0 for fewer than two)."""
    return float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0


def score_table(records: list[dict[str, Any]], budgets: list[int]) -> dict[str, Any]:
    """Per (budget, problem, method): mean score, standard error, seeds (the layout benchmarks/search.py prints)."""
    ok = [r for r in records if not r.get("error") and r["losses"]]
    tasks = sorted({r["task"] for r in ok})
    methods = sorted({r["method"] for r in ok}, key=lambda m: (list(METHODS).index(m.split(":")[0])
                                                               if m.split(":")[0] in METHODS else 99, m))
    out: dict[str, Any] = {"tasks": tasks, "methods": methods, "budgets": budgets, "scores": {}, "ask_ms": {},
                           "runs": {}}
    for name in tasks:
        rows = [r for r in ok if r["task"] == name]
        seeds = sorted({r["seed"] for r in rows})
        bbob = name.startswith("bbob")
        refs = {s: random_reference(name, s, N_REFERENCE) for s in (seeds if bbob else [0])}
        for b in budgets:
            per_method: dict[str, dict[int, float]] = {}
            best_seen = min(min(r["losses"]) for r in rows)
            for r in rows:
                if len(r["losses"]) < b:
                    continue
                ref = refs[r["seed"] if bbob else 0]
                optimum = get_problem(name, r["seed"]).optimum if bbob else min(best_seen, float(ref.min()))
                rand = expected_best_of(ref, b)
                per_method.setdefault(r["method"], {})[r["seed"]] = 100 * (rand - min(r["losses"][:b])) / (rand - optimum)
            for method, by_seed in per_method.items():
                out["runs"][(b, name, method)] = by_seed
                v = np.array(list(by_seed.values()))
                out["scores"][(b, name, method)] = (float(v.mean()), _standard_error(v), len(v))
    out["repeats"] = {}
    for method in methods:
        rows = [r for r in ok if r["method"] == method]
        out["ask_ms"][method] = 1000 * sum(r["overhead_s"] for r in rows) / max(1, sum(len(r["losses"]) for r in rows))
        counted = [r for r in rows if "repeats" in r]
        if counted:  # rows written since the runner counts them
            out["repeats"][method] = (sum(r["repeats"] for r in counted), sum(len(r["losses"]) for r in counted))
    return out


def format_report(table: dict[str, Any], per_problem: bool = False) -> str:
    """Per budget: the mean score per method, and per problem only where `auto` is significantly behind."""
    import search

    saved = search.PEERS
    search.PEERS = PEERS  # the best-peer helpers read the peer list from the search module
    try:
        lines = []
        methods = table["methods"]
        for b in table["budgets"]:
            lines.append(f"\n#### {b} trials: mean normalised score over {len(table['tasks'])} problems "
                         "(100 = optimum, 0 = random search)\n")
            lines.append("| | " + " | ".join(methods) + " |")
            lines.append("|---" * (len(methods) + 1) + "|")
            means, ses, fracs, tests = [], [], [], []
            for m in methods:
                vals = [table["scores"][(b, t, m)] for t in table["tasks"] if (b, t, m) in table["scores"]]
                means.append(f"{np.mean([v[0] for v in vals]):.1f}" if vals else "-")
                ses.append(f"{math.sqrt(sum(v[1] ** 2 for v in vals)) / len(vals):.1f}" if vals else "-")
                w, n = beats_best_peer(table, b, m)
                fracs.append(f"{w}/{n}" if n else "-")
                behind, ahead = len(_behind(table, b, m)), len(_behind(table, b, m, ahead=True))
                tests.append(f"{behind} / {ahead}" if n else "-")
            lines.append("| **mean score** | " + " | ".join(means) + " |")
            lines.append("| (standard error) | " + " | ".join(ses) + " |")
            lines.append(f"| >= best other peer (-{TIE_TOLERANCE:g}) | " + " | ".join(fracs) + " |")
            lines.append("| significantly behind / ahead of the best other peer (one-sided 5 %, t) | "
                         + " | ".join(tests) + " |")
            if "auto" in methods:
                behind = _behind(table, b, "auto")
                if behind:
                    lines.append(f"\n`auto` significantly behind the best other peer at {b} trials: "
                                 + "; ".join(f"{t} ({mine:.1f} vs {peer} {best:.1f})" for t, mine, peer, best in behind))
        if per_problem:
            b1, b2 = table["budgets"][0], table["budgets"][-1]
            lines.append(f"\nPer problem (mean over seeds, score at {b1} / {b2} trials; ML problems with their "
                         "surrogate's 5-fold CV R^2):\n")
            lines.append("| problem | " + " | ".join(f"{m} {b1} / {b2}" for m in methods) + " |")
            lines.append("|---" * (len(methods) + 1) + "|")
            for task in table["tasks"]:
                r2 = surrogate_r2(task)
                label = task if r2 is None else f"{task} ({r2:.2f})"
                cells = []
                for m in methods:
                    v = [table["scores"].get((b, task, m)) for b in (b1, b2)]
                    cells.append(" / ".join(f"{x[0]:.0f}" if x else "-" for x in v))
                lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines.append("\n#### Mean time per ask (ms; ask + suggest + tell, objective excluded, whole run)\n")
        lines.append("| " + " | ".join(methods) + " |")
        lines.append("|---" * len(methods) + "|")
        lines.append("| " + " | ".join(f"{table['ask_ms'][m]:.1f}" for m in methods) + " |")
        if table.get("repeats"):
            lines.append("\n#### Trials that repeated an earlier trial's configuration (of the trials in rows that count them)\n")
            lines.append("| " + " | ".join(methods) + " |")
            lines.append("|---" * len(methods) + "|")
            cells = [f"{table['repeats'][m][0]} of {table['repeats'][m][1]}" if m in table["repeats"] else "-"
                     for m in methods]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)
    finally:
        search.PEERS = saved


@dataclass(frozen=True)
class Paired:
    """``a`` minus ``b`` over the runs both have (same problem and seed), at one budget."""

    n_runs: int
    mean: float  # mean of the per-run differences
    se: float  # its standard error over runs
    n_problems: int
    problem_mean: float  # mean of the per-problem mean differences
    problem_se: float  # its standard error over problems
    ahead: int  # problems where the mean difference is above +1 point
    behind: int  # ... below -1 point


def paired_difference(table: dict[str, Any], budget: int, a: str, b: str) -> Paired | None:
    """The paired difference of two methods' scores (None when they share no run): the same seeds of the
    same problems, so that a problem's difficulty and a seed's luck in the start do not enter the gap."""
    diffs: dict[str, list[float]] = {}
    for task in table["tasks"]:
        ra, rb = table["runs"].get((budget, task, a), {}), table["runs"].get((budget, task, b), {})
        shared = sorted(set(ra) & set(rb))
        if shared:
            diffs[task] = [ra[s] - rb[s] for s in shared]
    if not diffs:
        return None
    runs = np.concatenate([np.array(v) for v in diffs.values()])
    means = np.array([np.mean(v) for v in diffs.values()])
    return Paired(len(runs), float(runs.mean()), _standard_error(runs), len(means), float(means.mean()),
                  _standard_error(means), int((means > TIE_TOLERANCE).sum()), int((means < -TIE_TOLERANCE).sum()))


def format_paired(table: dict[str, Any], pairs: list[tuple[str, str]]) -> str:
    """A table of :func:`paired_difference` per pair and budget."""
    lines = ["\n#### Paired differences (same problems and seeds; mean ± standard error)\n",
             "| pair | trials | runs | per run | problems | per problem mean | ahead / behind by > 1 point |",
             "|---|---|---|---|---|---|---|"]
    for a, b in pairs:
        for budget in table["budgets"]:
            p = paired_difference(table, budget, a, b)
            if p is None:
                lines.append(f"| {a} - {b} | {budget} | 0 | - | - | - | - |")
                continue
            lines.append(f"| {a} - {b} | {budget} | {p.n_runs} | {p.mean:+.1f} ± {p.se:.1f} | {p.n_problems} | "
                         f"{p.problem_mean:+.1f} ± {p.problem_se:.1f} | {p.ahead} / {p.behind} |")
    return "\n".join(lines)


def _behind(table: dict[str, Any], b: int, method: str, ahead: bool = False) -> list[tuple[str, float, str, float]]:
    """Problems where ``method`` is significantly behind (or ahead of) the best other peer: one-sided 5 %,
    Student's t on the gap of the seed means; problems with fewer than 2 seeds on either side are not tested."""
    from scipy.stats import t as student_t

    out = []
    for task in table["tasks"]:
        mine = table["scores"].get((b, task, method))
        peers = [(p, table["scores"][(b, task, p)]) for p in PEERS if p != method and (b, task, p) in table["scores"]]
        if mine is None or not peers:
            continue
        peer, best = max(peers, key=lambda v: v[1][0])
        if min(mine[2], best[2]) < 2:
            continue
        gap, se = mine[0] - best[0], float(np.hypot(mine[1], best[1]))
        bound = float(student_t.ppf(0.95, min(mine[2], best[2]) - 1)) * se
        if (gap > bound) if ahead else (gap < -bound):
            out.append((task, mine[0], peer, best[0]))
    return out


def surrogate_r2(name: str) -> float | None:
    """The 5-fold CV R^2 of an ML problem's surrogate (None for other problems or without a cache)."""
    path = RESULTS / "cache" / f"suite-{name}.json"
    if name.startswith("bbob") or not path.exists():
        return None
    return float(json.loads(path.read_text())["surrogate_r2"]["average"])


def load_records(paths: list[str]) -> list[dict[str, Any]]:
    """The rows of the JSONL files, in the order given (a shell pattern expands in sorted order).

    A later row for the same (task, method, seed) replaces the earlier one, so that a rerun of one method
    (appended as a later file) stands for it instead of being averaged with the old run; how many rows were
    replaced is said on stderr.
    """
    import glob

    records: dict[tuple, dict[str, Any]] = {}
    replaced = 0
    for pattern in paths:
        for path in sorted(glob.glob(pattern)) or [pattern]:
            for line in Path(path).read_text().splitlines():
                item = json.loads(line)
                if "meta" not in item:
                    key = (item["task"], item["method"], item["seed"])
                    replaced += key in records
                    records[key] = item
    if replaced:
        print(f"{replaced} rows replaced by a later file's row for the same (task, method, seed)", file=sys.stderr)
    return list(records.values())


def _hebo_available(python: str | None) -> str | None:
    import subprocess

    if not python:
        return "needs --hebo-python"
    check = subprocess.run([python, "-c", "import hebo.optimizers.hebo"], capture_output=True, text=True)
    return None if check.returncode == 0 else (check.stderr.strip().splitlines() or ["import failed"])[-1]


def select_records(records: list[dict], problems: str | None, seeds: str | None) -> list[dict]:
    """The rows of the problems matching ``problems`` (comma-separated patterns) and of the seeds in ``seeds``."""
    if problems:
        patterns = [p.strip() for p in problems.split(",")]
        records = [r for r in records if any(fnmatch.fnmatch(r["task"], p) for p in patterns)]
    if seeds:
        keep = {int(s) for s in seeds.split(",")}
        records = [r for r in records if r["seed"] in keep]
    return records


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=["bbob", "ml"], default="bbob")
    parser.add_argument("--problems", help="comma-separated names or shell patterns (e.g. 'dt-*,knn-iris')")
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS))
    parser.add_argument("--budgets", default="20,60")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0, help="run seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--build-only", action="store_true", help="ML family: only cross-validate the surrogates' points")
    parser.add_argument("--report", nargs="+", metavar="JSONL",
                        help="score these result files instead of running; where several rows share a (task, "
                        "method, seed), the one in the later file (argument order; a pattern in sorted order) "
                        "replaces the earlier")
    parser.add_argument("--per-problem", action="store_true", help="with --report: a row per problem as well")
    parser.add_argument("--min-r2", type=float, help="with --report: leave out ML problems whose surrogate's CV R^2 "
                        "is below this (a surrogate below 0 predicts worse than a constant)")
    parser.add_argument("--only-seeds", help="with --report: score only these seeds (comma-separated), so that "
                        "methods run on different seeds are compared on the same ones")
    parser.add_argument("--paired", action="append", default=[], metavar="A,B",
                        help="with --report: the paired difference A - B over the (problem, seed) runs both have "
                        "(repeatable)")
    parser.add_argument("--hebo-python", help="the Python of a virtualenv with HEBO installed (method 'hebo')")
    args = parser.parse_args(argv)
    pairs = []
    for item in args.paired:
        if item.count(",") != 1 or not all(item.split(",")):
            parser.error(f"--paired expects two method names joined by a comma (e.g. 'auto,hebo'); got {item!r}")
        pairs.append(tuple(item.split(",")))
    if pairs and not args.report:
        parser.error("--paired compares result files: give them with --report")
    budgets = [int(b) for b in args.budgets.split(",")]
    if args.report:
        records = select_records(load_records(args.report), args.problems, args.only_seeds)
        if args.min_r2 is not None:
            records = [r for r in records if (surrogate_r2(r["task"]) is None or surrogate_r2(r["task"]) >= args.min_r2)]
        table = score_table(records, budgets)
        print(format_report(table, per_problem=args.per_problem))
        if pairs:
            print(format_paired(table, pairs))
        return
    names = problems(args.family)
    if args.problems:
        patterns = [p.strip() for p in args.problems.split(",")]
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]
        if not names:
            parser.error(f"--problems matched nothing in family {args.family!r}")
    methods = [m.strip() for m in args.methods.split(",")]
    for m in list(methods):
        why = _hebo_available(args.hebo_python) if m == "hebo" else available(m)
        if why:
            print(f"skipping {m}: {why}", file=sys.stderr)
            methods.remove(m)
    from multiprocessing import get_context

    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    out = args.out or RESULTS / f"suite-{args.family}-{_dt.datetime.now():%Y%m%d-%H%M%S}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    n = max(budgets)
    start = time.time()
    with get_context("spawn").Pool(args.workers) as pool:
        if args.family == "ml":
            for name in names:
                t0 = time.time()
                build_ml_cache(name, pool)
                print(f"real evaluations of {name} ready ({time.time() - t0:.0f} s)", flush=True)
            if args.build_only:
                return
        refs = [(name, s, N_REFERENCE) for name in names for s in (seeds if args.family == "bbob" else [0])]
        pool.map(_reference_job, refs)
        print(f"random references ready ({time.time() - start:.0f} s)", flush=True)
        jobs = [(name, s, methods, n, args.hebo_python) for s in seeds for name in names]
        with out.open("w") as fh:
            fh.write(json.dumps({"meta": {"date": _dt.datetime.now().isoformat(timespec="seconds"),
                                          "argv": sys.argv[1:], "machine": f"{platform.machine()}, "
                                          f"{os.cpu_count()} cores", "workers": args.workers}}) + "\n")
            for i, batch in enumerate(pool.imap_unordered(run_job, jobs), 1):
                for rec in batch:
                    fh.write(json.dumps(rec) + "\n")
                    if rec.get("error"):
                        print(f"  ! {rec['task']}/{rec['method']}/{rec['seed']}: {rec['error']}", file=sys.stderr)
                fh.flush()
                print(f"[{i}/{len(jobs)} {time.time() - start:.0f}s] {batch[0]['task']} seed {batch[0]['seed']}: "
                      + " ".join(f"{r['method']}={r['wall_s']:.1f}s" for r in batch), flush=True)
    report = format_report(score_table(load_records([str(out)]), budgets))
    print(report)
    out.with_suffix(".md").write_text(report + "\n")
    print(f"\nraw results: {out}")


if __name__ == "__main__":
    main()
