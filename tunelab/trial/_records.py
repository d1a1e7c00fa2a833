"""Trial records: states, directions and the stored record of one evaluated configuration."""

from __future__ import annotations

import enum
import math
import numbers
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

from tunelab.space import Distribution
from tunelab.trial._compat import OptunaFrozenTrialMethods


class _NamedIntEnum(enum.IntEnum):
    """An IntEnum that prints as its name ("COMPLETE"), not its number."""

    def __str__(self) -> str:
        return self.name


class TrialState(_NamedIntEnum):
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


class StudyDirection(_NamedIntEnum):
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
class FrozenTrial(OptunaFrozenTrialMethods):
    """A trial as stored: finished trials never change, so this record can be cached.

    Its ``suggest_*`` return the stored values (Optuna's re-use of the best trial; see trial/_compat.py).
    """

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
    def duration(self) -> timedelta | None:
        """Wall time from start to completion, a ``timedelta`` as in Optuna (None until finished)."""
        if self.datetime_start and self.datetime_complete:
            return self.datetime_complete - self.datetime_start
        return None

    @property
    def duration_seconds(self) -> float | None:
        """``duration`` in seconds, for tables and figures."""
        duration = self.duration
        return None if duration is None else duration.total_seconds()

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


def best_of(trials: Iterable[FrozenTrial], direction: StudyDirection) -> FrozenTrial | None:
    """The COMPLETE trial with the best first value (the earlier one on a tie), or None if there is none."""
    sign = direction.sign()
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.values]
    return min(complete, key=lambda t: (sign * t.values[0], t.number), default=None)
