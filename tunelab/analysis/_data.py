"""Trials to numbers: the one table every analysis and figure reads.

A study (or anything with ``get_trials(states)`` and ``directions``, or a plain
list of FrozenTrials) becomes a :class:`Table`: the chosen trials, the target
value of each (and the loss, the target signed so that smaller is better), and
one :class:`Column` per parameter or user attribute.  Columns are encoded on
``[0, 1]`` the way the search space does it (log-scaled where the distribution
says so, ints and categories as equal-width cells), with NaN where a
conditional parameter is absent.  numpy is imported here, so this module is
only loaded when an analysis runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from tunelab.space import CategoricalDistribution, Distribution, FloatDistribution, IntDistribution
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

USER_ATTR_PREFIX = "user_attrs."

Target = Callable[[FrozenTrial], float]


@dataclass
class StudyView:
    """A study's trials and directions without a storage: what every analysis and figure accepts.

    Use it to analyse trials you built yourself (or loaded elsewhere) exactly as a Study.
    """

    trials: list[FrozenTrial]
    directions: list[StudyDirection] = field(default_factory=lambda: [StudyDirection.MINIMIZE])
    study_name: str = "trials"

    def __post_init__(self) -> None:
        self.directions = [StudyDirection.parse(d) for d in self.directions]

    def get_trials(self, states: Iterable[TrialState | str] | None = None) -> list[FrozenTrial]:
        if states is None:
            return list(self.trials)
        wanted = {TrialState.parse(s) for s in states}
        return [t for t in self.trials if t.state in wanted]

    @property
    def direction(self) -> StudyDirection:
        if len(self.directions) != 1:
            raise RuntimeError("this study has several objectives; use .directions")
        return self.directions[0]


def as_view(study: Any) -> Any:
    """A Study (or anything with get_trials and directions) as is; a list of trials as a StudyView."""
    if hasattr(study, "get_trials") and hasattr(study, "directions"):
        return study
    if isinstance(study, (list, tuple)) and all(isinstance(t, FrozenTrial) for t in study):
        return StudyView(list(study))
    raise TypeError(f"expected a Study, a StudyView or a list of FrozenTrials; got {type(study).__name__}")


def all_trials(study: Any, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
    return as_view(study).get_trials(states)


def directions_of(study: Any) -> list[StudyDirection]:
    return list(as_view(study).directions)


TARGET_DIRECTION_DOC = """target_direction: "minimize" or "maximize", the direction in which ``target`` is
    analysed (what counts as best). Without it, a target is analysed in the direction of
    the objective it equals on every trial (``lambda t: t.values[1]``), else in the
    study's direction when the study has one objective; on a study with several
    objectives, any other target needs it (ValueError)."""


def resolve_target(study: Any, target: Target | None, what: str) -> Target:
    """The function giving the value to analyse: the objective, or ``target``."""
    dirs = directions_of(study)
    if target is None:
        if len(dirs) != 1:
            raise ValueError(f"{what}: the study has {len(dirs)} objectives; pass target=lambda t: t.values[i] "
                             "to choose the value to analyse")
        return lambda t: t.values[0]
    if not callable(target):
        raise TypeError(f"{what}: 'target' must be a callable taking a FrozenTrial; got {target!r}")
    return target


def target_direction_of(study: Any, target: Target | None, what: str, trials: Sequence[FrozenTrial],
                        values: Sequence[float], target_direction: str | StudyDirection | None = None
                        ) -> StudyDirection:
    """The direction in which the values of ``target`` over ``trials`` are analysed (see ``TARGET_DIRECTION_DOC``)."""
    dirs = directions_of(study)
    if target_direction is not None:
        if target is None:
            raise ValueError(f"{what}: 'target_direction' goes with 'target' (the objective has the study's "
                             f"direction); got target_direction={target_direction!r} and no target")
        try:
            return StudyDirection.parse(target_direction)
        except ValueError:
            raise ValueError(f"{what}: 'target_direction' must be 'minimize' or 'maximize'; "
                             f"got {target_direction!r}") from None
    if target is None or len(dirs) == 1:
        return dirs[0]
    matches = {dirs[i] for i in range(len(dirs))
               if any(t.values is not None for t in trials)
               and all(t.values is None or (len(t.values) == len(dirs) and t.values[i] == v)
                       for t, v in zip(trials, values))}
    if len(matches) == 1:
        return matches.pop()
    raise ValueError(f"{what}: the study has {len(dirs)} objectives and the target is not one of them, so "
                     "which way is better is unknown; pass target_direction='minimize' or 'maximize'")


def user_attr_name(name: str) -> str | None:
    return name[len(USER_ATTR_PREFIX):] if name.startswith(USER_ATTR_PREFIX) else None


def lookup(trial: FrozenTrial, name: str) -> Any:
    """A parameter's value, or a user attribute's for ``user_attrs.KEY``; None when absent."""
    key = user_attr_name(name)
    if key is not None:
        return trial.user_attrs.get(key)
    return trial.params.get(name)


@dataclass
class Column:
    """One parameter (or user attribute) of the chosen trials, raw and encoded on [0, 1] (NaN: absent)."""

    name: str
    kind: str  # "float", "int" or "categorical"
    log: bool
    raw: list[Any]
    unit: np.ndarray
    distribution: Distribution | None
    choices: tuple | None = None

    @property
    def present(self) -> np.ndarray:
        return ~np.isnan(self.unit)

    @property
    def conditional(self) -> bool:
        return bool(np.isnan(self.unit).any())

    @property
    def n_cells(self) -> int | None:
        """The number of equal cells of a discrete column (choices, or the ints/steps of a range), else None."""
        if self.choices is not None:
            return len(self.choices)
        d = self.distribution
        if isinstance(d, IntDistribution) and not d.log:
            return (d.high - d.low) // d.step + 1
        if isinstance(d, FloatDistribution) and d.step is not None:
            return int(round((d.high - d.low) / d.step)) + 1
        return None

    def decode(self, u: float) -> Any:
        """The raw value at unit position ``u``."""
        if self.distribution is not None:
            return self.distribution.from_unit(u)
        return u

    def numeric(self) -> np.ndarray:
        """Raw values as floats (NaN where absent; a category's index for categorical columns)."""
        if self.kind == "categorical":
            k = len(self.choices or ())
            return np.where(self.present, np.floor(np.nan_to_num(self.unit) * k).clip(0, max(k - 1, 0)), np.nan)
        return np.array([np.nan if v is None else float(v) for v in self.raw], dtype=float)

    def varies(self) -> bool:
        """Whether the column takes more than one value (absence counts as a value)."""
        u = self.unit
        present = ~np.isnan(u)
        if present.all():
            return u.size > 0 and float(np.nanmax(u) - np.nanmin(u)) > 0
        return bool(present.any())


@dataclass
class Table:
    """The chosen trials with their target values, losses (smaller is better) and columns."""

    trials: list[FrozenTrial]
    values: np.ndarray
    loss: np.ndarray
    direction: StudyDirection
    columns: dict[str, Column]

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def matrix(self, names: Sequence[str] | None = None) -> np.ndarray:
        names = self.names if names is None else names
        if not names:
            return np.empty((len(self.trials), 0))
        return np.column_stack([self.columns[n].unit for n in names])

    def subset(self, index: np.ndarray) -> "Table":
        index = np.asarray(index)
        cols = {n: Column(c.name, c.kind, c.log, [c.raw[i] for i in index], c.unit[index], c.distribution, c.choices)
                for n, c in self.columns.items()}
        return Table([self.trials[i] for i in index], self.values[index], self.loss[index], self.direction, cols)


def _distribution_of(trials: Sequence[FrozenTrial], name: str) -> Distribution | None:
    """The parameter's distribution; where its range moved between trials, one range spanning them all
    (so that every trial's value has a place on the axis)."""
    by_id: dict[int, Distribution] = {}
    for t in trials:  # trials share their distribution objects: one dictionary step per trial
        d = t.distributions.get(name)
        if d is not None and id(d) not in by_id:
            by_id[id(d)] = d
    distinct: list[Distribution] = []
    for d in by_id.values():
        if d not in distinct:
            distinct.append(d)
    if len(distinct) <= 1 or not all(type(d) is type(distinct[-1]) and not isinstance(d, CategoricalDistribution)
                                     and d.log == distinct[-1].log for d in distinct):
        return distinct[-1] if distinct else None
    low, high, log = min(d.low for d in distinct), max(d.high for d in distinct), distinct[-1].log
    steps = {d.step for d in distinct}
    step = steps.pop() if len(steps) == 1 and len({d.low for d in distinct}) == 1 else None  # one grid for all
    if isinstance(distinct[-1], IntDistribution):
        return IntDistribution(int(low), int(high), log=log, step=1 if step is None or log else step)
    return FloatDistribution(low, high, log=log, step=None if log else step)


def param_names(trials: Sequence[FrozenTrial]) -> list[str]:
    """Every parameter name of the trials, in the order they first appear."""
    seen: dict[str, None] = {}
    last: Any = None
    for t in trials:
        keys = t.params.keys()
        if keys == last:  # most trials share one space: skip the per-name loop
            continue
        last = keys
        for k in keys:
            if k not in seen:
                seen[k] = None
    return list(seen)


def _infer_distribution(values: list[Any]) -> Distribution | None:
    """A distribution for user attributes: a float range for numbers, categories for anything else."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v)) for v in present):
        lo, hi = float(min(present)), float(max(present))
        if all(isinstance(v, int) for v in present):
            return IntDistribution(int(lo), int(hi))
        return FloatDistribution(lo, hi)
    keys = sorted({json.dumps(v, sort_keys=True, default=str) for v in present})
    return CategoricalDistribution(tuple(json.loads(k) if _json_scalar(json.loads(k)) else k for k in keys))


def _json_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float, str))


def encode(dist: Distribution, values: list[Any]) -> np.ndarray:
    """Values on [0, 1] as ``dist.to_unit`` puts them (vectorised); NaN for None or values outside."""
    n = len(values)
    out = np.full(n, np.nan)
    if isinstance(dist, CategoricalDistribution):
        index: dict[Any, float] = {}
        k = len(dist.choices)
        has_none = None in dist.choices
        for i, v in enumerate(values):
            if v is None and not has_none:
                continue
            try:
                u = index[(v.__class__, v)]
            except KeyError:
                u = index[(v.__class__, v)] = _choice_unit(dist, v, k)
            except TypeError:  # unhashable (a list from a user attribute): look it up by its JSON form
                u = _choice_unit(dist, json.dumps(v, sort_keys=True, default=str), k)
            out[i] = u
        return out
    if None not in values:
        try:
            x = np.asarray(values, dtype=float)
            present = np.ones(n, dtype=bool)
        except (TypeError, ValueError):
            x = None
    else:
        x = None
    if x is None:
        present = np.array([v is not None and not isinstance(v, bool) and isinstance(v, (int, float))
                            for v in values], dtype=bool)
        if not present.any():
            return out
        x = np.array([float(v) if ok else 1.0 for v, ok in zip(values, present)], dtype=float)
    lo, hi = dist._bounds()
    if dist.log:
        x = np.log(np.where(present & (x > 0), x, 1.0))
    if hi == lo:
        out[present] = 0.5
        return out
    out[present] = np.clip((x[present] - lo) / (hi - lo), 0.0, 1.0)
    return out


def _choice_unit(dist: CategoricalDistribution, v: Any, k: int) -> float:
    try:
        return (dist.index(v) + 0.5) / k
    except (ValueError, TypeError):
        try:
            return (dist.index(json.dumps(v, sort_keys=True, default=str)) + 0.5) / k
        except (ValueError, TypeError):
            return math.nan


def make_column(trials: Sequence[FrozenTrial], name: str, all_for_dist: Sequence[FrozenTrial] | None = None,
                log: bool | None = None) -> Column:
    """The column of ``name`` (a parameter or ``user_attrs.KEY``) over ``trials``."""
    key = user_attr_name(name)
    raw = [t.params.get(name) for t in trials] if key is None else [t.user_attrs.get(key) for t in trials]
    dist = _infer_distribution(raw) if key is not None else _distribution_of(all_for_dist or trials, name)
    if dist is None:
        dist = _infer_distribution(raw)
    if dist is None:
        return Column(name, "float", False, raw, np.full(len(raw), np.nan), None)
    if log is not None and not isinstance(dist, CategoricalDistribution) and log != dist.log:
        if log and dist.low <= 0:
            raise ValueError(f"{name!r} cannot be shown on a log scale: its values reach {dist.low}")
        dist = type(dist)(dist.low, dist.high, log=log) if isinstance(dist, FloatDistribution) else \
            IntDistribution(max(1, dist.low) if log else dist.low, dist.high, log=log)
    kind = dist.kind
    choices = dist.choices if isinstance(dist, CategoricalDistribution) else None
    return Column(name, kind, bool(getattr(dist, "log", False)), raw, encode(dist, raw), dist, choices)


def build_table(study: Any, params: Sequence[str] | None = None, target: Target | None = None,
                states: Sequence[TrialState] = (TrialState.COMPLETE,), what: str = "analysis",
                target_direction: str | StudyDirection | None = None, drop_constant: bool = True,
                trials: Sequence[FrozenTrial] | None = None) -> Table:
    """The chosen trials (default: complete ones with a finite target) and their columns.

    params: names to include (parameters, or ``user_attrs.KEY``); default every parameter seen.
    Unknown names raise ValueError listing the known ones.
    target_direction: how ``target`` is ranked (see ``TARGET_DIRECTION_DOC``).
    """
    target_fn = resolve_target(study, target, what)
    chosen_all = list(trials) if trials is not None else all_trials(study, list(states))
    chosen: list[FrozenTrial] = []
    vals: list[float] = []
    for t in chosen_all:
        if target is None and not t.values:
            continue
        try:
            v = float(target_fn(t))
        except (TypeError, ValueError, IndexError, KeyError):
            continue
        if math.isfinite(v):
            chosen.append(t)
            vals.append(v)
    known = param_names(chosen)
    if params is None:
        names = known
    else:
        if isinstance(params, str):
            raise TypeError(f"{what}: 'params' must be a list of names; got the string {params!r}")
        names = list(params)
        unknown = [n for n in names if user_attr_name(n) is None and n not in known]
        if unknown:
            raise ValueError(f"{what}: unknown parameter(s) {unknown}; the trials have {known} "
                             "(user attributes go as 'user_attrs.KEY')")
    dirn = target_direction_of(study, target, what, chosen, vals, target_direction)
    values = np.asarray(vals, dtype=float)
    loss = values * dirn.sign()
    columns = {n: make_column(chosen, n) for n in names}
    if drop_constant and params is None:
        columns = {n: c for n, c in columns.items() if c.varies()}
    return Table(chosen, values, loss, dirn, columns)
