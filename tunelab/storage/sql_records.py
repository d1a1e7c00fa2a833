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
from datetime import datetime
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

_scan = json.JSONDecoder().scan_once  # the C scanner behind json.loads, without its per-call wrapper


def fast_loads(text: str) -> Any:
    """``json.loads(text)`` for the compact JSON that :func:`dumps` writes, at a fraction of its cost.

    Bulk reads decode hundreds of thousands of small values; text with surrounding
    whitespace or anything the scanner refuses goes through :func:`json.loads`.
    """
    try:
        value, end = _scan(text, 0)
    except (StopIteration, TypeError):
        return loads(text)  # raises the usual error for text that is not JSON
    return value if end == len(text) else loads(text)


@lru_cache(maxsize=4096)
def distribution(text: str) -> Distribution:
    """Parse a distribution once per distinct JSON text (they repeat across trials)."""
    return distribution_from_json(text)


_STATES = {int(s): s for s in TrialState}
_FINISHED = frozenset(s for s in TrialState if s.is_finished())
_new = object.__new__
_sqlite_datetime: Any = None


def _datetime(value: Any) -> datetime | None:
    """A datetime column: SQLite gives the text SQLAlchemy wrote ("2026-11-30 14:55:20.123456"), others objects."""
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):  # another text form that SQLAlchemy's own SQLite parser accepts
        global _sqlite_datetime
        if _sqlite_datetime is None:
            from sqlalchemy.dialects import sqlite

            _sqlite_datetime = sqlite.DATETIME().result_processor(sqlite.dialect(), None)
        return _sqlite_datetime(value)


def _records(trial_rows: Iterable[Any]) -> dict[int, FrozenTrial]:
    """Bare FrozenTrial records (no params or attrs yet) by trial_id, from rows of ``sql_queries.TRIAL_COLUMNS``.

    The records are made without the dataclass ``__init__`` (same attributes, fresh dicts): a
    100,000-trial read spends a large part of its time here.
    """
    rows = trial_rows if isinstance(trial_rows, list) else list(trial_rows)
    try:
        return _make_records(rows, datetime.fromisoformat)
    except (TypeError, ValueError):  # a datetime text that only SQLAlchemy's own parser reads: the slow path
        return _make_records(rows, _datetime)


def _make_records(rows: list, parse: Any) -> dict[int, FrozenTrial]:
    out: dict[int, FrozenTrial] = {}
    states, new, cls, values = _STATES, _new, FrozenTrial, fast_loads
    for trial_id, number, state, values_json, start, complete in rows:
        t = new(cls)
        t.__dict__ = {"number": number, "trial_id": trial_id, "state": states[state],
                      "values": None if values_json is None else values(values_json),
                      "params": {}, "distributions": {}, "intermediate_values": {}, "user_attrs": {},
                      "system_attrs": {},
                      "datetime_start": start if start is None or start.__class__ is datetime else parse(start),
                      "datetime_complete": (complete if complete is None or complete.__class__ is datetime
                                            else parse(complete))}
        out[trial_id] = t
    return out


def build_trials(trial_rows: Iterable[Any], child_rows: Iterable[Any]) -> dict[int, FrozenTrial]:
    """FrozenTrial records by trial_id from trial rows and the rows of ``sql_queries.children``.

    Child rows whose trial is not among ``trial_rows`` (a trial created between two
    SELECTs) are ignored.
    """
    out = _records(trial_rows)
    dists: dict[str, Distribution] = {}
    for trial_id, kind, seq, name, aux, value in child_rows:
        t = out.get(trial_id)
        if t is None:
            continue
        if kind == 0:
            t.params[name] = fast_loads(value)
            d = dists.get(aux)
            t.distributions[name] = d if d is not None else dists.setdefault(aux, distribution(aux))
        elif kind == 1:
            t.intermediate_values[int(seq)] = float(fast_loads(value))
        else:
            (t.system_attrs if kind == 3 else t.user_attrs)[name] = fast_loads(value)
    return out


