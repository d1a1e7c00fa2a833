"""Optuna usages from Optuna's example scripts that the tutorial does not cover, each in a few lines."""

from __future__ import annotations

import importlib
import warnings
from typing import Any

import pytest

import tunelab as optuna  # the point: the code below is written against Optuna's API
from tunelab import distributions
from tunelab.exceptions import UnhonouredArgumentWarning
from tunelab.trial import TrialState

# Optuna module -> the names its examples import from it (optuna.terminator.* as terminator_simple.py does)
TERMINATOR_PATHS = {
    "terminator.callback": ["Terminator", "TerminatorCallback"],
    "terminator.erroreval": ["BaseErrorEvaluator", "CrossValidationErrorEvaluator", "StaticErrorEvaluator",
                             "report_cross_validation_scores"],
    "terminator.median_erroreval": ["BaseErrorEvaluator", "MedianErrorEvaluator"],
    "terminator.terminator": ["BaseErrorEvaluator", "BaseImprovementEvaluator", "BaseTerminator",
                              "BestValueStagnationEvaluator", "CrossValidationErrorEvaluator",
                              "RegretBoundEvaluator", "StaticErrorEvaluator", "Terminator"],
    "terminator.improvement.evaluator": ["BaseImprovementEvaluator", "BestValueStagnationEvaluator",
                                         "RegretBoundEvaluator"],
    "terminator.improvement.emmr": ["BaseImprovementEvaluator", "EMMREvaluator"],
}


@pytest.mark.parametrize("path", sorted(TERMINATOR_PATHS))
def test_terminator_submodules_give_the_package_objects(path: str) -> None:
    module = importlib.import_module(f"tunelab.{path}")
    for name in TERMINATOR_PATHS[path]:
        assert getattr(module, name) is getattr(optuna.terminator, name), (path, name)


@pytest.mark.parametrize("path", sorted(TERMINATOR_PATHS))
def test_terminator_submodules_cover_optunas(path: str) -> None:
    real = pytest.importorskip("optuna")  # in the dev extra, so CI runs this
    theirs = importlib.import_module(f"{real.__name__}.{path}")
    public = {n for n in dir(theirs) if not n.startswith("_")
              and getattr(getattr(theirs, n), "__module__", "").startswith("optuna.terminator")}
    assert public <= set(TERMINATOR_PATHS[path]) <= set(dir(importlib.import_module(f"tunelab.{path}")))


def test_terminator_callback_from_the_submodule_stops_a_study() -> None:
    from tunelab.terminator.callback import TerminatorCallback
    from tunelab.terminator.erroreval import StaticErrorEvaluator, report_cross_validation_scores
    from tunelab.terminator.improvement.evaluator import BestValueStagnationEvaluator

    def objective(trial: Any) -> float:
        trial.suggest_float("x", 0, 1)
        report_cross_validation_scores(trial, [0.5, 0.5, 0.5])
        return 0.5  # never improves: stagnation past 2 trials stops the study

    terminator = optuna.terminator.Terminator(BestValueStagnationEvaluator(max_stagnation_trials=2),
                                              StaticErrorEvaluator(0.0), min_n_trials=1)
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=30, callbacks=[TerminatorCallback(terminator)])
    assert 2 <= len(study.trials) < 30


def test_pre_3_names_match_the_distributions_a_study_hands_a_sampler() -> None:
    """A user sampler written before Optuna 3.0 checks ``isinstance(d, UniformDistribution)``."""
    seen: list[str] = []

    class MidpointSampler(optuna.samplers.BaseSampler):
        def infer_relative_search_space(self, study: Any, trial: Any) -> dict:
            return optuna.search_space.intersection_search_space(study.get_trials(deepcopy=False))

        def sample_relative(self, study: Any, trial: Any, search_space: dict) -> dict:
            params = {}
            for name, d in search_space.items():
                if isinstance(d, distributions.UniformDistribution):
                    seen.append(name)
                    params[name] = (d.low + d.high) / 2
                elif isinstance(d, (distributions.LogUniformDistribution, distributions.IntUniformDistribution)):
                    seen.append(name)
                else:
                    raise NotImplementedError(f"unsupported {d}")
            return params

        def sample_independent(self, study: Any, trial: Any, name: str, d: Any) -> Any:
            return optuna.samplers.RandomSampler(seed=0).sample_independent(study, trial, name, d)

    def objective(trial: Any) -> float:
        return trial.suggest_float("x", -4, 2) + trial.suggest_float("lr", 1e-3, 1, log=True) \
            + trial.suggest_int("n", 1, 5)

    study = optuna.create_study(sampler=MidpointSampler())
    study.optimize(objective, n_trials=3)
    assert [t.params["x"] for t in study.trials[1:]] == [-1.0, -1.0]
    assert sorted(set(seen)) == ["lr", "n", "x"]


