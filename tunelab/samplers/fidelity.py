"""Fidelity-aware search (BOHB-style): a model-based sampler that learns from pruned trials too.

Under successive halving most trials stop early, so a sampler that only looks
at complete trials sees few points.  Every trial that reported at step ``s``
is, however, an evaluation of its configuration at budget ``s``.
:class:`FidelitySampler` groups the reports by step ("budget level"), picks
the highest level with at least ``min_points`` trials, and hands the base
sampler (TPE by default) a view of the study in which each of those trials is
COMPLETE with value = its report at that level, and trials stopped below that
level are PRUNED (see :func:`level_view`).  Levels below ``min_level_share``
(1/3) of the longest curve so far are never modelled: a first-epoch ranking
can point away from the configurations that end best.  Before some level
has enough points it samples uniformly at random, like BOHB.

How much the model is trusted is read from the study's own curves
(:func:`curve_trust`): among the trials that completed, the rank correlation
between their values at the modelled level and their final values says
whether that level ranks configurations the way they end.  When it does not
(noisy curves, slow starters), more of the proposals are drawn at random; a
model fitted on a level that ranks badly does worse than random search with
the same pruner (docs/benchmarks.md, *Multi-fidelity*).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Sequence

from tunelab.protocols import PrunerInfo, stops_trials
from tunelab.samplers.base import BaseSampler, SamplingContext
from tunelab.space import Distribution
from tunelab.trial import FrozenTrial, TrialState

FINAL = math.inf  # the level of complete trials that reported no intermediate value

# trials whose reports count as evaluations (a FAIL trial's last reports may be what broke it)
_OBSERVED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)


def budget_levels(trials: Sequence[FrozenTrial]) -> dict[float, list[tuple[FrozenTrial, float]]]:
    """{level: [(trial, value at that level)]}; a complete trial without reports sits at level FINAL."""
    levels: dict[float, list[tuple[FrozenTrial, float]]] = {}
    for t in trials:
        if t.state not in _OBSERVED:
            continue
        if t.intermediate_values:
            for step, value in t.intermediate_values.items():
                if not math.isnan(value):
                    levels.setdefault(step, []).append((t, value))
        elif t.state == TrialState.COMPLETE and t.values:
            levels.setdefault(FINAL, []).append((t, t.values[0]))
    return levels


def level_view(trials: Sequence[FrozenTrial], min_points: int,
               min_level: float = 0.0) -> tuple[float | None, list[FrozenTrial]]:
    """The highest level (>= ``min_level``) with >= ``min_points`` trials, and the study as the base sampler sees it.

    Trials that reported at that level become synthetic COMPLETE copies whose
    value is that report.  Trials that stopped below the level stay in the view
    as PRUNED (a pruned trial lost at an earlier rung: samplers rank it below
    every complete one), and running ones stay RUNNING (for constant liars).
    Without the earlier-stopped trials, a view of promoted trials only would
    call good configurations "bad" and push the search away from them.
    """
    levels = budget_levels(trials)
    for level in sorted(levels, reverse=True):
        if level < min_level:
            break
        if len(levels[level]) < min_points:
            continue
        view = [dataclasses.replace(t, state=TrialState.COMPLETE, values=[v]) for t, v in levels[level]]
        seen = {t.number for t in view}
        for t in trials:
            if t.number in seen or t.state not in _OBSERVED:
                continue
            if t.state == TrialState.RUNNING:
                view.append(t)
            elif t.last_step is not None and t.last_step < level:
                view.append(t if t.state == TrialState.PRUNED else dataclasses.replace(t, state=TrialState.PRUNED))
        view.sort(key=lambda t: t.number)
        return level, view
    return None, []


def _ranks(values: Sequence[float]) -> list[float]:
    """Average ranks (ties share their mean rank), as Spearman's correlation uses them."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2
        i = j + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation of two equal-length sequences (0 when either is constant)."""
    rx, ry = _ranks(x), _ranks(y)
    n = len(rx)
    mx, my = sum(rx) / n, sum(ry) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else 0.0


_MIN_PAIRS = 5  # complete trials needed before the curves are trusted at all
_RHO_CAP = 0.9


def value_at(trial: FrozenTrial, level: float) -> float | None:
    """The trial's first report at or beyond ``level`` (a rung's value, as ASHA reads it); None if none."""
    steps = [s for s in trial.intermediate_values if s >= level and not math.isnan(trial.intermediate_values[s])]
    return trial.intermediate_values[min(steps)] if steps else None


def _before_end(trial: FrozenTrial, level: float) -> float | None:
    """The trial's value at ``level`` for comparison with its end: its first report at or beyond ``level``
    before its last step, else its latest report below ``level``; None if it reported only at its end."""
    steps = sorted(s for s, v in trial.intermediate_values.items() if not math.isnan(v))
    earlier = steps[:-1]
    if not earlier:
        return None
    after = [s for s in earlier if s >= level]
    return trial.intermediate_values[after[0] if after else earlier[-1]]


@dataclasses.dataclass(frozen=True)
class CurveTrust:
    """How far an early level's ranking of configurations agrees with their final values, and on how many."""

    level: float  # the step whose values were compared with the final ones
    rho: float  # Spearman's correlation among the complete trials (nan: too few)
    n: int  # complete trials compared
    lower: float  # a one-sigma lower bound on rho (Fisher z), -1 with fewer than 5 trials
    trust: float  # in [0, 1]: how much of the non-random share goes to the model


