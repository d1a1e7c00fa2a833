"""Search spaces: the three distributions, their validation, and the map to and from [0, 1].

A distribution is a frozen record that the storage keeps beside every parameter
value.  Samplers see values through :meth:`to_unit` / :meth:`from_unit`, which
put every kind of parameter on [0, 1] (log-scaled where asked, ints and steps
rounded on the way back), so that a model-based sampler need not know the kinds.

A *declarative* space is a mapping of names to distributions (or to
:class:`Param`, which adds a ``when`` condition), parsed by
:func:`SearchSpace.from_mapping`; the TOML/YAML form of the CLI is the same
mapping written as text.  Declarative spaces are run as define-by-run through
:meth:`SearchSpace.suggest`, so both forms share one code path.
"""

from __future__ import annotations

import json
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence, Union


CategoricalChoice = Union[None, bool, int, float, str]

_EPS = 1e-9


def _is_real(value: Any) -> bool:
    """int, float or a numpy/other real scalar, but not bool (plain types first: this is on the hot path)."""
    kind = type(value)
    if kind is float or kind is int:
        return True
    return kind is not bool and isinstance(value, numbers.Real)


def _as_int(value: Any) -> int | None:
    """``value`` as an int if it is a whole number (numpy ints and 3.0 too, bools not), else None."""
    kind = type(value)
    if kind is int:
        return value
    if kind is bool:
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if _is_real(value) and math.isfinite(float(value)) and float(value).is_integer():
        return int(value)
    return None


def _check_number(value: Any, what: str) -> float:
    if not _is_real(value):
        raise ValueError(f"{what} must be a number; got {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{what} must be finite; got {value!r}")
    return value


@dataclass(frozen=True)
class FloatDistribution:
    """A real number in [low, high]; log-uniform if ``log``; a multiple of ``step`` from ``low`` if set."""

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        _check_number(self.low, "low")
        _check_number(self.high, "high")
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must be <= high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError(f"log=True needs low > 0; got low={self.low}")
        if self.step is not None:
            _check_number(self.step, "step")
            if self.log:
                raise ValueError("step and log=True cannot be used together")
            if self.step <= 0:
                raise ValueError(f"step must be > 0; got {self.step}")
            n = (self.high - self.low) / self.step
            if abs(n - round(n)) > 1e-8 * max(1.0, abs(n)):
                raise ValueError(
                    f"step ({self.step}) does not fit the range [{self.low}, {self.high}]: "
                    "high - low must be a multiple of step"
                )
            object.__setattr__(self, "step", float(self.step))

    kind = "float"

    def contains(self, value: Any) -> bool:
        if not _is_real(value):
            return False
        v = float(value)
        if not (self.low - _EPS * max(1, abs(self.low)) <= v <= self.high + _EPS * max(1, abs(self.high))):
            return False
        if self.step is not None:
            k = (v - self.low) / self.step
            return abs(k - round(k)) < 1e-6
        return True

    def single(self) -> bool:
        return self.low == self.high

    def _bounds(self) -> tuple[float, float]:
        if self.log:
            return math.log(self.low), math.log(self.high)
        if self.step is not None:
            return self.low - self.step / 2, self.high + self.step / 2
        return self.low, self.high

    def to_unit(self, value: float) -> float:
        lo, hi = self._bounds()
        if hi == lo:
            return 0.5
        x = math.log(value) if self.log else float(value)
        return min(1.0, max(0.0, (x - lo) / (hi - lo)))

    def from_unit(self, u: float) -> float:
        lo, hi = self._bounds()
        x = lo + min(1.0, max(0.0, float(u))) * (hi - lo)
        if self.log:
            x = math.exp(x)
        if self.step is not None:
            k = round((x - self.low) / self.step)
            x = self.low + k * self.step
        return self.clip(x)

    def clip(self, value: float) -> float:
        return float(min(self.high, max(self.low, value)))

    def to_internal_repr(self, param_value_in_external_repr: Any) -> float:
        """Optuna's internal form of a value (a float)."""
        return float(param_value_in_external_repr)

    def to_external_repr(self, param_value_in_internal_repr: float) -> float:
        return float(param_value_in_internal_repr)

    def grid(self) -> list[float]:
        if self.single():
            return [self.low]
        if self.step is None:
            raise ValueError("a float without step has no finite grid; give the grid values explicitly")
        n = int(round((self.high - self.low) / self.step))
        return [self.low + i * self.step for i in range(n + 1)]


