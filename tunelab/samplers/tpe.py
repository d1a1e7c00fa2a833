"""Tree-structured Parzen Estimator: model good and bad configurations, propose where good/bad is highest.

Each ask splits the finished trials into a *good* set (the best ``gamma(n)``)
and a *bad* set, fits a Parzen estimator to each (:mod:`tunelab.samplers.parzen`),
draws ``n_ei_candidates`` configurations from the good model and keeps the one
with the highest log l(x) - log g(x) (the expected-improvement criterion of TPE).

* **Multivariate**: parameters are modelled jointly (product kernels), so
  interactions between them are kept.
* **Conditional spaces**: parameters are grouped by the set of trials they
  appear in; each group is modelled jointly from the trials where it is active,
  so a parameter that only some trials have (``momentum`` under ``sgd``) gets
  its own model instead of switching the joint model off.
* **Constant liar**: RUNNING trials join the bad set, so parallel workers are
  pushed away from configurations that are already being evaluated.
* **Pruned trials** rank below every complete trial; among themselves, the
  trial that got further ranks first, then its last intermediate value.
* **Several objectives** (MOTPE): the good set is filled front by front
  (non-dominated sorting), ties in the last front broken by crowding distance.
* **Constraints**: feasible complete trials rank first, then pruned ones, then
  infeasible ones by total violation.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from tunelab._gc import paused_gc
from tunelab._validation import Check, Interval, validate
from tunelab.samplers._blas import single_thread_blas
from tunelab.samplers.base import BaseSampler, SamplingContext, TriedConfigurations, is_discrete
from tunelab.pareto import crowding_distance, losses, nondominated_ranks, violation
from tunelab.samplers.parzen import CategoricalAxis, NumericAxis, Observations, ParzenEstimator, make_axis
from tunelab.space import Distribution
from tunelab.trial import FrozenTrial, StudyDirection, TrialState


def default_gamma(n: int) -> int:
    """Size of the good set for ``n`` finished trials: 10%, at most 25 (Optuna's default)."""
    return min(int(math.ceil(0.1 * n)), 25)


def rank_trials(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection], n_good: int | None = None,
                consider_pruned: bool = True) -> list[FrozenTrial]:
    """Finished trials ordered best first, as TPE splits them (failed and running trials are left out).

    Order: feasible complete trials (by value, or by Pareto front then crowding
    for several objectives), then pruned trials (furthest step first, then last
    intermediate value), then infeasible complete trials (by total violation).
    ``n_good`` only bounds how many fronts are sorted.
    """
    sign = directions[0].sign()
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.values is not None]
    viol = [violation(t) for t in complete]
    feasible = [t for t, v in zip(complete, viol) if v <= 0]
    infeasible = [t for _, t in sorted(((v, t.number), t) for t, v in zip(complete, viol) if v > 0)]
    if len(directions) == 1:
        feasible.sort(key=lambda t: (sign * t.values[0], t.number))
    elif feasible:
        pts = losses(feasible, directions)
        ranks = nondominated_ranks(pts, n_stop=n_good)
        crowd = np.zeros(len(feasible))
        for r in np.unique(ranks):
            members = ranks == r
            crowd[members] = crowding_distance(pts[members])
        order = sorted(range(len(feasible)), key=lambda i: (ranks[i], -crowd[i], feasible[i].number))
        feasible = [feasible[i] for i in order]
    pruned: list[FrozenTrial] = []
    if consider_pruned:
        def pruned_key(t: FrozenTrial) -> tuple:
            if not t.intermediate_values:
                return (1, 0, 0.0, t.number)
            step = max(t.intermediate_values)
            value = sign * t.intermediate_values[step] if len(directions) == 1 else 0.0
            return (0, -step, value, t.number)

        pruned = sorted((t for t in trials if t.state == TrialState.PRUNED), key=pruned_key)
    return feasible + pruned + infeasible


