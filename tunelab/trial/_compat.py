"""What Optuna's trial objects offer beyond tunelab's own: mixed into Trial and FrozenTrial.

* ``FrozenTrial.suggest_*`` return the stored values, so an objective can be
  re-run on ``study.best_trial`` (Optuna's "re-use the best trial");
  ``report`` and ``should_prune`` do nothing there.
* The pre-3.0 ``suggest_uniform`` / ``suggest_loguniform`` /
  ``suggest_discrete_uniform`` map onto ``suggest_float`` with a FutureWarning.
* ``create_trial`` (trial/_create.py) builds a finished record for ``Study.add_trial``.
* ``set_constraint(key, value)`` / ``constraints`` (Optuna 5's named constraints): each value is kept
  as the system attribute ``"constraints:<key>"`` and all of them as the ``"constraints"`` list that
  tunelab's samplers and ``best_trial(s)`` read, so a constrained study needs no constraints function.
  A study that has a constraints function replaces that list with the function's values at tell.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Sequence

from tunelab.space import CategoricalDistribution, Distribution, FloatDistribution, IntDistribution


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"{old} is Optuna's pre-3.0 name; use {new}", FutureWarning, stacklevel=3)


class OptunaTrialMethods:
    """Optuna's older suggest names, shared by the live Trial and the FrozenTrial."""

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        _deprecated("suggest_uniform", "suggest_float(name, low, high)")
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        _deprecated("suggest_loguniform", "suggest_float(name, low, high, log=True)")
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        _deprecated("suggest_discrete_uniform", "suggest_float(name, low, high, step=q)")
        return self.suggest_float(name, low, high, step=q)

    def set_constraint(self, key: str, value: float) -> None:
        """Record the constraint ``key``: the trial is feasible when every constraint value is <= 0."""
        if not isinstance(key, str):
            raise TypeError(f"set_constraint: 'key' must be a str (the constraint's name); got {key!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"set_constraint: 'value' of constraint {key!r} must be a number; got {value!r}") from None
        if math.isnan(number):
            raise ValueError(f"set_constraint: 'value' of constraint {key!r} is NaN; a constraint must be a number")
        named = self._named_constraints()
        if key in named:
            warnings.warn(f"set_constraint: constraint {key!r} is set already ({named[key]}); {number} is ignored",
                          UserWarning, stacklevel=2)
            return
        named[key] = number
        self.set_system_attr(f"constraints:{key}", number)
        self.set_system_attr("constraints", list(named.values()))

    @property
    def relative_search_space(self) -> dict[str, Distribution]:
        """The joint space the sampler proposed values for (empty for a stored or fixed trial)."""
        return dict(self.__dict__.get("_relative_space") or {})

    @property
    def constraints(self) -> dict[str, float]:
        """The constraint values by name (a constraints function's list is named "0", "1", ...)."""
        return dict(self._named_constraints())

    def _named_constraints(self) -> dict[str, float]:
        attrs = getattr(self, "system_attrs", None)
        if attrs is None:  # a live trial: the constraints set through this handle
            return self.__dict__.setdefault("_set_constraints", {})
        named = {k[len("constraints:"):]: v for k, v in attrs.items() if k.startswith("constraints:")}
        if named:
            return named
        return {str(i): float(c) for i, c in enumerate(attrs.get("constraints", ()))}


class OptunaFrozenTrialMethods(OptunaTrialMethods):
    """A stored trial can stand in for a live one: its suggestions return the values it had."""

    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None,
                      log: bool = False) -> float:
        return float(self._stored(name, FloatDistribution(low, high, log, step)))

    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        return int(self._stored(name, IntDistribution(low, high, log, step)))

    def suggest_categorical(self, name: str, choices: Sequence) -> Any:
        return self._stored(name, CategoricalDistribution(tuple(choices)))

    def _stored(self, name: str, dist: Distribution) -> Any:
        if name not in self.params:
            raise ValueError(f"trial {self.number} has no parameter {name!r}; it has {sorted(self.params)}")
        value = self.params[name]
        if not dist.contains(value):
            raise ValueError(f"parameter {name!r}: the stored value {value!r} of trial {self.number} is outside "
                             f"{dist}")
        return value

    def report(self, value: float, step: int) -> None:
        """A finished trial takes no reports (as in Optuna, this does nothing)."""

    def should_prune(self) -> bool:
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        self.system_attrs[key] = value

    @property
    def _trial_id(self) -> int:
        return self.trial_id

    @property
    def relative_params(self) -> dict[str, Any]:
        return {}
