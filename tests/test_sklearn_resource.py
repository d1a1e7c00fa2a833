"""SearchCV's halving mode (resource=...): budgets on the rungs, nested balanced subsets, errors."""

import numpy as np
import pytest
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.exceptions import FitFailedWarning
from sklearn.datasets import load_digits, load_iris, make_classification, make_multilabel_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC

import tunelab
from tunelab.pruners.halving import SuccessiveHalvingPruner
from tunelab.pruners.percentile import MedianPruner
from tunelab.integration.sklearn import SearchCV
from tunelab.integration._sklearn_resource import plan
from tunelab.trial import TrialState

SVC_SPACE = {"C": tunelab.Float(1e-2, 1e3, log=True), "gamma": tunelab.Float(1e-5, 1e-1, log=True)}


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


def test_n_samples_halving_spends_less_and_the_best_is_scored_on_all_samples(digits):
    X, y = digits
    search = SearchCV(SVC(), SVC_SPACE, n_trials=30, cv=3, sampler="random", random_state=0,
                      resource="n_samples").fit(X, y)
    largest = max(len(tr) for tr, _ in StratifiedKFold(3).split(X, y))
    assert search.max_resources_ == largest
    assert search.min_resources_ == max(2 * 10, -(-largest // 27))
    rungs = {search.min_resources_ * 3 ** k for k in range(3)} | {largest}
    trials = search.study_.trials
    for t in trials:
        assert set(t.intermediate_values) <= rungs, t.intermediate_values
        assert (t.last_step == largest) == (t.state == TrialState.COMPLETE)
    states = [t.state for t in trials]
    assert states.count(TrialState.PRUNED) >= 10 and states.count(TrialState.COMPLETE) >= 3
    assert list(search.cv_results_["n_resources"]) == [t.last_step for t in trials]
    partial = search.cv_results_["n_resources"] < largest  # scored only on a smaller budget: no comparable split
    assert np.all(np.isnan(search.cv_results_["split0_test_score"][partial]))
    assert not np.any(np.isnan(search.cv_results_["split0_test_score"][~partial]))
    spent = sum(sum(t.intermediate_values) for t in trials)
    assert spent < 0.5 * len(trials) * largest  # halving fits well under half of what 30 full searches would
    # the best configuration's score is plain 3-fold cross-validation on every training sample
    expected = cross_val_score(SVC(**search.best_params_), X, y, cv=StratifiedKFold(3)).mean()
    assert search.best_score_ == pytest.approx(expected)
    assert search.best_score_ > 0.95


def test_subsets_are_nested_and_keep_the_class_shares():
    y = np.array([0] * 700 + [1] * 200 + [2] * 100)
    splits = [(np.arange(1000), np.arange(0))]
    resource_plan = plan(SVC(), set(), splits, y, True, "n_samples", "auto", "auto", 3, seed=0)
    assert (resource_plan.min_resources, resource_plan.max_resources) == (38, 1000)  # max(2 * 3, ceil(1000 / 27))
    previous: set = set()
    for n in (38, 114, 342, 999):
        rows = resource_plan.train_rows(0, splits[0][0], n)
        assert len(rows) == len(set(rows)) == n and previous <= set(rows)  # nested: a bigger budget adds rows
        counts = np.bincount(y[rows], minlength=3)
        assert np.all(np.abs(counts - n * np.array([0.7, 0.2, 0.1])) <= 1), counts
        previous = set(rows)
    assert len(resource_plan.train_rows(0, splits[0][0], 5000)) == 1000


def test_a_rare_class_is_in_every_budget():
    X, y = make_classification(n_samples=200, weights=[0.95], random_state=0)  # 5 % of one class
    for seed in range(20):
        resource_plan = plan(SVC(), set(), [(np.arange(200), np.arange(0))], y, True, "n_samples", "auto", "auto",
                             3, seed=seed)
        assert resource_plan.min_resources == max(2 * 2, -(-200 // 27))
        assert set(y[resource_plan.train_rows(0, np.arange(200), 2)]) == {0, 1}  # as soon as there is room
    search = SearchCV(LogisticRegression(), {"C": tunelab.Float(1e-2, 1e2, log=True)}, n_trials=6, cv=5,
                      random_state=0, resource="n_samples").fit(X, y)
    assert all(t.state != TrialState.FAIL for t in search.study_.trials)


def test_an_estimator_parameter_as_the_resource(digits):
    X, y = load_iris(return_X_y=True)
    search = SearchCV(RandomForestClassifier(random_state=0), {"max_depth": tunelab.Int(1, 6)}, n_trials=10, cv=3,
                      sampler="random", random_state=1, resource="n_estimators", max_resources=27).fit(X, y)
    assert search.min_resources_ == 1
    for t in search.study_.trials:
        assert set(t.intermediate_values) <= {1, 3, 9, 27}
    # as in scikit-learn, the resource joins the best parameters at its maximum, and the refit uses it
    assert search.best_params_["n_estimators"] == 27 and search.best_estimator_.n_estimators == 27
    assert search.cv_results_["params"][search.best_index_] == search.best_params_
    assert [p["n_estimators"] for p in search.cv_results_["params"]] == list(search.cv_results_["n_resources"])
    expected = cross_val_score(RandomForestClassifier(random_state=0, **search.best_params_),
                               X, y, cv=StratifiedKFold(3)).mean()
    assert search.best_score_ == pytest.approx(expected)


def test_a_pruner_object_hands_out_budgets_clipped_to_the_range():
    X, y = load_iris(return_X_y=True)
    search = SearchCV(SVC(), SVC_SPACE, n_trials=12, cv=3, sampler="random", random_state=0, resource="n_samples",
                      min_resources=10, pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=4)).fit(X, y)
    steps = set().union(*(t.intermediate_values for t in search.study_.trials))
    assert steps <= {10, 16, 64, 100} and 10 in steps  # rungs 1, 4 lifted to 10; 16, 64; then the end


def test_regression_pandas_unsupervised_multilabel_and_sample_weight():
    X, y = make_regression(n_samples=300, n_features=5, noise=1.0, random_state=0)
    frame, target = pd.DataFrame(X), pd.Series(y)
    ridge = SearchCV(Ridge(), {"alpha": tunelab.Float(1e-3, 1e3, log=True)}, n_trials=8, cv=3, random_state=0,
                     resource="n_samples").fit(frame, target)
    assert ridge.max_resources_ == 200 and ridge.min_resources_ == 8 and ridge.best_score_ > 0.99
    blobs = SearchCV(KMeans(n_init=1, random_state=0), {"n_clusters": tunelab.Int(2, 6)}, n_trials=5, cv=3,
                     random_state=0, resource="n_samples").fit(X)
    assert blobs.best_score_ < 0  # KMeans scores by minus its inertia; y=None works
    Xm, ym = make_multilabel_classification(n_samples=150, n_classes=3, random_state=0)
    multi = SearchCV(KNeighborsClassifier(), {"n_neighbors": tunelab.Int(1, 9)}, n_trials=5, cv=3, random_state=0,
                     resource="n_samples").fit(Xm, ym)
    assert 0 < multi.best_score_ <= 1
    # per-sample fit parameters follow the rows of each fold (and of each budget)
    Xc, yc = load_iris(return_X_y=True)
    weights = np.where(yc == 2, 5.0, 1.0)
    weighted = SearchCV(LogisticRegression(max_iter=500), {"C": [0.05]}, sampler="grid", cv=3).fit(
        Xc, yc, sample_weight=weights)
    expected = np.mean([LogisticRegression(max_iter=500, C=0.05).fit(Xc[tr], yc[tr], sample_weight=weights[tr])
                        .score(Xc[te], yc[te]) for tr, te in StratifiedKFold(3).split(Xc, yc)])
    assert weighted.best_score_ == pytest.approx(expected)
    SearchCV(LogisticRegression(max_iter=500), {"C": [0.05, 1.0]}, sampler="grid", cv=3, resource="n_samples").fit(
        Xc, yc, sample_weight=weights)


def test_sparse_input_and_failed_trials_keep_their_error_score():
    from scipy import sparse

    X, y = load_iris(return_X_y=True)
    for resource in (None, "n_samples"):
        search = SearchCV(LogisticRegression(max_iter=500), {"C": [1.0]}, sampler="grid", cv=3,
                          resource=resource).fit(sparse.csr_matrix(X), y, sample_weight=np.ones(len(y)))
        assert search.best_score_ > 0.9
        failing = SearchCV(LogisticRegression(max_iter=500), {"C": [1.0, -1.0]}, sampler="grid", cv=3,
                           resource=resource, error_score=0.0)
        with pytest.warns(FitFailedWarning, match="1 of 2 configurations failed"):
            failing.fit(X, y)
        failed = [t.state for t in failing.study_.trials].index(TrialState.FAIL)
        assert failing.cv_results_["params"][failed] == {"C": -1.0}
        assert failing.cv_results_["split0_test_score"][failed] == 0.0
        assert failing.cv_results_["mean_test_score"][failed] == 0.0  # as in GridSearchCV with error_score=0



def test_hyperband_brackets_start_trials_at_later_rungs(digits):
    X, y = digits
    search = SearchCV(SVC(), SVC_SPACE, n_trials=40, cv=3, sampler="random", random_state=0,
                      resource="n_samples", pruner="hyperband").fit(X, y)
    first_steps = {min(t.intermediate_values) for t in search.study_.trials}
    assert len(first_steps) >= 2 and search.min_resources_ in first_steps
    assert all(t.last_step == search.max_resources_ for t in search.study_.get_trials([TrialState.COMPLETE]))


@pytest.mark.parametrize("kwargs, message", [
    ({"resource": "nope"}, "argument 'resource' must be 'n_samples' or a parameter of SVC; got 'nope'"),
    ({"resource": ""}, "argument 'resource' must be"),
    ({"resource": "max_iter"}, "argument 'max_resources' must be an int >= 1 when resource is the estimator "
                               "parameter 'max_iter'"),
    ({"resource": "n_samples", "min_resources": 500, "max_resources": 100},
     "'min_resources' \\(500\\) must be <= 'max_resources' \\(100\\)"),
    ({"resource": "n_samples", "factor": 1}, "argument 'factor' must be an int in \\[2, inf\\]"),
    ({"resource": "n_samples", "pruner": "median"}, "argument 'pruner' must be None, 'asha', 'hyperband'"),
    ({"resource": "n_samples", "pruner": MedianPruner()}, "argument 'pruner' must hand out budgets"),
    ({"resource": "C", "max_resources": 10}, "argument 'resource' \\('C'\\) is also a parameter of the search space"),
    ({"resource": "n_samples", "max_resources": 5}, "'max_resources' \\(5\\) must be >= the smallest automatic budget, "
                                                    "2 x the number of classes \\(6\\)"),
    ({"resource": "n_samples", "max_resources": 5000}, "'max_resources' \\(5000\\) must be <= the largest training "
                                                       "fold \\(100 samples\\)"),
    ({"min_resources": -4}, "argument 'min_resources' must be an int in \\[1, inf\\] or one of 'auto'; got -4"),
])
def test_bad_halving_arguments_are_named(kwargs, message):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=message):
        SearchCV(SVC(), SVC_SPACE, n_trials=2, cv=3, **kwargs).fit(X, y)


def test_halving_with_spawned_worker_processes(tmp_path, monkeypatch, digits):
    """The resource plan travels to spawned workers; every trial's budgets are the rungs."""
    X, y = digits
    monkeypatch.setenv("TUNELAB_START_METHOD", "spawn")
    search = SearchCV(SVC(), SVC_SPACE, n_trials=10, cv=3, n_jobs=2, storage=f"sqlite:///{tmp_path / 'h.db'}",
                      study_name="halving", sampler="random", random_state=0, resource="n_samples").fit(X, y)
    trials = search.study_.trials
    rungs = {search.min_resources_ * 3 ** k for k in range(3)} | {search.max_resources_}
    assert len(trials) == 10 and all(set(t.intermediate_values) <= rungs for t in trials)
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    assert search.best_score_ == pytest.approx(
        cross_val_score(SVC(**search.best_params_), X, y, cv=StratifiedKFold(3)).mean())
