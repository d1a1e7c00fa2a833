"""The live trial handle an objective talks to, and the narrow interface it needs from its study."""

from __future__ import annotations

import numbers
from typing import Any, Protocol, Sequence

from tunelab.space import CategoricalDistribution, Distribution, FloatDistribution, IntDistribution, incompatibility
from tunelab.trial._compat import OptunaTrialMethods
from tunelab.trial._records import FrozenTrial, TrialState


class TrialBackend(Protocol):
    """Everything a live :class:`Trial` may ask of its study; the study hands one to each trial it starts.

    The trial never sees the study's storage, sampler or pruner, only these calls.
    """

    study: Any  #: the study the trial belongs to (``trial.study``)
    trial_id: int

    def known_distribution(self, name: str) -> Distribution | None:
        """The distribution earlier trials of the study used for ``name``, if any."""

    def sample(self, name: str, distribution: Distribution, params: dict[str, Any],
               distributions: dict[str, Distribution]) -> Any:
        """The sampler's value for one parameter, given the trial's values so far."""

    def set_param(self, name: str, distribution: Distribution, value: Any) -> None:
        """Store a suggested value (and remember its distribution for the study)."""

    def set_intermediate_value(self, step: int, value: float) -> None: ...

    def set_attr(self, key: str, value: Any, system: bool) -> None: ...

    def should_prune(self, trial: FrozenTrial) -> bool:
        """The pruner's verdict on the running trial (False without a pruner)."""

    def budget(self, trial: FrozenTrial) -> float | None:
        """The resource the pruner hands the running trial, or None."""


class Trial(OptunaTrialMethods):
    """The live handle an objective receives: suggest values, report progress, ask whether to stop.

    ``fixed_params`` are enqueued values taken first; ``relative`` (values by name) and
    ``relative_space`` (their distributions) are the sampler's joint proposal, used for
    a name only when it is suggested with the same distribution.
    """

    def __init__(self, backend: TrialBackend, number: int, fixed_params: dict[str, Any] | None = None,
                 relative: dict[str, Any] | None = None, relative_space: dict[str, Distribution] | None = None):
        self._backend = backend
        self.study = backend.study
        self._trial_id = backend.trial_id
        self.number = number
        self._fixed = dict(fixed_params or {})
        self._relative = dict(relative or {})
        self._relative_space = dict(relative_space or {})
        self.params: dict[str, Any] = {}
        self.distributions: dict[str, Distribution] = {}
        self.intermediate_values: dict[int, float] = {}
        self.user_attrs: dict[str, Any] = {}

    # ------------------------------------------------------------ suggestions
    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False) -> float:
        return float(self._suggest(name, _make(name, FloatDistribution, low, high, log, step)))

    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        return int(self._suggest(name, _make(name, IntDistribution, low, high, log, step)))

    def suggest_categorical(self, name: str, choices: Sequence) -> Any:
        if isinstance(choices, (str, bytes)):  # tuple("abc") would make the letters the choices
            raise ValueError(f"suggest_categorical({name!r}): 'choices' must be a list of values; got the string "
                             f"{choices!r} (write [{choices!r}] for one choice)")
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
        known = self._backend.known_distribution(name)
        why = None if known is None or known == dist else incompatibility(known, dist)
        if why is not None:
            raise ValueError(
                f"parameter {name!r} is suggested with {dist}, but earlier trials of this study used {known}: "
                f"{why}; a range's bounds may change, its kind, log scale and choices may not"
            )
        if name in self._fixed:
            value = _fixed_value(name, dist, self._fixed.pop(name))
        elif name in self._relative and self._relative_space.get(name) == dist:
            value = self._relative[name]
        else:
            value = self._backend.sample(name, dist, dict(self.params), dict(self.distributions))
        self._backend.set_param(name, dist, value)
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
        self._backend.set_intermediate_value(int(step), value)

    def should_prune(self) -> bool:
        """Whether the study's pruner says this trial should stop now."""
        return bool(self._backend.should_prune(self._snapshot()))

    @property
    def budget(self) -> float | None:
        """How much resource (epochs, samples...) this trial should spend now, if the pruner hands it out."""
        return self._backend.budget(self._snapshot())

    def _snapshot(self) -> FrozenTrial:
        """This running trial as a record, for the pruner."""
        return FrozenTrial(number=self.number, trial_id=self._trial_id, state=TrialState.RUNNING,
                           params=dict(self.params), distributions=dict(self.distributions),
                           intermediate_values=dict(self.intermediate_values), user_attrs=dict(self.user_attrs))

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value
        self._backend.set_attr(key, value, system=False)

    def set_system_attr(self, key: str, value: Any) -> None:
        self._backend.set_attr(key, value, system=True)

    @property
    def trial_id(self) -> int:
        return self._trial_id

    @property
    def relative_params(self) -> dict[str, Any]:
        """The sampler's joint proposal for this trial (Optuna's name)."""
        return dict(self._relative)

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self.params})"


def _make(name: str, cls: type, *args: Any) -> Distribution:
    try:
        return cls(*args)
    except ValueError as exc:
        raise ValueError(f"parameter {name!r}: {exc}") from None


def _fixed_value(name: str, dist: Distribution, value: Any) -> Any:
    if not dist.contains(value):
        raise ValueError(f"parameter {name!r}: the fixed value {value!r} is outside {dist}")
    if isinstance(dist, IntDistribution):
        return int(value)
    if isinstance(dist, FloatDistribution):
        return float(value)
    return value


class FixedTrial(Trial):
    """A trial with given parameters and no study: run an objective once on a known configuration."""

    def __init__(self, params: dict[str, Any], number: int = 0):
        self.number = number
        self._fixed_values = dict(params)
        self.params = {}
        self.distributions = {}
        self.intermediate_values = {}
        self.user_attrs = {}
        self.system_attrs: dict[str, Any] = {}
        self.study = None
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
        self.system_attrs[key] = value
