"""Rows to FrozenTrial records, JSON encoding, and the per-study cache of finished trials.

Finished trials never change, so a storage object keeps each one it has read.
:class:`StudyCache` knows which trial numbers it has seen (all numbers below
``known``) and which of those were unfinished, so that the next read asks the
database only for newer trials and for the unfinished ones.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

from tunelab.space import Distribution, distribution_from_json
from tunelab.trial import FrozenTrial, TrialState


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy / torch scalars
        try:
            return value.item()
        except Exception:
            pass
    if hasattr(value, "tolist"):  # numpy arrays
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


def dumps(value: Any, what: str) -> str:
    """JSON text of a stored value; a clear TypeError naming ``what`` when it has no JSON form."""
    try:
        return json.dumps(value, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must be JSON-serializable (every storage keeps values as JSON); got {value!r} "
                        f"({exc})") from None


loads = json.loads


@lru_cache(maxsize=4096)
def distribution(text: str) -> Distribution:
    """Parse a distribution once per distinct JSON text (they repeat across trials)."""
    return distribution_from_json(text)


def build_trials(trial_rows: Iterable[Any], child_rows: Iterable[Any]) -> dict[int, FrozenTrial]:
    """FrozenTrial records by trial_id from trial rows and the rows of ``sql_queries.children``.

    Child rows whose trial is not among ``trial_rows`` (a trial created between two
    SELECTs) are ignored.
    """
    out: dict[int, FrozenTrial] = {}
    for r in trial_rows:
        out[r.trial_id] = FrozenTrial(
            number=r.number, trial_id=r.trial_id, state=TrialState(r.state),
            values=None if r.values_json is None else loads(r.values_json),
            datetime_start=r.datetime_start, datetime_complete=r.datetime_complete)
    for trial_id, kind, seq, name, aux, value in child_rows:
        t = out.get(trial_id)
        if t is None:
            continue
        if kind == 0:
            t.params[name] = loads(value)
            t.distributions[name] = distribution(aux)
        elif kind == 1:
            t.intermediate_values[int(seq)] = float(loads(value))
        else:
            (t.system_attrs if kind == 3 else t.user_attrs)[name] = loads(value)
    return out


@dataclass
class StudyCache:
    """Finished trials of one study by number, and the unfinished numbers still to re-read."""

    known: int = 0  # every trial number below this has been seen
    finished: list[FrozenTrial | None] = field(default_factory=list)  # index = number
    pending: dict[int, int] = field(default_factory=dict)  # trial_id -> number, seen unfinished
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self, finished_by_id: dict[int, FrozenTrial]) -> tuple[int, dict[int, int]]:
        """(known, pending) for the next query; pending trials finished by this process are moved first."""
        with self.lock:
            for trial_id in [i for i in self.pending if i in finished_by_id]:
                self._store(finished_by_id[trial_id])
            return self.known, dict(self.pending)

    def merge(self, loaded: Iterable[FrozenTrial]) -> None:
        """Take a read: finished trials are kept for good, unfinished ones are re-read next time."""
        with self.lock:
            for t in loaded:
                if t.number >= self.known:
                    self.known = t.number + 1
                if t.state.is_finished():
                    self._store(t)
                elif t.number >= len(self.finished) or self.finished[t.number] is None:
                    self.pending[t.trial_id] = t.number

    def _store(self, trial: FrozenTrial) -> None:
        if trial.number >= len(self.finished):
            self.finished.extend([None] * (trial.number + 1 - len(self.finished)))
        self.finished[trial.number] = trial
        self.pending.pop(trial.trial_id, None)
        if trial.number >= self.known:
            self.known = trial.number + 1

    def assemble(self, fresh: dict[int, FrozenTrial], upto: int) -> list[FrozenTrial]:
        """Trials 0..upto-1 by number: the cached finished record, else the one just read."""
        by_number = {t.number: t for t in fresh.values()}
        with self.lock:
            finished = self.finished[:upto]
        out = []
        for number in range(upto):
            t = finished[number] if number < len(finished) else None
            if t is None:
                t = by_number.get(number)
            if t is not None:
                out.append(t)
        return out
