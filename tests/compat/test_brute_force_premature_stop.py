"""BruteForceSampler(avoid_premature_stop=True): only finished trials count as visited."""

from __future__ import annotations

import tunelab
from tunelab.samplers import BruteForceSampler
from tunelab.trial import TrialState

CHOICES = [0, 1, 2]


def _second_value(sampler_seed: int, avoid: bool) -> tuple[int, int]:
    """(value of a running trial, value the next trial gets while the first still runs)."""
    study = tunelab.create_study(sampler=BruteForceSampler(seed=sampler_seed, avoid_premature_stop=avoid))
    first = study.ask()
    a = first.suggest_categorical("a", CHOICES)
    second = study.ask()
    b = second.suggest_categorical("a", CHOICES)
    study.tell(first, float(a))
    study.tell(second, float(b))
    return a, b


def test_by_default_a_running_trial_counts_as_visited():
    for seed in range(15):
        a, b = _second_value(seed, avoid=False)
        assert a != b


def test_with_avoid_premature_stop_a_running_trial_does_not():
    pairs = [_second_value(seed, avoid=True) for seed in range(15)]
    assert any(a == b for a, b in pairs)  # the running trial's value may be drawn again
    assert any(a != b for a, b in pairs)


def test_avoid_premature_stop_still_covers_every_point_with_finished_trials():
    study = tunelab.create_study(sampler=BruteForceSampler(seed=1, avoid_premature_stop=True))
    running = study.ask()
    running.suggest_categorical("a", CHOICES)
    # while that trial runs, the study goes on and stops only once every value has a finished trial
    study.optimize(lambda t: float(t.suggest_categorical("a", CHOICES)), n_trials=30)
    finished = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert sorted({t.params["a"] for t in finished}) == CHOICES
    assert len(study.trials) < 30  # it stopped by itself
