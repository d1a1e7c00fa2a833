"""Successive halving (ASHA): rungs, promotions, budgets, and concurrent workers."""

from __future__ import annotations

import os
import random
import threading
import time

import pytest
from pruning_helpers import context, make_trial

import tunelab
from tunelab.pruners.halving import SuccessiveHalvingPruner
from tunelab.trial import TrialState


def at_rung(values: list[float], rung: int = 1, state: TrialState = TrialState.PRUNED) -> list:
    """Trials that reported ``values`` at step ``rung`` (and were stopped there)."""
    return [make_trial(i, {rung: v}, state) for i, v in enumerate(values)]


def test_rungs_are_geometric_and_stop_below_max_resource():
    sha = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, max_resource=27)
    assert sha.rung_resources(1, 27, up_to=100) == [1, 3, 9]
    assert SuccessiveHalvingPruner(2, 2).rung_resources(2, None, up_to=20) == [2, 4, 8, 16]
    assert SuccessiveHalvingPruner(1, 3, min_early_stopping_rate=1).rung_resources(1, None, 30) == [3, 9, 27]


def test_promotes_the_top_third_at_a_rung():
    sha = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    others = at_rung([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])  # with this trial: 9 values, top 3 go on
    assert sha.prune(context({1: 0.75}, others)) is False   # 2nd best
    assert sha.prune(context({1: 0.65}, others)) is False   # 3rd best (after 0.8, 0.7)
    assert sha.prune(context({1: 0.55}, others)) is True    # 4th best
    assert sha.prune(context({1: 0.95}, others)) is False
    assert sha.prune(context({1: 0.05}, others)) is True
    # minimising: the same values, read the other way round
    assert sha.prune(context({1: 0.05}, others, direction="minimize")) is False
    assert sha.prune(context({1: 0.75}, others, direction="minimize")) is True


def test_the_best_so_far_always_continues_and_ties_favour_the_trial():
    sha = SuccessiveHalvingPruner()
    assert sha.prune(context({1: 0.1}, [])) is False                      # first at the rung
    assert sha.prune(context({1: 0.2}, at_rung([0.3]))) is True           # 2 values, top max(1, 0) = 1
    assert sha.prune(context({1: 0.3}, at_rung([0.3, 0.1]))) is False     # tie with the best


def test_judged_only_on_arrival_at_a_rung():
    sha = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    others = at_rung([0.9, 0.8, 0.7], rung=1) + [make_trial(10 + i, {1: 0.9, 2: 0.9, 3: 0.95}) for i in range(3)]
    assert sha.prune(context({0: 0.0}, others, number=20)) is False              # below the first rung
    assert sha.prune(context({0: 0.0, 1: 0.0}, others, number=20)) is True        # arrives at rung 1, worst
    # a trial promoted at rung 1 runs on through step 2 whatever happens, and is judged again at 3
    assert sha.prune(context({0: 0.0, 1: 0.99, 2: 0.0}, others, number=20)) is False
    assert sha.prune(context({0: 0.0, 1: 0.99, 2: 0.0, 3: 0.0}, others, number=20)) is True


def test_the_value_at_a_rung_is_the_first_report_at_or_beyond_it():
    sha = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    # these others reported only at steps 4 and 10: their rung-3 value is the step-4 report
    others = [make_trial(i, {4: 0.5 + 0.1 * i, 10: 0.99}) for i in range(3)]
    # rung-3 values 0.5, 0.6, 0.7 and this trial's: 4 values, so only the best goes on
    assert sha.prune(context({3: 0.75}, others)) is False   # would lose against the step-10 reports (0.99)
    assert sha.prune(context({3: 0.65}, others)) is True


def test_no_decision_at_or_beyond_max_resource():
    sha = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, max_resource=9)
    others = [make_trial(i, {1: 0.9, 3: 0.9, 9: 0.9}) for i in range(5)]
    assert sha.prune(context({1: 0.9, 3: 0.9, 9: 0.0}, others)) is False


