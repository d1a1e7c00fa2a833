"""What Optuna's trial objects offer beyond tunelab's own: mixed into Trial and FrozenTrial.

* ``FrozenTrial.suggest_*`` return the stored values, so an objective can be
  re-run on ``study.best_trial`` (Optuna's "re-use the best trial");
  ``report`` and ``should_prune`` do nothing there.
* The pre-3.0 ``suggest_uniform`` / ``suggest_loguniform`` /
  ``suggest_discrete_uniform`` map onto ``suggest_float`` with a FutureWarning.
* ``create_trial`` (trial/_create.py) builds a finished record for ``Study.add_trial``.
"""

from __future__ import annotations

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
