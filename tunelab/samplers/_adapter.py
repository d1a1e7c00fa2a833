"""Optuna-style samplers run unchanged: the two call forms of the sampler methods meet here.

tunelab calls a sampler with one :class:`SamplingContext`
(``sample_independent(context, name, distribution)``); Optuna calls it with a
study and a trial (``sample_independent(study, trial, name, distribution)``).
Every subclass of :class:`BaseSampler` is adapted when its class is created:

* a method written Optuna's way (it takes the study and the trial) is called
  by tunelab with a :class:`StudyView` built from the context and the current
  trial as a :class:`FrozenTrial`; Optuna's ``infer_relative_search_space``
  and ``before_trial`` are called when tunelab infers the relative space;
  ``after_trial(study, trial, state, values)`` when the trial has finished;
* a method written tunelab's way also accepts Optuna's arguments, so a
  user's sampler can delegate to ``RandomSampler().sample_independent(study,
  trial, name, distribution)`` as Optuna's docs show.

The context stays the only thing the study hands a sampler: the view is made
from it, so user samplers stay as pure as tunelab's own and work in worker
processes.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from tunelab.space import Distribution
from tunelab._study_view import StudyView, positional_arity as _arity
from tunelab.trial import FrozenTrial, TrialState

# positional arguments after self, in each convention
_TUNELAB_ARITY = {"sample_independent": 3, "sample_relative": 2, "before_trial": 1, "after_trial": 2}
_OPTUNA_ARITY = {"sample_independent": 4, "sample_relative": 3, "infer_relative_search_space": 2,
                 "before_trial": 2, "after_trial": 4}
_OPTUNA_STYLE = "__tunelab_optuna_style__"
_DUAL = "__tunelab_dual__"


def current_trial(context: Any) -> FrozenTrial:
    """The trial being sampled, as Optuna hands it to a sampler: RUNNING, with the values chosen so far."""
    number = context.trial_number if context.trial_number is not None else -1
    return FrozenTrial(number=number, trial_id=getattr(context, "trial_id", -1), state=TrialState.RUNNING,
                       params=dict(context.params), distributions=dict(context.distributions))


def views(sampler: Any, context: Any) -> tuple[StudyView, FrozenTrial]:
    """(study view, current trial) for calling an Optuna-style sampler method from a context."""
    cached = context.__dict__.get("_optuna_views")
    trial = current_trial(context)
    if cached is not None and cached[1].number == trial.number:
        study = cached[0]
        study._current = trial
        study._trials = None
        return study, trial
    study = StudyView(lambda: context.trials, context.directions, trial, sampler=sampler,
                      study=getattr(context, "study", None), context=context)
    context.__dict__["_optuna_views"] = (study, trial)
    return study, trial


def context_from(study: Any, trial: Any) -> Any:
    """A SamplingContext from Optuna's (study, trial) arguments, for a tunelab-style method."""
    base = getattr(study, "_context", None) if isinstance(study, StudyView) else None
    number = getattr(trial, "number", None)
    if base is not None and base.trial_number == number:
        base.params = dict(getattr(trial, "params", {}) or {})
        base.distributions = dict(getattr(trial, "distributions", {}) or {})
        return base

    def load() -> list[FrozenTrial]:
        trials = study.get_trials(deepcopy=False) if isinstance(study, StudyView) else study.trials
        return [t for t in trials if t.number != number]

    return _CONTEXT(load_trials=load, directions=list(study.directions), trial_number=number,
                           params=dict(getattr(trial, "params", {}) or {}),
                           distributions=dict(getattr(trial, "distributions", {}) or {}))


_CONTEXT: type = type(None)  # SamplingContext, given by install() (base.py imports this module, not back)


def _is_context(obj: Any) -> bool:
    return isinstance(obj, _CONTEXT)


def _optuna_method(name: str, fn: Callable) -> Callable:
    """Wrap a method written Optuna's way so that tunelab's one-context call reaches it too."""

    @functools.wraps(fn)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not args or not _is_context(args[0]):
            return fn(self, *args, **kwargs)
        context, rest = args[0], args[1:]
        study, trial = views(self, context)
        if name == "after_trial":
            (finished,) = rest
            study._current = None
            study._trials = None
            return fn(self, study, finished, finished.state, finished.values)
        if name == "before_trial":
            return None  # called with the trial, when the relative space is inferred
        return fn(self, study, trial, *rest, **kwargs)

    setattr(method, _OPTUNA_STYLE, True)
    setattr(method, _DUAL, True)
    return method


