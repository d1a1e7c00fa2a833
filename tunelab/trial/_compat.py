"""What Optuna's trial objects offer beyond tunelab's own: mixed into Trial and FrozenTrial.

* ``FrozenTrial.suggest_*`` return the stored values, so an objective can be
  re-run on ``study.best_trial`` (Optuna's "re-use the best trial");
  ``report`` and ``should_prune`` do nothing there.
* The pre-3.0 ``suggest_uniform`` / ``suggest_loguniform`` /
  ``suggest_discrete_uniform`` map onto ``suggest_float`` with a FutureWarning.
* :func:`create_trial` builds a finished record for ``Study.add_trial``.
"""

from __future__ import annotations

import warnings
from datetime import datetime
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


def create_trial(*, state: Any = None, value: float | None = None, values: Sequence[float] | None = None,
                 params: dict[str, Any] | None = None, distributions: dict[str, Distribution] | None = None,
                 user_attrs: dict[str, Any] | None = None, system_attrs: dict[str, Any] | None = None,
                 intermediate_values: dict[int, float] | None = None,
                 constraints: Sequence[float] | None = None) -> Any:
    """A trial record (COMPLETE unless ``state`` says otherwise) for ``Study.add_trial``, as Optuna builds it."""
    from tunelab.trial._records import FrozenTrial, TrialState

    final = TrialState.COMPLETE if state is None else TrialState.parse(state)
    if value is not None and values is not None:
        raise ValueError("create_trial: give 'value' or 'values', not both")
    vals = [float(value)] if value is not None else (None if values is None else [float(v) for v in values])
    if final == TrialState.COMPLETE and vals is None:
        raise ValueError("create_trial: a COMPLETE trial needs 'value' or 'values'")
    if final in (TrialState.RUNNING, TrialState.WAITING, TrialState.FAIL) and vals is not None:
        raise ValueError(f"create_trial: a {final.name} trial has no values; got {vals}")
    params, distributions = dict(params or {}), dict(distributions or {})
    if set(params) != set(distributions):
        raise ValueError(f"create_trial: 'params' and 'distributions' must have the same names; got "
                         f"{sorted(params)} and {sorted(distributions)}")
    for name, v in params.items():
        if not distributions[name].contains(v):
            raise ValueError(f"create_trial: parameter {name!r} = {v!r} is outside {distributions[name]}")
    now = datetime.now()
    sys_attrs = dict(system_attrs or {})
    if constraints is not None:
        sys_attrs["constraints"] = [float(c) for c in constraints]
    return FrozenTrial(number=-1, trial_id=-1, state=final, values=vals, params=params, distributions=distributions,
                       intermediate_values={int(k): float(v) for k, v in (intermediate_values or {}).items()},
                       user_attrs=dict(user_attrs or {}), system_attrs=sys_attrs,
                       datetime_start=None if final == TrialState.WAITING else now,
                       datetime_complete=now if final.is_finished() else None)
