"""CMA-ES over the numeric parameters, through the ``cmaes`` package, rebuilt from the trial history.

A sampler may not write to storage, so the optimizer is *replayed* from the
trials: every trial's start and completion times give a timeline; a trial
belongs to the generation that was current when it started, and a generation is
told once ``popsize`` of its trials (or of the generation just before -- late
results from parallel workers) have completed.  Completions of older
generations, failed and pruned trials are skipped.  The replayed optimizer is
cached, and each ask feeds it only the events it has not seen; if the history
changed behind it (an event older than the last one it saw), it is rebuilt.

Proposals are pure too: the proposal of trial ``n`` is drawn with a seed made
from (sampler seed, n), so replaying the history recomputes the exact raw CMA
sample behind a trial's (rounded) parameters and tells that, as CMA-with-margin
needs.  Workers sharing a storage each replay all complete trials (the cost is
one CMA update per generation, negligible next to a trial); they agree on the
generations, and a result that a worker could not have known (a trial from
another machine with another seed) is told as its rounded parameters.

Ints and stepped floats use CMA-ES with margin (CMAwM), which keeps some
probability of moving off the current integer; ints on a log scale are treated
as real numbers on the relaxation and rounded.  A space with categoricals runs
CatCMA with margin (``cmaes.CatCMAwM``): a categorical distribution per
categorical parameter, learned jointly with the Gaussian over the numeric ones.  When the optimizer should stop (cmaes' criteria), IPOP restarts it
from a random mean with a doubled population; BIPOP alternates such large
populations with small ones and small steps, whichever regime has used less.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

import numpy as np
from cmaes import CMA, CMAwM, CatCMAwM

from tunelab._validation import Check, Interval, validate
from tunelab.samplers.base import BaseSampler, SamplingContext, intersection_space
from tunelab.space import CategoricalDistribution, Distribution
from tunelab.trial import FrozenTrial, TrialState

_CONSTRAINTS = {
    "seed": [Interval(int, 0, None), None],
    "sigma0": [Interval(float, 0, None, closed="neither"), None],
    "n_startup_trials": [Interval(int, 0, None)],
    "restart_strategy": [Check(lambda v: v in ("ipop", "bipop"), "'ipop' or 'bipop'"), None],
    "popsize": [Interval(int, 2, None), None],
    "inc_popsize": [Interval(int, 2, None)],
    "with_margin": [bool],
    "tol_x": [Interval(float, 0, None), None],
}

_COMPLETE, _START = 0, 1  # event order at equal times: a completion was visible to a trial started then


@dataclass(frozen=True)
class CMAState:
    """Where the replayed optimizer stands, for inspection: generations told, restarts, population, mean."""

    generation: int
    restarts: int
    population_size: int
    mean: dict[str, float]


class CMAESSampler(BaseSampler):
    """CMA-ES (``cmaes`` package) on the unit encoding, with IPOP/BIPOP restarts and margin for integers.

    sigma0: initial step size in the unit cube (default 1/6: the cube spans +-3 sigma);
    n_startup_trials: random trials first, the best of which becomes the initial mean;
    restart_strategy: "ipop", "bipop" or None; popsize: the first population size
    (default 4 + 3 ln d); inc_popsize: the growth factor of IPOP/BIPOP populations;
    tol_x: a run also stops when a generation's samples spread less than this in every
    unit coordinate (cmaes' own criteria are tuned for 1e-12 precision, far past what a
    hyperparameter needs; None keeps only those).
    """

    def __init__(self, seed: int | None = None, sigma0: float | None = None, n_startup_trials: int = 0,
                 restart_strategy: str | None = "ipop", popsize: int | None = None, inc_popsize: int = 2,
                 with_margin: bool = True, tol_x: float | None = 1e-4):
        validate(_CONSTRAINTS, {"seed": seed, "sigma0": sigma0, "n_startup_trials": n_startup_trials,
                                "restart_strategy": restart_strategy, "popsize": popsize,
                                "inc_popsize": inc_popsize, "with_margin": with_margin, "tol_x": tol_x},
                 "CMAESSampler")
        super().__init__(seed)
        self.sigma0 = 1.0 / 6.0 if sigma0 is None else float(sigma0)
        self.n_startup_trials = n_startup_trials
        self.restart_strategy = restart_strategy
        self.popsize = popsize
        self.inc_popsize = inc_popsize
        self.with_margin = with_margin
        self.tol_x = tol_x
        # proposals derive from this, not from the per-worker stream, so all workers replay alike
        self._base_seed = int(seed) if seed is not None else int(np.random.SeedSequence().entropy % 2**63)
        self._replay: _Replay | None = None
        self.last_state: CMAState | None = None

    def infer_relative_space(self, context: SamplingContext) -> dict[str, Distribution]:
        if len(context.directions) != 1:
            raise ValueError(f"CMAESSampler optimises one objective; this study has {len(context.directions)}. "
                             "Use sampler='nsga2' for several objectives.")
        complete = context.finished([TrialState.COMPLETE])
        if len(complete) < max(1, self.n_startup_trials):
            return {}
        return dict(sorted(intersection_space(complete).items()))  # single values are left out

    def sample_relative(self, context: SamplingContext, space: dict[str, Distribution]) -> dict[str, Any]:
        if not space:
            return {}
        events = _timeline(context.trials)
        replay = self._replay
        key = (tuple(sorted(space.items(), key=lambda item: item[0])), context.direction)
        if replay is None or replay.key != key or events[: len(replay.events)] != replay.events:
            replay = _Replay(self, key, sorted(space), space)
        by_number = {t.number: t for t in context.trials}
        for event in events[len(replay.events):]:
            replay.feed(event, by_number[event[2]])
        self._replay = replay
        if replay.optimizer is None:
            return {}
        number = context.trial_number if context.trial_number is not None else len(context.trials)
        x_eval, _ = replay.ask(number)
        opt = replay.optimizer
        # CatCMAwM keeps the Gaussian's mean private, and has none over categoricals alone
        mean = getattr(opt, "_mean", ()) if replay.mixed else opt.mean
        self.last_state = CMAState(replay.generation, replay.restarts, opt.population_size,
                                   dict(zip(replay.names, map(float, mean))))
        return {n: space[n].from_unit(float(u)) for n, u in zip(replay.names, x_eval)}

    def _proposal_seed(self, number: int) -> int:
        return int(np.random.SeedSequence([self._base_seed, number]).generate_state(1)[0])

    def _restart_rng(self, restart: int) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self._base_seed, 2**32 + restart]))


def _timeline(trials: Sequence[FrozenTrial]) -> list[tuple]:
    """(time, kind, number) for every start and every completion, in time order."""
    events = []
    for t in trials:
        if t.state == TrialState.WAITING:
            continue  # not started: its start event comes when a worker takes it
        start = t.datetime_start or t.datetime_complete or datetime.min
        events.append((start, _START, t.number))
        if t.state == TrialState.COMPLETE:
            events.append((t.datetime_complete or start, _COMPLETE, t.number))
    events.sort()
    return events


def _is_discrete(dist: Distribution) -> bool:
    return not dist.log and (dist.kind == "int" or getattr(dist, "step", None) is not None)


class _Replay:
    """The CMA-ES run (and its restarts) that the trial history implies, fed one event at a time."""

    def __init__(self, sampler: CMAESSampler, key: tuple, names: list[str], space: dict[str, Distribution]):
        self.s = sampler
        self.key = key
        self.space = space
        self.events: list[tuple] = []
        self.sign = key[1].sign()
        categorical = [n for n in names if isinstance(space[n], CategoricalDistribution)]
        numeric = [n for n in names if n not in categorical]
        self.mixed = bool(categorical)  # CatCMAwM, with the Gaussian's coordinates first, as it orders them
        grids = {n: sorted(space[n].to_unit(v) for v in space[n].grid()) if _is_discrete(space[n]) else None
                 for n in numeric}
        if self.mixed:
            self.discrete = [n for n in numeric if grids[n] is not None and sampler.with_margin]
            self.continuous = [n for n in numeric if n not in self.discrete]
            self.categorical = categorical
            numeric = self.continuous + self.discrete
            self.names = numeric + categorical
            self.grids = [grids[n] for n in self.discrete]
            self.margin = False
        else:
            self.names = names
            self.margin = sampler.with_margin and any(g is not None for g in grids.values())
        self.lower = np.array([grids[n][0] if grids[n] and (self.margin or self.mixed) else 0.0 for n in numeric])
        self.upper = np.array([grids[n][-1] if grids[n] and (self.margin or self.mixed) else 1.0 for n in numeric])
        self.steps = np.array([(grids[n][1] - grids[n][0]) if grids[n] and self.margin else 0.0 for n in numeric])
        self.popsize0 = sampler.popsize or 4 + math.floor(3 * math.log(len(names)))
        self.n_complete = 0
        self.startup: list[tuple[float, np.ndarray]] = []
        self.optimizer: Any = None
        self.asked_gen: dict[int, int | None] = {}
        self.generation = 0
        self.run_first_gen = 0
        self.members: list[tuple[np.ndarray, float]] = []
        self.restarts = 0
        self.n_large = 0
        self.budget = {"large": 0, "small": 0}
        self.regime = "large"  # the first run counts as a large-population run (BIPOP)

    # ------------------------------------------------------------------ optimizer life
    def _make(self, mean: np.ndarray, sigma: float, popsize: int, seed: int) -> Any:
        """A fresh optimizer; its own seed hardly matters, as every ask reseeds it per trial."""
        mean = np.clip(mean, self.lower, self.upper)
        if self.mixed:
            gaussian = len(self.lower) > 0
            return CatCMAwM(x_space=[[0.0, 1.0]] * len(self.continuous) or None, z_space=self.grids or None,
                            c_space=[len(self.space[n].choices) for n in self.categorical],
                            mean=mean if gaussian else None, sigma=sigma if gaussian else None, seed=seed,
                            population_size=popsize)
        bounds = np.stack([self.lower, self.upper], axis=1)
        if self.margin:
            return CMAwM(mean=mean, sigma=sigma, bounds=bounds, steps=self.steps, seed=seed, population_size=popsize)
        return CMA(mean=mean, sigma=sigma, bounds=bounds, seed=seed, population_size=popsize)

    def _start(self) -> None:
        mean = np.full(len(self.lower), 0.5)
        if self.s.n_startup_trials > 0 and self.startup:
            mean = min(self.startup, key=lambda p: p[0])[1][: len(self.lower)]  # the Gaussian's coordinates
        self.optimizer = self._make(mean, self.s.sigma0, self.popsize0, 0)

    def _restart(self) -> None:
        self.restarts += 1
        rng = self.s._restart_rng(self.restarts)
        mean = rng.uniform(self.lower, self.upper)
        sigma = self.s.sigma0
        if self.s.restart_strategy == "bipop" and self.budget["small"] < self.budget["large"]:
            self.regime = "small"
            # between the first and the latest large population, skewed small (Hansen 2009, floored at popsize0)
            popsize = math.floor(self.popsize0 * (self.s.inc_popsize ** self.n_large) ** (rng.random() ** 2))
            sigma = self.s.sigma0 * 10 ** (-2 * rng.random())
        else:
            self.regime = "large"
            self.n_large += 1
            popsize = self.popsize0 * self.s.inc_popsize ** self.n_large
        self.optimizer = self._make(mean, sigma, popsize, self.restarts)
        self.run_first_gen = self.generation
        self.members = []

    # ------------------------------------------------------------------ events
    def feed(self, event: tuple, trial: FrozenTrial) -> None:
        self.events.append(event)
        _, kind, number = event
        if kind == _START:
            self.asked_gen[number] = self.generation if self.optimizer is not None else None
            return
        x = self._encode(trial)
        if x is None:
            return
        loss = self.sign * float(trial.values[0])
        self.n_complete += 1
        if self.optimizer is None:
            self.startup.append((loss, x))
            if self.n_complete >= max(1, self.s.n_startup_trials):
                self._start()
            return
        gen = self.asked_gen.get(number)
        if gen is None or gen < max(self.generation - 1, self.run_first_gen):
            return  # a startup trial, or too old for the current distribution
        told: Any = self._solution(x) if self.mixed else x
        if gen == self.generation:
            x_eval, x_tell = self.ask(number)
            if np.allclose(x_eval, x, rtol=0, atol=1e-9):
                told = x_tell  # the exact raw sample behind the rounded parameters
        self.members.append((x, loss, told))
        if len(self.members) == self.optimizer.population_size:
            self.optimizer.tell([(told, loss) for _, loss, told in self.members])
            spread = float(np.max(np.std([m[0] for m in self.members], axis=0)))
            self.budget[self.regime] += len(self.members)
            self.members = []
            self.generation += 1
            converged = self.s.tol_x is not None and spread < self.s.tol_x
            gaussian = len(self.lower) > 0  # cmaes has stopping rules for the Gaussian part only
            if self.s.restart_strategy is not None and (converged or (gaussian and self.optimizer.should_stop())):
                self._restart()

    def _encode(self, trial: FrozenTrial) -> np.ndarray | None:
        if any(trial.distributions.get(n) != self.space[n] for n in self.names):
            return None
        return np.array([self.space[n].to_unit(trial.params[n]) for n in self.names])

    def _solution(self, x: np.ndarray) -> Any:
        """A CatCMAwM solution for unit coordinates ``x`` (a result this replay did not propose itself)."""
        n_cont, n_gauss = len(self.continuous), len(self.lower)
        onehot = np.zeros((len(self.categorical), max(len(self.space[n].choices) for n in self.categorical)),
                          dtype=bool)
        for row, (name, u) in enumerate(zip(self.categorical, x[n_gauss:])):
            onehot[row, self.space[name].index(self.space[name].from_unit(float(u)))] = True
        return CatCMAwM.Solution(x[:n_cont] if n_cont else None, x[n_cont:n_gauss] if n_gauss > n_cont else None,
                                 onehot, x[:n_gauss] if n_gauss else None)

    def ask(self, number: int) -> tuple[np.ndarray, np.ndarray]:
        """The proposal for trial ``number`` from the current distribution: (as evaluated, as told)."""
        self.optimizer.reseed_rng(self.s._proposal_seed(number))
        if self.mixed:
            solution = self.optimizer.ask()
            parts = [p for p in (solution.x, solution.z) if p is not None]
            choices = [(np.argmax(row) + 0.5) / len(self.space[n].choices) for n, row in zip(self.categorical,
                                                                                               solution.c)]
            x_eval, x_tell = np.concatenate([*parts, np.array(choices)]), solution
        elif self.margin:
            x_eval, x_tell = self.optimizer.ask()
        else:
            x_tell = self.optimizer.ask()
            x_eval = x_tell
        # what the trial will store, re-encoded: matches what replay recomputes from the stored params
        x_eval = np.array([self.space[n].to_unit(self.space[n].from_unit(float(u))) for n, u in zip(self.names, x_eval)])
        return x_eval, x_tell