def _tunelab_method(name: str, fn: Callable) -> Callable:
    """Wrap a method written tunelab's way so that Optuna's (study, trial, ...) call reaches it too."""
    n = _TUNELAB_ARITY[name]

    @functools.wraps(fn)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if len(args) + len(kwargs) == n:
            return fn(self, *args, **kwargs)
        if len(args) >= 2 and not _is_context(args[0]):
            context = context_from(args[0], args[1])
            if name == "after_trial":
                return fn(self, context, args[1])
            return fn(self, context, *args[2:], **kwargs)
        return fn(self, *args, **kwargs)

    setattr(method, _DUAL, True)
    return method


def _resolved_optuna(cls: type, name: str) -> Callable | None:
    fn = getattr(cls, name, None)
    return fn if fn is not None and getattr(fn, _OPTUNA_STYLE, False) else None


def _infer_relative_space(self: Any, context: Any) -> dict[str, Distribution]:
    """tunelab's hook for an Optuna-style sampler: before_trial, then infer_relative_search_space."""
    cls = type(self)
    study, trial = views(self, context)
    before = _resolved_optuna(cls, "before_trial")
    if before is not None:
        before(self, study, trial)
    infer = _resolved_optuna(cls, "infer_relative_search_space")
    if infer is not None:
        return dict(infer(self, study, trial) or {})
    parent = getattr(cls, "_tunelab_infer_parent", None)
    return dict(parent(self, context)) if parent is not None else {}


def adapt(cls: type) -> None:
    """Make the sampler methods ``cls`` defines callable in both conventions (see the module doc)."""
    optuna_style = False
    for name, fn in list(cls.__dict__.items()):
        if not callable(fn) or getattr(fn, _DUAL, False):
            continue
        if name == "infer_relative_search_space":
            setattr(fn, _OPTUNA_STYLE, True)
            optuna_style = True
            continue
        if name not in _TUNELAB_ARITY:
            continue
        n = _arity(fn)
        if n is None:
            continue
        if n == _OPTUNA_ARITY[name] and n != _TUNELAB_ARITY[name]:
            setattr(cls, name, _optuna_method(name, fn))
            optuna_style = True
        else:
            setattr(cls, name, _tunelab_method(name, fn))
    if optuna_style and "infer_relative_space" not in cls.__dict__:
        parent = getattr(super(cls, cls), "infer_relative_space", None)
        cls._tunelab_infer_parent = staticmethod(parent) if parent is not None else None
        cls.infer_relative_space = _infer_relative_space
    if "reseed_rng" in cls.__dict__ and "reseed" not in cls.__dict__:
        user_reseed = cls.__dict__["reseed_rng"]

        def reseed(self: Any, seed: int | None) -> None:
            _reseed_stream(self, seed)
            user_reseed(self)

        cls.reseed = reseed


def _reseed_stream(sampler: Any, seed: int | None) -> None:
    """A fresh stream of the same kind: a user's ``np.random.RandomState`` stays a RandomState."""
    sampler._seed = seed
    stream = sampler.__dict__.get("_rng_stream")
    if stream is not None and type(stream).__name__ == "RandomState":
        import numpy as np

        sampler._rng_stream = np.random.RandomState(seed)
    else:
        sampler._rng_stream = None


def install(base: type, context_type: type) -> None:
    """Give the base class both conventions, an assignable ``_rng``, and Optuna's extra methods."""
    global _CONTEXT
    _CONTEXT = context_type
    rng = base.__dict__["_rng"]

    def set_rng(self: Any, value: Any) -> None:
        self._rng_stream = value

    base._rng = property(rng.fget, set_rng, doc=rng.__doc__)
    base._seed = None  # a subclass whose __init__ does not call super().__init__ still has a stream
    base._rng_stream = None
    base.reseed = lambda self, seed: _reseed_stream(self, seed)

    def infer_relative_search_space(self: Any, study: Any, trial: Any) -> dict[str, Distribution]:
        return self.infer_relative_space(context_from(study, trial))

    def reseed_rng(self: Any) -> None:
        self.reseed(None)

    base.infer_relative_search_space = infer_relative_search_space
    base.reseed_rng = reseed_rng
    for name in ("sample_relative", "sample_independent", "before_trial", "after_trial"):
        setattr(base, name, _tunelab_method(name, base.__dict__[name]))
