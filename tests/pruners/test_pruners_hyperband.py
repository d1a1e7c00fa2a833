"""Hyperband: deterministic brackets, per-bracket comparisons and budgets."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest
from pruning_helpers import context, make_trial

from tunelab.pruners.hyperband import HyperbandPruner
from tunelab.trial import TrialState


def test_brackets_count_and_weights():
    hb = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    assert hb.n_brackets(27) == 4
    assert hb.n_brackets(26) == 3
    assert HyperbandPruner(2, 16, 2).n_brackets(16) == 4


def test_brackets_are_deterministic_across_objects_and_processes():
    numbers = range(2000)
    a = [HyperbandPruner(1, 27).bracket_of(n, 27) for n in numbers]
    b = [HyperbandPruner(1, 27).bracket_of(n, 27) for n in numbers]
    assert a == b
    code = ("from tunelab.pruners.hyperband import HyperbandPruner as H;"
            "print(','.join(str(H(1, 27).bracket_of(n, 27)) for n in range(50)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ",".join(map(str, a[:50]))
    counts = Counter(a)  # Hyperband's trial counts per bracket for R/r = 27, eta = 3: 27, 12, 6, 4
    assert set(counts) == {0, 1, 2, 3}
    for bracket, share in enumerate([27 / 49, 12 / 49, 6 / 49, 4 / 49]):
        assert counts[bracket] / 2000 == pytest.approx(share, abs=0.04)


def numbers_in(hb: HyperbandPruner, bracket: int, count: int, r_max: int = 27, start: int = 0) -> list[int]:
    out, n = [], start
    while len(out) < count:
        if hb.bracket_of(n, r_max) == bracket:
            out.append(n)
        n += 1
    return out


def test_each_bracket_compares_only_its_own_trials():
    hb = HyperbandPruner(1, 27, 3)
    me, *same = numbers_in(hb, 0, 4, start=1000)
    other = numbers_in(hb, 1, 3) + numbers_in(hb, 2, 3)
    strong_elsewhere = [make_trial(n, {1: 0.99, 3: 0.99}, TrialState.PRUNED) for n in other]
    # only much better trials from other brackets: this trial is the best of its bracket at rung 1
    assert hb.prune(context({1: 0.5}, strong_elsewhere, number=me)) is False
    strong_here = [make_trial(n, {1: 0.99}, TrialState.PRUNED) for n in same]
    assert hb.prune(context({1: 0.5}, strong_elsewhere + strong_here, number=me)) is True


def test_bracket_first_rungs_and_budgets():
    hb = HyperbandPruner(1, 27, 3)
    for bracket, first_rung in enumerate([1, 3, 9, 27]):
        n = numbers_in(hb, bracket, 1)[0]
        assert hb.budget(context({}, [], number=n)) == first_rung
    # the last bracket never prunes: every trial runs to max_resource
    n = numbers_in(hb, 3, 1, start=500)[0]
    others = [make_trial(i, {s: 0.99 for s in range(1, 28)}) for i in numbers_in(hb, 3, 5)]
    assert not any(hb.prune(context({s: 0.0 for s in range(1, k + 1)}, others, number=n)) for k in (1, 3, 9, 27))
    # bracket 1 is judged at 3, not at 1
    n1 = numbers_in(hb, 1, 1, start=500)[0]
    others1 = [make_trial(i, {1: 0.99, 3: 0.99}) for i in numbers_in(hb, 1, 5)]
    assert hb.prune(context({1: 0.0}, others1, number=n1)) is False
    assert hb.prune(context({1: 0.0, 2: 0.0, 3: 0.0}, others1, number=n1)) is True
    assert hb.budget(context({1: 0.0, 2: 0.0, 3: 0.0}, [], number=n1)) == 9


def test_auto_max_resource_waits_for_a_complete_trial():
    hb = HyperbandPruner(min_resource=1)
    n = numbers_in(hb, 0, 1, r_max=9)[0]
    assert hb.budget(context({}, [], number=n)) is None
    assert hb.prune(context({1: 0.0}, [make_trial(50, {1: 0.9}, TrialState.PRUNED)], number=n)) is False
    done = make_trial(99, {s: 0.9 for s in range(1, 10)})
    assert hb.budget(context({}, [done], number=n)) == 1
    with pytest.raises(ValueError, match="HyperbandPruner: argument 'max_resource'"):
        HyperbandPruner(max_resource=0)
    with pytest.raises(ValueError, match="'max_resource' \\(2\\) must be >= 'min_resource' \\(3\\)"):
        HyperbandPruner(min_resource=3, max_resource=2)


def test_auto_max_resource_below_min_resource_prunes_nothing():
    # steps counted from 0: a trial that completed after one report (step 0) gives "auto" a max resource of 0,
    # which once crashed building the brackets; with no rung to decide at, nothing is pruned or handed out
    hb = HyperbandPruner(min_resource=2)
    for last in (0, 1):
        done = make_trial(7, {s: 0.9 for s in range(last + 1)})
        assert hb.prune(context({0: 0.0, 1: 0.0, 2: 0.0}, [done])) is False
        assert hb.budget(context({0: 0.0}, [done])) is None


def test_the_last_bracket_runs_to_the_end_only_when_the_ratio_is_a_power_of_eta():
    # max/min = 27 = 3**3: the last bracket's first rung is the end, so it never prunes (above)
    hb = HyperbandPruner(1, 30, 3)
    assert hb.n_brackets(30) == 4
    n = numbers_in(hb, 3, 1, start=500, r_max=30)[0]
    assert hb.budget(context({}, [], number=n)) == 27  # it decides at 27, just below the end
    others = [make_trial(i, {s: 0.99 for s in range(1, 31)}) for i in numbers_in(hb, 3, 5, r_max=30)]
    curve = {s: 0.0 for s in range(1, 28)}
    assert not hb.prune(context({s: 0.0 for s in range(1, 27)}, others, number=n))
    assert hb.prune(context(curve, others, number=n)) is True
    assert hb.budget(context(curve, [], number=n)) == 30