def curve_trust(trials: Sequence[FrozenTrial], level: float | None, low: float = 0.0,
                high: float = 0.5) -> CurveTrust:
    """Measure from the study's own curves how well ``level`` ranks configurations the way they end.

    Among COMPLETE single-objective trials, the Spearman correlation between
    their report at ``level`` (or, when ``level`` is the final one, at 2/3 of
    the longest complete curve: how stable the ends of the curves are; the
    nearest report before the end where there is none there) and their final
    value.  ``trust`` maps a one-sigma lower bound of it (Fisher
    z of the correlation capped at 0.9, standard error sqrt(1.06 / (n - 3)))
    linearly from ``low`` (0) to ``high`` (1): fewer than 5 complete trials or
    a weak correlation mean little trust.
    """
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.values and t.intermediate_values]
    if not complete:
        return CurveTrust(math.nan if level is None else level, math.nan, 0, -1.0, 0.0)
    longest = max(t.last_step for t in complete)
    at = level if level is not None and level < longest else (2 / 3) * longest
    early, final = [], []
    for t in complete:
        v = _before_end(t, at)
        if v is not None and not math.isnan(t.values[0]):
            early.append(v)
            final.append(t.values[0])
    n = len(early)
    if n < _MIN_PAIRS:
        return CurveTrust(at, math.nan, n, -1.0, 0.0)
    rho = spearman(early, final)
    z = math.atanh(max(-_RHO_CAP, min(_RHO_CAP, rho)))  # capped: on 5 trials a perfect ranking is not certainty
    lower = math.tanh(z - math.sqrt(1.06 / (n - 3)))
    trust = min(1.0, max(0.0, (lower - low) / (high - low))) if high > low else float(lower >= high)
    return CurveTrust(at, rho, n, lower, trust)


