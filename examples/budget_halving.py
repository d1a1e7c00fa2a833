"""Successive halving over training-set size, the way HalvingRandomSearchCV does it, with tunelab.

Each trial fits an SVM on the first ``trial.budget`` training samples, reports
its validation accuracy with ``step`` = the number of samples used, and asks
whether to go on.  ASHA hands out 40, 120, 360, 1080 and finally all samples;
only the top third at each size gets the next one.  Runs in a few seconds.
For a scikit-learn estimator with cross-validation the same is one line:
``tunelab.integration.sklearn.SearchCV(SVC(), space, resource="n_samples").fit(X, y)``
(docs/pruning.md, "Halving in SearchCV"); this file shows the mechanism,
which works for any model that can train on part of its data.

    python examples/budget_halving.py
"""

from __future__ import annotations

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

import tunelab
from tunelab.pruners.halving import SuccessiveHalvingPruner

X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X / 16.0, y, test_size=0.3, stratify=y, random_state=0)
N = len(X_train)  # 1257: the first n rows are a random subset, since train_test_split shuffled them


def objective(trial: tunelab.Trial) -> float:
    model = SVC(C=trial.suggest_float("C", 1e-3, 1e3, log=True),
                gamma=trial.suggest_float("gamma", 1e-4, 10.0, log=True))
    while True:
        n = int(trial.budget)  # the resource of the next rung: how many samples to train on now
        score = model.fit(X_train[:n], y_train[:n]).score(X_val, y_val)
        trial.report(score, step=n)
        if n >= N:
            return score
        if trial.should_prune():
            raise tunelab.TrialPruned()


def main() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=40, reduction_factor=3, max_resource=N)
    study = tunelab.create_study(direction="maximize", sampler="random", pruner=pruner, seed=0)
    study.optimize(objective, n_trials=60)

    used = sum(sum(t.intermediate_values) for t in study.trials)  # samples fitted, over every rung
    reached = {}
    for t in study.trials:
        reached[max(t.intermediate_values)] = reached.get(max(t.intermediate_values), 0) + 1
    print("trials stopping at each training-set size:", dict(sorted(reached.items())))
    print(f"samples fitted: {used} (vs {60 * N} for 60 full fits: {used / (60 * N):.0%})")
    print(f"best: {study.best_params}  validation accuracy {study.best_value:.4f}")
    states = study.trials_dataframe()["state"].value_counts().to_dict()
    print("states:", states)


if __name__ == "__main__":
    main()
