"""The sampler contract as a test class: subclass it and say how to build your sampler.

::

    from tunelab.testing import SamplerSuite

    class TestMySampler(SamplerSuite):
        sampler_factory = MySampler          # called as sampler_factory(seed=...)
        model_based = True                   # also: must beat random search on a quadratic

What it checks, on random spaces (hypothesis: floats, ints, log and stepped,
categoricals of mixed types, conditional parameters) and on fixed scenarios:
every proposal is a value of its distribution, of the right type, and only
active parameters are present; one and two objectives; the same seed gives the
same proposals and another seed others; enqueued trials run with their values;
``study.ask(fixed_distributions)``; single-value distributions; a history of
pruned and failed trials, or without any complete trial; and, for a
model-based sampler, a better mean result than random search at 40 trials.

Flags (class attributes): ``multi_objective`` (runs studies with two directions),
``builds_from_space`` (called as ``sampler_factory(seed=..., space=...)``, tested on
spaces with a finite grid, like GridSampler), ``model_based``.  A test that does
not apply to the flags is not collected.
"""

from __future__ import annotations

import inspect
import json
import math
from typing import Any, Callable

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tunelab
from tunelab import Categorical, Float, Int, SearchSpace, TrialPruned, TrialState
from tunelab.samplers import BaseSampler, RandomSampler
from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.testing._suite import drop_flagged_tests


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


def run(make: Callable[[int, SearchSpace], BaseSampler], space: SearchSpace, n_trials: int, seed: int = 0,
        n_objectives: int = 1, **objective_kwargs: Any) -> tunelab.Study:
    """A study of ``n_trials`` on ``space`` with the sampler ``make(seed, space)``."""
    study = tunelab.create_study(sampler=make(seed, space), directions=["minimize"] * n_objectives)
    study.optimize(make_objective(space, n_objectives, **objective_kwargs), n_trials=n_trials, catch=(ValueError,))
    return study


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
TWO_OBJECTIVE_SETTINGS = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def best_values(make: Callable[[int], BaseSampler], objective: Callable, n_trials: int, seeds: range) -> np.ndarray:
    """Each seed's best value after ``n_trials`` of a study with the sampler ``make(seed)``."""
    bests = []
    for seed in seeds:
        study = tunelab.create_study(sampler=make(seed))
        study.optimize(objective, n_trials=n_trials)
        bests.append(study.best_value)
    return np.array(bests)


