"""Optuna's ``optuna.exceptions`` names, bound to the exceptions tunelab raises.

``TrialPruned``, ``DuplicatedStudyError`` and ``UpdateFinishedTrialError`` are
the very classes tunelab raises, so ``except optuna.exceptions.X`` catches
tunelab's errors after ``import tunelab as optuna``.
"""

from __future__ import annotations

from tunelab._validation import UnhonouredArgumentWarning
from tunelab.storage.base import DuplicatedStudyError, StorageError, StudyNotFoundError
from tunelab.storage.base import TrialFinishedError as UpdateFinishedTrialError
from tunelab.trial import TrialPruned

__all__ = [
    "CLIUsageError",
    "DuplicatedStudyError",
    "ExperimentalWarning",
    "OptunaError",
    "StorageInternalError",
    "StudyNotFoundError",
    "TrialPruned",
    "UnhonouredArgumentWarning",
    "UpdateFinishedTrialError",
]

#: The storage's own error: a lost connection, a schema mismatch, a bad URL.
StorageInternalError = StorageError


class OptunaError(Exception):
    """Base of the errors defined only for Optuna compatibility (tunelab's own errors keep their bases)."""


class CLIUsageError(OptunaError):
    """A command-line tool was called with arguments that do not fit together."""


class ExperimentalWarning(UserWarning):
    """A feature whose interface may still change."""
