"""SearchCV: a drop-in for scikit-learn's GridSearchCV / RandomizedSearchCV, with tunelab's search.

Each trial cross-validates one configuration and reports the score of every fold
(step = fold index), so a pruner (e.g. the CV pruner) can stop a configuration
that cannot catch up after a few folds.  With ``resource=`` it works like
HalvingRandomSearchCV instead (see tunelab.integration._sklearn_resource): each report is the
mean fold score at a budget of training samples or of an estimator parameter.
Splits come from scikit-learn's ``check_cv``: stratified for classifiers, as in
GridSearchCV.  ``cv_results_`` has GridSearchCV's keys, one row per finished trial.
"""

from __future__ import annotations

import json
import time
import warnings
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_method_params, check_is_fitted, indexable

from tunelab.integration._sklearn_resource import ResourcePlan, halving_pruner, plan, validate_arguments
from tunelab.pruners import make_pruner
from tunelab.samplers import make_sampler
from tunelab.space import Categorical, SearchSpace
from tunelab.study import Study, create_study
from tunelab.trial import Trial, TrialPruned, TrialState

DEFAULT_N_TRIALS = 50  # adaptive search without n_trials or timeout; a grid runs all its points
_SELECTOR = "__grid__"  # with several grids: which one a point belongs to (never shown in params)


@dataclass
class _Candidates:
    """What the trials suggest (``space``), what a grid sampler enumerates (``grid``), and the Python values
    behind parameters whose grid values are not JSON scalars (estimators in a Pipeline grid, say)."""

    space: SearchSpace
    grid: Any
    decode: dict[str, dict[str, Any]] = field(default_factory=dict)
    several: bool = False

    def params(self, stored: Mapping[str, Any]) -> dict[str, Any]:
        """A trial's stored parameters as the estimator's ``set_params`` takes them."""
        return {k: self.decode[k][v] if k in self.decode else v for k, v in stored.items() if k != _SELECTOR}


def _is_list(values: Any) -> bool:
    return isinstance(values, (list, tuple, np.ndarray))


def _plain(value: Any) -> bool:
    if isinstance(value, np.generic):
        value = value.item()
    return value is None or isinstance(value, (bool, int, float, str))


def _candidates(space: Any) -> _Candidates:
    """Read a declarative space, a GridSearchCV-style dict of lists, or a list of such dicts.

    Lists become categoricals with their keys sorted, so a grid runs in scikit-learn's ParameterGrid order."""
    if isinstance(space, SearchSpace):
        return _Candidates(space, space)
    if isinstance(space, Mapping) and space and not all(_is_list(v) for v in space.values()):
        mixed = {k: (list(v) if _is_list(v) else v) for k, v in space.items()}
        checked = SearchSpace.from_mapping(mixed)
        return _Candidates(checked, checked)
    grids = [space] if isinstance(space, Mapping) else space
    if not isinstance(grids, (list, tuple)) or not grids or not all(isinstance(g, Mapping) and g for g in grids):
        raise ValueError(f"SearchCV: argument 'space' must be a mapping of names to tunelab parameters or lists, or "
                         f"a non-empty list of dicts of lists (several grids); got {space!r}")
    for grid in grids:
        for name, values in grid.items():
            if not _is_list(values) or len(values) == 0:
                raise ValueError(f"SearchCV: grid entry {name!r} must be a non-empty list of values; got {values!r}")
    names = sorted({name for grid in grids for name in grid})
    encode: dict[str, list[tuple[Any, Any]]] = {}  # name -> [(Python value, stored choice)]
    decode: dict[str, dict[str, Any]] = {}
    for name in names:
        values = [v for grid in grids for v in list(grid.get(name, []))]
        if all(_plain(v) for v in values):
            encode[name] = [(v, v) for v in values]
            continue
        tokens: list[tuple[Any, Any]] = []
        for v in values:
            if not any(v is seen for seen, _ in tokens):
                tokens.append((v, f"#{len(tokens)} {repr(v)[:40]}"))
        encode[name] = tokens
        decode[name] = {token: v for v, token in tokens}

    def stored(name: str, values: Sequence) -> list:
        return [next(token for seen, token in encode[name] if seen is v or (name not in decode and _same(seen, v)))
                for v in values]

    def choices(name: str) -> list:
        return list({json.dumps(_json(token)): token for _, token in encode[name]}.values())

    if len(grids) == 1:
        checked = SearchSpace.from_mapping({name: Categorical(stored(name, grids[0][name])) for name in names})
        return _Candidates(checked, checked, decode)
    params = {_SELECTOR: Categorical(list(range(len(grids))))}
    for name in names:
        params[name] = Categorical(choices(name), when={_SELECTOR: [i for i, g in enumerate(grids) if name in g]})
    parts = [{_SELECTOR: [i], **{name: stored(name, grid[name]) for name in sorted(grid)}}
             for i, grid in enumerate(grids)]
    return _Candidates(SearchSpace.from_mapping(params), parts, decode, several=True)


