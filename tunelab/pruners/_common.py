"""Small helpers shared by the pruners: direction-aware comparisons and curve look-ups.

Every pruner works on *losses*: ``loss = direction.sign() * value``, so lower is
better whatever the study's direction, and NaN counts as the worst value.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from tunelab.trial import FrozenTrial, StudyDirection, TrialState

# trials whose curves a pruner may compare against (FAIL curves may be garbage; WAITING have none)
COMPARABLE = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)


def loss(value: float, direction: StudyDirection) -> float:
    """The value on a lower-is-better scale; NaN becomes +inf (worse than anything)."""
    if value is None or math.isnan(value):
        return math.inf
    return direction.sign() * value


def best_loss(trial: FrozenTrial, direction: StudyDirection, up_to: int | None = None) -> float:
    """The best (lowest) loss among the trial's reports at steps <= ``up_to`` (all if None)."""
    losses = [loss(v, direction) for s, v in trial.intermediate_values.items() if up_to is None or s <= up_to]
    return min(losses) if losses else math.inf


def first_step_at_or_after(trial: FrozenTrial, resource: float) -> int | None:
    """The first step the trial reported at or beyond ``resource`` (None if it never got there)."""
    iv = trial.intermediate_values
    if resource in iv:
        return int(resource)
    later = [s for s in iv if s >= resource]
    return min(later) if later else None


def comparable(trials: Iterable[FrozenTrial]) -> list[FrozenTrial]:
    return [t for t in trials if t.state in COMPARABLE and t.intermediate_values]


def n_complete(trials: Sequence[FrozenTrial]) -> int:
    return sum(1 for t in trials if t.state == TrialState.COMPLETE)
