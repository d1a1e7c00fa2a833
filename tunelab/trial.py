"""Trials: the record of one evaluated configuration, and the live handle an objective talks to."""

from __future__ import annotations

import enum
import math
import numbers
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Sequence

from tunelab.space import CategoricalDistribution, Distribution, FloatDistribution, IntDistribution

if TYPE_CHECKING:
    from tunelab.samplers.base import SamplingContext
    from tunelab.study import Study


class TrialState(enum.IntEnum):
    WAITING = 0
    RUNNING = 1
    COMPLETE = 2
    PRUNED = 3
    FAIL = 4

    def is_finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)

    @classmethod
    def parse(cls, state: "TrialState | str") -> "TrialState":
        if isinstance(state, TrialState):
            return state
        try:
            return cls[str(state).upper()]
        except KeyError:
            raise ValueError(f"state must be one of {[s.name.lower() for s in cls]}; got {state!r}") from None


class StudyDirection(enum.IntEnum):
    MINIMIZE = 1
    MAXIMIZE = 2

    @classmethod
    def parse(cls, direction: "StudyDirection | str") -> "StudyDirection":
        if isinstance(direction, StudyDirection):
            return direction
        if isinstance(direction, str) and direction.lower() in ("minimize", "maximize"):
            return cls[direction.upper()]
        raise ValueError(f"direction must be 'minimize' or 'maximize'; got {direction!r}")

    def sign(self) -> float:
        """+1 for minimize, -1 for maximize: multiply a value by it to get a loss."""
        return 1.0 if self is StudyDirection.MINIMIZE else -1.0


class TrialPruned(Exception):
    """Raise from an objective to stop the trial early; it is stored as PRUNED."""


@dataclass
class FrozenTrial:
    """A trial as stored: finished trials never change, so this record can be cached."""

    number: int
    trial_id: int
    state: TrialState
    values: list[float] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    intermediate_values: dict[int, float] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    datetime_start: datetime | None = None
    datetime_complete: datetime | None = None

    @property
    def value(self) -> float | None:
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise RuntimeError("this trial has several objective values; use .values")
        return self.values[0]

    @property
    def duration(self) -> float | None:
        if self.datetime_start and self.datetime_complete:
            return (self.datetime_complete - self.datetime_start).total_seconds()
        return None

    @property
    def last_step(self) -> int | None:
        return max(self.intermediate_values) if self.intermediate_values else None


def check_values(values: Any, n_objectives: int) -> tuple[list[float] | None, str | None]:
    """Turn an objective's return into a list of floats, or give the reason it is not one."""
    if values is None:
        return None, "the objective returned None"
    seq = list(values) if isinstance(values, (list, tuple)) else [values]
    if len(seq) != n_objectives:
        return None, f"the objective returned {len(seq)} value(s) but the study has {n_objectives} objective(s)"
    out = []
    for v in seq:
        if hasattr(v, "item") and not isinstance(v, numbers.Number):
            try:
                v = v.item()  # numpy or torch scalar
            except Exception:
                pass
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            return None, f"the objective returned {v!r}, which is not a number"
        v = float(v)
        if not math.isfinite(v):
            return None, f"the objective returned {v}, which is not finite"
        out.append(v)
    return out, None


