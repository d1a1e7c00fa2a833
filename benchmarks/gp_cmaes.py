"""Search efficiency of the GP and CMA-ES samplers against their peers, on fixed test functions.

Every method runs each problem for the same number of trials over the same seeds;
the table gives the mean (and standard deviation) of the best value found and the
mean wall time per trial (sampler overhead: the functions cost nothing).  Peers:
Optuna's GPSampler / CmaEsSampler / TPESampler and Hyperopt's TPE; random search is
the floor.

Run:  nice -n 10 python benchmarks/gp_cmaes.py [--seeds 5] [--problems branin,hartmann6]
      [--methods tunelab-gp,optuna-gp] [--budget N]
"""

from __future__ import annotations

import argparse
import math
import platform
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

# ------------------------------------------------------------------ problems: suggest(name, kind, args) -> value


@dataclass(frozen=True)
class Problem:
    name: str
    budget: int
    optimum: float
    space: dict[str, tuple]  # name -> ("float", low, high) | ("int", low, high) | ("cat", choices)
    f: Callable[[dict[str, Any]], float]


def _branin(p: dict) -> float:
    x, y = p["x"], p["y"]
    return (y - 5.1 / (4 * math.pi**2) * x * x + 5 / math.pi * x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10


_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def _hartmann6(p: dict) -> float:
    x = np.array([p[f"x{i}"] for i in range(6)])
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def _rosenbrock4(p: dict) -> float:
    x = [p[f"x{i}"] for i in range(4)]
    return float(sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(3)))


_OFFSET = {"a": 0.5, "b": 0.0, "c": 1.0, "d": 0.25}


def _mixed(p: dict) -> float:
    # optimum off the centre of every range (a centred optimum favours methods that start at the centre)
    return ((p["x0"] - 0.25) ** 2 + (p["x1"] - 0.7) ** 2 + (math.log10(p["lr"]) + 3.7) ** 2 / 4
            + (p["k"] - 14) ** 2 / 50 + _OFFSET[p["c"]])


PROBLEMS = {
    "branin": Problem("branin", 40, 0.397887, {"x": ("float", -5, 10), "y": ("float", 0, 15)}, _branin),
    "hartmann6": Problem("hartmann6", 60, -3.32237, {f"x{i}": ("float", 0, 1) for i in range(6)}, _hartmann6),
    "mixed": Problem("mixed", 50, 0.0, {"x0": ("float", 0, 1), "x1": ("float", 0, 1), "lr": ("logfloat", 1e-5, 1),
                                         "k": ("int", 0, 20), "c": ("cat", list(_OFFSET))}, _mixed),
    "rosenbrock4": Problem("rosenbrock4", 150, 0.0, {f"x{i}": ("float", -2, 2) for i in range(4)}, _rosenbrock4),
}


def _suggest(trial: Any, name: str, spec: tuple) -> Any:
    kind = spec[0]
    if kind == "float":
        return trial.suggest_float(name, spec[1], spec[2])
    if kind == "logfloat":
        return trial.suggest_float(name, spec[1], spec[2], log=True)
    if kind == "int":
        return trial.suggest_int(name, spec[1], spec[2])
    return trial.suggest_categorical(name, spec[1])


# ------------------------------------------------------------------ methods: run(problem, seed) -> best value


def _run_tunelab(sampler: Any, problem: Problem) -> float:
    import tunelab

    study = tunelab.create_study(sampler=sampler)
    study.optimize(lambda t: problem.f({n: _suggest(t, n, s) for n, s in problem.space.items()}), n_trials=problem.budget)
    return study.best_value


def _run_optuna(sampler: Any, problem: Problem) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: problem.f({n: _suggest(t, n, s) for n, s in problem.space.items()}), n_trials=problem.budget)
    return study.best_value


def _run_hyperopt(problem: Problem, seed: int) -> float:
    from hyperopt import Trials, fmin, hp, tpe

    space = {}
    for n, s in problem.space.items():
        if s[0] == "float":
            space[n] = hp.uniform(n, s[1], s[2])
        elif s[0] == "logfloat":
            space[n] = hp.loguniform(n, math.log(s[1]), math.log(s[2]))
        elif s[0] == "int":
            space[n] = hp.uniformint(n, s[1], s[2])
        else:
            space[n] = hp.choice(n, s[1])
    trials = Trials()
    fmin(lambda p: problem.f({k: (int(v) if problem.space[k][0] == "int" else v) for k, v in p.items()}), space,
         algo=tpe.suggest, max_evals=problem.budget, trials=trials, rstate=np.random.default_rng(seed),
         show_progressbar=False)
    return float(min(trials.losses()))


def _methods() -> dict[str, Callable[[Problem, int], float]]:
    from tunelab.samplers.cmaes import CMAESSampler
    from tunelab.samplers.gp import GPSampler
    from tunelab.samplers.random import RandomSampler

    def optuna_sampler(kind: str, seed: int) -> Any:
        import optuna

        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        if kind == "gp":
            return optuna.samplers.GPSampler(seed=seed)
        if kind == "cmaes":
            return optuna.samplers.CmaEsSampler(seed=seed, with_margin=True,
                                                warn_independent_sampling=False)
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)

    return {
        "tunelab-random": lambda p, s: _run_tunelab(RandomSampler(seed=s), p),
        "tunelab-gp": lambda p, s: _run_tunelab(GPSampler(seed=s), p),
        "tunelab-cmaes": lambda p, s: _run_tunelab(CMAESSampler(seed=s), p),
        "optuna-gp": lambda p, s: _run_optuna(optuna_sampler("gp", s), p),
        "optuna-cmaes": lambda p, s: _run_optuna(optuna_sampler("cmaes", s), p),
        "optuna-tpe": lambda p, s: _run_optuna(optuna_sampler("tpe", s), p),
        "hyperopt-tpe": lambda p, s: _run_hyperopt(p, s),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--methods", default="")
    parser.add_argument("--budget", type=int, default=None, help="trials per run (default: per problem)")
    args = parser.parse_args()
    methods = _methods()
    chosen = args.methods.split(",") if args.methods else list(methods)
    import optuna
    import scipy

    import tunelab

    print(f"# {time.strftime('%Y-%m-%d')} | {platform.processor() or platform.machine()} | python {platform.python_version()}"
          f" | numpy {np.__version__} | scipy {scipy.__version__} | tunelab {getattr(tunelab, '__version__', '?')}"
          f" | optuna {optuna.__version__}")
    print("| problem (trials) | method | best: mean (sd) | gap to optimum | s / trial |")
    print("|---|---|---|---|---|")
    for pname in args.problems.split(","):
        problem = PROBLEMS[pname]
        if args.budget:
            problem = Problem(problem.name, args.budget, problem.optimum, problem.space, problem.f)
        for m in chosen:
            bests, start = [], time.perf_counter()
            for seed in range(args.seeds):
                bests.append(methods[m](problem, seed))
            per_trial = (time.perf_counter() - start) / (args.seeds * problem.budget)
            print(f"| {pname} ({problem.budget}) | {m} | {np.mean(bests):.4f} ({np.std(bests):.4f}) | "
                  f"{np.mean(bests) - problem.optimum:.4f} | {per_trial:.3f} |", flush=True)


if __name__ == "__main__":
    main()
