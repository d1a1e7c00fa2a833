"""``create_trial``: a trial record built by hand, for ``Study.add_trial`` (Optuna's function)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from tunelab.space import Distribution
from tunelab.trial._records import FrozenTrial, TrialState


def create_trial(*, state: Any = None, value: float | None = None, values: Sequence[float] | None = None,
                 params: dict[str, Any] | None = None, distributions: dict[str, Distribution] | None = None,
                 user_attrs: dict[str, Any] | None = None, system_attrs: dict[str, Any] | None = None,
                 intermediate_values: dict[int, float] | None = None,
                 constraints: Sequence[float] | None = None) -> Any:
    """A trial record (COMPLETE unless ``state`` says otherwise) for ``Study.add_trial``, as Optuna builds it."""
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
