"""Optuna's ``optuna.version``: the installed tunelab's version string."""

from tunelab import __version__

__all__ = ["__version__"]
