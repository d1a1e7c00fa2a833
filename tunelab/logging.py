"""Optuna's ``optuna.logging`` over the standard library's logging, for tunelab's ``"tunelab"`` logger.

``get_logger("optuna")`` (and ``"optuna.<sub>"``) returns the matching
``"tunelab"`` logger, so Optuna code that attaches a handler to Optuna's
logger sees tunelab's messages.  Unlike Optuna, tunelab installs no handler
of its own until :func:`enable_default_handler` is called, and it never turns
propagation off by itself: an application's logging set-up decides.
"""

from __future__ import annotations

import logging as _logging
import sys
import threading
from logging import CRITICAL, DEBUG, ERROR, FATAL, INFO, WARN, WARNING

__all__ = [
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "FATAL",
    "INFO",
    "WARN",
    "WARNING",
    "create_default_formatter",
    "disable_default_handler",
    "disable_propagation",
    "enable_default_handler",
    "enable_propagation",
    "get_logger",
    "get_verbosity",
    "set_verbosity",
]

_ROOT = "tunelab"
_lock = threading.Lock()
_default_handler: _logging.Handler | None = None


def _root() -> _logging.Logger:
    return _logging.getLogger(_ROOT)


def _library_name(name: str) -> str:
    """Optuna's logger names mapped onto tunelab's: "optuna" -> "tunelab", "optuna.study" -> "tunelab.study"."""
    if name == "optuna" or name.startswith("optuna."):
        return _ROOT + name[len("optuna"):]
    return name


def get_logger(name: str) -> _logging.Logger:
    """The logger called ``name`` (Optuna's names are mapped to tunelab's)."""
    if not isinstance(name, str):
        raise TypeError(f"get_logger: 'name' must be a str; got {name!r}")
    return _logging.getLogger(_library_name(name))


def get_verbosity() -> int:
    """The effective level of tunelab's root logger (``logging.WARNING`` unless changed)."""
    return _root().getEffectiveLevel()


def set_verbosity(verbosity: int) -> None:
    """Set the level of tunelab's root logger, e.g. ``set_verbosity(tunelab.logging.WARNING)``."""
    if isinstance(verbosity, bool) or not isinstance(verbosity, int):
        raise TypeError(f"set_verbosity: 'verbosity' must be a logging level (an int such as logging.INFO); "
                        f"got {verbosity!r}")
    _root().setLevel(verbosity)


def create_default_formatter() -> _logging.Formatter:
    """The formatter of the default handler: ``[L time] message`` (L the level's first letter)."""
    return _logging.Formatter("[%(levelname)1.1s %(asctime)s] %(message)s")


def enable_default_handler() -> None:
    """Print tunelab's log records to stderr (``[LEVEL time] message``)."""
    global _default_handler
    with _lock:
        if _default_handler is None:
            handler = _logging.StreamHandler(sys.stderr)
            handler.setFormatter(create_default_formatter())
            _default_handler = handler
        if _default_handler not in _root().handlers:
            _root().addHandler(_default_handler)


def disable_default_handler() -> None:
    """Stop printing through the handler :func:`enable_default_handler` installed (no-op if none)."""
    with _lock:
        if _default_handler is not None:
            _root().removeHandler(_default_handler)


def disable_propagation() -> None:
    """Keep tunelab's records away from the root logger's handlers."""
    _root().propagate = False


def enable_propagation() -> None:
    """Let tunelab's records reach the root logger's handlers (the default)."""
    _root().propagate = True