@dataclass(frozen=True)
class IntDistribution:
    """An integer in [low, high]; log-uniform if ``log``; a multiple of ``step`` from ``low``."""

    low: int
    high: int
    log: bool = False
    step: int = 1

    kind = "int"

    def __post_init__(self) -> None:
        for what in ("low", "high", "step"):
            v = _as_int(getattr(self, what))
            if v is None:
                raise ValueError(f"{what} must be an integer; got {getattr(self, what)!r}")
            object.__setattr__(self, what, v)
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must be <= high ({self.high})")
        if self.step <= 0:
            raise ValueError(f"step must be >= 1; got {self.step}")
        if self.log and self.low < 1:
            raise ValueError(f"log=True needs low >= 1; got low={self.low}")
        if self.log and self.step != 1:
            raise ValueError("step and log=True cannot be used together")
        if (self.high - self.low) % self.step:
            raise ValueError(
                f"step ({self.step}) does not fit the range [{self.low}, {self.high}]: "
                "high - low must be a multiple of step"
            )

    def contains(self, value: Any) -> bool:
        value = _as_int(value)
        return value is not None and self.low <= value <= self.high and (value - self.low) % self.step == 0

    def single(self) -> bool:
        return self.low == self.high

    def _bounds(self) -> tuple[float, float]:
        half = self.step / 2
        if self.log:
            return math.log(self.low - 0.5), math.log(self.high + 0.5)
        return self.low - half, self.high + half

    def to_unit(self, value: int) -> float:
        lo, hi = self._bounds()
        x = math.log(value) if self.log else float(value)
        return min(1.0, max(0.0, (x - lo) / (hi - lo)))

    def from_unit(self, u: float) -> int:
        lo, hi = self._bounds()
        x = lo + min(1.0, max(0.0, float(u))) * (hi - lo)
        if self.log:
            x = math.exp(x)
        return self.clip(x)

    def clip(self, value: float) -> int:
        k = math.floor((value - self.low) / self.step + 0.5)  # half-up, so every value gets equal mass
        v = self.low + int(k) * self.step
        return int(min(self.high, max(self.low, v)))

    def to_internal_repr(self, param_value_in_external_repr: Any) -> float:
        """Optuna's internal form of a value (the int as a float)."""
        return float(param_value_in_external_repr)

    def to_external_repr(self, param_value_in_internal_repr: float) -> int:
        return int(param_value_in_internal_repr)

    def grid(self) -> list[int]:
        return list(range(self.low, self.high + 1, self.step))


@dataclass(frozen=True, eq=False)
class CategoricalDistribution:
    """One of a fixed tuple of JSON-serialisable choices (None, bool, int, float or str).

    Equality goes by the JSON form, so ``(True, "a")`` and ``(1, "a")`` are different spaces.
    """

    choices: tuple

    kind = "categorical"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CategoricalDistribution):
            return NotImplemented
        return self._keys == other._keys

    def __hash__(self) -> int:
        return hash(self._keys)

    def __post_init__(self) -> None:
        if isinstance(self.choices, (str, bytes)) or not isinstance(self.choices, Iterable):
            raise ValueError(f"choices must be a list of values; got {self.choices!r}")
        choices = tuple(_plain(c) for c in self.choices)
        if not choices:
            raise ValueError("choices must not be empty")
        for c in choices:
            if c is not None and not isinstance(c, (bool, int, float, str)):
                raise ValueError(f"choice {c!r} is not None, bool, int, float or str (it must be JSON-serialisable)")
        keys = tuple(json.dumps(c) for c in choices)
        if len(set(keys)) != len(keys):
            raise ValueError(f"choices must be distinct; got {list(choices)!r}")
        object.__setattr__(self, "choices", choices)
        object.__setattr__(self, "_keys", keys)  # the JSON form: equality, hashing and lookups go by it

    def index(self, value: Any) -> int:
        try:
            return self._keys.index(json.dumps(_plain(value)))
        except ValueError:
            raise ValueError(f"{value!r} is not one of the choices {list(self.choices)!r}") from None

    def contains(self, value: Any) -> bool:
        try:
            self.index(value)
            return True
        except (ValueError, TypeError):
            return False

    def single(self) -> bool:
        return len(self.choices) == 1

    def to_unit(self, value: Any) -> float:
        return (self.index(value) + 0.5) / len(self.choices)

    def from_unit(self, u: float) -> Any:
        i = min(len(self.choices) - 1, max(0, int(float(u) * len(self.choices))))
        return self.choices[i]

    def to_internal_repr(self, param_value_in_external_repr: Any) -> float:
        """Optuna's internal form of a choice: its index, as a float."""
        return float(self.index(param_value_in_external_repr))

    def to_external_repr(self, param_value_in_internal_repr: float) -> Any:
        return self.choices[int(param_value_in_internal_repr)]

    def grid(self) -> list:
        return list(self.choices)


