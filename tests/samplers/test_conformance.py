"""The contract every sampler keeps.  To put a new sampler through it, add one line to CASES.

A line names a key of ``tunelab.samplers.SAMPLERS``.  Lines whose module file
does not exist yet (a sampler still being written) are left out of the run with
a warning in the test summary; a line whose module exists but does not import
or build fails ``test_sampler_builds``.  ``test_every_registered_sampler_is_listed``
fails when a registry entry has no line here and no reason in NOT_LISTED.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tunelab
from tunelab import Categorical, Float, Int, SearchSpace, TrialPruned, TrialState
from tunelab.samplers import SAMPLERS, BaseSampler, load_sampler_class
from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution

from sampler_helpers import best_values, random_sampler


@dataclass(frozen=True)
class Case:
    """One sampler configuration under test."""

    id: str
    registry: str  # key of tunelab.samplers.SAMPLERS
    kwargs: dict = field(default_factory=dict)
    multi_objective: bool = True  # runs studies with several directions
    grid: bool = False  # built from the space, so only tested on spaces with a finite grid
    model_based: bool = False  # must beat random search on the quadratic (test_beats_random_search)
    path: str | None = None  # "module:Class" for a sampler outside the registry (a wrapper such as FidelitySampler)

    @property
    def module(self) -> str:
        return (self.path or SAMPLERS[self.registry]).split(":")[0]

    def make(self, seed: int | None, space: SearchSpace | None = None) -> BaseSampler:
        if self.path:
            module, name = self.path.split(":")
            cls = getattr(importlib.import_module(module), name)
        else:
            cls = load_sampler_class(self.registry)
        if self.grid:
            return cls(space, seed=seed, **self.kwargs)
        return cls(seed=seed, **self.kwargs)


CASES = [
    Case("random", "random"),
    Case("qmc", "qmc"),
    Case("grid", "grid", grid=True),
    Case("auto", "auto"),
    Case("tpe", "tpe", {"n_startup_trials": 4}, model_based=True),
    Case("tpe-univariate", "tpe", {"n_startup_trials": 4, "multivariate": False}, model_based=True),
    Case("nsga2", "nsga2", {"population_size": 4}),
    Case("nsga2-sbx", "nsga2", {"population_size": 4, "crossover": "sbx"}),
    Case("gp", "gp", multi_objective=False, model_based=True),
    Case("cmaes", "cmaes", multi_objective=False, model_based=True),
    # what sampler="auto" becomes when a pruner is set: TPE over the highest budget level with enough trials
    Case("fidelity-tpe", "", {"min_points": 4}, model_based=True, path="tunelab.samplers.fidelity:FidelitySampler"),
]

NOT_LISTED = {"sobol": "an alias of 'qmc'"}


def _module_exists(case: Case) -> bool:
    return importlib.util.find_spec(case.module) is not None


AVAILABLE = [c for c in CASES if _module_exists(c)]
for _c in CASES:
    if not _module_exists(_c):
        warnings.warn(f"sampler conformance: {_c.id!r} is listed but {_c.module} does not exist yet; not tested")


def cases(**flags: bool) -> list:
    picked = [c for c in AVAILABLE if all(getattr(c, k) == v for k, v in flags.items())]
    return [pytest.param(c, id=c.id) for c in picked]


# ---------------------------------------------------------------- spaces

RICH = SearchSpace.from_mapping({
    "opt": Categorical(["sgd", "adam", None]),
    "lr": Float(1e-5, 1e-1, log=True),
    "momentum": Float(0.0, 0.99, when={"opt": "sgd"}),
    "layers": Int(1, 6),
    "units": Int(8, 512, log=True),
    "drop": Float(0.0, 0.5, step=0.1),
    "batch": Int(16, 128, step=16),
    "flag": Categorical([True, False]),
    "fixed": Float(0.3, 0.3),
})

GRIDDABLE = SearchSpace.from_mapping({
    "opt": Categorical(["sgd", "adam"]),
    "momentum": Float(0.0, 0.9, step=0.3, when={"opt": "sgd"}),
    "layers": Int(1, 3),
    "drop": Float(0.0, 0.5, step=0.25),
})


def space_for(case: Case) -> SearchSpace:
    return GRIDDABLE if case.grid else RICH


def _score(space: SearchSpace, values: dict[str, Any], target: float = 0.3) -> float:
    """A deterministic objective over any space: squared distance of the unit coordinates from ``target``."""
    total = 0.0
    for name, value in values.items():
        dist = space.params[name].distribution
        total += (dist.to_unit(value) - target) ** 2
    return total


def make_objective(space: SearchSpace, n_objectives: int = 1, prune_every: int = 5, fail_every: int = 7):
    def objective(trial: tunelab.Trial):
        values = trial.suggest(space)
        score = _score(space, values)
        if prune_every and trial.number % prune_every == prune_every - 1:
            trial.report(score + 1.0, step=0)
            raise TrialPruned()
        if fail_every and trial.number % fail_every == fail_every - 1:
            raise ValueError("a failing trial")
        return score if n_objectives == 1 else (score, _score(space, values, target=0.8))

    return objective


def assert_in_space(space: SearchSpace, trial: tunelab.FrozenTrial) -> None:
    """Every parameter is a value of its distribution, of the right type, and only active ones are present."""
    expected: dict[str, Any] = {}
    for name, param in space.params.items():
        if space.active(name, expected):
            assert name in trial.params, f"trial {trial.number}: active parameter {name!r} missing"
            expected[name] = trial.params[name]
    assert set(trial.params) == set(expected), f"trial {trial.number}: {set(trial.params) ^ set(expected)}"
    for name, value in trial.params.items():
        dist = space.params[name].distribution
        assert dist.contains(value), f"trial {trial.number}: {name}={value!r} is outside {dist}"
        if isinstance(dist, IntDistribution):
            assert type(value) is int, f"{name}={value!r} should be an int"
        elif isinstance(dist, FloatDistribution):
            assert type(value) is float and math.isfinite(value), f"{name}={value!r} should be a finite float"
        else:
            assert json.dumps(value) in {json.dumps(c) for c in dist.choices}


def finished(study: tunelab.Study) -> list[tunelab.FrozenTrial]:
    """The trials that ran (a grid leaves its remaining points WAITING)."""
    return [t for t in study.trials if t.state.is_finished()]


def run(case: Case, space: SearchSpace, n_trials: int, seed: int = 0, n_objectives: int = 1,
        **objective_kwargs: Any) -> tunelab.Study:
    study = tunelab.create_study(sampler=case.make(seed, space), directions=["minimize"] * n_objectives)
    study.optimize(make_objective(space, n_objectives, **objective_kwargs), n_trials=n_trials, catch=(ValueError,))
    return study


# ---------------------------------------------------------------- registry


def test_every_registered_sampler_is_listed():
    listed = {c.registry for c in CASES if c.registry}
    missing = sorted(set(SAMPLERS) - listed - set(NOT_LISTED))
    assert not missing, f"samplers in the registry without a conformance line: {missing}"


@pytest.mark.parametrize("case", cases())
def test_sampler_builds(case):
    sampler = case.make(3, space_for(case))
    assert isinstance(sampler, BaseSampler)


# ---------------------------------------------------------------- random spaces (hypothesis)


@st.composite
def random_spaces(draw, griddable: bool = False) -> SearchSpace:
    """1-4 parameters of every kind, some conditional on an earlier categorical."""
    params: dict[str, Any] = {}
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["float", "int", "categorical"]))
        parents = [n for n, p in params.items() if isinstance(p.distribution, CategoricalDistribution)]
        when = None
        if parents and draw(st.booleans()):
            parent = draw(st.sampled_from(parents))
            when = {parent: [draw(st.sampled_from(params[parent].distribution.choices))]}
        if kind == "categorical":
            pool = [None, True, False, "a", "b", "", 0, 1, 2.5, -3]
            choices = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4 if griddable else 6,
                                    unique_by=json.dumps))
            params[f"p{i}"] = Categorical(choices, when=when)
        elif kind == "float":
            mode = "step" if griddable else draw(st.sampled_from(["plain", "log", "step"]))
            if mode == "log":
                low = draw(st.floats(1e-6, 1e3))
                params[f"p{i}"] = Float(low, low * draw(st.floats(1.0, 1e6)), log=True, when=when)
            elif mode == "step":
                low, step = draw(st.integers(-50, 50)) / 4, draw(st.sampled_from([0.1, 0.25, 0.5, 2.0]))
                params[f"p{i}"] = Float(low, low + step * draw(st.integers(0, 4 if griddable else 30)),
                                        step=step, when=when)
            else:
                low = draw(st.floats(-1e3, 1e3))
                params[f"p{i}"] = Float(low, low + draw(st.floats(0.0, 1e3)), when=when)
        else:
            log = not griddable and draw(st.booleans())
            if log:
                low = draw(st.integers(1, 100))
                params[f"p{i}"] = Int(low, low + draw(st.integers(0, 1000)), log=True, when=when)
            else:
                low, step = draw(st.integers(-100, 100)), draw(st.integers(1, 5))
                params[f"p{i}"] = Int(low, low + step * draw(st.integers(0, 4 if griddable else 40)), step=step,
                                      when=when)
    return SearchSpace(params)


PROPERTY_SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("case", cases())
def test_proposals_stay_inside_random_spaces(case):
    @PROPERTY_SETTINGS
    @given(space=random_spaces(griddable=case.grid), seed=st.integers(0, 2**16))
    def check(space, seed):
        study = run(case, space, n_trials=12, seed=seed)
        assert len(finished(study)) >= 1
        for t in finished(study):
            assert_in_space(space, t)

    check()


@pytest.mark.parametrize("case", cases(multi_objective=True))
def test_proposals_stay_inside_random_spaces_with_two_objectives(case):
    @settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(space=random_spaces(griddable=case.grid), seed=st.integers(0, 2**16))
    def check(space, seed):
        study = run(case, space, n_trials=12, seed=seed, n_objectives=2)
        for t in finished(study):
            assert_in_space(space, t)
        assert all(t.state == TrialState.COMPLETE for t in study.best_trials)

    check()


# ---------------------------------------------------------------- fixed scenarios


@pytest.mark.parametrize("case", cases())
def test_same_seed_same_proposals(case):
    space = space_for(case)
    first = [t.params for t in finished(run(case, space, n_trials=20, seed=11))]
    again = [t.params for t in finished(run(case, space, n_trials=20, seed=11))]
    assert first == again
    if not case.grid:  # a grid in declared order does not depend on the seed
        other = [t.params for t in finished(run(case, space, n_trials=20, seed=12))]
        assert other != first


@pytest.mark.parametrize("case", cases(grid=False))
def test_enqueued_trial_runs_next_with_its_values(case):
    study = run(case, RICH, n_trials=10, seed=1)
    study.enqueue_trial({"opt": "sgd", "momentum": 0.25, "layers": 3})
    trial = study.ask()
    values = trial.suggest(RICH)
    assert values["opt"] == "sgd" and values["momentum"] == 0.25 and values["layers"] == 3
    study.tell(trial, _score(RICH, values))
    assert_in_space(RICH, study.trials[-1])


@pytest.mark.parametrize("case", cases())
def test_ask_with_fixed_distributions(case):
    space = space_for(case)
    study = run(case, space, n_trials=10, seed=2, prune_every=0, fail_every=0)
    fixed = {name: p.distribution for name, p in space.params.items() if not p.when}
    trial = study.ask(fixed)
    assert set(trial.params) == set(fixed)
    for name, value in trial.params.items():
        assert fixed[name].contains(value)


@pytest.mark.parametrize("case", cases())
def test_single_value_distributions(case):
    space = SearchSpace.from_mapping({
        "f": Float(2.5, 2.5), "i": Int(7, 7), "c": Categorical(["only"]), "lg": Float(0.01, 0.01, log=True),
        "x": Float(0.0, 1.0, step=0.25),
    })
    study = run(case, space, n_trials=10, seed=4)
    assert len(finished(study)) >= 5
    for t in finished(study):
        assert (t.params["f"], t.params["i"], t.params["c"], t.params["lg"]) == (2.5, 7, "only", 0.01)
        assert_in_space(space, t)


@pytest.mark.parametrize("case", cases())
def test_history_of_pruned_and_failed_trials(case):
    space = space_for(case)
    study = run(case, space, n_trials=24, seed=5, prune_every=3, fail_every=4)
    states = [t.state for t in finished(study)]
    assert TrialState.PRUNED in states and TrialState.FAIL in states and TrialState.COMPLETE in states
    for t in finished(study):
        assert_in_space(space, t)


@pytest.mark.parametrize("case", cases(grid=False))
def test_history_without_any_complete_trial(case):
    """Only pruned (without reports) and failed trials so far: the sampler still proposes valid values."""
    study = tunelab.create_study(sampler=case.make(6))
    for number in range(12):
        trial = study.ask()
        trial.suggest(RICH)
        study.tell(trial, state="pruned" if number % 2 else "fail")
    trial = study.ask()
    trial.suggest(RICH)
    study.tell(trial, 1.0)
    assert_in_space(RICH, study.trials[-1])


@pytest.mark.parametrize("case", cases(model_based=True))
def test_beats_random_search_on_a_quadratic(case):
    """Mean best value over fixed seeds at 40 trials, against random search on the same seeds."""

    def quadratic(trial):
        x = trial.suggest_float("x", -5, 5)
        y = trial.suggest_float("y", -5, 5)
        return (x - 1.3) ** 2 + (y + 0.7) ** 2

    model = best_values(case.make, quadratic, 40, range(8)).mean()
    random = best_values(random_sampler, quadratic, 40, range(8)).mean()
    assert model < 0.5 * random, f"{case.id}: mean best {model:.4f} vs random {random:.4f}"
