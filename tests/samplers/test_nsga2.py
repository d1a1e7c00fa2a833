import numpy as np
import pytest

import tunelab
from tunelab.samplers.base import SamplingContext
from tunelab.samplers.nsga2 import NSGAIISampler, select_elite
from tunelab.pareto import hypervolume, losses
from tunelab.space import FloatDistribution
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

MIN = StudyDirection.MINIMIZE


def frozen(number, values, **system_attrs):
    return FrozenTrial(number=number, trial_id=number, state=TrialState.COMPLETE, values=list(values),
                       params={"x": float(number)}, distributions={"x": FloatDistribution(0, 100)},
                       system_attrs=system_attrs)


@pytest.mark.parametrize("kwargs, message", [
    ({"population_size": 1}, r"argument 'population_size' must be an int in \[2, inf\]"),
    ({"mutation_prob": 1.5}, r"argument 'mutation_prob' must be a number in \[0, 1\] or None"),
    ({"crossover": "blend"}, r"argument 'crossover' must be one of 'uniform', 'sbx'"),
    ({"crossover_prob": -0.1}, r"argument 'crossover_prob' must be a number in \[0, 1\]"),
    ({"sbx_eta": 0}, r"argument 'sbx_eta' must be a number in \(0, inf\)"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NSGAIISampler(**kwargs)


def test_select_elite_single_objective_keeps_the_best():
    pool = [frozen(i, [v]) for i, v in enumerate([5.0, 1.0, 4.0, 2.0, 3.0, 0.5])]
    population = select_elite(pool, [MIN], 3)
    assert [t.number for t in population.trials] == [1, 3, 5]
    assert population.ranks.tolist() == [1, 2, 0]


def test_select_elite_fills_fronts_then_cuts_the_last_by_crowding():
    pool = [frozen(0, [0, 4]), frozen(1, [1, 3]), frozen(2, [2, 2]), frozen(3, [4, 0]),  # front 0
            frozen(4, [5, 5])]  # front 1
    population = select_elite(pool, [MIN, MIN], 3)
    # the extremes have infinite crowding; of 1 and 2, trial 2 (crowding 1.5) beats trial 1 (1.0)
    assert [t.number for t in population.trials] == [0, 2, 3]


def test_select_elite_prefers_feasible_trials_deb_rule():
    pool = [frozen(0, [0.0], constraints=[1.0]), frozen(1, [0.1], constraints=[0.2]),
            frozen(2, [9.0], constraints=[-1.0]), frozen(3, [8.0])]
    population = select_elite(pool, [MIN], 3)
    assert [t.number for t in population.trials] == [1, 2, 3]  # feasible 2 and 3, then the least violation
    assert dict(zip([t.number for t in population.trials], population.ranks.tolist())) == {3: 0, 2: 1, 1: 2}


def _context(trials, number):
    return SamplingContext(load_trials=lambda: trials, directions=[MIN], trial_number=number)


def test_generations_come_from_trial_numbers_and_parents_are_pure():
    trials = [frozen(i, [float((i * 7) % 11)]) for i in range(12)]
    a, b = NSGAIISampler(seed=0, population_size=4), NSGAIISampler(seed=99, population_size=4)
    assert a.generation(_context(trials, 3)) == 0 and a.generation(_context(trials, 8)) == 2
    assert a.infer_relative_space(_context(trials, 3)) == {}  # generation 0 is random
    pa = a.parents(_context(trials, 8))
    pb = b.parents(_context(trials, 8))
    assert [t.number for t in pa.trials] == [t.number for t in pb.trials]
    # generation 2: the best 4 of (parents of generation 1 = trials 0-3) + trials 4-7
    values = {t.number: t.values[0] for t in trials[:8]}
    assert sorted(values[t.number] for t in pa.trials) == sorted(values.values())[:4]


def test_parents_skip_unfinished_trials_and_catch_up_later():
    trials = [frozen(i, [float(10 - i)]) for i in range(8)]
    running = FrozenTrial(number=7, trial_id=7, state=TrialState.RUNNING)
    sampler = NSGAIISampler(seed=0, population_size=4)
    early = sampler.parents(_context(trials[:7] + [running], 8))
    assert 7 not in [t.number for t in early.trials]
    late = sampler.parents(_context(trials, 8))
    assert 7 in [t.number for t in late.trials]


def test_children_inherit_parent_values_without_mutation():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        y = trial.suggest_int("y", 0, 20)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        return x + y / 20 + (c != "b")

    study = tunelab.create_study(sampler=NSGAIISampler(seed=0, population_size=6, mutation_prob=0.0,
                                                       crossover_prob=1.0))
    study.optimize(objective, n_trials=18)
    for t in study.trials[6:]:
        gen = t.number // 6
        ctx = _context([s for s in study.trials if s.number != t.number], t.number)
        parents = NSGAIISampler(population_size=6).parents(ctx).trials
        assert len(parents) == 6 and all(p.number < gen * 6 for p in parents)
        for name in ("x", "y", "c"):
            assert t.params[name] in [p.params[name] for p in parents]


def test_sbx_children_stay_inside_the_space():
    study = tunelab.create_study(sampler=NSGAIISampler(seed=1, population_size=5, crossover="sbx"))
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2 + t.suggest_int("n", 1, 100, log=True), n_trials=40)
    assert all(-1 <= t.params["x"] <= 1 and 1 <= t.params["n"] <= 100 for t in study.trials)


def test_single_objective_children_improve_on_the_random_first_generation():
    def quadratic(trial):
        return (trial.suggest_float("x", -5, 5) - 1) ** 2 + (trial.suggest_float("y", -5, 5) + 1) ** 2

    for seed in range(3):
        study = tunelab.create_study(sampler=NSGAIISampler(seed=seed, population_size=10, mutation_prob=0.1))
        study.optimize(quadratic, n_trials=80)
        values = [t.value for t in study.trials]
        assert np.median(values[50:]) < 0.5 * np.median(values[:10])


def zdt1(trial):
    x = [trial.suggest_float(f"x{i}", 0, 1) for i in range(3)]
    g = 1 + 9 * np.mean(x[1:])
    return x[0], g * (1 - np.sqrt(x[0] / g))


def test_nsga2_beats_random_hypervolume_on_zdt1():
    def mean_hv(make):
        hvs = []
        for seed in range(3):
            study = tunelab.create_study(directions=["minimize", "minimize"], sampler=make(seed))
            study.optimize(zdt1, n_trials=160)
            hvs.append(hypervolume(losses(study.best_trials, study.directions), [1.1, 11.0]))
        return float(np.mean(hvs))

    random = mean_hv(lambda s: tunelab.samplers.RandomSampler(seed=s))
    uniform = mean_hv(lambda s: NSGAIISampler(seed=s, population_size=16))
    sbx = mean_hv(lambda s: NSGAIISampler(seed=s, population_size=16, crossover="sbx"))
    assert uniform > random + 0.1 and sbx > random + 0.4, (uniform, sbx, random)


def test_constrained_front_is_feasible():
    study = tunelab.create_study(directions=["minimize", "minimize"],
                                 sampler=NSGAIISampler(seed=0, population_size=10),
                                 constraints=lambda t: [0.3 - t.values[0]])
    study.optimize(zdt1, n_trials=60)
    assert study.best_trials and all(t.values[0] >= 0.3 for t in study.best_trials)
    later = [t.values[0] >= 0.3 for t in study.trials[30:]]
    assert np.mean(later) > 0.8  # the random first generation is about 70% feasible