Distribution = Union[FloatDistribution, IntDistribution, CategoricalDistribution]


def _plain(value: Any) -> Any:
    """numpy scalars to Python scalars, so values compare and serialise the same."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):  # numpy is not imported for this
        return value.item()
    return value


def incompatibility(earlier: Distribution, new: Distribution) -> str | None:
    """Why one parameter name cannot take ``new`` after ``earlier`` in a study, or None if it can.

    The rule is Optuna's: the kind (float, int, categorical) and a range's log scale stay, and so do a
    categorical's choices; a numeric range's bounds and step may change from trial to trial (a range that
    depends on another parameter).
    """
    if type(earlier) is not type(new):
        return f"{new.kind} now, {earlier.kind} before"
    if isinstance(new, CategoricalDistribution):
        return None if new == earlier else "other choices (a categorical keeps its choices)"
    if new.log != earlier.log:  # type: ignore[union-attr]
        return "another log setting (a range keeps its log scale)"
    return None


def distribution_to_json(dist: Distribution) -> str:
    if isinstance(dist, CategoricalDistribution):
        body = {"choices": list(dist.choices)}
    else:  # float and int keep the same four fields
        body = {"low": dist.low, "high": dist.high, "log": dist.log, "step": dist.step}
    return json.dumps({"kind": dist.kind, **body}, sort_keys=True)


def distribution_from_json(text: str) -> Distribution:
    data = json.loads(text)
    kind = data.pop("kind")
    if kind == "float":
        return FloatDistribution(**data)
    if kind == "int":
        return IntDistribution(**data)
    if kind == "categorical":
        return CategoricalDistribution(tuple(data["choices"]))
    raise ValueError(f"unknown distribution kind {kind!r}")


# ---------------------------------------------------------------- declarative spaces


@dataclass(frozen=True)
class Param:
    """A distribution plus an optional condition: ``when={"optimizer": "sgd"}`` or a list of allowed values."""

    distribution: Distribution
    when: Mapping[str, tuple] = field(default_factory=dict)


def _when(when: Mapping[str, Any] | None) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    for parent, allowed in (when or {}).items():
        if isinstance(allowed, (list, tuple, set)):
            out[parent] = tuple(allowed)
        else:
            out[parent] = (allowed,)
    return out


def Float(low: float, high: float, *, log: bool = False, step: float | None = None, when: Mapping | None = None) -> Param:
    """A float parameter for a declarative space."""
    return Param(FloatDistribution(low, high, log, step), _when(when))


def Int(low: int, high: int, *, log: bool = False, step: int = 1, when: Mapping | None = None) -> Param:
    """An int parameter for a declarative space."""
    return Param(IntDistribution(low, high, log, step), _when(when))


def Categorical(choices: Sequence, *, when: Mapping | None = None) -> Param:
    """A categorical parameter for a declarative space."""
    return Param(CategoricalDistribution(tuple(choices)), _when(when))


_TEXT_KEYS = {
    "float": {"type", "low", "high", "log", "step", "when"},
    "int": {"type", "low", "high", "log", "step", "when"},
    "categorical": {"type", "choices", "when"},
}


def _param_from_text(name: str, spec: Any) -> Param:
    """One entry of the TOML/YAML form: a table with ``type`` or a plain list (categorical)."""
    if isinstance(spec, list):
        return Param(CategoricalDistribution(tuple(spec)))
    if not isinstance(spec, Mapping):
        raise ValueError(f"expected a table with 'type' or a list of choices; got {spec!r}")
    kind = spec.get("type")
    if kind not in _TEXT_KEYS:
        raise ValueError(f"'type' must be one of 'float', 'int', 'categorical'; got {kind!r}")
    unknown = set(spec) - _TEXT_KEYS[kind]
    if unknown:
        raise ValueError(f"unknown key(s) {sorted(unknown)} for a {kind} parameter; allowed: {sorted(_TEXT_KEYS[kind])}")
    when = _when(spec.get("when"))
    if kind == "categorical":
        if "choices" not in spec:
            raise ValueError("a categorical parameter needs 'choices'")
        return Param(CategoricalDistribution(tuple(spec["choices"])), when)
    for key in ("low", "high"):
        if key not in spec:
            raise ValueError(f"a {kind} parameter needs '{key}'")
    if kind == "float":
        return Param(FloatDistribution(spec["low"], spec["high"], bool(spec.get("log", False)), spec.get("step")), when)
    return Param(IntDistribution(spec["low"], spec["high"], bool(spec.get("log", False)), spec.get("step", 1)), when)


class SearchSpace:
    """An ordered, declarative space; parents come before the parameters that depend on them."""

    def __init__(self, params: Mapping[str, Param]):
        self.params: dict[str, Param] = dict(params)
        for name, param in self.params.items():
            seen = list(self.params)[: list(self.params).index(name)]
            for parent, allowed in param.when.items():
                if parent not in self.params:
                    raise ValueError(f"parameter {name!r}: 'when' names {parent!r}, which is not in the space")
                if parent not in seen:
                    raise ValueError(f"parameter {name!r}: its parent {parent!r} must come before it")
                parent_dist = self.params[parent].distribution
                for value in allowed:
                    if not parent_dist.contains(value):
                        raise ValueError(f"parameter {name!r}: 'when' value {value!r} is not a possible value of {parent!r}")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> "SearchSpace":
        """Accepts distributions, :class:`Param`, lists (categorical) or the TOML/YAML tables."""
        if isinstance(mapping, SearchSpace):
            return mapping
        if not isinstance(mapping, Mapping) or not mapping:
            raise ValueError(f"a search space must be a non-empty mapping of names to parameters; got {mapping!r}")
        params: dict[str, Param] = {}
        for name, spec in mapping.items():
            try:
                if isinstance(spec, Param):
                    params[name] = spec
                elif isinstance(spec, (FloatDistribution, IntDistribution, CategoricalDistribution)):
                    params[name] = Param(spec)
                else:
                    params[name] = _param_from_text(name, spec)
            except ValueError as exc:
                raise ValueError(f"parameter {name!r}: {exc}") from None
        return cls(params)

    def active(self, name: str, values: Mapping[str, Any]) -> bool:
        """Whether ``name`` is present given the values chosen so far."""
        for parent, allowed in self.params[name].when.items():
            if parent not in values or not any(json.dumps(_plain(values[parent])) == json.dumps(a) for a in allowed):
                return False
        return True

    def suggest(self, trial: Any) -> dict[str, Any]:
        """Ask ``trial`` for every active parameter, in order; returns the values."""
        values: dict[str, Any] = {}
        for name, param in self.params.items():
            if self.active(name, values):
                values[name] = trial._suggest(name, param.distribution)
        return values

    def distributions(self) -> dict[str, Distribution]:
        return {name: p.distribution for name, p in self.params.items()}

    def grid(self) -> list[dict[str, Any]]:
        """Every combination of grid values, conditional parameters expanded only under their parents."""
        points: list[dict[str, Any]] = [{}]
        for name, param in self.params.items():
            expanded = []
            for point in points:
                if self.active(name, point):
                    expanded.extend({**point, name: v} for v in param.distribution.grid())
                else:
                    expanded.append(point)
            points = expanded
        return points
