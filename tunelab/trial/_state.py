"""``TrialState`` at Optuna's module path (``from optuna.trial._state import TrialState``)."""

from tunelab.trial._records import TrialState

__all__ = ["TrialState"]
