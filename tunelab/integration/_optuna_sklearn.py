"""Optuna's ``OptunaSearchCV`` (``optuna.integration.OptunaSearchCV``): :class:`SearchCV` under Optuna's
argument names, so ``optuna.integration.OptunaSearchCV(clf, param_distributions, n_trials=...)`` runs as is.

The search itself is tunelab's (cross-validation with one report per fold). Optuna's
``enable_pruning`` (``partial_fit`` for up to ``max_iter`` steps), ``subsample`` and
``return_train_score`` have no counterpart here: they are accepted and warned about
when set to anything but Optuna's default.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from tunelab._validation import UnhonouredArgumentWarning
from tunelab.integration.sklearn import SearchCV
from tunelab.study import Study


class OptunaSearchCV(SearchCV):
    """Tune ``estimator`` over ``param_distributions`` (name -> distribution) by cross-validation.

    ``study`` (maximised) is searched in place when given; otherwise a new in-memory
    study is made with tunelab's default sampler.  After ``fit``: ``study_``,
    ``best_params_``, ``best_score_``, ``best_estimator_``, ``best_trial_``,
    ``trials_``, ``n_trials_``, ``user_attrs_``, ``cv_results_``.
    """

    def __init__(self, estimator: Any, param_distributions: Mapping[str, Any], *, cv: Any = None,
                 enable_pruning: bool = False, error_score: float | str = np.nan, max_iter: int = 1000,
                 n_jobs: int | None = None, n_trials: int | None = 10, random_state: int | None = None,
                 refit: bool = True, return_train_score: bool = False, scoring: Any = None,
                 study: Study | None = None, subsample: float | int = 1.0, timeout: float | None = None,
                 verbose: int = 0, callbacks: Iterable[Callable] | None = None,
                 catch: Iterable[type[Exception]] | type[Exception] = ()):
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.cv = cv
        self.enable_pruning = enable_pruning
        self.error_score = error_score
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.n_trials = n_trials
        self.random_state = random_state
        self.refit = refit
        self.return_train_score = return_train_score
        self.scoring = scoring
        self.study = study
        self.subsample = subsample
        self.timeout = timeout
        self.verbose = verbose
        self.callbacks = callbacks
        self.catch = catch

    def fit(self, X: Any, y: Any = None, *, groups: Any = None, **fit_params: Any) -> "OptunaSearchCV":
        """Search, then refit the best configuration on all of X (if ``refit``), as :meth:`SearchCV.fit`."""
        for name, value, default, why in (
                ("enable_pruning", self.enable_pruning, False, "tunelab prunes between folds, not partial_fit steps"),
                ("max_iter", self.max_iter, 1000, "it only bounds enable_pruning's partial_fit steps"),
                ("subsample", self.subsample, 1.0, "every fold is fitted on all its rows"),
                ("return_train_score", self.return_train_score, False, "cv_results_ holds test scores only")):
            if value != default:
                warnings.warn(f"OptunaSearchCV: the Optuna argument {name}={value!r} is accepted but not honoured "
                              f"by tunelab ({why})", UnhonouredArgumentWarning, stacklevel=2)
        if self.catch and isinstance(self.error_score, str) and self.error_score == "raise":
            warnings.warn(f"OptunaSearchCV: the Optuna argument catch={self.catch!r} is accepted but not honoured "
                          f"by tunelab (error_score='raise' stops the search on any error)",
                          UnhonouredArgumentWarning, stacklevel=2)
        # SearchCV's own settings, derived from Optuna's arguments for this fit (cv=None is 5 folds in both)
        self.space = self.param_distributions
        self.sampler = "auto" if self.study is None else self.study.sampler
        self.pruner = None if self.study is None else self.study.pruner
        self.storage, self.study_name = None, None
        self.resource, self.min_resources, self.max_resources, self.factor = None, "auto", "auto", 3
        n_jobs = self.n_jobs
        self.n_jobs = 1 if n_jobs is None else n_jobs
        try:
            super().fit(X, y, groups=groups, **fit_params)
        finally:
            self.n_jobs = n_jobs  # get_params() gives back what the user passed
        return self

    def _create_study(self, sampler: Any, pruner: Any) -> Study:
        if self.study is None:
            return super()._create_study(sampler, pruner)
        if [d.name for d in self.study.directions] != ["MAXIMIZE"]:
            raise ValueError(f"OptunaSearchCV: 'study' must maximise one objective (the CV score); "
                             f"it has directions {[d.name.lower() for d in self.study.directions]}")
        return self.study

    def _callbacks(self) -> list | None:
        return list(self.callbacks) if self.callbacks else None

    @property
    def best_trial_(self) -> Any:
        """The study's best trial (a FrozenTrial)."""
        return self.study_.best_trial

    @property
    def trials_(self) -> list:
        """Every trial of the search."""
        return self.study_.trials

    @property
    def n_trials_(self) -> int:
        """How many trials the search ran."""
        return len(self.study_.trials)

    @property
    def user_attrs_(self) -> dict[str, Any]:
        """The study's user attributes."""
        return self.study_.user_attrs

    def trials_dataframe(self, *args: Any, **kwargs: Any) -> Any:
        """``study_.trials_dataframe(...)``."""
        return self.study_.trials_dataframe(*args, **kwargs)
