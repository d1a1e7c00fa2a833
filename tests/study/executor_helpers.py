"""Shared by the cluster tests (Dask, Ray): the optional-package rule and an objective their workers import."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

import tunelab


def require(module: str, extra: str) -> ModuleType:
    """Import an optional package: a hard error in CI (it must be installed there), a skip elsewhere."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":  # as tests/conftest.py's in_ci
            raise RuntimeError(f"CI=true but {module} is not installed (extra '{extra}')")
        pytest.skip(f"{module} is not installed (pip install -e '.[{extra}]')", allow_module_level=True)


def objective(trial: tunelab.Trial) -> float:
    """(x - 1)^2, recording the process that ran it."""
    x = trial.suggest_float("x", -5, 5)
    trial.set_user_attr("pid", os.getpid())
    return (x - 1.0) ** 2


def quick(trial: tunelab.Trial) -> float:
    """(x - 1)^2 after a short pause, so that parallel workers overlap."""
    import time

    x = trial.suggest_float("x", -5, 5)
    time.sleep(0.02)
    return (x - 1.0) ** 2


STOP_AT = 5


def stop_after_five(study: tunelab.Study, trial: tunelab.FrozenTrial) -> None:
    """A callback that stops the study once, after trial number STOP_AT (in whichever worker ran it)."""
    if trial.number == STOP_AT:
        study.stop()


def x_at_most_one(trial: tunelab.FrozenTrial) -> list[float]:
    """A constraints function: feasible when x <= 1."""
    return [trial.params["x"] - 1.0]
