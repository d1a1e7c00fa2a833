"""TriedConfigurations: which configurations of a discrete space the study's trials already hold."""

from __future__ import annotations

import pickle

from tunelab.samplers.base import TriedConfigurations
from tunelab.space import CategoricalDistribution, IntDistribution
from tunelab.trial import create_trial

DISTS = {"k": IntDistribution(1, 3), "c": CategoricalDistribution(["a", "b"])}


def _trial(k: int, c: str, state: str = "complete"):
    return create_trial(state=state, value=1.0 if state == "complete" else None, params={"k": k, "c": c},
                        distributions=DISTS)


def test_finished_trials_are_kept_and_running_ones_read_again() -> None:
    done, running = _trial(1, "a"), _trial(2, "b", state="running")
    tried = TriedConfigurations()
    check = tried.of([done, running], ["k", "c"])
    assert check((1, "a")) and check((2, "b")) and not check((3, "a"))
    # the running trial has gone (failed and not listed): only the finished one counts now
    check = tried.of([done], ["k", "c"])
    assert check((1, "a")) and not check((2, "b"))
    # the tuple follows the names' order
    assert tried.of([done], ["c", "k"])(("a", 1))


def test_a_pickled_copy_starts_empty_and_works() -> None:
    tried = TriedConfigurations()
    tried.of([_trial(1, "a")], ["k", "c"])
    copy = pickle.loads(pickle.dumps(tried))
    assert copy._finished == set()
    assert copy.of([_trial(3, "b")], ["k", "c"])((3, "b"))

