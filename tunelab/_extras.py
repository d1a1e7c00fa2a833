"""One-line errors that name the extra to install when an optional dependency is missing."""

from __future__ import annotations

import importlib


class MissingExtra(ImportError):
    """An optional dependency is not installed; the message names the ``pip install 'tunelab[extra]'`` to run."""


def require(module: str, command: str, extra: str, what: str | None = None) -> None:
    """Import ``module`` or raise MissingExtra: "<command> needs <what>: pip install 'tunelab[<extra>]'"."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(f"{command} needs {what or module}: pip install 'tunelab[{extra}]' ({exc})") from None


def importable(module: str) -> bool:
    """Whether ``module`` can be imported (the ``is_available()`` checks of the figure modules)."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