def build_trials_split(trial_rows: Iterable[Any], param_rows: Iterable[Any], step_rows: Iterable[Any],
                       attr_rows: Iterable[Any]) -> dict[int, FrozenTrial]:
    """:func:`build_trials` from the three child queries of ``sql_queries.split_children`` (bulk reads).

    Params come ordered by param_id (each trial's in suggestion order), steps by (trial, step),
    attrs by (trial, system flag, key); rows of trials not in ``trial_rows`` are ignored.
    """
    out = _records(trial_rows)
    get = out.get
    dists: dict[str, Distribution] = {}
    scan = _scan
    for trial_id, name, aux, value in param_rows:
        t = get(trial_id)
        if t is None:
            continue
        try:
            v, end = scan(value, 0)
            if end != len(value):
                v = loads(value)
        except (StopIteration, TypeError):
            v = loads(value)
        t.params[name] = v
        d = dists.get(aux)
        t.distributions[name] = d if d is not None else dists.setdefault(aux, distribution(aux))
    for trial_id, step, value in step_rows:
        t = get(trial_id)
        if t is not None:
            t.intermediate_values[int(step)] = float(fast_loads(value))
    for trial_id, system, key, value in attr_rows:
        t = get(trial_id)
        if t is not None:
            (t.system_attrs if system else t.user_attrs)[key] = fast_loads(value)
    return out


@dataclass
class StudyCache:
    """Finished trials of one study by number, and the unfinished numbers still to re-read."""

    known: int = 0  # every trial number below this has been seen
    finished: list[FrozenTrial | None] = field(default_factory=list)  # index = number
    pending: dict[int, int] = field(default_factory=dict)  # trial_id -> number, seen unfinished
    filled: int = 0  # how many entries of ``finished`` are records (not None)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self, finished_by_id: dict[int, FrozenTrial]) -> tuple[int, dict[int, int]]:
        """(known, pending) for the next query; pending trials finished by this process are moved first."""
        with self.lock:
            for trial_id in [i for i in self.pending if i in finished_by_id]:
                self._store(finished_by_id[trial_id])
            return self.known, dict(self.pending)

    def merge(self, loaded: Iterable[FrozenTrial]) -> None:
        """Take a read: finished trials are kept for good, unfinished ones are re-read next time."""
        loaded = loaded if isinstance(loaded, list) else list(loaded)
        if not loaded:
            return
        with self.lock:
            top = max(t.number for t in loaded)
            finished, pending = self.finished, self.pending
            if top >= len(finished):
                finished.extend([None] * (top + 1 - len(finished)))
            filled = self.filled
            for t in loaded:
                number = t.number
                if t.state in _FINISHED:
                    if finished[number] is None:
                        filled += 1
                    finished[number] = t
                    pending.pop(t.trial_id, None)
                elif finished[number] is None:
                    pending[t.trial_id] = number
            self.filled = filled
            self.known = max(self.known, top + 1)

    def _store(self, trial: FrozenTrial) -> None:
        if trial.number >= len(self.finished):
            self.finished.extend([None] * (trial.number + 1 - len(self.finished)))
        if self.finished[trial.number] is None:
            self.filled += 1
        self.finished[trial.number] = trial
        self.pending.pop(trial.trial_id, None)
        if trial.number >= self.known:
            self.known = trial.number + 1

    def assemble(self, fresh: dict[int, FrozenTrial], upto: int) -> list[FrozenTrial]:
        """Trials 0..upto-1 by number: the cached finished record, else the one just read.

        One slice of the cached list plus the fresh unfinished trials: no Python step per
        cached trial (this runs on every read, at every size of study).
        """
        with self.lock:
            out: list[FrozenTrial | None] = self.finished[:upto]
            present = self.filled if upto >= len(self.finished) else sum(t is not None for t in out)
        if len(out) < upto:
            out.extend([None] * (upto - len(out)))
        for t in fresh.values():
            if t.number < upto and out[t.number] is None:
                out[t.number] = t
                present += 1
        if present == upto:
            return out  # type: ignore[return-value]
        return [t for t in out if t is not None]
