"""Cross-validation pruning: a clearly worse configuration costs fewer fits than a good one."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pruning_helpers import context, make_trial

import tunelab
from tunelab.pruners.cv import CVPruner
from tunelab.trial import TrialState

BEST = make_trial(0, [0.95, 0.93, 0.96, 0.94, 0.95])  # complete: value 0.95 (its last report)


def test_prunes_a_consistently_worse_trial_after_min_folds():
    pruner = CVPruner(min_folds=2, alpha=0.05)
    assert pruner.prune(context([0.70], [BEST])) is False                    # one fold: not yet
    assert pruner.prune(context([0.70, 0.69], [BEST])) is True               # 2 folds, far below on both
    assert pruner.prune(context([0.70, 0.69], [BEST], direction="minimize")) is False
    assert CVPruner(min_folds=3).prune(context([0.70, 0.69], [BEST])) is False


def test_keeps_a_trial_that_may_still_catch_up():
    pruner = CVPruner(min_folds=2)
    assert pruner.prune(context([0.95, 0.93], [BEST])) is False              # the same scores
    assert pruner.prune(context([0.97, 0.90], [BEST])) is False              # better on one, worse on another
    assert pruner.prune(context([0.94, 0.92, 0.95], [BEST])) is True         # a constant 0.01 behind: p = 0
    assert CVPruner(margin=0.02).prune(context([0.94, 0.92, 0.95], [BEST])) is False


def test_p_value_matches_a_one_sided_paired_t_test():
    from scipy import stats

    mine = [0.90, 0.85, 0.93, 0.88]
    ctx = context(mine, [BEST])
    expected = stats.ttest_rel([0.95, 0.93, 0.96, 0.94], mine, alternative="greater").pvalue
    assert CVPruner().p_value(ctx) == pytest.approx(expected)


def test_needs_a_complete_trial_and_prunes_nan():
    pruner = CVPruner()
    running = make_trial(0, [0.99, 0.99, 0.99], TrialState.RUNNING)
    assert pruner.prune(context([0.1, 0.1, 0.1], [running])) is False
    assert pruner.prune(context([0.9, math.nan], [])) is True
    with pytest.raises(ValueError, match="CVPruner: argument 'alpha'"):
        CVPruner(alpha=1.5)
    with pytest.raises(ValueError, match="CVPruner: argument 'min_folds'"):
        CVPruner(min_folds=1)


def test_a_clearly_worse_configuration_costs_fewer_fits():
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(X, y))
    fits: dict[int, int] = {}

    def objective(trial):
        C = trial.suggest_float("C", 1e-6, 10.0, log=True)
        model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=500))
        scores = []
        for k, (train, test) in enumerate(folds):
            scores.append(model.fit(X[train], y[train]).score(X[test], y[test]))
            fits[trial.number] = k + 1
            trial.report(scores[-1], step=k)
            if trial.should_prune():
                raise tunelab.TrialPruned()
        return float(np.mean(scores))

    study = tunelab.create_study(direction="maximize", sampler="random", pruner=CVPruner(min_folds=2))
    for C in (1.0, 1e-6, 0.3):  # a good one, a clearly worse one (predicts the majority class), a good one
        study.enqueue_trial({"C": C})
    study.optimize(objective, n_trials=3)
    good, bad, good2 = study.trials
    assert good.state == TrialState.COMPLETE and good2.state == TrialState.COMPLETE
    assert bad.state == TrialState.PRUNED
    assert fits[1] == 2 < fits[0] == fits[2] == 5
    assert sorted(bad.intermediate_values) == [0, 1]
    assert max(bad.intermediate_values.values()) < 0.7 < min(good.intermediate_values.values())
