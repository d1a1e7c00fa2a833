"""Declarative checks for public arguments, so every bad input gets the same kind of message.

A public function lists its constraints once (in the spirit of scikit-learn's
``_parameter_constraints``) and calls :func:`validate` at its top::

    _CONSTRAINTS = {"n_trials": [Interval(int, 1, None), None]}
    validate(_CONSTRAINTS, {"n_trials": n_trials}, "Study.optimize")
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Iterable


@dataclass(frozen=True)
class Interval:
    """A number of ``kind`` (int or float) in [low, high] (None = unbounded)."""

    kind: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"  # "both", "left", "right", "neither"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.kind is int and not isinstance(value, numbers.Integral):
            return False
        if self.kind is float and not isinstance(value, numbers.Real):
            return False
        if isinstance(value, float) and math.isnan(value):
            return False
        left_ok = self.low is None or (value >= self.low if self.closed in ("both", "left") else value > self.low)
        right_ok = self.high is None or (value <= self.high if self.closed in ("both", "right") else value < self.high)
        return left_ok and right_ok

    def describe(self) -> str:
        name = "an int" if self.kind is int else "a number"
        lo_b = "[" if self.closed in ("both", "left") else "("
        hi_b = "]" if self.closed in ("both", "right") else ")"
        lo = "-inf" if self.low is None else repr(self.low)
        hi = "inf" if self.high is None else repr(self.high)
        return f"{name} in {lo_b}{lo}, {hi}{hi_b}"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values (usually strings)."""

    values: tuple

    def __init__(self, values: Iterable):
        object.__setattr__(self, "values", tuple(values))

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.values

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class Check:
    """Any predicate, with the words that describe what it accepts."""

    predicate: Callable[[Any], bool]
    description: str

    def accepts(self, value: Any) -> bool:
        try:
            return bool(self.predicate(value))
        except Exception:
            return False

    def describe(self) -> str:
        return self.description


def _accepts(constraint: Any, value: Any) -> bool:
    if constraint is None:
        return value is None
    if isinstance(constraint, type):
        return isinstance(value, constraint) and not (constraint in (int, float) and isinstance(value, bool))
    return constraint.accepts(value)


def _describe(constraint: Any) -> str:
    if constraint is None:
        return "None"
    if isinstance(constraint, type):
        return f"an instance of {constraint.__name__}"
    return constraint.describe()


class UnhonouredArgumentWarning(UserWarning):
    """An argument (an Optuna constructor's, say) was accepted but tunelab does not act on it.

    One class for samplers and pruners alike (``tunelab.exceptions`` exports it), so one
    ``warnings.filterwarnings`` silences or escalates them all."""


def validate(constraints: dict[str, list], arguments: dict[str, Any], owner: str) -> None:
    """Raise ValueError/TypeError naming the first argument that fits none of its constraints.

    Every declared name must be among ``arguments`` (a check that is never run is a bug, not a pass)."""
    missing = [name for name in constraints if name not in arguments]
    if missing:
        raise TypeError(f"{owner}: validate() got no value for the declared argument(s) {missing}")
    for name, allowed in constraints.items():
        value = arguments[name]
        if any(_accepts(c, value) for c in allowed):
            continue
        expected = " or ".join(_describe(c) for c in allowed)
        error = TypeError if all(isinstance(c, type) for c in allowed if c is not None) else ValueError
        raise error(f"{owner}: argument {name!r} must be {expected}; got {value!r}.")
