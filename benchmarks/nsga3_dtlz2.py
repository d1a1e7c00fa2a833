"""NSGA-III next to Optuna's on DTLZ2: hypervolume of the front at a fixed budget (docs/samplers.md).

    nice -n 10 python benchmarks/nsga3_dtlz2.py [--seeds 10] [--trials 300] [--population 20]

Every run is seeded, so the hypervolumes do not depend on the machine; the CPU seconds do.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

N_VARIABLES = 7  # 3 objectives, k = 5 distance variables
REFERENCE = [1.5, 1.5, 1.5]  # the best possible hypervolume is 1.5**3 - pi/6


def dtlz2(x: list[float], m: int = 3) -> list[float]:
    g = sum((xi - 0.5) ** 2 for xi in x[m - 1:])
    values = []
    for i in range(m):
        v = 1.0 + g
        for xj in x[: m - 1 - i]:
            v *= math.cos(xj * math.pi / 2)
        if i > 0:
            v *= math.sin(x[m - 1 - i] * math.pi / 2)
        values.append(v)
    return values


def objective(trial) -> list[float]:
    return dtlz2([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(N_VARIABLES)])


def volume(lib, sampler, n_trials: int) -> float:
    from tunelab.pareto import hypervolume

    study = lib.create_study(directions=["minimize"] * 3, sampler=sampler)
    study.optimize(objective, n_trials=n_trials)
    return hypervolume([t.values for t in study.best_trials], REFERENCE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--population", type=int, default=20)
    args = parser.parse_args()

    import warnings

    import optuna

    import tunelab

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    p = args.population
    rows = {
        "tunelab NSGA-III": lambda s: tunelab.samplers.NSGAIIISampler(seed=s, population_size=p),
        "optuna NSGA-III": lambda s: optuna.samplers.NSGAIIISampler(seed=s, population_size=p),
        "tunelab NSGA-II": lambda s: tunelab.samplers.NSGAIISampler(seed=s, population_size=p),
        "optuna NSGA-II": lambda s: optuna.samplers.NSGAIISampler(seed=s, population_size=p),
        "random (tunelab)": lambda s: tunelab.samplers.RandomSampler(seed=s),
    }
    print(f"DTLZ2, 3 objectives, {N_VARIABLES} variables, {args.trials} trials, population {p}, "
          f"seeds 0-{args.seeds - 1}; best possible {1.5 ** 3 - math.pi / 6:.3f}")
    for name, make in rows.items():
        lib = optuna if name.startswith("optuna") else tunelab
        start = time.process_time()
        volumes = [volume(lib, make(s), args.trials) for s in range(args.seeds)]
        print(f"{name:18s} mean {np.mean(volumes):.3f}  sd {np.std(volumes):.3f}  "
              f"min {min(volumes):.3f}  max {max(volumes):.3f}  CPU {time.process_time() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