class FidelitySampler(BaseSampler):
    """Propose with ``base`` fitted on the highest budget level that has ``min_points`` trials; random before.

    ``base`` is a sampler name ("tpe", "gp", ...) or a sampler object; it sees
    only the public BaseSampler interface with a SamplingContext whose trials
    are the synthetic view.  ``min_points=None`` means max(10, number of
    parameters + 2), counted at the level being used.  A share
    ``random_fraction`` of the trials is drawn at random anyway, as in BOHB
    (which uses 1/3), so that a model fitted on cheap, noisy levels cannot shut
    regions out; 0.5 did best on benchmarks/multifidelity.py (docs/benchmarks.md).
    ``min_level_share`` keeps the model off levels below that share of the
    longest curve reported so far (with ASHA at eta 3 over 27 epochs: off
    rungs 1 and 3, on 9 and up); until such a level has ``min_points`` trials
    it samples at random.  On benchmarks/multifidelity.py the models fitted on
    the first rungs led the search away from slow starters (0 did worse than 1/3).

    ``adaptive`` (default True) scales the model's share by :func:`curve_trust`:
    the share of random proposals is ``random_fraction + (1 - random_fraction)
    * (1 - trust)``, so with no or weak evidence that the modelled level ranks
    like the final one it samples at random, and with good evidence it keeps
    ``random_fraction``.  ``trust_range`` = (low, high) maps the correlation's
    lower bound to trust 0 .. 1.  ``last_trust`` holds the latest measurement.
    """

    def __init__(self, base: str | BaseSampler = "tpe", min_points: int | None = None, seed: int | None = None,
                 random_fraction: float = 0.5, min_level_share: float = 1 / 3, adaptive: bool = True,
                 trust_range: tuple[float, float] = (0.0, 0.5)):
        from tunelab._validation import Check, Interval, validate

        validate({"base": [str, Check(lambda b: isinstance(b, BaseSampler), "a sampler object")],
                  "min_points": [Interval(int, 1, None), None],
                  "random_fraction": [Interval(float, 0, 1)], "min_level_share": [Interval(float, 0, 1)],
                  "adaptive": [bool],
                  "trust_range": [Check(lambda r: isinstance(r, tuple) and len(r) == 2
                                        and all(isinstance(v, (int, float)) for v in r)
                                        and -1 <= r[0] < r[1] <= 1, "a pair (low, high) with -1 <= low < high <= 1")]},
                 {"base": base, "min_points": min_points, "random_fraction": random_fraction,
                  "min_level_share": min_level_share, "adaptive": adaptive, "trust_range": trust_range},
                 "FidelitySampler")
        super().__init__(seed)
        if isinstance(base, str):
            from tunelab.samplers import load_sampler_class

            base = load_sampler_class(base.lower())(seed=seed)
        self.base: BaseSampler = base
        self.min_points = min_points
        self.random_fraction = float(random_fraction)
        self.min_level_share = float(min_level_share)
        self.adaptive = adaptive
        self.trust_range = (float(trust_range[0]), float(trust_range[1]))
        self.last_level: float | None = None  # the level used for the latest proposal (None: random)
        self.last_trust: CurveTrust | None = None  # the curve measurement behind the latest proposal
        self._cache: tuple[Any, float | None, list[FrozenTrial]] | None = None

    def reseed(self, seed: int | None) -> None:
        super().reseed(seed)
        self.base.reseed(None if seed is None else seed + 1)

    def _needed(self, trials: Sequence[FrozenTrial]) -> int:
        if self.min_points is not None:
            return self.min_points
        names: set[str] = set()
        for t in trials[-50:]:
            names.update(t.distributions)
        return max(10, len(names) + 2)

    def _min_level(self, trials: Sequence[FrozenTrial]) -> float:
        """The lowest level the model may be fitted on: ``min_level_share`` x the longest curve so far."""
        if self.min_level_share <= 0:
            return 0.0
        steps = [t.last_step for t in trials if t.state in _OBSERVED and t.last_step is not None]
        return self.min_level_share * max(steps) if steps else 0.0

    def view(self, context: SamplingContext) -> SamplingContext | None:
        """The context the base sampler sees for this trial (None: not enough data, sample at random)."""
        if len(context.directions) > 1:  # reports hold one number per step: levels exist for one objective only
            self.last_level = None
            return context
        key = (id(context), context.trial_number)
        if self._cache is None or self._cache[0] != key:
            share = self.random_fraction
            if self.adaptive:
                trials = context.trials
                level, view = level_view(trials, self._needed(trials), self._min_level(trials))
                if level is not None and level != FINAL:  # FINAL: final values without curves, nothing early to doubt
                    self.last_trust = curve_trust(trials, level, *self.trust_range)
                    share += (1.0 - share) * (1.0 - self.last_trust.trust)
            if share > 0 and self._rng.random() < share:
                level, view = None, []
            elif not self.adaptive:
                trials = context.trials
                level, view = level_view(trials, self._needed(trials), self._min_level(trials))
            self._cache = (key, level, view)
        _, level, trials = self._cache
        self.last_level = level
        if level is None:
            return None
        return SamplingContext(load_trials=lambda: trials, directions=context.directions,
                               trial_number=context.trial_number, params=dict(context.params),
                               distributions=dict(context.distributions), claim=context.claim,
                               enqueue=context.enqueue, _trials=trials)

    def infer_relative_space(self, context: SamplingContext) -> dict[str, Distribution]:
        inner = self.view(context)
        return {} if inner is None else self.base.infer_relative_space(inner)

    def sample_relative(self, context: SamplingContext, space: dict[str, Distribution]) -> dict[str, Any]:
        inner = self.view(context)
        return {} if inner is None else self.base.sample_relative(inner, space)

    def sample_independent(self, context: SamplingContext, name: str, distribution: Distribution) -> Any:
        inner = self.view(context)
        if inner is None:
            return super().sample_independent(context, name, distribution)
        return self.base.sample_independent(inner, name, distribution)

    def after_trial(self, context: SamplingContext, trial: FrozenTrial) -> None:
        self.base.after_trial(context, trial)


def fidelity_sampler(pruner: PrunerInfo | None = None, seed: int | None = None, base: str | BaseSampler = "tpe",
                     min_points: int | None = None, random_fraction: float = 0.5) -> BaseSampler:
    """The sampler to pair with ``pruner``: FidelitySampler when it prunes, else ``base`` on its own.

    For example ``fidelity_sampler(study.pruner, seed)``.
    """
    if not stops_trials(pruner):
        if isinstance(base, BaseSampler):
            return base
        from tunelab.samplers import load_sampler_class

        return load_sampler_class(base.lower())(seed=seed)
    return FidelitySampler(base=base, min_points=min_points, seed=seed, random_fraction=random_fraction)
