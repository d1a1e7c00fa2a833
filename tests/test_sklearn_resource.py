"""SearchCV's halving mode (resource=...): budgets on the rungs, nested balanced subsets, errors."""

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.svm import SVC

import tunelab
from tunelab.sklearn import SearchCV
from tunelab.sklearn_resource import plan
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
    spent = sum(sum(t.intermediate_values) for t in trials)
    assert spent < 0.5 * len(trials) * largest  # halving fits well under half of what 30 full searches would
    # the best configuration's score is plain 3-fold cross-validation on every training sample
    expected = cross_val_score(SVC(**search.best_params_), X, y, cv=StratifiedKFold(3)).mean()
    assert search.best_score_ == pytest.approx(expected)
    assert search.best_score_ > 0.95


def test_subsets_are_nested_and_keep_the_class_shares():
    y = np.array([0] * 700 + [1] * 200 + [2] * 100)
    splits = [(np.arange(1000), np.arange(0))]
    resource_plan = plan(SVC(), splits, y, True, "n_samples", "auto", "auto", 3, seed=0)
    assert (resource_plan.min_resources, resource_plan.max_resources) == (38, 1000)  # max(2 * 3, ceil(1000 / 27))
    previous: set = set()
    for n in (38, 114, 342, 999):
        rows = resource_plan.train_rows(0, splits[0][0], n)
        assert len(rows) == len(set(rows)) == n and previous <= set(rows)  # nested: a bigger budget adds rows
        counts = np.bincount(y[rows], minlength=3)
        assert np.all(np.abs(counts - n * np.array([0.7, 0.2, 0.1])) <= 1), counts
        previous = set(rows)
    assert len(resource_plan.train_rows(0, splits[0][0], 5000)) == 1000


def test_an_estimator_parameter_as_the_resource(digits):
    X, y = load_iris(return_X_y=True)
    search = SearchCV(RandomForestClassifier(random_state=0), {"max_depth": tunelab.Int(1, 6)}, n_trials=10, cv=3,
                      sampler="random", random_state=1, resource="n_estimators", max_resources=27).fit(X, y)
    assert search.min_resources_ == 1
    for t in search.study_.trials:
        assert set(t.intermediate_values) <= {1, 3, 9, 27}
    assert search.best_estimator_.n_estimators == 100  # refit uses the estimator's own setting, as sklearn does
    expected = cross_val_score(RandomForestClassifier(random_state=0, n_estimators=27, **search.best_params_),
                               X, y, cv=StratifiedKFold(3)).mean()
    assert search.best_score_ == pytest.approx(expected)


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
    ({"resource": "C"}, "argument 'max_resources' must be an int >= 1 when resource is the estimator parameter 'C'"),
    ({"resource": "n_samples", "min_resources": 500, "max_resources": 100},
     "'min_resources' \\(500\\) must be <= 'max_resources' \\(100\\)"),
    ({"resource": "n_samples", "factor": 1}, "argument 'factor' must be an int in \\[2, inf\\]"),
    ({"resource": "n_samples", "pruner": "median"}, "argument 'pruner' must be None, 'asha', 'hyperband'"),
])
def test_bad_halving_arguments_are_named(kwargs, message):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=message):
        SearchCV(SVC(), SVC_SPACE, n_trials=2, cv=3, **kwargs).fit(X, y)
