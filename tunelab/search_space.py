"""Optuna's ``optuna.search_space``: the parameters every finished trial shares, for relative samplers.

A user-written sampler's ``infer_relative_search_space`` usually returns
``intersection_search_space(study.get_trials(deepcopy=False))``: the
parameters that every complete trial (and pruned one, if asked) suggested with
the same distribution, sorted by name.  A parameter whose range changed
between trials is left out.
"""

from __future__ import annotations

from typing import Any, Iterable

from tunelab.space import Distribution
from tunelab.trial import FrozenTrial, TrialState

__all__ = ["IntersectionSearchSpace", "intersection_search_space"]


def intersection_search_space(trials: Iterable[FrozenTrial], include_pruned: bool = False) -> dict[str, Distribution]:
    """The name -> distribution pairs shared by every complete (and, with ``include_pruned``, pruned) trial."""
    states = (TrialState.COMPLETE, TrialState.PRUNED) if include_pruned else (TrialState.COMPLETE,)
    space: dict[str, Distribution] | None = None
    for trial in trials:
        if trial.state not in states:
            continue
        if space is None:
            space = dict(trial.distributions)
        else:
            space = {name: d for name, d in space.items() if trial.distributions.get(name) == d}
        if not space:
            break
    return dict(sorted((space or {}).items()))


class IntersectionSearchSpace:
    """:func:`intersection_search_space` over a study's trials, remembered between calls for one study.

    Trials up to the first unfinished one are folded in once; later calls read
    only the trials after them.
    """

    def __init__(self, include_pruned: bool = False) -> None:
        self._include_pruned = include_pruned
        self._study_key: Any = None
        self._space: dict[str, Distribution] | None = None
        self._next_number = 0

    def calculate(self, study: Any, use_cache: bool = False) -> dict[str, Distribution]:
        """The intersection space of ``study``'s finished trials so far (one study per instance)."""
        key = getattr(study, "_study_id", None), getattr(study, "study_name", None)
        if self._study_key is None:
            self._study_key = key
        elif key != self._study_key:
            raise ValueError("IntersectionSearchSpace: one instance serves one study; "
                             f"it was used with {self._study_key} and now with {key}")
        states = (TrialState.COMPLETE, TrialState.PRUNED) if self._include_pruned else (TrialState.COMPLETE,)
        trials = [t for t in study.get_trials(deepcopy=False) if t.number >= self._next_number]
        for trial in trials:
            if not trial.state.is_finished():
                break  # an unfinished trial may still join; fold it in on a later call
            self._next_number = trial.number + 1
            if trial.state not in states:
                continue
            if self._space is None:
                self._space = dict(trial.distributions)
            else:
                self._space = {n: d for n, d in self._space.items() if trial.distributions.get(n) == d}
        # trials after the first unfinished one count now, but are read again next time
        later = [t for t in trials if t.number >= self._next_number and t.state in states]
        return intersection_search_space(
            [FrozenTrial(number=-1, trial_id=-1, state=TrialState.COMPLETE, distributions=dict(self._space))]
            + later if self._space is not None else later)
