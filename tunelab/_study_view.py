"""The study as an Optuna-style plug-in (a sampler's or pruner's ``study`` argument) sees it.

tunelab hands samplers and pruners a context (the other trials, the
directions); Optuna hands them the study.  :class:`StudyView` is the study
rebuilt from such a context, so a plug-in written for Optuna reads
``study.trials``, ``study.get_trials(deepcopy=False, states=...)``,
``study.direction`` and ``study.best_trial`` as it expects, without I/O.
"""

from __future__ import annotations

import inspect

import copy
from typing import Any, Callable, Sequence

from tunelab.trial import FrozenTrial, StudyDirection, TrialState, best_of


class StudyView:
    """What an Optuna-style plug-in sees as ``study``: the study's trials and directions, read-only.

    ``trials`` includes the trial being sampled or judged (RUNNING), as in
    Optuna.  Anything else is looked up on the live study when one was given
    (attributes, system attributes); without one an AttributeError names what
    is missing.
    """

    def __init__(self, load_trials: Callable[[], Sequence[FrozenTrial]], directions: Sequence[StudyDirection],
                 current: FrozenTrial | None = None, sampler: Any = None, pruner: Any = None,
                 study: Any = None, context: Any = None):
        self._load_trials = load_trials
        self._trials: list[FrozenTrial] | None = None
        self.directions = list(directions)
        self._current = current
        self.sampler = sampler
        self.pruner = pruner
        self._study = study
        self._context = context

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()

    def _all(self) -> list[FrozenTrial]:
        if self._trials is None:
            trials = [t for t in self._load_trials()
                      if self._current is None or t.number != self._current.number]
            if self._current is not None:
                trials.append(self._current)
            self._trials = sorted(trials, key=lambda t: t.number)
        return self._trials

    def get_trials(self, deepcopy: bool = True, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
        """Trials ordered by number, of the given states (all if None); copies unless ``deepcopy=False``."""
        trials = self._all()
        if states is not None:
            wanted = {TrialState.parse(s) for s in states}
            trials = [t for t in trials if t.state in wanted]
        else:
            trials = list(trials)
        return copy.deepcopy(trials) if deepcopy else trials

    @property
    def direction(self) -> StudyDirection:
        if len(self.directions) != 1:
            raise RuntimeError("this study has several objectives; use .directions")
        return self.directions[0]

    def _is_multi_objective(self) -> bool:
        return len(self.directions) > 1

    @property
    def best_trial(self) -> FrozenTrial:
        best = best_of(self._all(), self.direction)
        if best is None:
            raise ValueError("no complete trial yet")
        return best

    @property
    def best_value(self) -> float:
        return self.best_trial.values[0]

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)

    @property
    def best_trials(self) -> list[FrozenTrial]:
        return pareto_front([t for t in self._all() if t.state == TrialState.COMPLETE and t.values],
                             self.directions)

    def __getattr__(self, name: str) -> Any:
        study = self.__dict__.get("_study")
        if study is not None and not name.startswith("__"):
            return getattr(study, name)
        raise AttributeError(f"a sampler or pruner sees the study as a read-only view (trials, get_trials, "
                             f"direction(s), best_trial...); it has no {name!r}")

    def __repr__(self) -> str:
        return f"StudyView(directions={[d.name.lower() for d in self.directions]})"


def pareto_front(trials: list[FrozenTrial], directions: Sequence[StudyDirection]) -> list[FrozenTrial]:
    """The non-dominated trials (tunelab's own Pareto code)."""
    from tunelab.pareto import pareto_front as front

    return front(trials, directions)


def positional_arity(fn: Callable) -> int | None:
    """Positional parameters after self; None if the function takes *args (a dispatcher already)."""
    try:
        params = list(inspect.signature(fn).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return sum(1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
