"""Optuna's ``optuna.terminator.callback`` import path: the callback that stops a study."""

from tunelab.terminator._terminator import Terminator, TerminatorCallback

__all__ = ["Terminator", "TerminatorCallback"]
