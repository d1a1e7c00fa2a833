"""SearchCV: a drop-in for scikit-learn's GridSearchCV / RandomizedSearchCV, with tunelab's search.

Each trial cross-validates one configuration and reports the score of every fold
(step = fold index), so a pruner (e.g. the CV pruner) can stop a configuration
that cannot catch up after a few folds.  With ``resource=`` it works like
HalvingRandomSearchCV instead (see tunelab.sklearn_resource): each report is the
mean fold score at a budget of training samples or of an estimator parameter.
Splits come from scikit-learn's ``check_cv``: stratified for classifiers, as in
GridSearchCV.
"""

from __future__ import annotations

import time
from typing import Any, Iterator, Mapping

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils.validation import _check_method_params

from tunelab.sklearn_resource import ResourcePlan, halving_pruner, plan, validate_arguments
from tunelab.space import SearchSpace
from tunelab.study import Study, create_study
from tunelab.trial import Trial, TrialPruned, TrialState


def _space_from(space: Any) -> SearchSpace:
    """A declarative space; a GridSearchCV-style dict of lists is read as categoricals."""
    if isinstance(space, Mapping):
        space = {k: (list(v) if isinstance(v, (tuple, np.ndarray)) else v) for k, v in space.items()}
    return SearchSpace.from_mapping(space)


class _CVObjective:
    """One trial of SearchCV: fit and score every fold, reporting each so a CV pruner can stop early;
    or, with a resource plan, cross-validate at growing budgets, reporting each mean so ASHA can stop early.

    A class, not a closure, so that spawned worker processes can receive it pickled."""

    def __init__(self, estimator: Any, space: Any, splits: list, scorer: Any, X: Any, y: Any,
                 fit_params: dict[str, Any], resource_plan: ResourcePlan | None = None):
        self.estimator, self.space, self.splits, self.scorer = estimator, space, splits, scorer
        self.X, self.y, self.fit_params, self.plan = X, y, fit_params, resource_plan

    def __call__(self, trial: Trial) -> float:
        params = trial.suggest(self.space)
        if self.plan is None:  # one report per fold, so a CV pruner can stop after any of them
            scores = []
            for fold, score in enumerate(self._fold_scores(trial, params, None)):
                scores.append(score)
                trial.report(score, fold)
                if fold < len(self.splits) - 1 and trial.should_prune():
                    raise TrialPruned()
            return float(np.mean(scores))
        n = None  # one report per budget: the mean over every fold
        while True:
            n = self.plan.budget_for(trial, n)
            value = float(np.mean(list(self._fold_scores(trial, params, n))))
            trial.report(value, n)
            if n >= self.plan.max_resources:
                return value
            if trial.should_prune():
                raise TrialPruned()

    def _fold_scores(self, trial: Trial, params: dict[str, Any], n: int | None) -> Iterator[float]:
        """Fit and score fold after fold (at budget ``n`` under a resource plan), yielding each score and
        recording the scores and fit times so far on the trial."""
        X, y = self.X, self.y
        scores: list[float] = []
        fit_times: list[float] = []
        for fold, (train, test) in enumerate(self.splits):
            model = clone(self.estimator).set_params(**params)
            if self.plan is not None and self.plan.resource == "n_samples":
                train = self.plan.train_rows(fold, train, n)
            elif self.plan is not None:
                model.set_params(**{self.plan.resource: n})
            start = time.perf_counter()
            # per-sample fit parameters (sample_weight...) follow the rows, as in scikit-learn's own searches
            model.fit(_take(X, train), None if y is None else _take(y, train),
                      **_check_method_params(X, self.fit_params, train))
            fit_times.append(time.perf_counter() - start)
            scores.append(float(self.scorer(model, _take(X, test), None if y is None else _take(y, test))))
            trial.set_user_attr("split_scores", scores)
            trial.set_user_attr("fit_times", fit_times)
            yield scores[-1]


