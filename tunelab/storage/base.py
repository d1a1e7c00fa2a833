"""The storage contract: every event of every study goes through these methods.

Storages must be safe for several threads of one process; SQL storages also
for several processes and machines.  Trial numbers are dense (0, 1, 2, ...) per
study and given out atomically.  Finished trials never change, so storages may
cache them; a write to a finished trial raises :class:`TrialFinishedError`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence
from urllib.parse import unquote

from tunelab.space import Distribution
from tunelab.trial import FrozenTrial, StudyDirection, TrialState


PASSWORD_QUERY_KEYS = frozenset({"password", "passwd", "pwd", "sslpassword"})
"""Query-string keys (compared case-insensitively) whose values :func:`mask_url` hides."""


def mask_url(url: Any) -> str:
    """A storage URL fit to print: its passwords replaced by ``***``.

    Both places a URL can carry one are masked: ``user:password@`` (SQLAlchemy's
    ``hide_password``) and query keys such as ``?password=...`` (see :data:`PASSWORD_QUERY_KEYS`).
    Every message and every line of terminal output that names a storage goes through this.
    """
    text = str(url)
    import sqlalchemy as sa  # only here: `import tunelab` stays light

    try:
        parsed = sa.engine.make_url(text)
    except Exception:  # not a URL: show it only if it cannot hold a password
        lowered = text.lower()
        if "@" in text or any(f"{key}=" in lowered for key in PASSWORD_QUERY_KEYS):
            return "<unparsable URL>"
        return text
    shown = parsed.render_as_string(hide_password=True)
    if "?" not in shown:
        return shown
    base, query = shown.split("?", 1)
    pairs = [(pair.split("=", 1)[0], pair) for pair in query.split("&")]
    return base + "?" + "&".join(f"{key}=***" if unquote(key).lower() in PASSWORD_QUERY_KEYS else pair
                                 for key, pair in pairs)


STALE_ATTR = "stale"
"""System attr that ``fail_stale_trials`` sets (True) on each trial it fails."""


class StorageError(RuntimeError):
    """The storage could not do what was asked (bad URL, schema mismatch, lost connection...)."""


class DuplicatedStudyError(StorageError):
    """A study with that name exists already (use load_if_exists=True to reuse it)."""


class StudyNotFoundError(StorageError, KeyError):
    """No study with that name or id."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "study not found"


class TrialFinishedError(StorageError):
    """The trial is already finished; its record is immutable."""


@dataclass
class StudySummary:
    study_id: int
    name: str
    directions: list[StudyDirection]
    n_trials: int
    n_complete: int
    best_values: list[float] | None
    datetime_start: datetime | None
    user_attrs: dict[str, Any]


