"""Optuna's ``optuna.distributions`` module over tunelab's own distributions.

The three distribution classes are tunelab's (:mod:`tunelab.space`), so a
distribution built here is the one the study stores.  This module adds what
Optuna code reaches for besides them: the abstract :class:`BaseDistribution`
for ``isinstance`` checks, the pre-3.0 classes (``UniformDistribution`` and
friends, which build the equivalent new distribution), and Optuna's JSON form
(``{"name": "FloatDistribution", "attributes": {...}}``), which is also how
Optuna's databases store distributions (read by ``tunelab migrate``).
"""

from __future__ import annotations

import abc
import json
import warnings
from typing import Any

from tunelab.space import CategoricalChoice, CategoricalDistribution, Distribution, FloatDistribution, IntDistribution

CategoricalChoiceType = CategoricalChoice

__all__ = [
    "BaseDistribution",
    "CategoricalChoiceType",
    "CategoricalDistribution",
    "DISTRIBUTION_CLASSES",
    "DiscreteUniformDistribution",
    "FloatDistribution",
    "IntDistribution",
    "IntLogUniformDistribution",
    "IntUniformDistribution",
    "LogUniformDistribution",
    "UniformDistribution",
    "check_distribution_compatibility",
    "distribution_to_json",
    "json_to_distribution",
]


class BaseDistribution(abc.ABC):
    """The common type of the three distributions (they are registered as virtual subclasses)."""


for _cls in (FloatDistribution, IntDistribution, CategoricalDistribution):
    BaseDistribution.register(_cls)

#: The distribution classes, for ``isinstance(d, DISTRIBUTION_CLASSES)`` (the pre-3.0 names build these).
DISTRIBUTION_CLASSES = (IntDistribution, FloatDistribution, CategoricalDistribution)


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"{old} is Optuna's pre-3.0 name; it builds {new}, which tunelab stores", FutureWarning,
                  stacklevel=3)


def UniformDistribution(low: float, high: float) -> FloatDistribution:
    """``FloatDistribution(low, high)`` (Optuna's pre-3.0 name)."""
    _deprecated("UniformDistribution", "FloatDistribution(low, high)")
    return FloatDistribution(low, high)


def LogUniformDistribution(low: float, high: float) -> FloatDistribution:
    """``FloatDistribution(low, high, log=True)`` (Optuna's pre-3.0 name)."""
    _deprecated("LogUniformDistribution", "FloatDistribution(low, high, log=True)")
    return FloatDistribution(low, high, log=True)


def DiscreteUniformDistribution(low: float, high: float, q: float) -> FloatDistribution:
    """``FloatDistribution(low, high', step=q)``, ``high`` rounded down onto the step as Optuna did."""
    _deprecated("DiscreteUniformDistribution", "FloatDistribution(low, high, step=q)")
    return _discrete(low, high, q)


def IntUniformDistribution(low: int, high: int, step: int = 1) -> IntDistribution:
    """``IntDistribution(low, high', step=step)`` (Optuna's pre-3.0 name)."""
    _deprecated("IntUniformDistribution", "IntDistribution(low, high, step=step)")
    return IntDistribution(low, low + (high - low) // step * step, step=step)


def IntLogUniformDistribution(low: int, high: int, step: int = 1) -> IntDistribution:
    """``IntDistribution(low, high, log=True)`` (Optuna's pre-3.0 name; ``step`` other than 1 is refused)."""
    _deprecated("IntLogUniformDistribution", "IntDistribution(low, high, log=True)")
    return IntDistribution(low, high, log=True, step=step)


def _discrete(low: float, high: float, q: float) -> FloatDistribution:
    n = int(round((high - low) / q, 8) // 1)
    return FloatDistribution(low, low + n * q if abs(low + n * q - high) > 1e-12 else high, step=q)


def distribution_to_json(dist: Distribution) -> str:
    """Optuna's JSON form of a distribution."""
    if isinstance(dist, FloatDistribution):
        attrs: dict[str, Any] = {"low": dist.low, "high": dist.high, "log": dist.log, "step": dist.step}
    elif isinstance(dist, IntDistribution):
        attrs = {"low": dist.low, "high": dist.high, "log": dist.log, "step": dist.step}
    elif isinstance(dist, CategoricalDistribution):
        attrs = {"choices": list(dist.choices)}
    else:
        raise TypeError(f"distribution_to_json: expected a Float-, Int- or CategoricalDistribution; got {dist!r}")
    return json.dumps({"name": type(dist).__name__, "attributes": attrs})


def json_to_distribution(json_str: str) -> Distribution:
    """A distribution from Optuna's JSON form (current and pre-3.0 class names) or tunelab's own."""
    try:
        data = json.loads(json_str)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"json_to_distribution: not JSON: {json_str!r} ({exc})") from None
    if isinstance(data, dict) and "kind" in data:
        from tunelab.space import distribution_from_json

        return distribution_from_json(json_str)
    if not isinstance(data, dict) or "name" not in data or not isinstance(data.get("attributes"), dict):
        raise ValueError(f"json_to_distribution: expected {{'name': ..., 'attributes': {{...}}}}; got {json_str!r}")
    name, a = data["name"], data["attributes"]
    try:
        if name == "FloatDistribution":
            return FloatDistribution(a["low"], a["high"], bool(a.get("log", False)), a.get("step"))
        if name == "IntDistribution":
            return IntDistribution(a["low"], a["high"], bool(a.get("log", False)), a.get("step", 1))
        if name == "CategoricalDistribution":
            return CategoricalDistribution(tuple(a["choices"]))
        if name == "UniformDistribution":
            return FloatDistribution(a["low"], a["high"])
        if name == "LogUniformDistribution":
            return FloatDistribution(a["low"], a["high"], log=True)
        if name == "DiscreteUniformDistribution":
            return _discrete(a["low"], a["high"], a["q"])
        if name == "IntUniformDistribution":
            step = a.get("step", 1)
            return IntDistribution(a["low"], a["low"] + (a["high"] - a["low"]) // step * step, step=step)
        if name == "IntLogUniformDistribution":
            return IntDistribution(a["low"], a["high"], log=True)
    except KeyError as exc:
        raise ValueError(f"json_to_distribution: {name} lacks the attribute {exc}; got {json_str!r}") from None
    raise ValueError(f"json_to_distribution: unknown distribution {name!r}")


def check_distribution_compatibility(dist_old: Distribution, dist_new: Distribution) -> None:
    """Raise ValueError if one parameter name cannot carry both distributions (Optuna's rule).

    Different kinds never mix; categoricals must have the same choices; numbers may
    change range but not ``log``.
    """
    if type(dist_old) is not type(dist_new):
        raise ValueError(f"cannot set different distribution kinds to the same parameter name: "
                         f"{dist_old} and {dist_new}")
    if isinstance(dist_old, (FloatDistribution, IntDistribution)) and dist_old.log != dist_new.log:
        raise ValueError(f"cannot set different log configurations to the same parameter name: "
                         f"{dist_old} and {dist_new}")
    if isinstance(dist_old, CategoricalDistribution) and dist_old != dist_new:
        raise ValueError(f"CategoricalDistribution does not support dynamic value space: "
                         f"{dist_old} and {dist_new}")
