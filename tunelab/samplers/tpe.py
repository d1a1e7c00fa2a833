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

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from tunelab._validation import Check, Interval, validate
from tunelab.samplers.base import BaseSampler, SamplingContext
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

    def __init__(self) -> None:
        self._by_trial: dict[int, tuple[dict, int]] = {}
        self._index: dict[frozenset, int] = {}
        self.sets: list[dict[str, Distribution]] = []

    def of(self, t: FrozenTrial) -> int:
        entry = self._by_trial.get(t.number)
        if entry is not None and (entry[0] is t.distributions or entry[0] == t.distributions):
            return entry[1]
        key = frozenset(t.distributions.items())
        i = self._index.get(key)
        if i is None:
            i = self._index[key] = len(self.sets)
            self.sets.append(dict(t.distributions))
        if t.state.is_finished():  # a running trial still gains parameters
            self._by_trial[t.number] = (t.distributions, i)
        return i


@dataclass
class _Split:
    """One ask's view of the history: ``trials[:n_good]`` good, the rest bad (running ones last)."""

    trials: list[FrozenTrial]  # ranked finished trials the model may use, then (constant liar) running ones
    n_finished: int
    n_good: int
    signatures: _Signatures | None = None
    _masks: dict = field(default_factory=dict)
    _sig_ids: np.ndarray | None = None

    def sig_ids(self) -> np.ndarray:
        """Per trial, the index of its distribution set in ``signatures.sets``."""
        if self._sig_ids is None:
            if self.signatures is None:
                self.signatures = _Signatures()
            of = self.signatures.of
            self._sig_ids = np.fromiter((of(t) for t in self.trials), dtype=np.int64, count=len(self.trials))
        return self._sig_ids

    def has(self, name: str, dist: Distribution) -> np.ndarray:
        """Which trials carry ``name`` with ``dist`` (cached for the ask)."""
        mask = self._masks.get(name)
        if mask is None or mask[0] != dist:
            ids = self.sig_ids()
            per_set = np.array([d.get(name) == dist for d in self.signatures.sets], dtype=bool)
            mask = self._masks[name] = (dist, per_set[ids] if len(ids) else np.zeros(0, dtype=bool))
        return mask[1]


def _groups(split: _Split, space: dict[str, Distribution]) -> list[list[str]]:
    groups: dict[bytes, list[str]] = {}
    for name in sorted(space):
        groups.setdefault(split.has(name, space[name])[: split.n_finished].tobytes(), []).append(name)
    return list(groups.values())


def presence_groups(trials: Sequence[FrozenTrial], space: dict[str, Distribution]) -> list[list[str]]:
    """Parameters grouped by the exact set of ``trials`` that carry them: each group is modelled jointly."""
    return _groups(_Split(list(trials), len(trials), 0), space)


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

    def reseed(self, seed: int | None) -> None:
        super().reseed(seed)
        self._cache = None

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
        considered = (TrialState.COMPLETE, TrialState.PRUNED) if self.consider_pruned else (TrialState.COMPLETE,)
        n = sum(1 for t in trials if t.state in considered)
        n_good = self._n_good(n)
        ordered = rank_trials(trials, context.directions, n_good, self.consider_pruned)
        liars = context.running() if self.constant_liar else []
        split = _Split(ordered + liars, len(ordered), min(n_good, len(ordered)), self._signatures)
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
        for names in _groups(split, space):
            values.update(self._sample_group(names, space, split))
        return values

    def sample_independent(self, context: SamplingContext, name: str, distribution: Distribution) -> Any:
        if distribution.single():
            return distribution.from_unit(0.5)
        split = self._split(context)
        if split.n_finished < max(1, self.n_startup_trials):
            return super().sample_independent(context, name, distribution)
        result = self._sample_group([name], {name: distribution}, split)
        if name not in result:
            return super().sample_independent(context, name, distribution)
        return result[name]

    # ------------------------------------------------------------------ one group
    def _axis(self, dist: Distribution) -> NumericAxis | CategoricalAxis:
        # choice types are part of the key: (True, "a") == (1, "a") for a tuple, not for the space
        key = (dist, tuple(type(c) for c in getattr(dist, "choices", ())))
        axis = self._axes.get(key)
        if axis is None:
            axis = self._axes[key] = make_axis(dist)
        return axis

    def _observations(self, trials: Sequence[FrozenTrial], names: Sequence[str],
                      axes: Sequence[NumericAxis | CategoricalAxis]) -> Observations:
        numeric = [a.encode([t.params[n] for t in trials]) for n, a in zip(names, axes) if isinstance(a, NumericAxis)]
        categorical = [a.encode([t.params[n] for t in trials]) for n, a in zip(names, axes)
                       if isinstance(a, CategoricalAxis)]
        return Observations(np.array(numeric, dtype=float).reshape(len(numeric), len(trials)).T,
                            np.array(categorical, dtype=int).reshape(len(categorical), len(trials)).T)

    def _sample_group(self, names: list[str], space: dict[str, Distribution], split: _Split) -> dict[str, Any]:
        """Joint TPE proposal for ``names`` from the trials in which all of them are active."""
        dists = [space[n] for n in names]
        active = np.ones(len(split.trials), dtype=bool)
        for n, d in zip(names, dists):
            active &= split.has(n, d)
        good = [t for t, a in zip(split.trials[: split.n_good], active[: split.n_good]) if a]
        bad = [t for t, a in zip(split.trials[split.n_good:], active[split.n_good:]) if a]
        if not good and not bad:
            return {}
        axes = [self._axis(d) for d in dists]
        kwargs = dict(prior_weight=self.prior_weight, bandwidth_factor=self.bandwidth_factor)
        below = ParzenEstimator(axes, self._observations(good, names, axes), **kwargs)
        above = ParzenEstimator(axes, self._observations(bad, names, axes), **kwargs)
        candidates = below.sample(self._rng, self.n_ei_candidates)
        cells = below.snap(candidates)
        score = below.log_pdf(candidates, cells) - above.log_pdf(candidates, cells)
        best = int(np.argmax(score))
        out: dict[str, Any] = {}
        i_num = i_cat = 0
        for name, axis in zip(names, axes):
            if isinstance(axis, NumericAxis):
                out[name] = axis.decode(candidates.numeric[best, i_num])
                i_num += 1
            else:
                out[name] = axis.decode(candidates.categorical[best, i_cat])
                i_cat += 1
        return out