class BaseStorage(abc.ABC):
    """Abstract storage; see storage/memory.py for the reference behaviour.

    Besides the data methods it declares all that running trials needs: whether other
    processes can reach the same data (``shareable``; such a storage opens again with
    :meth:`reopen` and pickles as its settings, so an executor's tasks open their own
    connections), the heartbeat settings workers follow, and :meth:`close`.
    """

    #: seconds between the heartbeats a worker records for its running trial (None: none)
    heartbeat_interval: float | None = None
    #: seconds without a heartbeat after which workers fail a RUNNING trial as lost (None: never)
    stale_after: float | None = None

    @property
    def shareable(self) -> bool:
        """Whether other processes or machines can open this data (then workers may be processes)."""
        return False

    def reopen(self) -> "BaseStorage":
        """The same data with this storage's settings and connections of its own, for a worker process."""
        raise ValueError(f"{type(self).__name__} lives in one process and cannot be reopened in another "
                         "(use a database storage such as 'sqlite:///tunelab.db')")

    def close(self) -> None:
        """Release connections (before worker processes fork, or when done); a later call reconnects."""

    # ------------------------------------------------------------------ studies
    @abc.abstractmethod
    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> int: ...

    @abc.abstractmethod
    def get_study_id(self, name: str) -> int: ...

    @abc.abstractmethod
    def get_study_name(self, study_id: int) -> str: ...

    @abc.abstractmethod
    def get_study_directions(self, study_id: int) -> list[StudyDirection]: ...

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None: ...

    @abc.abstractmethod
    def list_studies(self) -> list[StudySummary]: ...

    @abc.abstractmethod
    def set_study_attr(self, study_id: int, key: str, value: Any, system: bool = False) -> None: ...

    @abc.abstractmethod
    def get_study_attrs(self, study_id: int, system: bool = False) -> dict[str, Any]: ...

    def get_study_attr(self, study_id: int, key: str, system: bool = False) -> Any:
        """One study attribute's value, None when it is not set; StudyNotFoundError for no such study.

        A storage may read just that one (the stop check before every trial of a worker does)."""
        return self.get_study_attrs(study_id, system).get(key)

    # ------------------------------------------------------------------ trials
    @abc.abstractmethod
    def create_trial(self, study_id: int, state: TrialState = TrialState.RUNNING,
                     fixed_params: dict[str, Any] | None = None,
                     user_attrs: dict[str, Any] | None = None, *, heartbeat: bool = False) -> tuple[int, int]:
        """A new trial with the next number; returns (trial_id, number).

        ``fixed_params`` (for enqueued trials) go to the system attr ``fixed_params``.
        ``heartbeat``: a RUNNING trial gets its first heartbeat (now) in the same write, for a
        worker that beats for it from here on (a storage without heartbeats ignores it).
        """

    @abc.abstractmethod
    def pop_waiting_trial(self, study_id: int, *, heartbeat: bool = False) -> tuple[int, int] | None:
        """Atomically move the oldest WAITING trial to RUNNING; (trial_id, number) or None.

        ``heartbeat`` as for :meth:`create_trial`."""

    def start_trial(self, study_id: int, **heartbeat: bool) -> tuple[int, int, bool]:
        """The oldest WAITING trial moved to RUNNING, else a new RUNNING trial: (trial_id, number, was_waiting).

        What ``ask`` does when its sampler can still propose.  A storage that can do both in one
        round trip overrides it (PostgreSQL); this default makes the two calls.
        """
        popped = self.pop_waiting_trial(study_id, **heartbeat)
        if popped is not None:
            return popped[0], popped[1], True
        trial_id, number = self.create_trial(study_id, **heartbeat)
        return trial_id, number, False

    @abc.abstractmethod
    def set_trial_param(self, trial_id: int, name: str, distribution: Distribution, value: Any) -> None: ...

    @abc.abstractmethod
    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None: ...

    @abc.abstractmethod
    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None: ...

    @abc.abstractmethod
    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None: ...

    @abc.abstractmethod
    def finish_trial(self, trial_id: int, state: TrialState, values: Sequence[float] | None = None) -> None:
        """Move a RUNNING (or WAITING) trial to a finished state, atomically and only once."""

    @abc.abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial: ...

    @abc.abstractmethod
    def get_all_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
        """Trials ordered by number; finished ones may come from a cache."""

    def add_trial(self, study_id: int, trial: FrozenTrial) -> tuple[int, int]:
        """Write a whole trial record (Study.add_trial, copy_study, migrate); returns (trial_id, number).

        The trial gets the study's next number.  Storages that can keep the
        record's datetimes override this; the default replays it through the
        other methods, so its datetimes become now.
        """
        waiting = trial.state == TrialState.WAITING
        fixed = trial.system_attrs.get("fixed_params") if waiting else None
        trial_id, number = self.create_trial(study_id, TrialState.WAITING if waiting else TrialState.RUNNING,
                                             fixed_params=fixed, user_attrs=trial.user_attrs)
        for name, value in trial.params.items():
            self.set_trial_param(trial_id, name, trial.distributions[name], value)
        for step, value in trial.intermediate_values.items():
            self.set_trial_intermediate_value(trial_id, step, value)
        for key, value in trial.system_attrs.items():
            if not (waiting and key == "fixed_params"):
                self.set_trial_system_attr(trial_id, key, value)
        if trial.state.is_finished():
            self.finish_trial(trial_id, trial.state, trial.values)
        return trial_id, number

    def get_param_distributions(self, study_id: int) -> dict[str, Distribution]:
        """Each parameter name of the study with the distribution it was last stored with.

        A study learns its names' ranges from this when it opens; the default reads every
        trial, storages that can answer from one row per name (SQL) override it.
        """
        out: dict[str, Distribution] = {}
        for t in self.get_all_trials(study_id):
            out.update(t.distributions)
        return out

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        for t in self.get_all_trials(study_id):
            if t.number == number:
                return t.trial_id
        raise KeyError(f"study {study_id} has no trial number {number}")

    def get_n_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> int:
        return len(self.get_all_trials(study_id, states))

    # ------------------------------------------------------------------ coordination
    @abc.abstractmethod
    def claim(self, study_id: int, key: str) -> bool:
        """Atomically take ``key`` for this study; False if someone already took it (grid points)."""

    @abc.abstractmethod
    def record_heartbeat(self, trial_id: int) -> None: ...

    def get_heartbeats(self, study_id: int) -> dict[int, float]:
        """The last heartbeat (``time.time()``) of each RUNNING trial that has one, by trial id."""
        return {}

    @abc.abstractmethod
    def fail_stale_trials(self, study_id: int, grace_seconds: float) -> list[int]:
        """Mark RUNNING trials whose last heartbeat is older than ``grace_seconds`` as FAIL.

        Each gets the system attrs ``fail_reason`` ("no heartbeat for N s (worker lost)") and
        :data:`STALE_ATTR` (True), so that a result arriving later can still be kept (Study.tell).
        """
