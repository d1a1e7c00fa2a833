"""The default strategy: pick a sampler per trial from the study's objectives, pruner, space and size.

The choice (see :func:`choose` and docs/auto.md for the benchmark behind it):

==========================================  ============================================
situation                                   inner sampler
==========================================  ============================================
a pruner that stops trials                  FidelitySampler over TPE (BOHB-style; random
                                            share 0.5, raised towards 1 when the study's own
                                            curves say the modelled level ranks badly; no
                                            model below 1/3 of the longest curve)
several objectives, < 250 complete trials   TPE (MOTPE)
several objectives, later                   NSGA-II
the first ``n_startup`` trials              Sobol QMC (even cover, no model yet)
conditional or constrained space            TPE (models each conditional group apart)
mostly categorical space, < 30 complete     TPE (more than half of the parameters
                                            categorical; half or less go to the GP)
otherwise, < ``gp_until`` (100) complete   GP (best per trial on small budgets); below
                                            40 complete on a space of floats only, 30
                                            otherwise, EI only in a trust region
                                            around the best trial (a half-size one for
                                            the first 10 over <= n_startup / 2 floats)
otherwise, numbers only                     CMA-ES, started at the best trial so far
                                            (beats staying with the GP past ~100 trials)
otherwise                                   TPE
==========================================  ============================================

The decision is made once per trial, in ``infer_relative_space``, and every
other call for that trial (``sample_independent``, ``after_trial``) goes to the
same inner sampler.  Inner samplers are built lazily and kept, so a switch
costs nothing; they are pure over the trial history, so each one can take over
a study that another has started.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from tunelab._validation import Check, Interval, validate
from tunelab.protocols import PrunerInfo, stops_trials
from tunelab.samplers.base import BaseSampler, SamplingContext
from tunelab.space import CategoricalDistribution, Distribution, IntDistribution
from tunelab.trial import FrozenTrial, TrialState


@dataclass(frozen=True)
class SpaceProfile:
    """What the finished trials say about the space: size, kinds and whether parameters are conditional."""

    n_params: int
    n_categorical: int
    conditional: bool
    constrained: bool
    n_discrete: int = 0  # ints and stepped floats

    @property
    def all_float(self) -> bool:
        return self.n_params > 0 and self.n_categorical == 0 and self.n_discrete == 0

    @property
    def categorical_share(self) -> float:
        return self.n_categorical / self.n_params if self.n_params else 0.0


@dataclass(frozen=True)
class Choice:
    """The inner sampler for one trial, and the reason, for inspection and tests."""

    sampler: str  # "qmc", "gp", "tpe", "cmaes", "nsga2" or "fidelity"
    reason: str


def profile(trials: Sequence[FrozenTrial]) -> SpaceProfile:
    """Profile the space from finished trials: a parameter missing from some of them is conditional."""
    finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    seen: dict[str, Distribution] = {}
    counts: dict[str, int] = {}
    for t in finished:
        for name, dist in t.distributions.items():
            seen.setdefault(name, dist)
            counts[name] = counts.get(name, 0) + 1
    numeric_or_cat = {n: d for n, d in seen.items() if not d.single()}
    conditional = any(counts[n] < len(finished) for n in numeric_or_cat)
    constrained = any("constraints" in t.system_attrs for t in finished[-20:])
    n_cat = sum(isinstance(d, CategoricalDistribution) for d in numeric_or_cat.values())
    n_discrete = sum(isinstance(d, IntDistribution) or getattr(d, "step", None) is not None
                     for d in numeric_or_cat.values())
    return SpaceProfile(len(numeric_or_cat), n_cat, conditional, constrained, n_discrete)


def trust_region_trials(space: SpaceProfile) -> int:
    """Complete trials below which the GP searches only a trust region: 40 on a space of floats only, else 30.

    Global EI from 30 trials on lost on the 24 BBOB functions (all floats) at 40 trials
    and won on the 40 ML problems of the search suite (ints and categoricals in every
    space); docs/auto.md has the figures.
    """
    return 40 if space.all_float else 30


def first_region_trials(space: SpaceProfile, n_startup: int = 10) -> int:
    """GP proposals right after the start whose trust region has half the usual side: 10 or none.

    10 where the space holds floats only and the start has at least 2 points per dimension
    (TuRBO's start size), so that its best point marks a basin worth refining. On the 24
    BBOB functions (5-D floats) this raised the score at 15 trials and moved it within the
    noise at 40; it lost on the 40 ML problems of the search suite (ints and categoricals in
    every space) at 40 trials and on benchmarks/search.py's 6-8-D float tasks (levy8 most);
    docs/auto.md has the figures.
    """
    return 10 if space.all_float and n_startup >= 2 * space.n_params else 0


def choose(n_complete: int, space: SpaceProfile, n_objectives: int = 1, pruned: bool = False,
           n_startup: int = 10, gp_until: int = 100, mo_tpe_until: int = 250,
           categorical_share: float = 0.5, categorical_gp_from: int = 30) -> Choice:
    """The policy, as a pure function of the study's state (tuned with benchmarks/search.py)."""
    if pruned:
        return Choice("fidelity", "a pruner stops trials: model every budget level, not complete trials only")
    if n_objectives > 1:
        if n_complete < mo_tpe_until:
            return Choice("tpe", "several objectives, small budget: MOTPE is the most sample-efficient")
        return Choice("nsga2", "several objectives, long run: NSGA-II is cheap per ask and keeps the front diverse")
    if n_complete < n_startup or space.n_params == 0:
        return Choice("qmc", "start: Sobol points cover the space evenly before any model")
    if space.conditional:
        return Choice("tpe", "conditional parameters: TPE models each group of them apart")
    if space.constrained:
        return Choice("tpe", "constraints: TPE ranks infeasible trials below feasible ones")
    if space.categorical_share > categorical_share and n_complete < categorical_gp_from:
        return Choice("tpe", "mostly categorical space, few trials: TPE models the choices by counts")
    if n_complete < gp_until:
        return Choice("gp", "numeric or mixed space, small budget: a GP gets the most from each trial")
    if space.n_categorical == 0:
        return Choice("cmaes", "long run over numbers: CMA-ES refines the best region and is cheap per ask")
    return Choice("tpe", "long run over a mixed space: TPE stays fast per ask")


_CONSTRAINTS = {
    "seed": [Interval(int, 0, None), None],
    "n_objectives": [Interval(int, 1, None)],
    "pruner": [Check(lambda p: isinstance(getattr(p, "prunes", None), bool),
                     "a pruner object (with a boolean 'prunes', as BasePruner has)"), None],
    "n_startup": [Interval(int, 1, None)],
    "gp_until": [Interval(int, 0, None)],
    "gp_trust_region_until": [Interval(int, 0, None), None],
    "gp_first_region": [Interval(int, 0, None), None],
    "categorical_share": [Interval(float, 0, 1)],
    "categorical_gp_from": [Interval(int, 0, None)],
}

_MAX_REMEMBERED = 10_000  # trial -> inner sampler entries kept for after_trial (asks never told are dropped)


class AutoSampler(BaseSampler):
    """Chooses the inner sampler per trial (see the module docstring) and delegates the whole contract to it.

    ``last_choice`` and :meth:`choice_for` say what was picked and why.
    """

    def __init__(self, seed: int | None = None, n_objectives: int = 1, pruner: PrunerInfo | None = None, *,
                 n_startup: int = 10, gp_until: int = 100, gp_trust_region_until: int | None = None,
                 gp_first_region: int | None = None, categorical_share: float = 0.5,
                 categorical_gp_from: int = 30):
        validate(_CONSTRAINTS, {"seed": seed, "n_objectives": n_objectives, "pruner": pruner,
                                "n_startup": n_startup, "gp_until": gp_until,
                                "gp_trust_region_until": gp_trust_region_until,
                                "gp_first_region": gp_first_region,
                                "categorical_share": categorical_share,
                                "categorical_gp_from": categorical_gp_from}, "AutoSampler")
        super().__init__(seed)
        self.n_objectives = n_objectives
        self.pruner = pruner
        self.n_startup = n_startup
        self.gp_until = gp_until
        self.gp_trust_region_until = gp_trust_region_until
        self.gp_first_region = gp_first_region
        self.categorical_share = float(categorical_share)
        self.categorical_gp_from = categorical_gp_from
        self._inners: dict[str, BaseSampler] = {}
        self._choices: OrderedDict[Any, Choice] = OrderedDict()
        self._lock = threading.RLock()
        self._cmaes_start: int | None = None
        self.last_choice: Choice | None = None

    # ------------------------------------------------------------------ policy
    def _prunes(self) -> bool:
        return stops_trials(self.pruner)

    def decide(self, context: SamplingContext) -> Choice:
        """The choice for the trial being asked (pure: depends on the context only)."""
        trials = context.trials
        n_complete = sum(1 for t in trials if t.state == TrialState.COMPLETE)
        return choose(n_complete, profile(trials), len(context.directions), self._prunes(),
                      n_startup=self.n_startup, gp_until=self.gp_until, categorical_share=self.categorical_share,
                      categorical_gp_from=self.categorical_gp_from)

    def choice_for(self, trial_number: int) -> Choice | None:
        """The choice made for a trial this sampler is still tracking (until its after_trial)."""
        with self._lock:
            return self._choices.get(trial_number)

    def _key(self, context: SamplingContext) -> Any:
        return context.trial_number if context.trial_number is not None else ("context", id(context))

    def _choice(self, context: SamplingContext) -> Choice:
        key = self._key(context)
        with self._lock:
            choice = self._choices.get(key)
        if choice is None:
            choice = self.decide(context)
            with self._lock:
                choice = self._choices.setdefault(key, choice)
                while len(self._choices) > _MAX_REMEMBERED:
                    self._choices.popitem(last=False)
        self.last_choice = choice
        return choice

    def _inner_seed(self, name: str) -> int | None:
        if self._seed is None:
            return None
        tag = sum(ord(c) * 31**i for i, c in enumerate(name)) % 2**31
        return int(np.random.SeedSequence([self._seed, tag]).generate_state(1)[0] % 2**31)

    def _inner(self, name: str, context: SamplingContext | None = None) -> BaseSampler:
        with self._lock:
            sampler = self._inners.get(name)
            if sampler is None:
                sampler = self._inners[name] = self._build(name, context)
            return sampler

    def _build(self, name: str, context: SamplingContext | None) -> BaseSampler:
        seed = self._inner_seed(name)
        if name == "qmc":
            from tunelab.samplers.qmc import QMCSampler

            return QMCSampler(seed=seed)
        if name == "tpe":
            from tunelab.samplers.tpe import TPESampler

            return TPESampler(seed=seed, n_startup_trials=min(10, self.n_startup))
        if name == "gp":
            from tunelab.samplers.gp import GPSampler

            # auto hands the GP a trial only after n_startup complete ones: they are its start
            space = profile(context.trials if context is not None else [])
            until = trust_region_trials(space) if self.gp_trust_region_until is None else self.gp_trust_region_until
            first = first_region_trials(space, self.n_startup) if self.gp_first_region is None else self.gp_first_region
            return GPSampler(seed=seed, n_startup_trials=self.n_startup, trust_region_until=until,
                             first_region_trials=first)
        if name == "cmaes":
            from tunelab.samplers.cmaes import CMAESSampler

            # every trial before the switch is a startup trial: CMA-ES starts from the best of them
            n_before = 0 if context is None else sum(1 for t in context.trials if t.state == TrialState.COMPLETE)
            return CMAESSampler(seed=seed, n_startup_trials=max(1, n_before), sigma0=0.1)
        if name == "nsga2":
            from tunelab.samplers.nsga2 import NSGAIISampler

            return NSGAIISampler(seed=seed)
        if name == "fidelity":
            from tunelab.samplers.fidelity import FidelitySampler

            return FidelitySampler(base="tpe", seed=seed)
        raise ValueError(f"AutoSampler: unknown inner sampler {name!r}")

    def _for(self, context: SamplingContext) -> BaseSampler:
        return self._inner(self._choice(context).sampler, context)

    # ------------------------------------------------------------------ the sampler contract, delegated
    def reseed(self, seed: int | None) -> None:
        super().reseed(seed)
        with self._lock:
            for name, sampler in self._inners.items():
                sampler.reseed(self._inner_seed(name))

    def before_trial(self, context: SamplingContext) -> None:
        # the trial number is not known yet: tell the sampler that handled the latest trial (all are no-ops today)
        if self.last_choice is not None:
            self._inner(self.last_choice.sampler, context).before_trial(context)

    def is_exhausted(self, context: SamplingContext) -> bool:
        if self.last_choice is None:
            return False
        return self._inner(self.last_choice.sampler, context).is_exhausted(context)

    def infer_relative_space(self, context: SamplingContext) -> dict[str, Distribution]:
        return self._for(context).infer_relative_space(context)

    def sample_relative(self, context: SamplingContext, space: dict[str, Distribution]) -> dict[str, Any]:
        return self._for(context).sample_relative(context, space)

    def sample_independent(self, context: SamplingContext, name: str, distribution: Distribution) -> Any:
        return self._for(context).sample_independent(context, name, distribution)

    def after_trial(self, context: SamplingContext, trial: FrozenTrial) -> None:
        with self._lock:
            choice = self._choices.pop(trial.number, None)
        if choice is not None:
            self._inner(choice.sampler, context).after_trial(context, trial)

    def __repr__(self) -> str:
        return f"AutoSampler(seed={self._seed}, n_objectives={self.n_objectives}, pruner={self.pruner!r})"
