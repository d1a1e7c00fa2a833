"""AutoSampler: which inner sampler it picks, that one trial stays with one inner sampler, seeds, quality."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tunelab
from tunelab.samplers.auto import (AutoSampler, Choice, SpaceProfile, choose, first_region_trials, profile,
                                   trust_region_trials)
from tunelab.samplers.base import BaseSampler, SamplingContext
from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

CONTINUOUS = SpaceProfile(n_params=4, n_categorical=0, conditional=False, constrained=False)
MIXED = SpaceProfile(n_params=4, n_categorical=1, conditional=False, constrained=False)
CATEGORICAL = SpaceProfile(n_params=4, n_categorical=3, conditional=False, constrained=False)
HALF_CATEGORICAL = SpaceProfile(n_params=4, n_categorical=2, conditional=False, constrained=False)
CONDITIONAL = SpaceProfile(n_params=4, n_categorical=1, conditional=True, constrained=False)
CONSTRAINED = SpaceProfile(n_params=4, n_categorical=0, conditional=False, constrained=True)


# ------------------------------------------------------------------ the policy, as a pure function


@pytest.mark.parametrize("n_complete, space, n_objectives, pruned, expected", [
    (0, CONTINUOUS, 1, True, "fidelity"),
    (500, CONTINUOUS, 1, True, "fidelity"),
    (0, CONTINUOUS, 2, False, "tpe"),
    (249, MIXED, 3, False, "tpe"),
    (250, MIXED, 2, False, "nsga2"),
    (0, CONTINUOUS, 1, False, "qmc"),
    (9, CONDITIONAL, 1, False, "qmc"),
    (10, CONTINUOUS, 1, False, "gp"),
    (99, MIXED, 1, False, "gp"),
    (10, CONDITIONAL, 1, False, "tpe"),
    (10, CONSTRAINED, 1, False, "tpe"),
    (10, CATEGORICAL, 1, False, "tpe"),
    (29, CATEGORICAL, 1, False, "tpe"),
    (10, HALF_CATEGORICAL, 1, False, "gp"),  # "mostly" means more than half
    (30, CATEGORICAL, 1, False, "gp"),
    (100, CATEGORICAL, 1, False, "tpe"),
    (100, CONTINUOUS, 1, False, "cmaes"),
    (100, MIXED, 1, False, "tpe"),
])
def test_choose_picks_by_objectives_pruner_space_and_size(n_complete, space, n_objectives, pruned, expected):
    choice = choose(n_complete, space, n_objectives, pruned)
    assert isinstance(choice, Choice)
    assert choice.sampler == expected
    assert choice.reason


def test_choose_thresholds_are_options():
    assert choose(4, CONTINUOUS, n_startup=5).sampler == "qmc"
    assert choose(5, CONTINUOUS, n_startup=5).sampler == "gp"
    assert choose(50, CONTINUOUS, gp_until=50).sampler == "cmaes"
    assert choose(10, MIXED, categorical_share=0.2).sampler == "tpe"
    assert choose(10, MIXED, categorical_share=0.25).sampler == "gp"  # a share of exactly 0.25 is not more
    assert choose(30, CATEGORICAL, categorical_gp_from=40).sampler == "tpe"


def _trial(number: int, params: dict[str, Any], dists: dict[str, Any], **system_attrs: Any) -> FrozenTrial:
    return FrozenTrial(number=number, trial_id=number, state=TrialState.COMPLETE, values=[0.0], params=params,
                       distributions=dists, system_attrs=system_attrs)


def test_profile_finds_conditional_categorical_and_constrained_parameters():
    x, opt = FloatDistribution(0, 1), CategoricalDistribution(("sgd", "adam"))
    mom = FloatDistribution(0, 0.99)
    plain = [_trial(i, {"x": 0.5, "opt": "adam"}, {"x": x, "opt": opt}) for i in range(3)]
    assert profile(plain) == SpaceProfile(2, 1, conditional=False, constrained=False)
    cond = plain + [_trial(3, {"x": 0.5, "opt": "sgd", "momentum": 0.9}, {"x": x, "opt": opt, "momentum": mom})]
    assert profile(cond).conditional
    fixed = [_trial(0, {"x": 0.5, "k": 3}, {"x": x, "k": IntDistribution(3, 3)})]
    assert profile(fixed).n_params == 1  # a single-valued parameter is not a dimension
    discrete = {"x": x, "k": IntDistribution(1, 9), "s": FloatDistribution(0, 1, step=0.25)}
    assert profile([_trial(0, {"x": 0.5, "k": 3, "s": 0.5}, discrete)]).n_discrete == 2
    assert profile([_trial(0, {"x": 0.1}, {"x": x}, constraints=[0.5])]).constrained
    running = FrozenTrial(number=9, trial_id=9, state=TrialState.RUNNING, params={"y": 1.0},
                          distributions={"y": x})
    assert profile(plain + [running]).n_params == 2  # unfinished trials say nothing yet


# ------------------------------------------------------------------ inside a study


def _quadratic(trial: tunelab.Trial, d: int = 3) -> float:
    return sum((trial.suggest_float(f"x{i}", -5, 5) - 1.0) ** 2 for i in range(d))


def test_study_starts_with_qmc_then_uses_gp_for_a_small_continuous_study():
    sampler = AutoSampler(seed=0, n_startup=4)
    study = tunelab.create_study(sampler=sampler)
    picked = []
    for _ in range(7):
        trial = study.ask()
        picked.append(sampler.choice_for(trial.number).sampler)
        study.tell(trial, _quadratic(trial))
    assert picked == ["qmc"] * 4 + ["gp"] * 3


def test_trust_region_lasts_to_40_trials_over_floats_only_and_to_30_otherwise():
    assert trust_region_trials(CONTINUOUS) == 40
    assert trust_region_trials(MIXED) == 30
    with_int = SpaceProfile(n_params=4, n_categorical=0, conditional=False, constrained=False, n_discrete=1)
    assert trust_region_trials(with_int) == 30


def test_half_size_first_region_over_few_floats_only():
    floats = SpaceProfile(n_params=5, n_categorical=0, conditional=False, constrained=False)
    assert first_region_trials(floats) == 10
    assert first_region_trials(floats, n_startup=9) == 0  # fewer than 2 start points per dimension
    assert first_region_trials(SpaceProfile(6, 0, False, False)) == 0
    assert first_region_trials(SpaceProfile(6, 0, False, False), n_startup=12) == 10
    assert first_region_trials(MIXED) == 0
    with_int = SpaceProfile(n_params=4, n_categorical=0, conditional=False, constrained=False, n_discrete=1)
    assert first_region_trials(with_int) == 0


@pytest.mark.parametrize("with_int, n_startup, expected, first", [(False, 6, 40, 10), (False, 4, 40, 0),
                                                                  (True, 8, 30, 0)])
def test_the_gp_gets_the_trust_region_of_its_space(with_int, n_startup, expected, first):
    sampler = AutoSampler(seed=0, n_startup=n_startup)

    def objective(trial: tunelab.Trial) -> float:
        return _quadratic(trial, 3) + (trial.suggest_int("k", 1, 9) if with_int else 0)

    study = tunelab.create_study(sampler=sampler)
    study.optimize(objective, n_trials=n_startup + 2)
    assert sampler._inners["gp"].trust_region_until == expected
    assert sampler._inners["gp"].first_region_trials == first
    fixed = AutoSampler(seed=0, n_startup=4, gp_trust_region_until=30, gp_first_region=3)
    tunelab.create_study(sampler=fixed).optimize(objective, n_trials=6)
    assert fixed._inners["gp"].trust_region_until == 30  # the options, where given, win
    assert fixed._inners["gp"].first_region_trials == 3


def test_conditional_space_goes_to_tpe():
    sampler = AutoSampler(seed=0, n_startup=3)
    study = tunelab.create_study(sampler=sampler)

    def objective(trial: tunelab.Trial) -> float:
        opt = trial.suggest_categorical("optimizer", ["sgd", "adam"])
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        bonus = trial.suggest_float("momentum", 0.0, 0.99) if opt == "sgd" else 0.5
        return abs(np.log10(lr) + 2) + bonus

    study.enqueue_trial({"optimizer": "sgd"})
    study.enqueue_trial({"optimizer": "adam"})  # both branches seen: momentum is in some trials only
    study.optimize(objective, n_trials=3)
    assert profile(study.trials).conditional
    trial = study.ask()
    assert sampler.choice_for(trial.number).sampler == "tpe"
    objective(trial)  # the conditional parameters are sampled by TPE too


def test_several_objectives_use_tpe_then_nsga2():
    sampler = AutoSampler(seed=0, n_objectives=2)
    study = tunelab.create_study(directions=["minimize", "minimize"], sampler=sampler)
    trial = study.ask()
    assert sampler.choice_for(trial.number).sampler == "tpe"
    x = trial.suggest_float("x", 0, 1)
    study.tell(trial, [x, 1 - x])
    assert choose(250, profile(study.trials), n_objectives=2).sampler == "nsga2"


def test_a_pruner_makes_it_fidelity_aware_and_a_nop_pruner_does_not():
    study = tunelab.create_study(sampler="auto", pruner="asha", seed=0)
    assert isinstance(study.sampler, AutoSampler)
    trial = study.ask()
    assert study.sampler.choice_for(trial.number).sampler == "fidelity"
    from tunelab.samplers.fidelity import FidelitySampler

    assert isinstance(study.sampler._inners["fidelity"], FidelitySampler)
    calm = tunelab.create_study(sampler="auto", pruner="none", seed=0)
    assert calm.sampler.choice_for(calm.ask().number).sampler == "qmc"


def test_long_continuous_run_switches_to_cmaes_started_at_the_history():
    sampler = AutoSampler(seed=1, n_startup=3, gp_until=8)
    study = tunelab.create_study(sampler=sampler)
    picked = []
    for _ in range(14):
        trial = study.ask()
        picked.append(sampler.choice_for(trial.number).sampler)
        study.tell(trial, _quadratic(trial, 2))
    assert picked == ["qmc"] * 3 + ["gp"] * 5 + ["cmaes"] * 6
    cma = sampler._inners["cmaes"]
    assert cma.n_startup_trials == 8  # every trial before the switch seeds CMA-ES's mean
    # five of a six-member population told: no update yet, so the mean is still the best trial before the switch
    assert cma.last_state.generation == 0 and cma.last_state.population_size == 6
    best = min(study.trials[:8], key=lambda t: t.value)
    assert cma.last_state.mean == pytest.approx({n: best.distributions[n].to_unit(v) for n, v in best.params.items()})
    study.ask()  # the last trial above was the sixth member: the first generation is told and the mean moves
    assert cma.last_state.generation == 1
    assert cma.last_state.mean != pytest.approx({n: best.distributions[n].to_unit(v) for n, v in best.params.items()})
    assert all(-5 <= v <= 5 for t in study.trials for v in t.params.values())


# ------------------------------------------------------------------ one trial, one inner sampler


class _Spy(BaseSampler):
    """Forwards to a real sampler and writes down (trial number, call) for each call."""

    def __init__(self, name: str, inner: BaseSampler, log: list):
        super().__init__(None)
        self.name, self.inner, self.log = name, inner, log

    def _note(self, context: SamplingContext, call: str) -> None:
        self.log.append((context.trial_number, self.name, call))

    def infer_relative_space(self, context):
        self._note(context, "infer")
        return self.inner.infer_relative_space(context)

    def sample_relative(self, context, space):
        self._note(context, "relative")
        return self.inner.sample_relative(context, space)

    def sample_independent(self, context, name, distribution):
        self._note(context, "independent")
        return self.inner.sample_independent(context, name, distribution)

    def after_trial(self, context, trial):
        self.log.append((trial.number, self.name, "after"))
        self.inner.after_trial(context, trial)

    def reseed(self, seed):
        self.log.append((None, self.name, f"reseed {seed}"))
        self.inner.reseed(seed)


def _spied(seed: int = 0, **kwargs: Any) -> tuple[AutoSampler, list]:
    sampler = AutoSampler(seed=seed, **kwargs)
    log: list = []
    build = sampler._build
    sampler._build = lambda name, context: _Spy(name, build(name, context), log)  # type: ignore[method-assign]
    return sampler, log


def test_relative_and_independent_calls_of_a_trial_go_to_one_inner_sampler():
    sampler, log = _spied(n_startup=3)
    study = tunelab.create_study(sampler=sampler)
    for i in range(8):
        trial = study.ask()
        value = _quadratic(trial)
        if i >= 3 and i % 2:  # a parameter no finished trial has: sampled independently
            value += trial.suggest_float("late", 0, 1)
        study.tell(trial, value)
    by_trial: dict[int, set] = {}
    for number, name, call in log:
        by_trial.setdefault(number, set()).add(name)
    assert all(len(names) == 1 for names in by_trial.values()), by_trial
    calls = {(n, name, c) for n, name, c in log}
    assert (3, "gp", "relative") in calls and (3, "gp", "independent") in calls  # both kinds, one sampler
    # trial 3 made "late" a conditional parameter: from then on TPE
    assert [by_trial[n].pop() for n in range(8)] == ["qmc"] * 3 + ["gp"] + ["tpe"] * 4


def test_a_trial_keeps_its_inner_sampler_when_the_study_switches_under_it():
    sampler, log = _spied(n_startup=3)
    study = tunelab.create_study(sampler=sampler)
    first = [study.ask() for _ in range(3)]
    for t in first[:2]:
        study.tell(t, _quadratic(t))
    early = study.ask()  # 2 complete trials: still the Sobol start
    study.tell(first[2], _quadratic(first[2]))
    late = study.ask()  # 3 complete trials: the GP
    assert sampler.choice_for(early.number).sampler == "qmc"
    assert sampler.choice_for(late.number).sampler == "gp"
    early.suggest_float("x0", -5, 5)  # suggested after the switch: must still go to the Sobol sampler
    late.suggest_float("x0", -5, 5)
    names = {number: name for number, name, _ in log if number in (early.number, late.number)}
    assert names == {early.number: "qmc", late.number: "gp"}
    study.tell(early, 1.0)
    assert (early.number, "qmc", "after") in log  # after_trial goes to the trial's own inner sampler
    assert sampler.choice_for(early.number) is None  # and the entry is dropped once told


def test_reseed_reaches_the_inner_samplers():
    sampler, log = _spied(seed=3, n_startup=2)
    study = tunelab.create_study(sampler=sampler)
    study.optimize(lambda t: _quadratic(t), n_trials=3)
    sampler.reseed(11)
    reseeded = {name for _, name, call in log if call.startswith("reseed")}
    assert reseeded == {"qmc", "gp"}
    assert sampler._seed == 11


# ------------------------------------------------------------------ seeds and quality


def _mixed(trial: tunelab.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-5, 1.0, log=True)
    layers = trial.suggest_int("layers", 1, 6)
    act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
    return (np.log10(lr) + 2.5) ** 2 + 0.3 * (layers - 3) ** 2 + {"relu": 0.0, "tanh": 0.5, "gelu": 0.2}[act]


def _history(seed: int, n: int = 16) -> list[dict[str, Any]]:
    study = tunelab.create_study(sampler=AutoSampler(seed=seed, n_startup=5))
    study.optimize(_mixed, n_trials=n)
    return [t.params for t in study.trials]


def test_same_seed_same_trials_different_seed_different_trials():
    a, b, c = _history(7), _history(7), _history(8)
    assert a == b
    assert a != c


def test_beats_random_search_on_a_quadratic_over_fixed_seeds():
    def best(sampler: str, seed: int) -> float:
        study = tunelab.create_study(sampler=sampler, seed=seed)
        study.optimize(lambda t: _quadratic(t, 4), n_trials=25)
        return study.best_value

    auto = np.array([best("auto", s) for s in range(4)])
    rand = np.array([best("random", s) for s in range(4)])
    assert (auto < rand).all(), (auto, rand)
    assert auto.mean() < 0.2 * rand.mean()


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("kwargs, field", [
    ({"n_objectives": 0}, "n_objectives"),
    ({"seed": -1}, "seed"),
    ({"pruner": "asha"}, "pruner"),
    ({"n_startup": 0}, "n_startup"),
    ({"gp_until": -5}, "gp_until"),
    ({"gp_trust_region_until": -1}, "gp_trust_region_until"),
    ({"gp_first_region": -1}, "gp_first_region"),
    ({"categorical_share": 1.5}, "categorical_share"),
    ({"categorical_gp_from": -1}, "categorical_gp_from"),
])
def test_bad_arguments_name_the_field(kwargs, field):
    with pytest.raises((ValueError, TypeError), match=f"AutoSampler: argument '{field}'"):
        AutoSampler(**kwargs)


def test_the_categorical_rule_is_set_on_the_sampler():
    """A mostly categorical space goes to TPE below categorical_gp_from complete trials, to the GP from there."""
    def objective(trial):
        a = trial.suggest_categorical("a", ["x", "y", "z"])
        b = trial.suggest_categorical("b", [0, 1])
        return trial.suggest_float("c", 0, 1) + (a == "y") + b

    picked = {}
    for gp_from in (30, 12):
        sampler = AutoSampler(seed=0, n_startup=4, categorical_gp_from=gp_from)
        study = tunelab.create_study(sampler=sampler, seed=0)
        study.optimize(objective, n_trials=15)
        picked[gp_from] = [sampler.decide(_context_at(study, n)).sampler for n in (4, 11, 12, 14)]
    assert picked[30] == ["tpe", "tpe", "tpe", "tpe"]
    assert picked[12] == ["tpe", "tpe", "gp", "gp"]
    everything_gp = AutoSampler(seed=0, n_startup=4, categorical_share=1.0)  # above this space's 2/3 share
    study = tunelab.create_study(sampler=everything_gp, seed=0)
    study.optimize(objective, n_trials=6)
    assert everything_gp.decide(_context_at(study, 5)).sampler == "gp"


def _context_at(study, n_complete):
    """The sampling context a sampler would see with the study's first n_complete trials."""
    trials = study.trials[:n_complete]
    return SamplingContext(load_trials=lambda: trials, directions=study.directions)


def test_direct_use_without_a_trial_number_is_consistent():
    sampler = AutoSampler(seed=0)
    context = SamplingContext(load_trials=lambda: [], directions=[StudyDirection.MINIMIZE])
    space = sampler.infer_relative_space(context)
    value = sampler.sample_independent(context, "x", FloatDistribution(0, 1))
    assert space == {} and 0 <= value <= 1
    assert sampler.last_choice.sampler == "qmc"