class Trial:
    """The live handle an objective receives: suggest values, report progress, ask whether to stop."""

    def __init__(self, study: "Study", trial_id: int, number: int, context: "SamplingContext",
                 fixed_params: dict[str, Any] | None = None):
        self.study = study
        self._trial_id = trial_id
        self.number = number
        self._context = context
        self._fixed = dict(fixed_params or {})
        self.params: dict[str, Any] = {}
        self.distributions: dict[str, Distribution] = {}
        self.intermediate_values: dict[int, float] = {}
        self.user_attrs: dict[str, Any] = {}
        self._relative: dict[str, Any] = {}
        self._relative_space: dict[str, Distribution] = {}

    # ------------------------------------------------------------ suggestions
    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False) -> float:
        return float(self._suggest(name, _make(name, FloatDistribution, low, high, log, step)))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        return int(self._suggest(name, _make(name, IntDistribution, low, high, log, step)))

    def suggest_categorical(self, name: str, choices: Sequence) -> Any:
        return self._suggest(name, _make(name, CategoricalDistribution, tuple(choices)))

    def suggest(self, space: Any) -> dict[str, Any]:
        """Suggest every parameter of a declarative space (a mapping or a SearchSpace)."""
        from tunelab.space import SearchSpace

        return SearchSpace.from_mapping(space).suggest(self)

    def _suggest(self, name: str, dist: Distribution) -> Any:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a parameter name must be a non-empty string; got {name!r}")
        if name in self.params:
            if self.distributions[name] != dist:
                raise ValueError(
                    f"parameter {name!r} was already suggested in this trial with {self.distributions[name]}; "
                    f"now asked with {dist}"
                )
            return self.params[name]
        known = self.study._known_distribution(name)
        if known is not None and known != dist:
            raise ValueError(
                f"parameter {name!r} is suggested with {dist}, but earlier trials of this study used {known}; "
                "a name must keep one range within a study"
            )
        if name in self._fixed:
            value = self._fixed.pop(name)
            if not dist.contains(value):
                raise ValueError(f"parameter {name!r}: the fixed value {value!r} is outside {dist}")
            if isinstance(dist, IntDistribution):
                value = int(value)
            elif isinstance(dist, FloatDistribution):
                value = float(value)
        elif name in self._relative and self._relative_space.get(name) == dist:
            value = self._relative[name]
        else:
            self._context.params = dict(self.params)
            self._context.distributions = dict(self.distributions)
            value = self.study.sampler.sample_independent(self._context, name, dist)
        self.study._storage.set_trial_param(self._trial_id, name, dist, value)
        self.study._remember_distribution(name, dist)
        self.params[name] = value
        self.distributions[name] = dist
        return value

    # ------------------------------------------------------------ progress and pruning
    def report(self, value: float, step: int) -> None:
        """Store an intermediate value (e.g. validation accuracy after epoch ``step``)."""
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
            raise ValueError(f"report: 'step' must be an int >= 0; got {step!r}")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"report: 'value' must be a number; got {value!r}") from None
        if step in self.intermediate_values:
            return  # reported already: the first report of a step wins, like a log that is appended to
        self.intermediate_values[int(step)] = value
        self.study._storage.set_trial_intermediate_value(self._trial_id, int(step), value)

    def should_prune(self) -> bool:
        """Whether the study's pruner says this trial should stop now."""
        if self.study.pruner is None:
            return False
        return bool(self.study.pruner.prune(self.study._pruning_context(self)))

    @property
    def budget(self) -> float | None:
        """How much resource (epochs, samples...) this trial should spend now, if the pruner hands it out."""
        if self.study.pruner is None:
            return None
        return self.study.pruner.budget(self.study._pruning_context(self))

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value
        self.study._storage.set_trial_user_attr(self._trial_id, key, value)

    def set_system_attr(self, key: str, value: Any) -> None:
        self.study._storage.set_trial_system_attr(self._trial_id, key, value)

    @property
    def trial_id(self) -> int:
        return self._trial_id

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self.params})"


def _make(name: str, cls: type, *args: Any) -> Distribution:
    try:
        return cls(*args)
    except ValueError as exc:
        raise ValueError(f"parameter {name!r}: {exc}") from None


class FixedTrial(Trial):
    """A trial with given parameters and no study: run an objective once on a known configuration."""

    def __init__(self, params: dict[str, Any], number: int = 0):
        self.number = number
        self._fixed_values = dict(params)
        self.params = {}
        self.distributions = {}
        self.intermediate_values = {}
        self.user_attrs = {}
        self.study = None  # type: ignore[assignment]
        self._trial_id = -1

    def _suggest(self, name: str, dist: Distribution) -> Any:
        if name not in self._fixed_values:
            raise ValueError(f"FixedTrial has no value for parameter {name!r}")
        value = self._fixed_values[name]
        if not dist.contains(value):
            raise ValueError(f"parameter {name!r}: the fixed value {value!r} is outside {dist}")
        self.params[name] = value
        self.distributions[name] = dist
        return value

    def report(self, value: float, step: int) -> None:
        self.intermediate_values[int(step)] = float(value)

    def should_prune(self) -> bool:
        return False

    @property
    def budget(self) -> float | None:
        return None

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        pass