class _Signatures:
    """Each trial's set of distributions as a small integer, remembered across asks for finished trials.

    Most studies have one or a few distinct sets (one per branch of a conditional
    space), so "which trials carry this parameter with this distribution" is
    answered once per set instead of once per trial: at 10,000 trials that
    comparison was most of an ask.
    """

    _MAX_SAME = 1024  # distinct (names, distribution objects) combinations remembered by identity

    def __init__(self) -> None:
        self._by_trial: dict[int, tuple[dict, int]] = {}
        self._index: dict[frozenset, int] = {}
        self.sets: list[dict[str, Distribution]] = []
        # trials usually share their distribution objects (storages and the study hand out one per name):
        # (names, ids of the objects) -> (set index, the objects, held so that their ids stay theirs)
        self._same: dict[tuple, tuple[int, tuple]] = {}

    def of(self, t: FrozenTrial) -> int:
        dists = t.distributions
        same = (tuple(dists), tuple(map(id, dists.values())))
        hit = self._same.get(same)
        if hit is not None:
            return hit[0]
        objects = tuple(dists.values())
        entry = self._by_trial.get(t.number)
        if entry is not None and (entry[0] is dists or entry[0] == dists):
            return entry[1]
        key = frozenset(dists.items())
        i = self._index.get(key)
        if i is None:
            i = self._index[key] = len(self.sets)
            self.sets.append(dict(dists))
        if len(self._same) < self._MAX_SAME:
            self._same[same] = (i, objects)
        if t.state in _FINISHED:  # a running trial still gains parameters
            self._by_trial[t.number] = (dists, i)
        return i

    def carrying(self, name: str, dist: Distribution) -> np.ndarray:
        """Per distribution set: whether it has ``name`` with ``dist``."""
        return np.array([d.get(name) == dist for d in self.sets], dtype=bool)


_NOT_RANKED = -1  # a finished trial TPE does not model (failed)
_UNRANKED_COMPLETE = -2  # a complete trial without values: counted in the study's size, not ranked
_UNSEEN = -3  # an object the history has not mapped yet
_FINISHED = frozenset(s for s in TrialState if s.is_finished())


