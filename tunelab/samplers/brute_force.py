"""Every combination of a define-by-run space of discrete parameters, each once (Optuna's ``BruteForceSampler``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tunelab.samplers.base import BaseSampler, SamplingContext
from tunelab.space import Distribution, FloatDistribution
from tunelab.trial import FrozenTrial, TrialState

_DONE = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


@dataclass
class _Node:
    """One point of the define-by-run tree: the parameter asked next (None: not seen yet) and its values."""

    name: str | None = None
    candidates: list[Any] = field(default_factory=list)
    children: dict[Any, "_Node"] = field(default_factory=dict)
    leaf: bool = False  # a finished trial ended here

    def exhausted(self) -> bool:
        if self.leaf:
            return True
        if self.name is None:
            return False
        return all(c in self.children and self.children[c].exhausted() for c in self.candidates)


def _candidates(name: str, distribution: Distribution) -> list[Any]:
    if isinstance(distribution, FloatDistribution) and distribution.step is None and not distribution.single():
        raise ValueError(f"BruteForceSampler: parameter {name!r} is a float without 'step'; "
                         "it has no finite set of values (give suggest_float a step, or use suggest_int/categorical)")
    return distribution.grid()


def _tree(trials: list[FrozenTrial]) -> _Node:
    root = _Node()
    for trial in trials:
        node = root
        for name, value in trial.params.items():  # parameters in the order the objective asked for them
            if node.name is None:
                node.name = name
                node.candidates = _candidates(name, trial.distributions[name])
            elif node.name != name:
                break  # not a define-by-run tree under this prefix (the objective changed); stop here
            node = node.children.setdefault(value, _Node())
        else:
            if trial.state in _DONE:
                node.leaf = True
    return root


class BruteForceSampler(BaseSampler):
    """Tries each combination of the discrete parameters (categorical, int, float with a step) once.

    Parameters are found as the objective asks for them, so conditional spaces work.  The study stops
    (as at a grid's end) once every branch has a finished trial.  ``avoid_premature_stop=True`` counts
    only complete, pruned or failed trials as visited, so a branch a running trial explores may be tried
    again instead of ending the study early; by default running trials count as visited too.
    """

    def __init__(self, seed: int | None = None, avoid_premature_stop: bool = False):
        super().__init__(seed)
        self.avoid_premature_stop = bool(avoid_premature_stop)

    def _visited(self, context: SamplingContext) -> list[FrozenTrial]:
        states = _DONE if self.avoid_premature_stop else (*_DONE, TrialState.RUNNING)
        return [t for t in context.trials if t.state in states]

    def is_exhausted(self, context: SamplingContext) -> bool:
        finished = [t for t in context.trials if t.state in _DONE]
        return bool(finished) and _tree(finished).exhausted()

    def sample_independent(self, context: SamplingContext, name: str, distribution: Distribution) -> Any:
        candidates = _candidates(name, distribution)
        node = _tree(self._visited(context))
        for key, value in context.params.items():  # walk down to this trial's place in the tree
            if node.name != key or value not in node.children:
                node = _Node()
                break
            node = node.children[value]
        if node.name != name:
            node = _Node()
        fresh = [c for c in candidates if c not in node.children]
        if not fresh:
            fresh = [c for c in candidates if not node.children[c].exhausted()] or candidates
        return fresh[int(self._rng.integers(len(fresh)))]
