"""Optuna's ``optuna.distributions`` module over tunelab's own distributions.

The three distribution classes are tunelab's (:mod:`tunelab.space`), so a
distribution built here is the one the study stores.  This module adds what
Optuna code reaches for besides them: the abstract :class:`BaseDistribution`
for ``isinstance`` checks, the pre-3.0 classes (``UniformDistribution`` and
friends, which build the equivalent new distribution and, in ``isinstance``,
match the 3.0 distributions of their shape), and Optuna's JSON form
(``{"name": "FloatDistribution", "attributes": {...}}``), which is also how
Optuna's databases store distributions (read by ``tunelab migrate``).
"""

from __future__ import annotations

import abc
import inspect
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


class _PreV3(type):
    """The kind of the pre-3.0 names: calling one builds the 3.0 distribution tunelab stores;
    ``isinstance(d, UniformDistribution)`` asks whether ``d`` has that old kind's shape, so a
    plug-in written before 3.0 recognises the distributions a study hands it."""

    def __init__(cls, name: str, bases: tuple, namespace: dict) -> None:
        super().__init__(name, bases, namespace)
        build = namespace.get("_build")
        if build is not None:  # help() and inspect show the constructor's own arguments
            cls.__signature__ = inspect.signature(build.__func__)

    def __call__(cls, *args: Any, **kwargs: Any) -> Distribution:
        _deprecated(cls.__name__, cls._replacement)  # type: ignore[attr-defined]
        return cls._build(*args, **kwargs)  # type: ignore[attr-defined]

    def __instancecheck__(cls, obj: Any) -> bool:
        return bool(cls._shape(obj))  # type: ignore[attr-defined]


class UniformDistribution(metaclass=_PreV3):
    """``FloatDistribution(low, high)`` (Optuna's pre-3.0 name); matches a float range without log or step."""

    _replacement = "FloatDistribution(low, high)"

    @staticmethod
    def _build(low: float, high: float) -> FloatDistribution:
        return FloatDistribution(low, high)

    @staticmethod
    def _shape(d: Any) -> bool:
        return isinstance(d, FloatDistribution) and not d.log and d.step is None


class LogUniformDistribution(metaclass=_PreV3):
    """``FloatDistribution(low, high, log=True)`` (Optuna's pre-3.0 name); matches a log-scaled float range."""

    _replacement = "FloatDistribution(low, high, log=True)"

    @staticmethod
    def _build(low: float, high: float) -> FloatDistribution:
        return FloatDistribution(low, high, log=True)

    @staticmethod
    def _shape(d: Any) -> bool:
        return isinstance(d, FloatDistribution) and bool(d.log)


class DiscreteUniformDistribution(metaclass=_PreV3):
    """``FloatDistribution(low, high', step=q)``, ``high`` rounded down onto the step as Optuna did;
    matches a float range with a step."""

    _replacement = "FloatDistribution(low, high, step=q)"

    @staticmethod
    def _build(low: float, high: float, q: float) -> FloatDistribution:
        return _discrete(low, high, q)

    @staticmethod
    def _shape(d: Any) -> bool:
        return isinstance(d, FloatDistribution) and d.step is not None


class IntUniformDistribution(metaclass=_PreV3):
    """``IntDistribution(low, high', step=step)`` (Optuna's pre-3.0 name); matches an int range without log."""

    _replacement = "IntDistribution(low, high, step=step)"

    @staticmethod
    def _build(low: int, high: int, step: int = 1) -> IntDistribution:
        return IntDistribution(low, low + (high - low) // step * step, step=step)

    @staticmethod
    def _shape(d: Any) -> bool:
        return isinstance(d, IntDistribution) and not d.log


class IntLogUniformDistribution(metaclass=_PreV3):
    """``IntDistribution(low, high, log=True)`` (Optuna's pre-3.0 name; ``step`` other than 1 is refused);
    matches a log-scaled int range."""

    _replacement = "IntDistribution(low, high, log=True)"

    @staticmethod
    def _build(low: int, high: int, step: int = 1) -> IntDistribution:
        return IntDistribution(low, high, log=True, step=step)

    @staticmethod
    def _shape(d: Any) -> bool:
        return isinstance(d, IntDistribution) and bool(d.log)


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
