"""Hand-made curves and contexts for the pruner tests."""

from __future__ import annotations

from typing import Sequence

from tunelab.pruners.base import PruningContext
from tunelab.trial import FrozenTrial, StudyDirection, TrialState


def make_trial(number: int, curve: dict[int, float] | Sequence[float], state: TrialState = TrialState.COMPLETE,
               first_step: int = 0) -> FrozenTrial:
    """A trial whose curve is a {step: value} dict or a list of values at steps first_step, first_step+1, ..."""
    iv = dict(curve) if isinstance(curve, dict) else {first_step + i: float(v) for i, v in enumerate(curve)}
    values = [iv[max(iv)]] if state == TrialState.COMPLETE and iv else None
    return FrozenTrial(number=number, trial_id=number, state=state, values=values, intermediate_values=iv)


def context(current: FrozenTrial | dict | Sequence[float], others: Sequence[FrozenTrial],
            direction: str = "maximize", number: int | None = None, first_step: int = 0) -> PruningContext:
    if not isinstance(current, FrozenTrial):
        current = make_trial(len(others) if number is None else number, current, TrialState.RUNNING, first_step)
    return PruningContext(trial=current, trials=list(others), direction=StudyDirection.parse(direction))