class _History:
    """The finished trials of the study as TPE uses them, kept across asks (finished trials never change).

    Each modelled trial is a *row* (in the order first seen) with its rank key (see
    :meth:`key`), its distribution set and, filled on demand per parameter, its
    encoded value, so an ask neither re-ranks from FrozenTrials nor re-encodes them.
    An ask maps the storage's trial objects to rows by identity (one dictionary
    lookup per trial); an object not seen before is compared with the one held for
    its number (a copy with the same content is taken over, a changed or foreign one
    starts the history again: views such as the fidelity sampler's hand over copies).
    """

    def __init__(self, signatures: _Signatures) -> None:
        self.signatures = signatures
        self.trials: list[FrozenTrial] = []  # by row
        self._keys: list[tuple[float, float, float, float, float]] = []
        self._sigs: list[int] = []
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None  # keys (rows, 5), sig ids (rows,)
        self._held: dict[int, tuple[FrozenTrial, int, tuple | None]] = {}  # number -> (object, row or marker, key)
        self._by_id: dict[int, int] = {}  # id(held object) -> row or marker
        self._columns: dict[tuple, np.ndarray] = {}
        self._kept: list[FrozenTrial] = []
        self.sign: float | None = None

    @staticmethod
    def key(t: FrozenTrial, sign: float) -> tuple[float, float, float, float, float] | None:
        """(group, k1, k2, k3, number), sorted ascending as :func:`rank_trials` orders one objective.

        group 0 feasible complete (k1 the loss), 1 pruned (k1 0 if it reported, then minus its
        last step and that step's loss), 2 infeasible complete (k1 the violation); None: not ranked.
        """
        if t.state == TrialState.COMPLETE:
            if t.values is None:
                return None
            v = violation(t) if t.system_attrs else 0.0
            return (0.0, sign * t.values[0], 0.0, 0.0, t.number) if v <= 0 else (2.0, v, 0.0, 0.0, t.number)
        if t.state == TrialState.PRUNED:
            if not t.intermediate_values:
                return (1.0, 1.0, 0.0, 0.0, t.number)
            step = max(t.intermediate_values)
            return (1.0, 0.0, -step, sign * t.intermediate_values[step], t.number)
        return None

    def _marker(self, t: FrozenTrial, key: tuple | None) -> int:
        if key is not None:
            return len(self.trials)  # the row it gets
        return _UNRANKED_COMPLETE if t.state == TrialState.COMPLETE else _NOT_RANKED

    def _hold(self, t: FrozenTrial, sign: float) -> int:
        key = self.key(t, sign)
        row = self._marker(t, key)
        if row >= 0:
            self.trials.append(t)
            self._keys.append(key)  # type: ignore[arg-type]
            self._sigs.append(self.signatures.of(t))
            self._arrays = None
        self._held[t.number] = (t, row, key)
        self._by_id[id(t)] = row
        return row

    def _take_over(self, t: FrozenTrial, sign: float) -> int | None:
        """Row (or marker) of a new object for a trial held already; None if its content changed."""
        old, row, key = self._held[t.number]
        if (old.trial_id != t.trial_id or old.state != t.state or old.values != t.values or self.key(t, sign) != key
                or old.params != t.params or old.distributions != t.distributions):
            return None
        del self._by_id[id(old)]
        self._held[t.number] = (t, row, key)
        self._by_id[id(t)] = row
        if row >= 0:
            self.trials[row] = t
        return row

    def update(self, trials: Sequence[FrozenTrial], sign: float,
               again: bool = False) -> tuple[np.ndarray, list[FrozenTrial], int]:
        """(rows of the modelled finished trials in ``trials``, its RUNNING trials in order, how many
        COMPLETE trials it has that cannot be ranked (no values))."""
        if sign != self.sign:
            self.__init__(self.signatures)  # type: ignore[misc]
            self.sign = sign
        # row (or marker) of each trial object seen before, _UNSEEN for the others: one C-level pass
        found = np.fromiter(map(self._by_id.get, map(id, trials), itertools.repeat(_UNSEEN)), dtype=np.int64,
                            count=len(trials))
        running: list[FrozenTrial] = []
        unseen = np.flatnonzero(found == _UNSEEN).tolist()
        with paused_gc() if len(unseen) > 1000 else contextlib.nullcontext():  # a first look at a big study
            for i in unseen:
                row = self._place(trials[i], sign, running, again)
                if row is None:  # the same number with other content: another study, or a changed view
                    self.__init__(self.signatures)  # type: ignore[misc]
                    self.sign = sign
                    return self.update(trials, sign, again=True)
                found[i] = row
        rows = found[found >= 0]
        n_unranked = int(np.count_nonzero(found == _UNRANKED_COMPLETE))
        return rows, running, n_unranked

    def _place(self, t: FrozenTrial, sign: float, running: list[FrozenTrial], again: bool) -> int | None:
        """The row (or marker) of a trial object not mapped yet; an unfinished one stays _UNSEEN (a running one
        also goes to ``running``); None: its number is held with other content."""
        if t.state not in _FINISHED:
            if t.state == TrialState.RUNNING:
                running.append(t)
            return _UNSEEN
        row = self._take_over(t, sign) if t.number in self._held else self._hold(t, sign)
        if row is None and again:  # two trials of one number in one list: keep both
            self._kept.append(self._held[t.number][0])  # its id stays taken while it is mapped
            row = self._hold(t, sign)
        return row

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Rank keys (rows, 5) and distribution-set ids (rows,)."""
        if self._arrays is None or len(self._arrays[1]) != len(self.trials):
            self._arrays = (np.array(self._keys, dtype=float).reshape(len(self._keys), 5),
                            np.array(self._sigs, dtype=np.int64))
        return self._arrays

    def column(self, name: str, dist: Distribution, axis_key: tuple,
               axis: "NumericAxis | CategoricalAxis") -> np.ndarray:
        """Every row's encoded value of ``name`` (categoricals as float indices), NaN where it lacks ``dist``."""
        key = (name, axis_key)
        done = self._columns.get(key)
        start = 0 if done is None else len(done)
        if start == len(self.trials):
            return done  # type: ignore[return-value]
        new = np.full(len(self.trials) - start, np.nan)
        sigs = self.arrays()[1][start:]
        has = np.flatnonzero(self.signatures.carrying(name, dist)[sigs]) if len(sigs) else np.zeros(0, dtype=int)
        if len(has):
            trials = self.trials
            new[has] = axis.encode([trials[start + i].params[name] for i in has.tolist()])
        out = new if done is None else np.concatenate([done, new])
        self._columns[key] = out
        return out