class SearchCV(BaseEstimator):
    """Tune ``estimator``'s parameters over ``space`` by cross-validation.

    ``space`` maps parameter names to tunelab.Float/Int/Categorical (with ``when=``
    conditions) or to lists of values.  ``sampler="grid"`` searches exhaustively
    like GridSearchCV; the default ``"auto"`` searches adaptively for ``n_trials``.

    ``resource="n_samples"`` (or an estimator parameter such as ``"n_estimators"``)
    halves like HalvingRandomSearchCV, asynchronously: ASHA (or ``pruner="hyperband"``)
    over budgets from ``min_resources`` to ``max_resources`` with reduction ``factor``
    ("auto": the largest training fold for n_samples, and max / factor**3 rounded
    up, but at least 2 x the number of classes); every budget holds every class.
    Only configurations that reach ``max_resources`` can be best; an estimator
    parameter used as the resource is set to ``max_resources`` in ``best_params_``
    and in the refit, as in scikit-learn.
    """

    def __init__(self, estimator: Any, space: Any, *, n_trials: int = 50, timeout: float | None = None,
                 cv: Any = 5, scoring: Any = None, refit: bool = True, sampler: Any = "auto", pruner: Any = None,
                 n_jobs: int = 1, storage: Any = None, study_name: str | None = None,
                 random_state: int | None = None, error_score: float = np.nan, verbose: int = 0,
                 resource: str | None = None, min_resources: int | str = "auto", max_resources: int | str = "auto",
                 factor: int = 3):
        self.estimator = estimator
        self.space = space
        self.n_trials = n_trials
        self.timeout = timeout
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.sampler = sampler
        self.pruner = pruner
        self.n_jobs = n_jobs
        self.storage = storage
        self.study_name = study_name
        self.random_state = random_state
        self.error_score = error_score
        self.verbose = verbose
        self.resource = resource
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.factor = factor

    def _make_sampler(self, space: SearchSpace) -> Any:
        if isinstance(self.sampler, str) and self.sampler.lower() == "grid":
            from tunelab.samplers.grid import GridSampler

            return GridSampler(space)
        return self.sampler

    def fit(self, X: Any, y: Any = None, *, groups: Any = None, **fit_params: Any) -> "SearchCV":
        """Search, then refit the best configuration on all of X (if ``refit``).

        ``groups`` goes to the splitter (GroupKFold and the like), as in GridSearchCV;
        other keyword arguments go to the estimator's ``fit``, cut to each fold's rows.
        """
        space = _space_from(self.space)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, groups))
        scorer = check_scoring(self.estimator, scoring=self.scoring)
        validate_arguments(self.resource, self.min_resources, self.max_resources, self.factor)
        resource_plan, pruner = None, self.pruner
        if self.resource is not None:
            resource_plan = plan(self.estimator, set(space.params), splits, y, is_classifier(self.estimator),
                                 self.resource, self.min_resources, self.max_resources, self.factor,
                                 self.random_state)
            pruner = halving_pruner(self.pruner, resource_plan, self.factor)
        self.study_: Study = create_study(self.study_name, self.storage, direction="maximize",
                                          sampler=self._make_sampler(space), pruner=pruner,
                                          seed=self.random_state, load_if_exists=self.study_name is not None)

        objective = _CVObjective(self.estimator, space, splits, scorer, X, y, fit_params, resource_plan)
        n_trials = None if self.n_trials is None else int(self.n_trials)
        self.study_.optimize(objective, n_trials=n_trials, timeout=self.timeout, n_jobs=self.n_jobs,
                             show_progress_bar=bool(self.verbose), catch=(Exception,))  # failures -> error_score
        trials = self.study_.trials  # read once: with a database storage each read is a query
        if not any(t.state == TrialState.COMPLETE for t in trials):
            reasons = {t.system_attrs.get("fail_reason") for t in trials} - {None}
            raise ValueError(f"SearchCV: no configuration could be scored; reasons: {sorted(reasons)[:3]}")
        best = self.study_.best_trial
        self.best_params_ = dict(best.params)
        if resource_plan is not None and resource_plan.resource != "n_samples":
            self.best_params_[resource_plan.resource] = resource_plan.max_resources  # scored there; refit there too
        self.best_score_ = float(best.value)
        self.best_index_ = best.number
        self.n_splits_ = len(splits)
        self.cv_results_ = _cv_results(trials, self.n_splits_, self.error_score)
        if resource_plan is not None:  # as in HalvingRandomSearchCV: the budget each trial got to
            reached = np.array([t.last_step or 0 for t in trials])
            self.cv_results_["n_resources"] = reached
            partial = (reached < resource_plan.max_resources) & (self.cv_results_["state"] != "fail")
            for k in range(self.n_splits_):  # only scores on the full budget are comparable; the rest are NaN
                self.cv_results_[f"split{k}_test_score"][partial] = np.nan
            if resource_plan.resource != "n_samples":  # as in scikit-learn, each row's params hold its budget
                for row, n in zip(self.cv_results_["params"], reached):
                    if n:  # a trial that failed before its first report has no budget to show
                        row[resource_plan.resource] = int(n)
            self.max_resources_, self.min_resources_ = resource_plan.max_resources, resource_plan.min_resources
        self.scorer_ = scorer
        if self.refit:
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
            start = time.perf_counter()
            self.best_estimator_.fit(X, y, **fit_params)
            self.refit_time_ = time.perf_counter() - start
        return self

    # the fitted best estimator's methods, as in GridSearchCV
    def predict(self, X: Any) -> Any:
        return self._best().predict(X)

    def predict_proba(self, X: Any) -> Any:
        return self._best().predict_proba(X)

    def decision_function(self, X: Any) -> Any:
        return self._best().decision_function(X)

    def transform(self, X: Any) -> Any:
        return self._best().transform(X)

    def predict_log_proba(self, X: Any) -> Any:
        return self._best().predict_log_proba(X)

    def score_samples(self, X: Any) -> Any:
        return self._best().score_samples(X)

    def inverse_transform(self, X: Any) -> Any:
        return self._best().inverse_transform(X)

    @property
    def classes_(self) -> Any:
        return self._best().classes_

    @property
    def n_features_in_(self) -> int:
        return self._best().n_features_in_

    def score(self, X: Any, y: Any = None) -> float:
        return float(self.scorer_(self._best(), X, y))

    def _best(self) -> Any:
        if not hasattr(self, "best_estimator_"):
            raise AttributeError("SearchCV has no best_estimator_: call fit first, with refit=True")
        return self.best_estimator_


