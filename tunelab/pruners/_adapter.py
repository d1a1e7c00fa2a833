"""Optuna-style pruners run unchanged: ``prune(study, trial)`` meets tunelab's ``prune(context)`` here.

Every subclass of :class:`BasePruner` is adapted when its class is created:

* a ``prune(self, study, trial)`` written Optuna's way is called by tunelab
  with a :class:`StudyView` made from the :class:`PruningContext` (its trials
  include the trial being judged) and the trial as a :class:`FrozenTrial`;
* a ``prune(self, context)`` written tunelab's way also accepts Optuna's
  ``(study, trial)``, so a user's pruner can delegate to
  ``MedianPruner().prune(study, trial)``.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from tunelab._study_view import StudyView, positional_arity as _arity
from tunelab.trial import FrozenTrial, TrialState

_DUAL = "__tunelab_dual__"


_CONTEXT: type = type(None)  # PruningContext, given by install() (base.py imports this module, not back)


def _is_context(obj: Any) -> bool:
    return isinstance(obj, _CONTEXT)


def frozen(trial: Any) -> FrozenTrial:
    """A live trial handle as the record a pruner reads (a FrozenTrial is returned as it is)."""
    if isinstance(trial, FrozenTrial):
        return trial
    return FrozenTrial(number=trial.number, trial_id=getattr(trial, "_trial_id", -1), state=TrialState.RUNNING,
                       params=dict(trial.params), distributions=dict(trial.distributions),
                       intermediate_values=dict(trial.intermediate_values),
                       user_attrs=dict(getattr(trial, "user_attrs", {}) or {}))


def view(pruner: Any, context: Any) -> StudyView:
    """The study as an Optuna-style pruner sees it, from tunelab's pruning context."""
    return StudyView(lambda: context.trials, [context.direction], context.trial, pruner=pruner,
                     study=getattr(context, "study", None), context=context)


def context_from(study: Any, trial: Any) -> Any:
    """A PruningContext from Optuna's (study, trial) arguments."""
    base = getattr(study, "_context", None) if isinstance(study, StudyView) else None
    if base is not None and _is_context(base) and base.trial.number == trial.number:
        return base
    record = frozen(trial)
    trials = study.get_trials(deepcopy=False) if isinstance(study, StudyView) else study.trials
    others = [t for t in trials if t.number != record.number]
    return _CONTEXT(trial=record, trials=others, direction=study.directions[0])


def _optuna_prune(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def prune(self: Any, *args: Any, **kwargs: Any) -> bool:
        if len(args) == 1 and not kwargs and _is_context(args[0]):
            return fn(self, view(self, args[0]), args[0].trial)
        return fn(self, *args, **kwargs)

    setattr(prune, _DUAL, True)
    return prune


def _tunelab_prune(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def prune(self: Any, *args: Any, **kwargs: Any) -> bool:
        if len(args) + len(kwargs) == 1:
            return fn(self, *args, **kwargs)
        if len(args) == 2:
            return fn(self, context_from(args[0], args[1]))
        study, trial = kwargs.get("study", args[0] if args else None), kwargs.get("trial")
        return fn(self, context_from(study, trial))

    setattr(prune, _DUAL, True)
    return prune


def adapt(cls: type) -> None:
    """Make ``cls.prune`` callable both as ``prune(context)`` and as Optuna's ``prune(study, trial)``."""
    fn = cls.__dict__.get("prune")
    if fn is None or not callable(fn) or getattr(fn, _DUAL, False):
        return
    n = _arity(fn)
    if n == 2:
        cls.prune = _optuna_prune(fn)
    elif n == 1:
        cls.prune = _tunelab_prune(fn)


def install(base: type, context_type: type) -> None:
    """Give the base class both call forms of ``prune``."""
    global _CONTEXT
    _CONTEXT = context_type
    base.prune = _tunelab_prune(base.__dict__["prune"])
