import numpy as np
import pytest
from sklearn.exceptions import FitFailedWarning
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.svm import SVC

import tunelab
from tunelab.integration.sklearn import SearchCV


def test_grid_matches_gridsearchcv_exactly():
    X, y = make_regression(n_samples=120, n_features=10, noise=5.0, random_state=0)
    grid = {"alpha": [0.01, 0.1, 1.0, 10.0, 100.0]}
    ours = SearchCV(Ridge(), grid, sampler="grid", cv=4).fit(X, y)
    ref = GridSearchCV(Ridge(), grid, cv=4).fit(X, y)
    assert ours.best_params_ == ref.best_params_
    assert ours.best_score_ == pytest.approx(ref.best_score_)
    order = np.argsort(ours.cv_results_["param_alpha"].astype(float))
    assert np.allclose(ours.cv_results_["mean_test_score"][order], ref.cv_results_["mean_test_score"])
    assert ours.cv_results_["rank_test_score"][ours.best_index_] == 1
    assert len(ours.study_.trials) == 5
    assert ours.score(X, y) == pytest.approx(ref.score(X, y))


def test_search_with_conditional_space_refits_and_predicts():
    X, y = load_iris(return_X_y=True)
    space = {
        "kernel": tunelab.Categorical(["linear", "rbf"]),
        "C": tunelab.Float(1e-2, 1e2, log=True),
        "gamma": tunelab.Float(1e-3, 1e1, log=True, when={"kernel": "rbf"}),
    }
    search = SearchCV(SVC(), space, n_trials=12, cv=3, random_state=0).fit(X, y)
    assert search.best_score_ > 0.9
    assert search.predict(X[:5]).shape == (5,)
    params = search.cv_results_["params"]
    assert all(("gamma" in p) == (p["kernel"] == "rbf") for p in params)
    assert search.cv_results_["param_gamma"].mask.tolist() == [("gamma" not in p) for p in params]
    assert search.best_estimator_.get_params()["C"] == search.best_params_["C"]


def test_classifier_splits_are_stratified_on_imbalanced_data():
    X, y = make_classification(n_samples=200, weights=[0.9, 0.1], random_state=0)
    search = SearchCV(LogisticRegression(max_iter=200), {"C": [0.1, 1.0]}, sampler="grid", cv=5,
                      scoring="balanced_accuracy").fit(X, y)
    from sklearn.metrics import balanced_accuracy_score

    # the split scores are exactly those of StratifiedKFold(5): stratified splits were used
    for i, C in enumerate(search.cv_results_["param_C"]):
        expected = [balanced_accuracy_score(y[te], LogisticRegression(C=C, max_iter=200).fit(X[tr], y[tr]).predict(X[te]))
                    for tr, te in StratifiedKFold(5).split(X, y)]
        got = [search.cv_results_[f"split{k}_test_score"][i] for k in range(5)]
        assert got == pytest.approx(expected)
    assert search.n_splits_ == 5 and 0.5 < search.best_score_ <= 1.0


def test_failing_configurations_get_error_score_and_a_clear_error_when_all_fail():
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    with pytest.warns(FitFailedWarning, match="1 of 2 configurations failed"):
        search = SearchCV(Ridge(), {"alpha": [1.0, -1.0]}, sampler="grid", cv=3).fit(X, y)
    states = [t.state for t in search.study_.trials]
    assert states == [tunelab.TrialState.COMPLETE, tunelab.TrialState.FAIL]
    assert np.isnan(search.cv_results_["mean_test_score"][1]) and search.cv_results_["rank_test_score"][1] == 2
    assert search.best_params_ == {"alpha": 1.0}
    with pytest.raises(ValueError, match="no configuration could be scored"):
        SearchCV(Ridge(), {"alpha": [-1.0, -2.0]}, sampler="grid", cv=3).fit(X, y)


def test_worker_processes_share_a_database_and_spawned_ones_work_too(tmp_path, monkeypatch):
    """n_jobs=2 with a database storage runs worker processes: forked on Linux, spawned elsewhere."""
    X, y = make_regression(n_samples=90, n_features=5, noise=3.0, random_state=1)
    space = {"alpha": tunelab.Float(1e-3, 1e3, log=True)}
    url = f"sqlite:///{tmp_path / 'cv.db'}"
    for method in ("fork", "spawn"):
        monkeypatch.setenv("TUNELAB_START_METHOD", method)
        search = SearchCV(Ridge(), space, n_trials=6, cv=3, n_jobs=2, storage=url, study_name=method,
                          random_state=0).fit(X, y)
        trials = search.study_.trials
        assert len(trials) == 6 and all(t.state == tunelab.TrialState.COMPLETE for t in trials)
        assert all(len(t.user_attrs["split_scores"]) == 3 for t in trials)
        best = max(trials, key=lambda t: t.value)
        assert search.best_params_ == best.params and search.best_score_ == pytest.approx(best.value)


def test_groups_go_to_the_splitter():
    from sklearn.model_selection import GroupKFold

    X, y = make_regression(n_samples=60, n_features=4, noise=1.0, random_state=0)
    groups = np.repeat(np.arange(6), 10)
    search = SearchCV(Ridge(), {"alpha": [1.0]}, sampler="grid", cv=GroupKFold(3)).fit(X, y, groups=groups)
    expected = [Ridge(alpha=1.0).fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in GroupKFold(3).split(X, y, groups)]
    assert [search.cv_results_[f"split{k}_test_score"][0] for k in range(3)] == pytest.approx(expected)


def test_fitted_search_exposes_the_best_estimators_classes_and_methods():
    X, y = load_iris(return_X_y=True)
    search = SearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, sampler="grid", cv=3)
    assert not hasattr(search, "classes_")  # unfitted: no best estimator yet
    search.fit(X, y)
    assert list(search.classes_) == [0, 1, 2] and search.n_features_in_ == 4
    assert np.allclose(search.predict_log_proba(X[:3]), np.log(search.predict_proba(X[:3])))


def test_dependency_floors_cover_the_apis_tunelab_uses():
    """pyproject.toml's floors are no lower than the releases that introduced what tunelab imports:
    scikit-learn 1.4 (sklearn.utils.validation._check_method_params), cmaes 0.12 (CatCMAwM)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    floors = {name: tuple(int(p) for p in version.split(".")) for name, version in
              re.findall(r'"([A-Za-z_-]+)>=([\d.]+)', text)}
    assert floors["scikit-learn"] >= (1, 4)
    assert floors["cmaes"] >= (0, 12)
    import cmaes
    from sklearn.utils.validation import _check_method_params  # noqa: F401

    assert hasattr(cmaes, "CatCMAwM")


def test_the_former_import_paths_still_work():
    from tunelab.integration.lightning import PruningCallback
    from tunelab.nn.lightning import PruningCallback as OldCallback
    from tunelab.sklearn import SearchCV as Old

    assert Old is SearchCV and OldCallback is PruningCallback