@pytest.mark.parametrize("old, new, matches", [
    ("UniformDistribution", distributions.FloatDistribution(0, 1), True),
    ("UniformDistribution", distributions.FloatDistribution(0.1, 1, log=True), False),
    ("UniformDistribution", distributions.FloatDistribution(0, 1, step=0.5), False),
    ("LogUniformDistribution", distributions.FloatDistribution(0.1, 1, log=True), True),
    ("DiscreteUniformDistribution", distributions.FloatDistribution(0, 1, step=0.5), True),
    ("DiscreteUniformDistribution", distributions.IntDistribution(0, 1), False),
    ("IntUniformDistribution", distributions.IntDistribution(0, 4, step=2), True),
    ("IntUniformDistribution", distributions.IntDistribution(1, 8, log=True), False),
    ("IntLogUniformDistribution", distributions.IntDistribution(1, 8, log=True), True),
    ("IntLogUniformDistribution", distributions.CategoricalDistribution([1, 8]), False),
])
def test_pre_3_names_match_by_shape(old: str, new: Any, matches: bool) -> None:
    assert isinstance(new, getattr(distributions, old)) is matches


def test_pre_3_names_still_build_the_new_distribution_with_a_warning() -> None:
    with pytest.warns(FutureWarning, match="UniformDistribution"):
        d = distributions.UniformDistribution(0, 2)
    assert d == distributions.FloatDistribution(0, 2)
    with pytest.warns(FutureWarning):
        assert distributions.IntUniformDistribution(0, 9, step=2) == distributions.IntDistribution(0, 8, step=2)


def test_unhonoured_source_trials_warning_stays_short() -> None:
    """warm_starting_cma.py passes a whole study's trials; the warning names their count, not their reprs."""
    study = optuna.create_study()
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=50)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optuna.samplers.CmaEsSampler(source_trials=study.trials)
    (warning,) = [w for w in caught if issubclass(w.category, UnhonouredArgumentWarning)]
    text = str(warning.message)
    assert "source_trials=<list of 50 FrozenTrial>" in text and len(text) < 250, text
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_optuna_search_cv_as_sklearn_optuna_search_cv_simple_uses_it() -> None:
    from sklearn.base import clone
    from sklearn.datasets import load_iris
    from sklearn.svm import SVC

    X, y = load_iris(return_X_y=True)
    search = optuna.integration.OptunaSearchCV(
        SVC(gamma="auto"), {"C": distributions.FloatDistribution(1e-3, 1e3, log=True),
                            "degree": distributions.IntDistribution(1, 5)}, n_trials=6, random_state=0)
    assert clone(search).get_params()["n_jobs"] is None and clone(search).get_params()["n_trials"] == 6
    search.fit(X, y)
    assert search.n_trials_ == 6 and len(search.trials_) == 6
    assert search.best_trial_.value == pytest.approx(search.best_score_)
    assert search.best_params_ == search.best_trial_.params and 0.9 < search.best_score_ <= 1.0
    assert search.get_params()["n_jobs"] is None  # fit leaves the user's arguments as given
    assert search.predict(X[:3]).shape == (3,)


def test_optuna_search_cv_searches_a_given_study_and_calls_callbacks() -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    seen: list[int] = []
    study = optuna.create_study(direction="maximize", study_name="mine")
    search = optuna.integration.OptunaSearchCV(
        LogisticRegression(max_iter=200), {"C": distributions.FloatDistribution(1e-2, 10, log=True)},
        n_trials=3, cv=3, study=study, callbacks=[lambda s, t: seen.append(t.number)])
    search.fit(X, y)
    assert search.study_ is study and len(study.trials) == 3 and seen == [0, 1, 2]
    with pytest.raises(ValueError, match="'study' must maximise"):
        optuna.integration.OptunaSearchCV(LogisticRegression(), {"C": distributions.FloatDistribution(1, 2)},
                                          n_trials=1, study=optuna.create_study()).fit(X, y)


def test_optuna_search_cv_warns_for_optunas_partial_fit_pruning() -> None:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import SGDClassifier

    X, y = load_iris(return_X_y=True)
    search = optuna.integration.OptunaSearchCV(
        SGDClassifier(), {"alpha": distributions.FloatDistribution(1e-5, 1e-1, log=True)}, n_trials=2,
        enable_pruning=True)
    with pytest.warns(UnhonouredArgumentWarning, match="enable_pruning=True"):
        search.fit(X, y)
    assert search.n_trials_ == 2
