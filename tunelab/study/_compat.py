"""What Optuna's ``optuna.study`` offers beyond tunelab's own Study: mixed into Study, plus module functions.

``Study.add_trial(s)`` writes whole records (``tunelab.trial.create_trial`` or
another study's trials) with their datetimes; study system attributes;
``metric_names``; ``trials_dataframe(attrs=...)``; and the module-level
``get_all_study_summaries``, ``get_all_study_names``, ``copy_study`` and
``MaxTrialsCallback``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Container, Iterable, Sequence

from tunelab.space import Distribution, incompatibility
from tunelab.trial import FrozenTrial, StudyDirection, TrialState, best_of, check_values

if TYPE_CHECKING:
    import pandas

_METRIC_NAMES = "study:metric_names"


class OptunaStudyMethods:
    """Optuna's Study methods that tunelab's Study has no other name for."""

    def add_trial(self, trial: FrozenTrial) -> None:
        """Add a finished (or WAITING) trial record, e.g. one from ``create_trial``, with the study's next number."""
        if not isinstance(trial, FrozenTrial):
            raise TypeError(f"add_trial: expected a FrozenTrial (see tunelab.trial.create_trial); got {trial!r}")
        if trial.state == TrialState.RUNNING:
            raise ValueError("add_trial: a RUNNING trial cannot be added; finish it (or make it WAITING) first")
        if trial.state == TrialState.COMPLETE:
            _, reason = check_values(trial.values, len(self.directions))
            if reason is not None:
                raise ValueError(f"add_trial: a COMPLETE trial needs {len(self.directions)} finite value(s); "
                                 f"got {trial.values} ({reason.replace('the objective returned', 'it has')})")
        for name, value in trial.params.items():
            dist = trial.distributions.get(name)
            if dist is None or not dist.contains(value):
                raise ValueError(f"add_trial: parameter {name!r} = {value!r} is not inside its distribution {dist}")
            known = self._known_distribution(name)
            why = None if known is None or known == dist else incompatibility(known, dist)
            if why is not None:
                raise ValueError(f"add_trial: parameter {name!r} has {dist}, but this study uses {known}: {why}")
        self._storage.add_trial(self._study_id, trial)
        with self._distributions_lock:
            for name, dist in trial.distributions.items():
                self._distributions.setdefault(name, dist)

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        """``add_trial`` for each record, in order."""
        for trial in trials:
            self.add_trial(trial)

    def _known_distribution(self, name: str) -> Distribution | None:
        with self._distributions_lock:
            return self._distributions.get(name)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_attrs(self._study_id, system=True)

    def set_system_attr(self, key: str, value: Any) -> None:
        self._storage.set_study_attr(self._study_id, key, value, system=True)

    def _is_multi_objective(self) -> bool:
        return len(self.directions) > 1

    @property
    def metric_names(self) -> list[str] | None:
        """Names of the objective values, if set with :meth:`set_metric_names`."""
        return self.system_attrs.get(_METRIC_NAMES)

    def set_metric_names(self, metric_names: list[str]) -> None:
        if len(metric_names) != len(self.directions):
            raise ValueError(f"set_metric_names: the study has {len(self.directions)} objective(s); "
                             f"got {len(metric_names)} name(s)")
        self.set_system_attr(_METRIC_NAMES, list(metric_names))


def select_trials_frame(frame: "pandas.DataFrame", attrs: Sequence[str], multi_index: bool) -> "pandas.DataFrame":
    """Keep the columns of Optuna's ``attrs`` (``"params"`` keeps every ``params_*``); MultiIndex if asked."""
    import pandas as pd

    keep = []
    for attr in attrs:
        name = "values" if attr == "value" and "value" not in frame.columns else attr
        keep += [c for c in frame.columns if c == name or c.startswith(name + "_")]
    frame = frame[list(dict.fromkeys(keep))]
    if multi_index:
        pairs = []
        for c in frame.columns:
            head = next((a for a in ("params", "user_attrs", "system_attrs", "values") if c.startswith(a + "_")), None)
            pairs.append((head, c[len(head) + 1:]) if head else (c, ""))
        frame.columns = pd.MultiIndex.from_tuples(pairs)
    return frame


@dataclass
class StudySummary:
    """One study of a storage as Optuna summarises it (``get_all_study_summaries``)."""

    study_name: str
    directions: list[StudyDirection]
    best_trial: FrozenTrial | None
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    n_trials: int
    datetime_start: datetime | None
    _study_id: int = field(default=-1, repr=False)

    @property
    def direction(self) -> StudyDirection:
        if len(self.directions) != 1:
            raise RuntimeError("this study has several objectives; use .directions")
        return self.directions[0]


def get_all_study_summaries(storage: Any, include_best_trial: bool = True) -> list[StudySummary]:
    """A summary of every study in ``storage`` (a URL or storage object), best trial included if asked."""
    from tunelab.storage import get_storage

    store = get_storage(storage)
    out = []
    for s in store.list_studies():
        best = None
        if include_best_trial and len(s.directions) == 1 and s.n_complete:
            best = best_of(store.get_all_trials(s.study_id, [TrialState.COMPLETE]), s.directions[0])
        out.append(StudySummary(s.name, list(s.directions), best, dict(s.user_attrs),
                                store.get_study_attrs(s.study_id, system=True), s.n_trials, s.datetime_start,
                                s.study_id))
    return out


def get_all_study_names(storage: Any) -> list[str]:
    """The names of every study in ``storage``."""
    from tunelab.storage import get_storage

    return [s.name for s in get_storage(storage).list_studies()]


def copy_study(*, from_study_name: str, from_storage: Any, to_storage: Any, to_study_name: str | None = None) -> None:
    """Copy a study with every trial (datetimes kept where the target storage can) and its attributes."""
    from tunelab.storage import get_storage

    src, dst = get_storage(from_storage), get_storage(to_storage)
    sid = src.get_study_id(from_study_name)
    new_id = dst.create_study(to_study_name or from_study_name, src.get_study_directions(sid))
    for system in (False, True):
        for key, value in src.get_study_attrs(sid, system=system).items():
            dst.set_study_attr(new_id, key, value, system=system)
    for trial in src.get_all_trials(sid):
        dst.add_trial(new_id, copy.deepcopy(trial))


class MaxTrialsCallback:
    """Stop ``optimize`` once the study holds ``n_trials`` trials of the given states (all if None)."""

    def __init__(self, n_trials: int, states: Container[TrialState] | None = (TrialState.COMPLETE,)):
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
            raise ValueError(f"MaxTrialsCallback: 'n_trials' must be an int >= 1; got {n_trials!r}")
        self._n_trials = n_trials
        self._states = None if states is None else tuple(states)

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        if len(study.get_trials(states=self._states)) >= self._n_trials:
            study.stop()
