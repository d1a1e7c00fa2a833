"""SearchCV side by side with GridSearchCV: the same cv_results_ (keys, rows, values), the same estimator checks."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.datasets import load_iris, make_regression
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import check_estimator

from tunelab.integration.sklearn import SearchCV

TIME_KEYS = ("mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time")


def _pipeline() -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("reduce", PCA(random_state=0)),
                     ("clf", LogisticRegression(max_iter=1000))])


def _cases():
    X_reg, y_reg = make_regression(n_samples=80, n_features=6, noise=10.0, random_state=0)
    X_iris, y_iris = load_iris(return_X_y=True)
    svc, logistic = SVC(), LogisticRegression(max_iter=1000)
    return [
        ("ridge", Ridge(), {"alpha": [0.01, 0.1, 1.0, 10.0, 100.0], "fit_intercept": [True, False]}, X_reg, y_reg),
        ("svc", SVC(), {"kernel": ["linear", "rbf"], "C": [0.1, 1, 10.0], "gamma": ["scale", 0.05]}, X_iris, y_iris),
        ("pipeline-two-grids", _pipeline(),
         [{"reduce__n_components": [1, 2, 3], "clf__C": [0.1, 1.0]}, {"reduce": ["passthrough"], "clf__C": [1.0, 10]}],
         X_iris, y_iris),
        ("pipeline-estimators-as-values", _pipeline(),
         [{"clf": [svc], "clf__C": [1.0, 5.0]}, {"clf": [logistic], "clf__C": [0.5], "reduce": ["passthrough", PCA(2)]}],
         X_iris, y_iris),
    ]


@pytest.mark.parametrize("name, estimator, grid, X, y", _cases(), ids=[c[0] for c in _cases()])
def test_cv_results_match_gridsearchcv_key_by_key(name, estimator, grid, X, y):
    ref = GridSearchCV(estimator, grid, cv=3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the whole grid runs: no warning about a cut grid
        ours = SearchCV(estimator, grid, cv=3, sampler="grid").fit(X, y)
    assert list(ours.cv_results_) == list(ref.cv_results_)  # the same keys, in the same order
    n_rows = len(ref.cv_results_["params"])
    assert len(ours.study_.trials) == n_rows
    for key, expected in ref.cv_results_.items():
        got = ours.cv_results_[key]
        assert len(got) == n_rows, key
        if key in TIME_KEYS:
            assert np.all(np.isfinite(got)) and np.all(got >= 0), key
            if key.startswith("mean"):
                assert np.all(got > 0), key
        elif key == "params":
            assert got == expected
        elif key.startswith("param_"):
            assert got.dtype == expected.dtype, key
            assert list(got.mask) == list(expected.mask), key
            assert [g for g, m in zip(got.data, got.mask) if not m] == [e for e, m in zip(expected.data, expected.mask)
                                                                          if not m], key
        elif key == "rank_test_score":
            assert got.dtype == expected.dtype and list(got) == list(expected)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-10, err_msg=key)
    assert ours.best_index_ == ref.best_index_
    assert ours.best_params_ == ref.best_params_
    assert ours.best_score_ == pytest.approx(ref.best_score_)
    assert ours.n_splits_ == ref.n_splits_ and ours.multimetric_ is False
    np.testing.assert_allclose(ours.predict(X), ref.predict(X))


def test_grid_mode_runs_the_whole_grid_by_default_and_warns_when_n_trials_cuts_it():
    X, y = make_regression(n_samples=60, n_features=8, noise=20.0, random_state=3)
    grid = {"alpha": np.logspace(-3, 3, 100)}
    ref = GridSearchCV(Ridge(), grid, cv=5).fit(X, y)
    full = SearchCV(Ridge(), grid, sampler="grid", cv=5).fit(X, y)
    assert len(full.cv_results_["params"]) == 100
    assert full.best_params_ == ref.best_params_ and full.best_score_ == pytest.approx(ref.best_score_)
    with pytest.warns(UserWarning, match="n_trials=10 runs only 10 of the grid's 100 points"):
        cut = SearchCV(Ridge(), grid, sampler="grid", cv=5, n_trials=10).fit(X, y)
    assert len(cut.cv_results_["params"]) == 10  # finished trials only: no rows for the points left waiting
    assert all(p for p in cut.cv_results_["params"])
    assert not np.any(np.isnan(cut.cv_results_["mean_test_score"]))


def test_adaptive_search_runs_fifty_trials_without_n_trials():
    X, y = make_regression(n_samples=40, n_features=3, random_state=0)
    import tunelab

    search = SearchCV(Ridge(), {"alpha": tunelab.Float(1e-3, 1e3, log=True)}, cv=2, sampler="random",
                      random_state=0).fit(X, y)
    assert len(search.cv_results_["params"]) == 50


def test_methods_exist_only_where_the_estimator_has_them():
    X, y = load_iris(return_X_y=True)
    ridge = SearchCV(Ridge(), {"alpha": [1.0]}, sampler="grid", cv=3)
    svc = SearchCV(SVC(), {"C": [1.0]}, sampler="grid", cv=3)
    logistic = SearchCV(LogisticRegression(max_iter=500), {"C": [1.0]}, sampler="grid", cv=3)
    pca = SearchCV(PCA(), {"n_components": [2]}, sampler="grid", cv=3)
    for search in (ridge, svc, logistic, pca):  # before fit (from the estimator) and after (from the best one)
        for fitted in (False, True):
            if fitted:
                search.fit(X, y)
            for method in ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform",
                           "fit_transform", "inverse_transform", "score_samples"):
                has = hasattr(search.estimator, "transform" if method == "fit_transform" else method)
                assert hasattr(search, method) is has, (type(search.estimator).__name__, method, fitted)
    assert not hasattr(ridge, "predict_proba") and not hasattr(svc, "predict_proba")
    assert hasattr(logistic, "predict_proba") and hasattr(pca, "transform") and not hasattr(pca, "predict")
    no_refit = SearchCV(Ridge(), {"alpha": [1.0]}, sampler="grid", cv=3, refit=False).fit(X, y)
    assert not hasattr(no_refit, "predict")
    with pytest.raises(AttributeError) as info:
        no_refit.predict(X)
    assert "refit=False" in str(info.value.__cause__)


def _check_results(estimator) -> list[tuple[str, str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)  # failed trials inside the checks are expected
        try:
            return sorted((r["check_name"], r["status"]) for r in check_estimator(estimator, on_fail=None))
        finally:
            logging.disable(logging.NOTSET)


@pytest.mark.slow
@pytest.mark.parametrize("estimator, grid", [(Ridge(), {"alpha": [0.1, 1.0]}),
                                             (DecisionTreeClassifier(random_state=0), {"max_depth": [2, None]})],
                         ids=["regressor", "classifier"])
def test_estimator_checks_pass_wherever_gridsearchcv_passes(estimator, grid):
    ref = _check_results(GridSearchCV(estimator, grid, cv=2))
    ours = _check_results(SearchCV(estimator, grid, cv=2, sampler="grid"))
    assert ours == ref
    assert sum(status == "passed" for _, status in ours) >= 40


@pytest.mark.slow
def test_estimator_checks_run_on_a_transformer():
    """GridSearchCV(PCA()) cannot start the checks (no transformer_tags); SearchCV sets them from the estimator.

    The one failing check feeds sparse data, which PCA fits but PCA.score refuses; every fold's score fails
    and SearchCV reports that no configuration could be scored."""
    with pytest.raises(RuntimeError, match="transformer_tags"):
        _check_results(GridSearchCV(PCA(), {"n_components": [1, 2]}, cv=2))
    results = _check_results(SearchCV(PCA(), {"n_components": [1, 2]}, cv=2, sampler="grid"))
    failed = {name for name, status in results if status == "failed"}
    assert failed == {"check_estimator_sparse_tag"}
    assert {"check_transformer_general", "check_transformers_unfitted"} <= {n for n, s in results if s == "passed"}


class _NoisyFailure(RegressorMixin, BaseEstimator):
    """Fails to fit when ``bad``, with a multi-line message holding an array, as numpy errors often do."""

    def __init__(self, bad: bool = False):
        self.bad = bad

    def fit(self, X, y):
        if self.bad:
            raise ValueError(f"cannot fit this\n{np.arange(400).reshape(20, 20)}\nmore text")
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


def test_a_failed_fit_logs_one_line(caplog):
    X, y = make_regression(n_samples=30, n_features=2, random_state=0)
    with caplog.at_level(logging.WARNING, logger="tunelab"), pytest.warns(Warning, match="1 of 2 configurations"):
        search = SearchCV(_NoisyFailure(), {"bad": [False, True]}, sampler="grid", cv=3).fit(X, y)
    failures = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert failures and all("\n" not in m for m in failures)
    assert "ValueError: cannot fit this" in failures[0] and "399" not in failures[0]
    assert search.best_params_ == {"bad": False}


def test_error_score_raise_lets_the_error_out():
    X, y = make_regression(n_samples=30, n_features=2, random_state=0)
    with pytest.raises(ValueError, match="cannot fit this"):
        SearchCV(_NoisyFailure(), {"bad": [False, True]}, sampler="grid", cv=3, error_score="raise").fit(X, y)


def test_a_list_of_grids_needs_the_grid_sampler():
    X, y = make_regression(n_samples=30, n_features=2, random_state=0)
    with pytest.raises(ValueError, match="a list of grids needs sampler='grid'"):
        SearchCV(Ridge(), [{"alpha": [1.0]}, {"fit_intercept": [False]}], sampler="random", cv=3).fit(X, y)