def _json(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _same(a: Any, b: Any) -> bool:
    return json.dumps(_json(a)) == json.dumps(_json(b))


def _one_line(exc: BaseException, limit: int = 200) -> str:
    """An exception as one short line: its type and the first line of its message."""
    first = (str(exc).strip().splitlines() or [""])[0]
    text = f"{type(exc).__name__}: {first}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class FitFailed(RuntimeError):
    """One fold's fit or score failed; the message is one line (the full error is its ``__cause__``)."""


class _CVObjective:
    """One trial of SearchCV: fit and score every fold, reporting each so a CV pruner can stop early;
    or, with a resource plan, cross-validate at growing budgets, reporting each mean so ASHA can stop early.

    A class, not a closure, so that spawned worker processes can receive it pickled."""

    def __init__(self, estimator: Any, candidates: _Candidates, splits: list, scorer: Any, X: Any, y: Any,
                 fit_params: dict[str, Any], resource_plan: ResourcePlan | None = None, raise_errors: bool = False):
        self.estimator, self.candidates, self.splits, self.scorer = estimator, candidates, splits, scorer
        self.X, self.y, self.fit_params, self.plan = X, y, fit_params, resource_plan
        self.raise_errors = raise_errors

    def __call__(self, trial: Trial) -> float:
        params = self.candidates.params(trial.suggest(self.candidates.space))
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
        recording the scores, fit times and score times so far on the trial."""
        X, y = self.X, self.y
        times: dict[str, list[float]] = {"split_scores": [], "fit_times": [], "score_times": []}
        for fold, (train, test) in enumerate(self.splits):
            model = clone(self.estimator).set_params(**params)
            if self.plan is not None and self.plan.resource == "n_samples":
                train = self.plan.train_rows(fold, train, n)
            elif self.plan is not None:
                model.set_params(**{self.plan.resource: n})
            start = time.perf_counter()
            try:
                # per-sample fit parameters (sample_weight...) follow the rows, as in scikit-learn's own searches
                model.fit(_take(X, train), None if y is None else _take(y, train),
                          **_check_method_params(X, self.fit_params, train))
                times["fit_times"].append(time.perf_counter() - start)
                start = time.perf_counter()
                score = float(self.scorer(model, _take(X, test), None if y is None else _take(y, test)))
                times["score_times"].append(time.perf_counter() - start)
            except Exception as exc:
                if len(times["fit_times"]) == fold:  # the fit failed: its time still counts, as in GridSearchCV
                    times["fit_times"].append(time.perf_counter() - start)
                times["score_times"].append(0.0)
                for key, values in times.items():
                    trial.set_user_attr(key, values)
                if self.raise_errors:
                    raise
                raise FitFailed(f"fold {fold}: {_one_line(exc)}") from exc
            times["split_scores"].append(score)
            for key, values in times.items():
                trial.set_user_attr(key, values)
            yield score


def _search_estimator_has(attr: str):
    """available_if's check: the method exists on the refitted best estimator (or, before fit, on the estimator)."""

    def check(self: "SearchCV") -> bool:
        if not self.refit:
            raise AttributeError(f"This SearchCV instance was initialized with refit=False; {attr} is available "
                                 f"only after refitting on the best parameters.")
        getattr(self.best_estimator_ if hasattr(self, "best_estimator_") else self.estimator, attr)
        return True

    return check


class SearchCV(MetaEstimatorMixin, BaseEstimator):
    """Tune ``estimator``'s parameters over ``space`` by cross-validation.

    ``space`` maps parameter names to tunelab.Float/Int/Categorical (with ``when=``
    conditions) or to lists of values; a list of dicts of lists is several grids, as
    in GridSearchCV (``sampler="grid"`` only).  ``sampler="grid"`` searches exhaustively
    like GridSearchCV: every point, in ParameterGrid's order, unless ``n_trials`` cuts it
    (with a warning).  The default ``"auto"`` searches adaptively for ``n_trials``
    (None: 50, or as many as ``timeout`` allows).

    ``resource="n_samples"`` (or an estimator parameter such as ``"n_estimators"``)
    halves like HalvingRandomSearchCV, asynchronously: ASHA (or ``pruner="hyperband"``)
    over budgets from ``min_resources`` to ``max_resources`` with reduction ``factor``
    ("auto": the largest training fold for n_samples, and max / factor**3 rounded
    up, but at least 2 x the number of classes); every budget holds every class.
    Only configurations that reach ``max_resources`` can be best; an estimator
    parameter used as the resource is set to ``max_resources`` in ``best_params_``
    and in the refit, as in scikit-learn.

    ``error_score``: the score of a fold whose fit fails (``"raise"``: the error stops the search).
    """

    def __init__(self, estimator: Any, space: Any, *, n_trials: int | None = None, timeout: float | None = None,
                 cv: Any = 5, scoring: Any = None, refit: bool = True, sampler: Any = "auto", pruner: Any = None,
                 n_jobs: int = 1, storage: Any = None, study_name: str | None = None,
                 random_state: int | None = None, error_score: float | str = np.nan, verbose: int = 0,
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

    def __sklearn_tags__(self) -> Any:  # scikit-learn >= 1.6: the estimator's kind and input tags, as GridSearchCV
        from sklearn.utils import get_tags

        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = deepcopy(inner.classifier_tags)
        tags.regressor_tags = deepcopy(inner.regressor_tags)
        tags.input_tags.pairwise = inner.input_tags.pairwise
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.array_api_support = inner.array_api_support
        tags.transformer_tags = deepcopy(inner.transformer_tags)  # set when the estimator transforms, else None
        return tags

    def _n_trials(self, sampler: Any) -> int | None:
        """How many trials to run: a finite sampler (a grid) runs all its points unless n_trials cuts it."""
        finite = len(sampler) if hasattr(sampler, "__len__") else None
        if self.n_trials is None:
            return None if finite is not None or self.timeout is not None else DEFAULT_N_TRIALS
        n_trials = int(self.n_trials)
        if finite is not None and n_trials < finite:
            warnings.warn(f"SearchCV: n_trials={n_trials} runs only {n_trials} of the grid's {finite} points; "
                          f"leave n_trials=None to run them all", UserWarning, stacklevel=3)
        return n_trials

    def _create_study(self, sampler: Any, pruner: Any) -> Study:
        """The study the search runs in (a subclass may hand in one the user made)."""
        return create_study(self.study_name, self.storage, direction="maximize", sampler=sampler, pruner=pruner,
                            seed=self.random_state, load_if_exists=self.study_name is not None)

    def _callbacks(self) -> list | None:
        """``Study.optimize`` callbacks for the search (none here; OptunaSearchCV passes its ``callbacks``)."""
        return None

    def fit(self, X: Any, y: Any = None, *, groups: Any = None, **fit_params: Any) -> "SearchCV":
        """Search, then refit the best configuration on all of X (if ``refit``).

        ``groups`` goes to the splitter (GroupKFold and the like), as in GridSearchCV;
        other keyword arguments go to the estimator's ``fit``, cut to each fold's rows.
        """
        candidates = _candidates(self.space)
        X, y, groups = indexable(X, y, groups)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X, y, groups))
        scorer = check_scoring(self.estimator, scoring=self.scoring)
        validate_arguments(self.resource, self.min_resources, self.max_resources, self.factor)
        resource_plan, pruner = None, self.pruner
        if self.resource is not None:
            resource_plan = plan(self.estimator, set(candidates.space.params), splits, y,
                                 is_classifier(self.estimator), self.resource, self.min_resources, self.max_resources,
                                 self.factor, self.random_state)
            pruner = halving_pruner(self.pruner, resource_plan, self.factor)
        pruner = make_pruner(pruner)
        sampler = make_sampler(self.sampler, seed=self.random_state, pruner=pruner,
                               space=candidates.grid if candidates.several else candidates.space)
        if candidates.several and not hasattr(sampler, "__len__"):
            raise ValueError("SearchCV: a list of grids needs sampler='grid'; for an adaptive search give one space")
        self.study_: Study = self._create_study(sampler, pruner)
        raise_errors = isinstance(self.error_score, str) and self.error_score == "raise"
        objective = _CVObjective(self.estimator, candidates, splits, scorer, X, y, fit_params, resource_plan,
                                 raise_errors)
        self.study_.optimize(objective, n_trials=self._n_trials(sampler), timeout=self.timeout, n_jobs=self.n_jobs,
                             catch=() if raise_errors else (Exception,), show_progress_bar=bool(self.verbose),
                             callbacks=self._callbacks())
        trials = [t for t in self.study_.trials if t.state.is_finished()]  # one read: each is a query on a database
        if not any(t.state == TrialState.COMPLETE for t in trials):
            self._raise_no_score(trials, candidates, X, y, fit_params)
        failed = [t for t in trials if t.state == TrialState.FAIL]
        if failed:
            reasons = sorted({str(t.system_attrs.get("fail_reason")) for t in failed})
            warnings.warn(f"SearchCV: {len(failed)} of {len(trials)} configurations failed; their scores are "
                          f"error_score={self.error_score!r}. Reasons: {'; '.join(reasons[:3])}", FitFailedWarning)
        self.n_splits_ = len(splits)
        self.multimetric_ = False
        self.cv_results_ = _cv_results(trials, candidates, self.n_splits_, self.error_score)
        if resource_plan is not None:  # as in HalvingRandomSearchCV: the budget each trial got to
            reached = np.array([t.last_step or 0 for t in trials])
            self.cv_results_["n_resources"] = reached
            partial = (reached < resource_plan.max_resources) & np.array([t.state != TrialState.FAIL for t in trials])
            for k in range(self.n_splits_):  # only scores on the full budget are comparable; the rest are NaN
                self.cv_results_[f"split{k}_test_score"][partial] = np.nan
            if resource_plan.resource != "n_samples":  # as in scikit-learn, each row's params hold its budget
                for row, n in zip(self.cv_results_["params"], reached):
                    if n:  # a trial that failed before its first report has no budget to show
                        row[resource_plan.resource] = int(n)
            self.max_resources_, self.min_resources_ = resource_plan.max_resources, resource_plan.min_resources
        self.best_index_ = int(np.argmin(self.cv_results_["rank_test_score"]))
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        self.best_params_ = candidates.params(trials[self.best_index_].params)
        if resource_plan is not None and resource_plan.resource != "n_samples":
            self.best_params_[resource_plan.resource] = resource_plan.max_resources  # scored there; refit there too
        self.scorer_ = scorer
        if self.refit:
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
            start = time.perf_counter()
            self.best_estimator_.fit(X, y, **fit_params)
            self.refit_time_ = time.perf_counter() - start
            if hasattr(self.best_estimator_, "feature_names_in_"):
                self.feature_names_in_ = self.best_estimator_.feature_names_in_
        return self

    def _raise_no_score(self, trials: list, candidates: _Candidates, X: Any, y: Any, fit_params: dict) -> None:
        """No configuration was scored: raise the first one's own error from a fit on all of X (the data's fault,
        as a rule: NaN, wrong dtype...), as GridSearchCV's refit does, else a ValueError with the reasons."""
        reasons = sorted({str(t.system_attrs.get("fail_reason")) for t in trials})
        message = f"SearchCV: no configuration could be scored; reasons: {reasons[:3]}"
        if trials:
            try:
                clone(self.estimator).set_params(**candidates.params(trials[0].params)).fit(X, y, **fit_params)
            except Exception as exc:
                if hasattr(exc, "add_note"):  # Python >= 3.11
                    exc.add_note(message)
                raise
        raise ValueError(message)

    def __getstate__(self) -> dict[str, Any]:
        """Pickles without ``study_`` (it holds locks and a storage connection; reopen it with load_study)."""
        state = dict(super().__getstate__())
        state.pop("study_", None)
        return state

    # the refitted best estimator's methods, as in GridSearchCV: present only where the estimator has them
    @available_if(_search_estimator_has("predict"))
    def predict(self, X: Any) -> Any:
        return self._best().predict(X)

    @available_if(_search_estimator_has("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        return self._best().predict_proba(X)

    @available_if(_search_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> Any:
        return self._best().predict_log_proba(X)

    @available_if(_search_estimator_has("decision_function"))
    def decision_function(self, X: Any) -> Any:
        return self._best().decision_function(X)

    @available_if(_search_estimator_has("score_samples"))
    def score_samples(self, X: Any) -> Any:
        return self._best().score_samples(X)

    @available_if(_search_estimator_has("transform"))
    def transform(self, X: Any) -> Any:
        return self._best().transform(X)

    @available_if(_search_estimator_has("transform"))
    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        return self.fit(X, y, **fit_params).transform(X)

    @available_if(_search_estimator_has("inverse_transform"))
    def inverse_transform(self, X: Any) -> Any:
        return self._best().inverse_transform(X)

    @property
    def classes_(self) -> Any:
        return self._best().classes_

    @property
    def n_features_in_(self) -> int:
        return self._best().n_features_in_

    def score(self, X: Any, y: Any = None) -> float:
        """The ``scoring`` score of the refitted best estimator on (X, y)."""
        return float(self.scorer_(self._best(), X, y))

    def _best(self) -> Any:
        check_is_fitted(self)
        if not hasattr(self, "best_estimator_"):
            raise AttributeError("SearchCV has no best_estimator_: it was fitted with refit=False")
        return self.best_estimator_


def _take(data: Any, index: np.ndarray) -> Any:
    return _safe_indexing(data, index)  # arrays, sparse matrices, DataFrames and plain lists alike


def _param_column(values: dict[int, Any], n_rows: int) -> np.ma.MaskedArray:
    """One ``param_<name>`` column: masked where the row lacks the parameter; typed like GridSearchCV's
    (the values' common numeric or bool dtype, object for text and anything else)."""
    try:
        inferred = np.array(list(values.values()))
        dtype = inferred.dtype if inferred.dtype.kind not in "UO" and inferred.ndim == 1 else np.dtype(object)
    except ValueError:
        dtype = np.dtype(object)
    column = np.ma.MaskedArray(np.empty(n_rows, dtype=dtype), mask=True)
    for row, value in values.items():
        column[row] = value
    return column


def _rank(means: np.ndarray) -> np.ndarray:
    """GridSearchCV's ranking: best mean first, ties share the smaller rank, NaN means last."""
    if np.all(np.isnan(means)):
        return np.ones(len(means), dtype=np.int32)
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    return rankdata(-filled, method="min").astype(np.int32)


def _cv_results(trials: list, candidates: _Candidates, n_splits: int, error_score: Any) -> dict[str, Any]:
    """GridSearchCV's cv_results_ over the finished trials: the folds a pruned trial did not reach are NaN,
    the folds of a failed trial from the one that failed on get ``error_score``."""
    n = len(trials)
    scores, fit_times, score_times = (np.full((n, n_splits), np.nan) for _ in range(3))
    for i, t in enumerate(trials):
        for table, key in ((scores, "split_scores"), (fit_times, "fit_times"), (score_times, "score_times")):
            row = t.user_attrs.get(key, [])[:n_splits]
            table[i, : len(row)] = row
        if t.state == TrialState.FAIL:
            done = len(t.user_attrs.get("split_scores", []))
            scores[i, done:] = np.nan if isinstance(error_score, str) else error_score
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows without any timed fold are NaN
        out: dict[str, Any] = {"mean_fit_time": np.nanmean(fit_times, axis=1),
                               "std_fit_time": np.nanstd(fit_times, axis=1),
                               "mean_score_time": np.nanmean(score_times, axis=1),
                               "std_score_time": np.nanstd(score_times, axis=1)}
    params = [candidates.params(t.params) for t in trials]
    for name in dict.fromkeys(k for p in params for k in p):  # in order of first appearance, as GridSearchCV
        out[f"param_{name}"] = _param_column({i: p[name] for i, p in enumerate(params) if name in p}, n)
    out["params"] = params
    for k in range(n_splits):
        out[f"split{k}_test_score"] = scores[:, k]
    complete = np.array([t.state != TrialState.PRUNED for t in trials])  # a pruned trial has no mean
    out["mean_test_score"] = np.where(complete, np.mean(scores, axis=1), np.nan)
    out["std_test_score"] = np.where(complete, np.std(scores, axis=1), np.nan)
    out["rank_test_score"] = _rank(out["mean_test_score"])
    return out