def _take(data: Any, index: np.ndarray) -> Any:
    return data.iloc[index] if hasattr(data, "iloc") else data[index]


def _cv_results(trials: list, n_splits: int, error_score: float) -> dict[str, Any]:
    """GridSearchCV's cv_results_ layout; pruned folds are NaN, failed trials get error_score."""
    names = sorted({k for t in trials for k in t.params})
    out: dict[str, Any] = {"params": [dict(t.params) for t in trials],
                           "state": np.array([t.state.name.lower() for t in trials])}
    for name in names:
        out[f"param_{name}"] = np.ma.masked_array([t.params.get(name) for t in trials],
                                                  mask=[name not in t.params for t in trials], dtype=object)
    splits = np.full((len(trials), n_splits), np.nan)
    fit_times = np.full((len(trials), n_splits), np.nan)
    for i, t in enumerate(trials):
        scores = t.user_attrs.get("split_scores", [])
        splits[i, : len(scores)] = scores
        times = t.user_attrs.get("fit_times", [])
        fit_times[i, : len(times)] = times
        if t.state == TrialState.FAIL:
            splits[i, :] = error_score
    for k in range(n_splits):
        out[f"split{k}_test_score"] = splits[:, k]
    complete = np.array([t.state == TrialState.COMPLETE for t in trials])
    mean = np.array([np.mean(row) if ok else np.nan for row, ok in zip(splits, complete)])
    std = np.array([np.std(row) if ok else np.nan for row, ok in zip(splits, complete)])
    out["mean_test_score"] = mean
    out["std_test_score"] = std
    order = np.argsort(-np.where(np.isnan(mean), -np.inf, mean), kind="stable")
    rank = np.empty(len(trials), dtype=int)
    rank[order] = np.arange(1, len(trials) + 1)
    out["rank_test_score"] = rank
    with np.errstate(all="ignore"):
        out["mean_fit_time"] = np.array([np.nanmean(r) if not np.all(np.isnan(r)) else np.nan for r in fit_times])
    return out
