"""TPE's history kept across asks: the same proposals as a sampler that starts from nothing."""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle

import pytest

import tunelab
from tunelab.samplers.base import SamplingContext
from tunelab.samplers.random import RandomSampler
from tunelab.samplers.tpe import TPESampler
from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.trial import StudyDirection, TrialState

SPACE = {"x": FloatDistribution(-2, 2), "n": IntDistribution(1, 32, log=True),
         "c": CategoricalDistribution(("a", "b", None))}


def _objective(trial) -> float:
    x, n, c = trial.suggest_float("x", -2, 2), trial.suggest_int("n", 1, 32, log=True), \
        trial.suggest_categorical("c", ["a", "b", None])
    if trial.number % 9 == 4:
        raise ValueError("a failed trial")
    if trial.number % 7 == 2:
        trial.report(x * x, 1)
        raise tunelab.TrialPruned()
    return (x - 0.5) ** 2 + abs(math.log2(n) - 2) + (c == "b")


def _study(n: int, seed: int = 0) -> tunelab.Study:
    study = tunelab.create_study(sampler=RandomSampler(seed=seed))
    study.optimize(_objective, n_trials=n, catch=(ValueError,))
    return study


def _close(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        math.isclose(a[k], b[k], rel_tol=1e-9) if isinstance(a[k], float) else a[k] == b[k] for k in a)


def _ask(study: tunelab.Study, sampler: TPESampler, space: dict = SPACE) -> dict:
    study.sampler = sampler
    trial = study.ask(space)
    params = dict(trial.params)
    study.tell(trial, state="fail")  # failed trials are not modelled: the history stays as it was
    return params


def test_a_history_grown_over_many_asks_proposes_what_a_fresh_sampler_proposes():
    study = _study(40)
    warm = TPESampler(seed=5)
    for _ in range(3):
        _ask(study, warm)  # the history is built, then grows by the trials below
        study.optimize(_objective, n_trials=2, catch=(ValueError,))
        running = study.ask(SPACE)  # a running trial: a liar in the bad set
    for seed in range(3):
        warm.reseed(seed)
        assert _close(_ask(study, warm), _ask(study, TPESampler(seed=seed)))
    assert running.number in [t.number for t in study.trials if t.state == TrialState.RUNNING]


def test_copies_of_trials_are_taken_over_and_changed_copies_start_again():
    """Views (the fidelity sampler's) hand over new objects for the same trials on every ask."""
    study = _study(30)
    trials = study.get_trials()
    sampler = TPESampler(seed=0)
    sampler.reseed(1)

    def propose(view):
        context = SamplingContext(load_trials=lambda: view, directions=[StudyDirection.MINIMIZE])
        space = sampler.infer_relative_space(context)
        return sampler.sample_relative(context, space)

    first = propose(trials)
    sampler.reseed(1)
    assert _close(propose([dataclasses.replace(t) for t in trials]), first)  # equal copies: same model
    # the same trials with other values (a view at another budget level): the model follows them
    flipped = [dataclasses.replace(t, values=[-t.values[0]]) if t.state == TrialState.COMPLETE else t for t in trials]
    sampler.reseed(1)
    fresh = TPESampler(seed=0)
    fresh.reseed(1)
    context = SamplingContext(load_trials=lambda: flipped, directions=[StudyDirection.MINIMIZE])
    expected = fresh.sample_relative(context, fresh.infer_relative_space(context))
    assert _close(propose(flipped), expected)


def test_one_sampler_on_two_studies_models_each_with_its_own_trials():
    a, b = _study(30, seed=1), _study(30, seed=2)
    shared = TPESampler(seed=0)
    for study in (a, b, a):
        shared.reseed(3)
        assert _close(_ask(study, shared), _ask(study, TPESampler(seed=3)))


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda s: pickle.loads(pickle.dumps(s))])
def test_a_copy_of_a_sampler_starts_its_own_history(clone):
    study = _study(30)
    sampler = TPESampler(seed=0)
    _ask(study, sampler)
    assert len(sampler._history.trials) > 0
    copied = clone(sampler)
    assert copied._history.trials == [] and copied._history is not sampler._history
    copied.reseed(4)
    assert _close(_ask(study, copied), _ask(study, TPESampler(seed=4)))


@pytest.mark.parametrize("kwargs", [{}, {"consider_pruned": False}])
def test_multi_objective_and_ignored_pruned_trials_match_a_fresh_sampler(kwargs):
    study = tunelab.create_study(directions=["minimize", "maximize"], sampler=RandomSampler(seed=0))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1) - t.suggest_float("x", 0, 1)),
                   n_trials=30)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    study.tell(trial, state="pruned")
    space = {"x": FloatDistribution(0, 1), "y": FloatDistribution(0, 1)}
    warm = TPESampler(seed=0, **kwargs)
    _ask(study, warm, space)
    for seed in range(2):
        warm.reseed(seed)
        assert _close(_ask(study, warm, space), _ask(study, TPESampler(seed=seed, **kwargs), space))
