"""The pruner contract: a pure verdict over (this trial's curve, the other trials)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from tunelab.trial import FrozenTrial, StudyDirection, TrialState


@dataclass
class PruningContext:
    """What a pruner may see when a trial asks whether to stop."""

    trial: FrozenTrial
    trials: Sequence[FrozenTrial]  # every other trial of the study
    direction: StudyDirection

    def finished(self, states: Sequence[TrialState] = (TrialState.COMPLETE, TrialState.PRUNED)) -> list[FrozenTrial]:
        return [t for t in self.trials if t.state in states]


class BasePruner:
    """Never prunes and hands out no budget; subclasses override one or both."""

    #: whether this pruner may stop trials; samplers read it (tunelab.protocols.PrunerInfo)
    prunes: bool = True

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        _adapter.adapt(cls)  # Optuna-style prune(study, trial) runs unchanged (see pruners/_adapter.py)

    def __repr__(self) -> str:
        """``Name(arg=value, ...)`` from the public attributes, so a study's pruner prints readably."""
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"

    def prune(self, context: PruningContext) -> bool:
        return False

    def budget(self, context: PruningContext) -> float | None:
        """The resource (epochs, samples...) the trial should have spent by its next check, or None."""
        return None


from tunelab.pruners import _adapter  # noqa: E402  (it needs BasePruner defined)

_adapter.install(BasePruner)


class NopPruner(BasePruner):
    """Keeps every trial."""

    prunes = False