def quadratic(trial: tunelab.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    return (x - 1.3) ** 2 + (y + 0.7) ** 2


# which tests need which flag: a subclass without the flag does not get them
_NEEDS = {
    "multi_objective": ["test_proposals_stay_inside_random_spaces_with_two_objectives"],
    "model_based": ["test_beats_random_search_on_a_quadratic"],
}
_NOT_WITH = {"builds_from_space": ["test_enqueued_trial_runs_next_with_its_values",
                                   "test_history_without_any_complete_trial"]}


class SamplerSuite:
    """The contract every sampler keeps; set ``sampler_factory`` (and the flags) in a subclass."""

    sampler_factory: Any = None
    multi_objective: bool = True
    builds_from_space: bool = False
    model_based: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        drop_flagged_tests(cls, _NEEDS, _NOT_WITH)

    # ------------------------------------------------------------------ building
    def make(self, seed: int | None, space: SearchSpace | None = None) -> BaseSampler:
        """The sampler under test, from ``sampler_factory`` (a class or a function)."""
        factory = inspect.getattr_static(self, "sampler_factory")
        factory = factory.__func__ if isinstance(factory, staticmethod) else factory
        if factory is None:
            raise TypeError(f"{type(self).__name__}: set sampler_factory to your sampler class or to a function "
                            f"(seed=...) -> sampler")
        if self.builds_from_space:
            return factory(seed=seed, space=space)
        return factory(seed=seed)

    def space(self) -> SearchSpace:
        return GRIDDABLE if self.builds_from_space else RICH

    def run(self, space: SearchSpace, n_trials: int, seed: int = 0, n_objectives: int = 1,
            **objective_kwargs: Any) -> tunelab.Study:
        return run(self.make, space, n_trials, seed, n_objectives, **objective_kwargs)

    # ------------------------------------------------------------------ the contract
    def test_sampler_builds(self):
        assert isinstance(self.make(3, self.space()), BaseSampler)

    def test_proposals_stay_inside_random_spaces(self):
        @PROPERTY_SETTINGS
        @given(space=random_spaces(griddable=self.builds_from_space), seed=st.integers(0, 2**16))
        def check(space, seed):
            study = self.run(space, n_trials=12, seed=seed)
            assert len(finished(study)) >= 1
            for t in finished(study):
                assert_in_space(space, t)

        check()

    def test_proposals_stay_inside_random_spaces_with_two_objectives(self):
        @TWO_OBJECTIVE_SETTINGS
        @given(space=random_spaces(griddable=self.builds_from_space), seed=st.integers(0, 2**16))
        def check(space, seed):
            study = self.run(space, n_trials=12, seed=seed, n_objectives=2)
            for t in finished(study):
                assert_in_space(space, t)
            assert all(t.state == TrialState.COMPLETE for t in study.best_trials)

        check()

    def test_same_seed_same_proposals(self):
        space = self.space()
        first = [t.params for t in finished(self.run(space, n_trials=20, seed=11))]
        again = [t.params for t in finished(self.run(space, n_trials=20, seed=11))]
        assert first == again
        if not self.builds_from_space:  # a grid in declared order does not depend on the seed
            other = [t.params for t in finished(self.run(space, n_trials=20, seed=12))]
            assert other != first

    def test_enqueued_trial_runs_next_with_its_values(self):
        study = self.run(RICH, n_trials=10, seed=1)
        study.enqueue_trial({"opt": "sgd", "momentum": 0.25, "layers": 3})
        trial = study.ask()
        values = trial.suggest(RICH)
        assert values["opt"] == "sgd" and values["momentum"] == 0.25 and values["layers"] == 3
        study.tell(trial, _score(RICH, values))
        assert_in_space(RICH, study.trials[-1])

    def test_ask_with_fixed_distributions(self):
        space = self.space()
        study = self.run(space, n_trials=10, seed=2, prune_every=0, fail_every=0)
        fixed = {name: p.distribution for name, p in space.params.items() if not p.when}
        trial = study.ask(fixed)
        assert set(trial.params) == set(fixed)
        for name, value in trial.params.items():
            assert fixed[name].contains(value)

    def test_single_value_distributions(self):
        space = SearchSpace.from_mapping({
            "f": Float(2.5, 2.5), "i": Int(7, 7), "c": Categorical(["only"]), "lg": Float(0.01, 0.01, log=True),
            "x": Float(0.0, 1.0, step=0.25),
        })
        study = self.run(space, n_trials=10, seed=4)
        assert len(finished(study)) >= 5
        for t in finished(study):
            assert (t.params["f"], t.params["i"], t.params["c"], t.params["lg"]) == (2.5, 7, "only", 0.01)
            assert_in_space(space, t)

    def test_history_of_pruned_and_failed_trials(self):
        space = self.space()
        study = self.run(space, n_trials=24, seed=5, prune_every=3, fail_every=4)
        states = [t.state for t in finished(study)]
        assert TrialState.PRUNED in states and TrialState.FAIL in states and TrialState.COMPLETE in states
        for t in finished(study):
            assert_in_space(space, t)

    def test_history_without_any_complete_trial(self):
        """Only pruned (without reports) and failed trials so far: the sampler still proposes valid values."""
        study = tunelab.create_study(sampler=self.make(6))
        for number in range(12):
            trial = study.ask()
            trial.suggest(RICH)
            study.tell(trial, state="pruned" if number % 2 else "fail")
        trial = study.ask()
        trial.suggest(RICH)
        study.tell(trial, 1.0)
        assert_in_space(RICH, study.trials[-1])

    def test_beats_random_search_on_a_quadratic(self):
        """Mean best value over fixed seeds at 40 trials, against random search on the same seeds."""
        model = best_values(self.make, quadratic, 40, range(8)).mean()
        random = best_values(lambda seed: RandomSampler(seed=seed), quadratic, 40, range(8)).mean()
        assert model < 0.5 * random, f"{type(self).__name__}: mean best {model:.4f} vs random {random:.4f}"
