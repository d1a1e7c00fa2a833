"""NSGA-II: an elitist genetic algorithm for one or several objectives, with constraint-domination.

Generations are derived from trial numbers (trial n belongs to generation
``n // population_size``), and each generation's parents are a pure function
of the stored trials: the parents of generation g are the best
``population_size`` of (parents of g-1) + (complete trials of generation g-1),
ranked by non-dominated sorting and crowding distance.  Several workers that
share one storage therefore agree on the population without talking to each
other.  Generation 0 is drawn at random.

A child takes each parameter from one of two tournament-selected parents
(uniform crossover, or simulated binary crossover on the unit scale for numeric
parameters), or, with a crossover operator object (``tunelab.samplers.nsgaii``:
BLX-alpha, SPX, UNDX, SBX, vSBX, or a user's), its numeric parameters come from
the operator applied to ``n_parents`` tournament-selected parents on the unit
scale; each parameter is then, with probability ``mutation_prob``, drawn afresh
at random or, with a mutation operator (``PolynomialMutation``), moved by it.  With constraints (``create_study(constraints=...)``) a
feasible trial beats an infeasible one and infeasible trials are compared by
total violation (Deb's rule).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from tunelab._validation import Interval, Options, validate
from tunelab.samplers import nsgaii as _operators
from tunelab.samplers.base import SamplingContext
from tunelab.samplers.ga import BaseGASampler
from tunelab.pareto import constrained_ranks, crowding_distance, losses, violation
from tunelab.space import CategoricalDistribution, Distribution
from tunelab.trial import FrozenTrial, StudyDirection, TrialState


@dataclass
class Population:
    """Selected parents with their constrained rank and crowding distance (for tournaments)."""

    trials: list[FrozenTrial]
    ranks: np.ndarray
    crowding: np.ndarray


def _rank_and_crowd(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]) -> tuple[np.ndarray, np.ndarray]:
    pts = losses(trials, directions)
    ranks = constrained_ranks(pts, [violation(t) for t in trials])
    crowd = np.zeros(len(trials))
    for r in np.unique(ranks):
        members = ranks == r
        crowd[members] = crowding_distance(pts[members])
    return ranks, crowd


def select_elite(pool: Sequence[FrozenTrial], directions: Sequence[StudyDirection], size: int) -> Population:
    """The best ``size`` trials of ``pool``: whole fronts first, the last front cut by crowding distance."""
    pool = list(pool)
    if len(pool) > size:
        ranks, crowd = _rank_and_crowd(pool, directions)
        order = sorted(range(len(pool)), key=lambda i: (ranks[i], -crowd[i], pool[i].number))
        pool = [pool[i] for i in order[:size]]
    pool.sort(key=lambda t: t.number)
    ranks, crowd = _rank_and_crowd(pool, directions) if pool else (np.zeros(0, int), np.zeros(0))
    return Population(pool, ranks, crowd)


_CONSTRAINTS = {
    "seed": [Interval(int, 0, None), None],
    "population_size": [Interval(int, 2, None)],
    "mutation_prob": [Interval(float, 0, 1), None],
    "crossover_prob": [Interval(float, 0, 1)],
    "swapping_prob": [Interval(float, 0, 1)],
    "sbx_eta": [Interval(float, 0, None, closed="neither")],
}


class NSGAIISampler(BaseGASampler):
    """NSGA-II over trial numbers; ``mutation_prob=None`` means 1 / (number of parameters).

    ``crossover`` is "uniform", "sbx" or an operator object (see the module doc);
    ``mutation`` None (redraw at random) or an operator object.
    """

    def __init__(self, seed: int | None = None, population_size: int = 50, mutation_prob: float | None = None,
                 crossover: Any = "uniform", crossover_prob: float = 0.9, swapping_prob: float = 0.5,
                 sbx_eta: float = 20.0, mutation: Any = None):
        owner = type(self).__name__
        validate(_CONSTRAINTS, dict(seed=seed, population_size=population_size, mutation_prob=mutation_prob,
                                    crossover_prob=crossover_prob, swapping_prob=swapping_prob, sbx_eta=sbx_eta), owner)
        if isinstance(crossover, str):
            validate({"crossover": [Options(("uniform", "sbx"))]}, {"crossover": crossover}, owner)
        elif not _operators.is_crossover(crossover):
            raise ValueError(f"{owner}: argument 'crossover' must be 'uniform', 'sbx' or a crossover operator such "
                             f"as tunelab.samplers.nsgaii.BLXAlphaCrossover(); got {crossover!r}")
        elif crossover.n_parents < 2:
            raise ValueError(f"{owner}: argument 'crossover' needs n_parents >= 2; {crossover!r} has "
                             f"{crossover.n_parents}")
        if mutation is not None and not _operators.is_mutation(mutation):
            raise ValueError(f"{owner}: argument 'mutation' must be None or a mutation operator such as "
                             f"tunelab.samplers.nsgaii.PolynomialMutation(); got {mutation!r}")
        super().__init__(population_size, seed)
        self.mutation_prob = mutation_prob
        self.mutation = mutation
        self.crossover = crossover
        self.crossover_prob = float(crossover_prob)
        self.swapping_prob = float(swapping_prob)
        self.sbx_eta = float(sbx_eta)
        self._elite: dict[int, tuple[tuple, Population]] = {}
        self._current: tuple[Any, int, Population] | None = None

    # ------------------------------------------------------------------ generations
    def generation(self, context: SamplingContext) -> int:
        number = context.trial_number if context.trial_number is not None else len(context.trials)
        return number // self.population_size

    def select_parent(self, study: Any, generation: int) -> list[FrozenTrial]:
        """The parents of ``generation``: the elite of the earlier generations (see the module doc)."""
        return list(self._parents_of(study.trials, study.directions, generation).trials)

    def _select(self, pool: Sequence[FrozenTrial], directions: Sequence[StudyDirection],
                generation: int) -> Population:
        """The next parents from ``pool`` (last parents + last generation); NSGA-III overrides this."""
        return select_elite(pool, directions, self.population_size)

    def parents(self, context: SamplingContext) -> Population:
        """The parent population of the generation of the trial being asked."""
        return self._parents_of(context.trials, context.directions, self.generation(context))

    def _parents_of(self, trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection],
                    gen: int) -> Population:
        if self._current is not None and self._current[0] is trials and self._current[1] == gen:
            return self._current[2]
        by_gen: dict[int, list[FrozenTrial]] = defaultdict(list)
        for t in trials:
            if t.state == TrialState.COMPLETE and t.values is not None and t.number < gen * self.population_size:
                by_gen[t.number // self.population_size].append(t)
        population = Population([], np.zeros(0, int), np.zeros(0))
        for g in range(1, gen + 1):
            members = by_gen.get(g - 1, [])
            key = (tuple(t.number for t in population.trials), tuple(t.number for t in members))
            cached = self._elite.get(g)
            if cached is not None and cached[0] == key:
                population = cached[1]
                continue
            population = self._select(population.trials + members, directions, g)
            self._elite[g] = (key, population)
        self._current = (trials, gen, population)
        return population

    # ------------------------------------------------------------------ sampler contract
    def infer_relative_space(self, context: SamplingContext) -> dict[str, Distribution]:
        population = self.parents(context)
        if len(population.trials) < 2:
            return {}
        space: dict[str, Distribution] = {}
        for t in population.trials:
            for name, dist in t.distributions.items():
                if name not in space and not dist.single():
                    space[name] = dist
        return dict(sorted(space.items()))

    def sample_relative(self, context: SamplingContext, space: dict[str, Distribution]) -> dict[str, Any]:
        population = self.parents(context)
        if len(population.trials) < 2 or not space:
            return {}
        if not isinstance(self.crossover, str):
            return self._operator_child(context, population, space)
        first = self._tournament(population, exclude=None)
        second = self._tournament(population, exclude=first)
        p1, p2 = population.trials[first], population.trials[second]
        cross = self._rng.random() < self.crossover_prob
        mutation_prob = self.mutation_prob if self.mutation_prob is not None else 1.0 / len(space)
        child: dict[str, Any] = {}
        for name in sorted(space):
            dist = space[name]
            have = [p.params[name] for p in (p1, p2) if p.distributions.get(name) == dist]
            mutate = self._rng.random() < mutation_prob
            if not have or (mutate and self.mutation is None):
                continue  # drawn at random by sample_independent
            if len(have) == 1 or not cross:
                child[name] = have[0]
            elif self.crossover == "sbx" and not isinstance(dist, CategoricalDistribution):
                child[name] = dist.from_unit(self._sbx(dist.to_unit(have[0]), dist.to_unit(have[1])))
            else:
                child[name] = have[1] if self._rng.random() < self.swapping_prob else have[0]
            if mutate:
                self._mutate(context, child, name, dist)
        return child

    def _operator_child(self, context: SamplingContext, population: Population,
                        space: dict[str, Distribution]) -> dict[str, Any]:
        """A child from a crossover operator object: numeric genes on the unit scale, categorical ones uniform."""
        picked: list[int] = []
        for _ in range(min(self.crossover.n_parents, len(population.trials))):
            picked.append(self._tournament(population, exclude=picked))
        while len(picked) < self.crossover.n_parents:  # fewer parents than the operator takes: repeat some
            picked.append(picked[len(picked) % len(population.trials)])
        parents = [population.trials[i] for i in picked]
        child: dict[str, Any] = {}
        names = sorted(space)
        if self._rng.random() >= self.crossover_prob:  # no crossover: a copy of one parent
            source = parents[0]
            child = {n: source.params[n] for n in names if source.distributions.get(n) == space[n]}
        else:
            shared = [n for n in names if all(p.distributions.get(n) == space[n] for p in parents)]
            numeric = [n for n in shared if not isinstance(space[n], CategoricalDistribution)]
            if numeric:
                units = np.array([[space[n].to_unit(p.params[n]) for n in numeric] for p in parents], dtype=float)
                genes = _operators.crossover_in_bounds(self.crossover, units, self._legacy_rng(),
                                                       self._study_view(context))
                child.update({n: space[n].from_unit(float(u)) for n, u in zip(numeric, genes)})
            for name in names:
                if name in child:
                    continue
                have = [p.params[name] for p in (parents[0], parents[-1]) if p.distributions.get(name) == space[name]]
                if have:
                    child[name] = have[-1] if len(have) > 1 and self._rng.random() < self.swapping_prob else have[0]
        mutation_prob = self.mutation_prob if self.mutation_prob is not None else 1.0 / len(space)
        for name in names:
            if name in child and self._rng.random() < mutation_prob:
                self._mutate(context, child, name, space[name])
        return child

    def _mutate(self, context: SamplingContext, child: dict[str, Any], name: str, dist: Distribution) -> None:
        """Mutate one gene: the mutation operator moves a numeric one; otherwise it is redrawn at random."""
        if self.mutation is None or isinstance(dist, CategoricalDistribution):
            child.pop(name, None)  # drawn at random by sample_independent
            return
        value = self.mutation.mutation(dist.to_unit(child[name]), self._legacy_rng(), self._study_view(context),
                                       np.array([0.0, 1.0]))
        child[name] = dist.from_unit(float(min(1.0, max(0.0, value))))

    def _legacy_rng(self) -> np.random.RandomState:
        """A RandomState drawn from this sampler's stream, for operators written against Optuna's interface."""
        return np.random.RandomState(int(self._rng.integers(2**31 - 1)))

    def _study_view(self, context: SamplingContext) -> Any:
        from tunelab.samplers._adapter import views

        return views(self, context)[0]

    # ------------------------------------------------------------------ operators
    def _tournament(self, population: Population, exclude: int | list[int] | None) -> int:
        """Binary tournament: lower rank wins, then larger crowding distance; ``exclude`` are taken already."""
        taken = {exclude} if isinstance(exclude, int) else set(exclude or ())
        choices = [i for i in range(len(population.trials)) if i not in taken]
        a, b = (int(choices[i]) for i in self._rng.choice(len(choices), size=2, replace=len(choices) < 2))
        key_a = (population.ranks[a], -population.crowding[a])
        key_b = (population.ranks[b], -population.crowding[b])
        return a if key_a <= key_b else b

    def _sbx(self, x1: float, x2: float) -> float:
        """Simulated binary crossover of two unit coordinates; one of the two children, clipped to [0, 1]."""
        u = self._rng.random()
        if u <= 0.5:
            beta = (2 * u) ** (1 / (self.sbx_eta + 1))
        else:
            beta = (1 / (2 * (1 - u))) ** (1 / (self.sbx_eta + 1))
        sign = 1 if self._rng.random() < 0.5 else -1
        child = 0.5 * ((x1 + x2) + sign * beta * (x1 - x2))
        return float(min(1.0, max(0.0, child)))