def test_budget_follows_the_rungs():
    sha = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, max_resource=27)
    assert sha.budget(context({}, [])) == 1
    assert sha.budget(context({1: 0.5}, [])) == 3
    assert sha.budget(context({1: 0.5, 2: 0.5}, [])) == 3
    assert sha.budget(context({3: 0.5}, [])) == 9
    assert sha.budget(context({9: 0.5}, [])) == 27
    assert sha.budget(context({27: 0.5}, [])) == 27
    assert SuccessiveHalvingPruner(100, 2, min_early_stopping_rate=1).budget(context({}, [])) == 200


def test_auto_min_resource_waits_for_a_complete_trial():
    sha = SuccessiveHalvingPruner(min_resource="auto")
    bad = {1: 0.0}
    assert sha.budget(context(bad, [])) is None
    assert sha.prune(context(bad, at_rung([0.9, 0.9], state=TrialState.PRUNED))) is False
    done = make_trial(0, {s: 0.9 for s in range(1, 82)})  # 81 steps: min_resource = 81 // 27 = 3
    assert sha.resolve([done]) == (3, None)
    assert sha.budget(context({}, [done])) == 3
    assert sha.prune(context({3: 0.0}, [done])) is True
    # rounded up: 30 steps give 2 (rungs 2, 6, 18), not 1 (rungs 1, 3, 9, 27, one step short of the end)
    longer = make_trial(0, {s: 0.9 for s in range(1, 31)})
    both_auto = SuccessiveHalvingPruner(min_resource="auto", max_resource="auto")
    assert both_auto.resolve([longer]) == (2, 30)
    assert both_auto.rung_resources(2, 30, up_to=30) == [2, 6, 18]


@pytest.mark.parametrize("kwargs, field", [
    ({"min_resource": 0}, "min_resource"),
    ({"min_resource": "fast"}, "min_resource"),
    ({"reduction_factor": 1}, "reduction_factor"),
    ({"max_resource": 0}, "max_resource"),
    ({"min_early_stopping_rate": -1}, "min_early_stopping_rate"),
])
def test_rejects_bad_arguments(kwargs, field):
    with pytest.raises((ValueError, TypeError), match=f"SuccessiveHalvingPruner: argument '{field}'"):
        SuccessiveHalvingPruner(**kwargs)
    with pytest.raises(ValueError, match="'max_resource' \\(2\\) must be >= 'min_resource' \\(4\\)"):
        SuccessiveHalvingPruner(min_resource=4, max_resource=2)


def test_trial_budget_in_a_study_follows_the_rungs():
    seen: list[list[float]] = []

    def objective(trial):
        budgets = []
        spent = 0
        while True:
            budget = trial.budget
            budgets.append(budget)
            if spent >= budget:
                break
            spent = budget
            trial.report(trial.params.get("x", 0.0) + 0.0 * spent, step=spent)
            if trial.should_prune():
                seen.append(budgets)
                raise tunelab.TrialPruned()
        seen.append(budgets)
        return 1.0

    study = tunelab.create_study(direction="maximize", sampler="random", seed=0,
                                 pruner=SuccessiveHalvingPruner(1, 3, max_resource=27))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), objective(t))[1], n_trials=12)
    assert seen[0] == [1, 3, 9, 27, 27]                   # the first trial is promoted everywhere
    for budgets in seen:
        assert budgets[: len(budgets)] == [1, 3, 9, 27, 27][: len(budgets)]
    assert any(len(b) < 5 for b in seen)                  # and some later ones stopped early