@dataclass
class _Split:
    """One ask's view of the history: ranked finished trials (``rows`` of the history; the first
    ``n_good`` are the good set), then (constant liar) running trials."""

    history: _History
    rows: np.ndarray
    liars: list[FrozenTrial]
    n_good: int
    _masks: dict = field(default_factory=dict)
    _sig_ids: np.ndarray | None = None

    @property
    def n_finished(self) -> int:
        return len(self.rows)

    @property
    def signatures(self) -> _Signatures:
        return self.history.signatures

    @property
    def trials(self) -> list[FrozenTrial]:
        """The ranked finished trials, then the liars (for inspection; the model works on arrays)."""
        return [self.history.trials[r] for r in self.rows.tolist()] + self.liars

    def sig_ids(self) -> np.ndarray:
        """Per trial (ranked finished ones, then liars), the index of its distribution set in ``signatures.sets``."""
        if self._sig_ids is None:
            of = self.signatures.of
            liars = np.fromiter((of(t) for t in self.liars), dtype=np.int64, count=len(self.liars))
            self._sig_ids = np.concatenate([self.history.arrays()[1][self.rows], liars])
        return self._sig_ids

    def has(self, name: str, dist: Distribution) -> np.ndarray:
        """Which trials carry ``name`` with ``dist`` (cached for the ask)."""
        mask = self._masks.get(name)
        if mask is None or mask[0] != dist:
            ids = self.sig_ids()
            per_set = self.signatures.carrying(name, dist)
            mask = self._masks[name] = (dist, per_set[ids] if len(ids) else np.zeros(0, dtype=bool))
        return mask[1]

    def values(self, name: str, dist: Distribution, axis_key: tuple, axis: "NumericAxis | CategoricalAxis",
               which: np.ndarray) -> np.ndarray:
        """Encoded values of ``name`` for the trials at positions ``which`` (all carry ``dist``)."""
        n = self.n_finished
        cut = int(np.searchsorted(which, n))
        out = np.empty(len(which))
        out[:cut] = self.history.column(name, dist, axis_key, axis)[self.rows[which[:cut]]]
        if cut < len(which):
            out[cut:] = axis.encode([self.liars[i - n].params[name] for i in which[cut:].tolist()])
        return out


def _group_names(has: Callable[[str, Distribution], np.ndarray], n: int,
                 space: dict[str, Distribution]) -> list[list[str]]:
    groups: dict[bytes, list[str]] = {}
    for name in sorted(space):
        groups.setdefault(has(name, space[name])[:n].tobytes(), []).append(name)
    return list(groups.values())


def _groups(split: _Split, space: dict[str, Distribution]) -> list[list[str]]:
    return _group_names(split.has, split.n_finished, space)


def presence_groups(trials: Sequence[FrozenTrial], space: dict[str, Distribution]) -> list[list[str]]:
    """Parameters grouped by the exact set of ``trials`` that carry them: each group is modelled jointly."""
    signatures = _Signatures()
    ids = np.array([signatures.of(t) for t in trials], dtype=np.int64)
    return _group_names(lambda name, dist: signatures.carrying(name, dist)[ids] if len(ids) else
                        np.zeros(0, dtype=bool), len(trials), space)


_CONSTRAINTS = {
    "seed": [Interval(int, 0, None), None],
    "n_startup_trials": [Interval(int, 0, None)],
    "n_ei_candidates": [Interval(int, 1, None)],
    "multivariate": [bool],
    "constant_liar": [bool],
    "consider_pruned": [bool],
    "gamma": [Check(callable, "a callable n -> size of the good set"),
              Interval(float, 0, 1, closed="right")],
    "prior_weight": [Interval(float, 0, None, closed="neither")],
    "bandwidth_factor": [Interval(float, 0, None, closed="neither")],
}


def _decoded(names: Sequence[str], axes: Sequence[NumericAxis | CategoricalAxis], candidates: Observations,
             i: int) -> dict[str, Any]:
    """Candidate ``i`` as parameter values."""
    out: dict[str, Any] = {}
    i_num = i_cat = 0
    for name, axis in zip(names, axes):
        if isinstance(axis, NumericAxis):
            out[name] = axis.decode(candidates.numeric[i, i_num])
            i_num += 1
        else:
            out[name] = axis.decode(candidates.categorical[i, i_cat])
            i_cat += 1
    return out


