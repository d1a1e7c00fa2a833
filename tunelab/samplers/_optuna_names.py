"""The samplers under Optuna's class names, taking Optuna's constructor arguments.

Each class is tunelab's own sampler (a subclass, so ``isinstance`` checks and
pickling work as for the original).  An Optuna argument is mapped onto
tunelab's where tunelab has the behaviour; one that tunelab does not honour is
accepted with a warning that names it (it is never dropped silently).
tunelab's own keyword arguments pass through unchanged.

``constraints_func`` is kept on the sampler; the study uses it as its
constraints function (tunelab evaluates constraints once per trial, in the
study, and every sampler reads them from the trial's system attributes).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Mapping, Sequence

from tunelab._validation import UnhonouredArgumentWarning
from tunelab.samplers import cmaes as _cmaes
from tunelab.samplers import gp as _gp
from tunelab.samplers import grid as _grid
from tunelab.samplers import nsga2 as _nsga2
from tunelab.samplers import nsga3 as _nsga3
from tunelab.samplers import qmc as _qmc
from tunelab.samplers import tpe as _tpe
from tunelab.samplers.base import BaseSampler, SamplingContext
from tunelab.space import Distribution

_UNSET: Any = object()


def _shown(value: Any) -> str:
    """An argument as a warning shows it: a sequence of more than three items by its length and item type
    (``source_trials=`` may hold thousands of trials), anything else by a repr cut to 80 characters."""
    if isinstance(value, (list, tuple)) and len(value) > 3:
        kinds = sorted({type(v).__name__ for v in value})
        return f"<{type(value).__name__} of {len(value)} {'/'.join(kinds)}>"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _warn(owner: str, name: str, value: Any, why: str) -> None:
    warnings.warn(f"{owner}: the Optuna argument {name}={_shown(value)} is accepted but not honoured by tunelab "
                  f"({why})", UnhonouredArgumentWarning, stacklevel=4)


def _check_unhonoured(owner: str, given: Mapping[str, tuple[Any, Any, str]]) -> None:
    """given: name -> (value, the value tunelab's behaviour matches, why); warn where they differ."""
    for name, (value, matches, why) in given.items():
        if value is not _UNSET and value is not None and value != matches:
            _warn(owner, name, value, why)


def _independent_sampler(owner: str, sampler: Any) -> None:
    if sampler is not None and type(sampler).__name__ != "RandomSampler":
        _warn(owner, "independent_sampler", sampler, "parameters outside the joint space are drawn at random")


def _constraints(sampler: BaseSampler, constraints_func: Callable | None) -> None:
    if constraints_func is not None and not callable(constraints_func):
        raise TypeError(f"{type(sampler).__name__}: 'constraints_func' must be a callable FrozenTrial -> "
                        f"sequence of floats; got {constraints_func!r}")
    sampler.constraints_func = constraints_func


class TPESampler(_tpe.TPESampler):
    """tunelab's TPE (multivariate, with constant liar, by default) under Optuna's name and arguments."""

    def __init__(self, seed: int | None = None, *, consider_prior: bool | None = None,
                 prior_weight: float | None = None, consider_magic_clip: bool | None = None,
                 consider_endpoints: bool | None = None, n_startup_trials: int = 10, n_ei_candidates: int = 24,
                 gamma: Callable[[int], int] | float | None = None, weights: Callable | None = None,
                 multivariate: bool | None = None, group: bool | None = None,
                 warn_independent_sampling: bool | None = None, constant_liar: bool = True,
                 constraints_func: Callable | None = None, categorical_distance_func: Any = None,
                 **tunelab_kwargs: Any):
        owner = "TPESampler"
        _check_unhonoured(owner, {
            "consider_prior": (consider_prior, True, "the prior is always part of the model"),
            "consider_magic_clip": (consider_magic_clip, _UNSET, "bandwidths have their own floor "
                                    "(bandwidth_factor)"),
            "consider_endpoints": (consider_endpoints, _UNSET, "bandwidths come from the neighbours' spacing"),
            "weights": (weights, _UNSET, "observations are weighted equally"),
            "group": (group, True, "conditional parameters are always grouped"),
            "categorical_distance_func": (categorical_distance_func, _UNSET, "categories are unordered"),
        })
        kwargs: dict[str, Any] = dict(tunelab_kwargs)
        if prior_weight is not None:
            kwargs["prior_weight"] = prior_weight
        if gamma is not None:
            kwargs["gamma"] = gamma
        if multivariate is not None:
            kwargs["multivariate"] = multivariate
        super().__init__(seed=seed, n_startup_trials=n_startup_trials, n_ei_candidates=n_ei_candidates,
                         constant_liar=constant_liar, **kwargs)
        _constraints(self, constraints_func)

    @staticmethod
    def hyperopt_parameters() -> dict[str, Any]:
        """Hyperopt's TPE settings as arguments, for ``TPESampler(**TPESampler.hyperopt_parameters())``.

        Only the settings tunelab acts on: 20 random start-up trials, 24 candidates,
        prior weight 1, and the good set of ``min(ceil(sqrt(n) / 4), 25)`` trials.
        """
        return {"prior_weight": 1.0, "n_startup_trials": 20, "n_ei_candidates": 24, "gamma": _hyperopt_gamma}


def _hyperopt_gamma(n: int) -> int:
    return min(int(math.ceil(0.25 * math.sqrt(n))), 25)


class CmaEsSampler(_cmaes.CMAESSampler):
    """tunelab's CMA-ES (IPOP restarts and integer margins by default) under Optuna's name and arguments.

    ``sigma0`` is the initial step size on the unit cube that tunelab maps
    every parameter to.
    """

    def __init__(self, x0: dict[str, Any] | None = None, sigma0: float | None = None, n_startup_trials: int = 1,
                 independent_sampler: Any = None, warn_independent_sampling: bool = True,
                 seed: int | None = None, *, consider_pruned_trials: bool = False,
                 restart_strategy: str | None = _UNSET, popsize: int | None = None, inc_popsize: int = -1,
                 use_separable_cma: bool = False, with_margin: bool = _UNSET, lr_adapt: bool = False,
                 source_trials: Sequence | None = None, **tunelab_kwargs: Any):
        owner = "CmaEsSampler"
        _check_unhonoured(owner, {
            "x0": (x0, _UNSET, "the initial mean is the best start-up trial (enqueue x0 to start from it)"),
            "consider_pruned_trials": (consider_pruned_trials, False, "only complete trials update the search"),
            "use_separable_cma": (use_separable_cma, False, "the full covariance is adapted"),
            "lr_adapt": (lr_adapt, False, "the learning rate is fixed"),
            "source_trials": (source_trials, _UNSET, "warm starting from another study is not implemented"),
        })
        _independent_sampler(owner, independent_sampler)
        kwargs: dict[str, Any] = dict(tunelab_kwargs)
        if restart_strategy is not _UNSET:
            kwargs["restart_strategy"] = restart_strategy
        if with_margin is not _UNSET:
            kwargs["with_margin"] = with_margin
        if inc_popsize != -1:
            kwargs["inc_popsize"] = inc_popsize
        super().__init__(seed=seed, sigma0=sigma0, n_startup_trials=n_startup_trials, popsize=popsize, **kwargs)


class GPSampler(_gp.GPSampler):
    """tunelab's Gaussian-process sampler under Optuna's name and arguments."""

    def __init__(self, seed: int | None = None, *, independent_sampler: Any = None, n_startup_trials: int = 10,
                 deterministic_objective: bool = False, constraints_func: Callable | None = None,
                 warn_independent_sampling: bool = True, **tunelab_kwargs: Any):
        _independent_sampler("GPSampler", independent_sampler)
        super().__init__(seed=seed, n_startup_trials=n_startup_trials,
                         deterministic_objective=deterministic_objective, **tunelab_kwargs)
        _constraints(self, constraints_func)


def _ga_strategies(owner: str, elite: Any, child: Any, after: Any) -> None:
    _check_unhonoured(owner, {
        "elite_population_selection_strategy": (elite, _UNSET, "parents are chosen by the sampler's own rule"),
        "child_generation_strategy": (child, _UNSET, "children come from the crossover and mutation operators"),
        "after_trial_strategy": (after, _UNSET, "constraints are evaluated by the study"),
    })


def _operator(crossover: Any) -> Any:
    """Optuna's default crossover is uniform; a crossover object is used as given."""
    return "uniform" if crossover is None else crossover


class NSGAIISampler(_nsga2.NSGAIISampler):
    """tunelab's NSGA-II under Optuna's name and arguments; every crossover and mutation of ``samplers.nsgaii``."""

    def __init__(self, *, population_size: int = 50, mutation: Any = None, mutation_prob: float | None = None,
                 crossover: Any = None, crossover_prob: float = 0.9, swapping_prob: float = 0.5,
                 seed: int | None = None, constraints_func: Callable | None = None,
                 elite_population_selection_strategy: Callable | None = None,
                 child_generation_strategy: Callable | None = None, after_trial_strategy: Callable | None = None,
                 **tunelab_kwargs: Any):
        _ga_strategies("NSGAIISampler", elite_population_selection_strategy, child_generation_strategy,
                       after_trial_strategy)
        super().__init__(seed=seed, population_size=population_size, mutation_prob=mutation_prob,
                         crossover=_operator(crossover), crossover_prob=crossover_prob,
                         swapping_prob=swapping_prob, mutation=mutation, **tunelab_kwargs)
        _constraints(self, constraints_func)


class NSGAIIISampler(_nsga3.NSGAIIISampler):
    """tunelab's NSGA-III (reference-point niching) under Optuna's name and arguments."""

    def __init__(self, *, population_size: int = 50, mutation: Any = None, mutation_prob: float | None = None,
                 crossover: Any = None, crossover_prob: float = 0.9, swapping_prob: float = 0.5,
                 seed: int | None = None, constraints_func: Callable | None = None,
                 reference_points: Any = None, dividing_parameter: int = 3,
                 elite_population_selection_strategy: Callable | None = None,
                 child_generation_strategy: Callable | None = None, after_trial_strategy: Callable | None = None,
                 **tunelab_kwargs: Any):
        _ga_strategies("NSGAIIISampler", elite_population_selection_strategy, child_generation_strategy,
                       after_trial_strategy)
        super().__init__(seed=seed, population_size=population_size, mutation_prob=mutation_prob,
                         crossover=_operator(crossover), crossover_prob=crossover_prob,
                         swapping_prob=swapping_prob, mutation=mutation, reference_points=reference_points,
                         dividing_parameter=dividing_parameter, **tunelab_kwargs)
        _constraints(self, constraints_func)


class QMCSampler(_qmc.QMCSampler):
    """tunelab's quasi-random sampler (Sobol or Halton) under Optuna's name and arguments.

    Unlike Optuna, points are scrambled unless ``scramble=False`` is given.
    """

    def __init__(self, *, qmc_type: str = "sobol", scramble: bool = _UNSET, seed: int | None = None,
                 independent_sampler: Any = None, warn_asynchronous_seeding: bool = True,
                 warn_independent_sampling: bool = True, space: Any = None):
        _independent_sampler("QMCSampler", independent_sampler)
        kwargs = {} if scramble is _UNSET else {"scramble": bool(scramble)}
        super().__init__(space=space, seed=seed, qmc_type=qmc_type, **kwargs)


class GridSampler(_grid.GridSampler):
    """tunelab's grid search; Optuna's ``search_space`` is the grid (a mapping of names to value lists)."""

    def __init__(self, search_space: Mapping[str, Sequence] | None = None, seed: int | None = None, *,
                 grid: Any = None, shuffle: bool = False):
        if search_space is not None and grid is not None:
            raise ValueError("GridSampler: give 'search_space' (Optuna's name) or 'grid', not both")
        super().__init__(grid if grid is not None else search_space, seed=seed, shuffle=shuffle)


class PartialFixedSampler(BaseSampler):
    """Another sampler with some parameters fixed: ``fixed_params`` are used as given, the rest sampled.

    A fixed value outside the distribution the objective asks with is used all
    the same, with a warning (as in Optuna).
    """

    def __init__(self, fixed_params: Mapping[str, Any], base_sampler: BaseSampler):
        if not isinstance(fixed_params, Mapping):
            raise TypeError(f"PartialFixedSampler: 'fixed_params' must be a mapping of names to values; "
                            f"got {fixed_params!r}")
        if not isinstance(base_sampler, BaseSampler):
            raise TypeError(f"PartialFixedSampler: 'base_sampler' must be a sampler object; got {base_sampler!r}")
        super().__init__(getattr(base_sampler, "_seed", None))
        self._fixed_params = dict(fixed_params)
        self._base_sampler = base_sampler
        self.constraints_func = getattr(base_sampler, "constraints_func", None)

    def reseed(self, seed: int | None) -> None:
        super().reseed(seed)
        self._base_sampler.reseed(seed)

    def infer_relative_space(self, context: SamplingContext) -> dict[str, Distribution]:
        space = self._base_sampler.infer_relative_space(context)
        return {name: d for name, d in space.items() if name not in self._fixed_params}

    def sample_relative(self, context: SamplingContext, space: dict[str, Distribution]) -> dict[str, Any]:
        return self._base_sampler.sample_relative(context, space)

    def sample_independent(self, context: SamplingContext, name: str, distribution: Distribution) -> Any:
        if name not in self._fixed_params:
            return self._base_sampler.sample_independent(context, name, distribution)
        value = self._fixed_params[name]
        if not distribution.contains(value):
            warnings.warn(f"PartialFixedSampler: the fixed value {value!r} of {name!r} is outside {distribution}; "
                          "it is used all the same", UserWarning, stacklevel=3)
        return value

    def before_trial(self, context: SamplingContext) -> None:
        self._base_sampler.before_trial(context)

    def is_exhausted(self, context: SamplingContext) -> bool:
        return self._base_sampler.is_exhausted(context)

    def after_trial(self, context: SamplingContext, trial: Any) -> None:
        self._base_sampler.after_trial(context, trial)


class DuckSampler(BaseSampler):
    """A sampler object that has Optuna's three methods but does not derive from BaseSampler, adapted."""

    def __init__(self, inner: Any):
        super().__init__(None)
        self.inner = inner
        self.constraints_func = getattr(inner, "constraints_func", None)

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Distribution]:
        return self.inner.infer_relative_search_space(study, trial)

    def sample_relative(self, study: Any, trial: Any, search_space: dict[str, Distribution]) -> dict[str, Any]:
        return self.inner.sample_relative(study, trial, search_space)

    def sample_independent(self, study: Any, trial: Any, param_name: str, param_distribution: Distribution) -> Any:
        return self.inner.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: Any, trial: Any) -> None:
        if callable(getattr(self.inner, "before_trial", None)):
            self.inner.before_trial(study, trial)

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        if callable(getattr(self.inner, "after_trial", None)):
            self.inner.after_trial(study, trial, state, values)

    def reseed(self, seed: int | None) -> None:
        super().reseed(seed)
        if callable(getattr(self.inner, "reseed_rng", None)):
            self.inner.reseed_rng()


def wrap_duck_sampler(obj: Any) -> BaseSampler:
    """An Optuna-style sampler object that is not a BaseSampler, as one."""
    return DuckSampler(obj)
