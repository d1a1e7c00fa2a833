"""Successive halving over training samples: tunelab's SearchCV(resource="n_samples") against scikit-learn.

An RBF SVM (C and gamma, log-uniform) is tuned with 3-fold cross-validation on
the training part of a data set by
  * scikit-learn's HalvingRandomSearchCV (synchronous halving, factor 3),
  * tunelab's SearchCV(resource="n_samples") with random and with the default "auto" sampler (ASHA, factor 3),
  * scikit-learn's RandomizedSearchCV (every candidate on every sample) as the reference,
all with the same number of candidates; both halvings end on (nearly) every training sample.  For each
method: the held-out test accuracy of the refitted best configuration, the
share of the data the best configuration was chosen on (the last budget), the
samples fitted (sum over every fit of its training rows), and the wall time;
mean over repetitions, and ratios to HalvingRandomSearchCV.

    nice -n 10 python benchmarks/halving_cv.py [--reps 10] [--candidates 60]
"""

from __future__ import annotations

import argparse
import importlib
import logging
import platform
import time
import warnings
from datetime import date

import numpy as np
from scipy.stats import loguniform
from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold, train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import tunelab
from tunelab.integration.sklearn import SearchCV

FACTOR = 3


def datasets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    X, y = load_digits(return_X_y=True)
    Xs, ys = make_classification(n_samples=6000, n_features=30, n_informative=12, n_classes=4,
                                 n_clusters_per_class=2, weights=[0.55, 0.25, 0.15, 0.05], random_state=0)
    return {"digits": (X, y), "synthetic-6000": (StandardScaler().fit_transform(Xs), ys)}


def run_sklearn_halving(X, y, n, seed):
    importlib.import_module("sklearn.experimental.enable_halving_search_cv")  # registers the experimental class
    from sklearn.model_selection import HalvingRandomSearchCV

    # "exhaust": the smallest budget is chosen so that the last iteration trains on as many samples as it can;
    # scikit-learn's floor (2 x folds x classes samples) may still end it on a share of the data, reported
    search = HalvingRandomSearchCV(SVC(), {"C": loguniform(1e-2, 1e3), "gamma": loguniform(1e-5, 1e-1)},
                                   n_candidates=n, factor=FACTOR, resource="n_samples", min_resources="exhaust",
                                   cv=StratifiedKFold(3), random_state=seed, refit=True)
    search.fit(X, y)
    samples = int(np.sum(search.cv_results_["n_resources"])) * 3 * 2 // 3  # each fit trains on 2/3 of its subsample
    return search, samples, search.n_resources_[-1] / len(y)


def run_sklearn_random(X, y, n, seed):
    search = RandomizedSearchCV(SVC(), {"C": loguniform(1e-2, 1e3), "gamma": loguniform(1e-5, 1e-1)}, n_iter=n,
                                cv=StratifiedKFold(3), random_state=seed, refit=True)
    search.fit(X, y)
    train_rows = sum(len(tr) for tr, _ in StratifiedKFold(3).split(X, y))
    return search, n * train_rows, 1.0


def run_tunelab(X, y, n, sampler, seed):
    search = SearchCV(SVC(), {"C": tunelab.Float(1e-2, 1e3, log=True), "gamma": tunelab.Float(1e-5, 1e-1, log=True)},
                      n_trials=n, cv=StratifiedKFold(3), sampler=sampler, random_state=seed,
                      resource="n_samples").fit(X, y)
    samples = 3 * sum(sum(t.intermediate_values) for t in search.study_.trials)
    return search, samples, 1.0  # the last rung is every training sample of the fold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--candidates", type=int, default=60)
    args = parser.parse_args()
    logging.getLogger("tunelab").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore")
    print(f"{date.today()}, {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{args.reps} repetitions, {args.candidates} candidates, 3-fold CV, factor {FACTOR}\n")
    for name, (X_all, y_all) in datasets().items():
        rows: dict[str, list[tuple[float, float, float]]] = {}
        for rep in range(args.reps):
            X, X_test, y, y_test = train_test_split(X_all, y_all, test_size=0.25, stratify=y_all, random_state=rep)
            runs = {
                "sklearn HalvingRandomSearchCV": lambda: run_sklearn_halving(X, y, args.candidates, rep),
                "tunelab SearchCV halving, random": lambda: run_tunelab(X, y, args.candidates, "random", rep),
                "tunelab SearchCV halving, auto": lambda: run_tunelab(X, y, args.candidates, "auto", rep),
                "sklearn RandomizedSearchCV (no halving)": lambda: run_sklearn_random(X, y, args.candidates, rep),
            }
            for method, run in runs.items():
                start = time.perf_counter()
                search, samples, last_share = run()
                seconds = time.perf_counter() - start
                rows.setdefault(method, []).append((search.score(X_test, y_test), samples, seconds, last_share))
        ref = np.mean(rows["sklearn HalvingRandomSearchCV"], axis=0)
        print(f"**{name}** ({len(y_all)} rows, {len(np.unique(y_all))} classes)\n")
        print("| method | test accuracy | best chosen on (share of the data) | samples fitted (millions) | seconds "
              "| samples / sklearn halving | seconds / sklearn halving |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for method, values in rows.items():
            v = np.array(values)
            acc_se = v[:, 0].std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0
            mean = v.mean(axis=0)
            print(f"| {method} | {mean[0]:.4f} ± {acc_se:.4f} | {mean[3]:.2f} | {mean[1] / 1e6:.3f} | {mean[2]:.1f} "
                  f"| {mean[1] / ref[1]:.2f} | {mean[2] / ref[2]:.2f} |")
        print()


if __name__ == "__main__":
    main()