class TPESampler(BaseSampler):
    """Multivariate TPE with grouped conditional parameters, constant liar, MOTPE and constraints.

    ``gamma`` is a callable ``n -> size of the good set`` or a fraction in (0, 1].
    The first ``n_startup_trials`` finished trials are drawn uniformly at random.
    """

    def __init__(self, seed: int | None = None, n_startup_trials: int = 10, n_ei_candidates: int = 24,
                 multivariate: bool = True, constant_liar: bool = True,
                 gamma: Callable[[int], int] | float = default_gamma, consider_pruned: bool = True,
                 prior_weight: float = 1.0, bandwidth_factor: float = 0.2):
        validate(_CONSTRAINTS, dict(seed=seed, n_startup_trials=n_startup_trials, n_ei_candidates=n_ei_candidates,
                                    multivariate=multivariate, constant_liar=constant_liar, gamma=gamma,
                                    consider_pruned=consider_pruned, prior_weight=prior_weight,
                                    bandwidth_factor=bandwidth_factor), "TPESampler")
        super().__init__(seed)
        self.n_startup_trials = n_startup_trials
        self.n_ei_candidates = n_ei_candidates
        self.multivariate = multivariate
        self.constant_liar = constant_liar
        self.gamma = gamma
        self.consider_pruned = consider_pruned
        self.prior_weight = float(prior_weight)
        self.bandwidth_factor = float(bandwidth_factor)
        self._axes: dict[tuple, NumericAxis | CategoricalAxis] = {}
        self._cache: tuple[Any, _Split] | None = None
        self._signatures = _Signatures()
        self._history = _History(self._signatures)
        self._tried = TriedConfigurations()
        self._lock = threading.Lock()

    def reseed(self, seed: int | None) -> None:
        super().reseed(seed)
        self._cache = None

    def __getstate__(self) -> dict[str, Any]:
        # the history maps trial objects of this process by identity: a copy starts its own
        state = super().__getstate__()
        state["_signatures"] = signatures = _Signatures()
        state["_history"] = _History(signatures)
        state["_cache"] = None
        return state

    # ------------------------------------------------------------------ split
    def _n_good(self, n: int) -> int:
        if callable(self.gamma):
            k = int(self.gamma(n))
        else:
            k = int(math.ceil(self.gamma * n))
        return max(1, min(n, k)) if n else 0

    def _split(self, context: SamplingContext) -> _Split:
        trials = context.trials
        if self._cache is not None and self._cache[0] is trials:
            return self._cache[1]
        directions = context.directions
        with self._lock:
            history = self._history
            rows, running, n_unranked = history.update(trials, directions[0].sign())
            keys, _ = history.arrays()
            if not self.consider_pruned:
                rows = rows[keys[rows, 0] != 1.0]
            n = len(rows) + n_unranked  # the COMPLETE (and PRUNED) trials: the size gamma is taken of
            n_good = self._n_good(n)
            if len(directions) == 1:
                k = keys[rows]
                if len(k) and not k[:, 0].any() and np.all(np.diff(k[:, 4]) > 0):
                    # the usual case (complete, feasible, in number order): a stable sort by loss is the same order
                    ordered = rows[np.argsort(k[:, 1], kind="stable")]
                else:
                    ordered = rows[np.lexsort((k[:, 4], k[:, 3], k[:, 2], k[:, 1], k[:, 0]))]
            else:
                row_of = {id(history.trials[r]): r for r in rows.tolist()}
                ranked = rank_trials([history.trials[r] for r in rows.tolist()], directions, n_good,
                                     self.consider_pruned)
                ordered = np.array([row_of[id(t)] for t in ranked], dtype=np.int64)
        liars = running if self.constant_liar else []
        split = _Split(history, ordered, liars, min(n_good, len(ordered)))
        self._cache = (trials, split)
        return split

    # ------------------------------------------------------------------ sampler contract
    def infer_relative_space(self, context: SamplingContext) -> dict[str, Distribution]:
        if not self.multivariate:
            return {}
        split = self._split(context)
        if split.n_finished < max(1, self.n_startup_trials):
            return {}
        space: dict[str, Distribution] = {}
        ids = split.sig_ids()[: split.n_finished]
        _, first = np.unique(ids, return_index=True)
        for i in ids[np.sort(first)]:  # each distinct set once, in the order the ranked trials bring it
            for name, dist in split.signatures.sets[i].items():
                if name not in space and not dist.single():
                    space[name] = dist
        return dict(sorted(space.items()))

    def sample_relative(self, context: SamplingContext, space: dict[str, Distribution]) -> dict[str, Any]:
        if not space:
            return {}
        split = self._split(context)
        values: dict[str, Any] = {}
        with single_thread_blas():
            groups = _groups(split, space)
            for names in groups:
                values.update(self._sample_group(names, space, split, context.trials if len(groups) == 1 else ()))
        return values

    def sample_independent(self, context: SamplingContext, name: str, distribution: Distribution) -> Any:
        if distribution.single():
            return distribution.from_unit(0.5)
        split = self._split(context)
        if split.n_finished < max(1, self.n_startup_trials):
            return super().sample_independent(context, name, distribution)
        with single_thread_blas():
            result = self._sample_group([name], {name: distribution}, split)
        if name not in result:
            return super().sample_independent(context, name, distribution)
        return result[name]

    # ------------------------------------------------------------------ one group
    @staticmethod
    def _axis_key(dist: Distribution) -> tuple:
        # choice types are part of the key: (True, "a") == (1, "a") for a tuple, not for the space
        return (dist, tuple(type(c) for c in getattr(dist, "choices", ())))

    def _axis(self, dist: Distribution) -> NumericAxis | CategoricalAxis:
        key = self._axis_key(dist)
        axis = self._axes.get(key)
        if axis is None:
            axis = self._axes[key] = make_axis(dist)
        return axis

    def _observations(self, split: _Split, which: np.ndarray, names: Sequence[str], dists: Sequence[Distribution],
                      axes: Sequence[NumericAxis | CategoricalAxis]) -> Observations:
        """The trials at positions ``which`` of the split on the model's scale."""
        numeric, categorical = [], []
        for n, d, a in zip(names, dists, axes):
            column = split.values(n, d, self._axis_key(d), a, which)
            (numeric if isinstance(a, NumericAxis) else categorical).append(column)
        return Observations(np.array(numeric, dtype=float).reshape(len(numeric), len(which)).T,
                            np.array(categorical, dtype=float).reshape(len(categorical), len(which)).T.astype(int))

    def _sample_group(self, names: list[str], space: dict[str, Distribution], split: _Split,
                      avoid: Sequence[FrozenTrial] = ()) -> dict[str, Any]:
        """Joint TPE proposal for ``names`` from the trials in which all of them are active.

        ``avoid``: trials whose values of ``names`` are their whole configuration (the group
        is the trial's whole relative space); on a discrete space the best-scoring candidate
        none of them has is taken (when the candidates hold one), so no trial runs twice.
        """
        dists = [space[n] for n in names]
        active = np.ones(split.n_finished + len(split.liars), dtype=bool)
        for n, d in zip(names, dists):
            active &= split.has(n, d)
        good = np.flatnonzero(active[: split.n_good])
        bad = np.flatnonzero(active[split.n_good:]) + split.n_good
        if not len(good) and not len(bad):
            return {}
        axes = [self._axis(d) for d in dists]
        kwargs = dict(prior_weight=self.prior_weight, bandwidth_factor=self.bandwidth_factor)
        with self._lock:  # the history's column cache grows here
            obs_good = self._observations(split, good, names, dists, axes)
            obs_bad = self._observations(split, bad, names, dists, axes)
        below = ParzenEstimator(axes, obs_good, **kwargs)
        above = ParzenEstimator(axes, obs_bad, **kwargs)
        candidates = below.sample(self._rng, self.n_ei_candidates)
        cells = below.snap(candidates)
        score = below.log_pdf(candidates, cells) - above.log_pdf(candidates, cells)
        order = np.argsort(-score, kind="stable")
        if avoid and all(is_discrete(d) for d in dists):
            tried = self._tried.of(avoid, names)
            for i in order.tolist():
                out = _decoded(names, axes, candidates, i)
                if not tried(tuple(out.values())):
                    return out
        return _decoded(names, axes, candidates, int(order[0]))