# ---------------------------------------------------------------- concurrent workers
def check_promotions(log: list[tuple[int, int, float, bool]], eta: int) -> int:
    """Each (trial, rung, value, pruned) was decided against the rung values logged before it; count promotions."""
    seen: dict[int, list[float]] = {}
    promoted = 0
    for number, rung, value, pruned in log:
        before = seen.setdefault(rung, [])
        n_top = max(1, (len(before) + 1) // eta)
        in_top = sum(1 for v in before if v > value) < n_top
        assert pruned == (not in_top), f"trial {number} at rung {rung}: value {value}, earlier {sorted(before)}"
        promoted += not pruned
        before.append(value)
    return promoted


def test_asha_with_concurrent_threads_promotes_only_the_top_third():
    lock = threading.Lock()
    log: list[tuple[int, int, float, bool]] = []
    reached: dict[int, int] = {}

    def objective(trial):
        quality = trial.suggest_float("q", 0.0, 1.0)
        rng = random.Random(trial.number)
        for step in range(1, 28):
            time.sleep(rng.random() * 0.0005)  # let the threads interleave
            value = quality * (1 - 0.5 / step)
            with lock:  # report + verdict as one event, so the log order is the order the pruner saw
                trial.report(value, step)
                pruned = trial.should_prune()
                if step in (1, 3, 9):
                    log.append((trial.number, step, value, pruned))
                reached[trial.number] = step
            if pruned:
                raise tunelab.TrialPruned()
        return value

    study = tunelab.create_study(direction="maximize", sampler="random", seed=3,
                                 pruner=SuccessiveHalvingPruner(1, 3, max_resource=27))
    study.optimize(objective, n_trials=60, n_jobs=4)
    trials = study.trials
    assert len(trials) == 60
    numbers = [n for n, *_ in log]
    assert any(b < a for a, b in zip(numbers, numbers[1:])), "the workers did not interleave"
    promoted = check_promotions(log, eta=3)
    assert 0 < promoted < len(log)
    states = {t.number: t.state for t in trials}
    for number, rung, _, pruned in log:
        if pruned:  # stopped right at that rung, with its curve kept
            assert states[number] == TrialState.PRUNED and reached[number] == rung
            assert max(study.trials[number].intermediate_values) == rung
    promoted_at = {(number, rung) for number, rung, _, pruned in log if not pruned}
    for t in trials:  # nobody went past a rung without having been promoted there
        for rung in (1, 3, 9):
            if max(t.intermediate_values) > rung:
                assert (t.number, rung) in promoted_at
    n_complete = sum(s == TrialState.COMPLETE for s in states.values())
    assert 1 <= n_complete < 20


def test_asha_with_two_processes_over_sqlite(sqlite_url, tmp_path):
    import fcntl

    lock_path, log_path = tmp_path / "lock", tmp_path / "log"
    lock_path.touch()

    def objective(trial):
        quality = trial.suggest_float("q", 0.0, 1.0)
        for step in range(1, 10):
            value = quality * (1 - 0.5 / step)
            with open(lock_path) as lock:  # report + verdict as one event across processes
                fcntl.flock(lock, fcntl.LOCK_EX)
                trial.report(value, step)
                pruned = trial.should_prune()
                if step in (1, 3):
                    with open(log_path, "a") as log:
                        log.write(f"{trial.number} {step} {value!r} {int(pruned)} {os.getpid()}\n")
                fcntl.flock(lock, fcntl.LOCK_UN)
            if pruned:
                raise tunelab.TrialPruned()
        return value

    study = tunelab.create_study(name="asha-procs", storage=sqlite_url, direction="maximize", sampler="random",
                                 seed=5, pruner=SuccessiveHalvingPruner(1, 3, max_resource=9))
    study.optimize(objective, n_trials=24, n_jobs=2)
    rows = [line.split() for line in log_path.read_text().splitlines()]
    log = [(int(n), int(s), float(v), bool(int(p))) for n, s, v, p, _ in rows]
    assert len({pid for *_, pid in rows}) == 2          # both processes ran trials
    assert 0 < check_promotions(log, eta=3) < len(log)
    trials = tunelab.load_study("asha-procs", sqlite_url).trials
    assert len(trials) == 24
    for number, rung, _, pruned in log:
        if pruned:
            assert trials[number].state == TrialState.PRUNED and max(trials[number].intermediate_values) == rung
