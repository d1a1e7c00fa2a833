"""Trials: the stored records (states, directions, FrozenTrial) and the live handle an objective talks to.

``_records`` holds what storages, samplers and pruners read; ``_handle`` the
live :class:`Trial`, which reaches its study only through :class:`TrialBackend`.
"""

from tunelab.trial._create import create_trial
from tunelab.trial._handle import FixedTrial, Trial, TrialBackend
from tunelab.trial._records import FrozenTrial, StudyDirection, TrialPruned, TrialState, best_of, check_values

BaseTrial = Trial  # Optuna's name for the common type of its trial classes

__all__ = ["BaseTrial", "FixedTrial", "FrozenTrial", "StudyDirection", "Trial", "TrialBackend", "TrialPruned",
           "TrialState", "best_of", "check_values", "create_trial"]
