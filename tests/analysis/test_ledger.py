"""The pruning ledger's sums against hand-counted trials."""

from __future__ import annotations

import datetime as dt

import pytest
from analysis_helpers import T0, mixed_study

from tunelab.analysis import StudyView, pruning_ledger
from tunelab.trial import FrozenTrial, StudyDirection, TrialState


def _trial(number, state, steps, values=None, seconds=None, start=0):
    curve = {s: v for s, v in zip(range(start, start + len(values or [])), values or [])} if values else \
        {s: 1.0 for s in range(start, start + steps)}
    begin = T0 + dt.timedelta(seconds=10 * number)
    end = begin + dt.timedelta(seconds=seconds if seconds is not None else steps)
    final = [curve[max(curve)]] if curve and state != TrialState.FAIL else None
    return FrozenTrial(number, number, state, final, {"x": 0.1 * number}, {}, curve,
                       datetime_start=begin, datetime_complete=end)


def test_sums_equal_the_trials_steps():
    study = mixed_study(n=40, prune_every=4)  # 10 pruned after 3 steps, 30 complete after 10
    led = pruning_ledger(study)
    assert led.unit == "steps"
    assert (led.n_complete, led.n_pruned, led.n_failed) == (30, 10, 0)
    assert led.spent_complete == 30 * 10
    assert led.spent_pruned == 10 * 3
    assert led.spent == sum(len(t.intermediate_values) for t in study.trials)
    assert led.full_length == 10
    assert led.saved == 10 * (10 - 3)
    assert led.saved_share == pytest.approx(70 / (330 + 70))
    assert sum(c.spent for c in led.trials) == led.spent


def test_one_based_steps_and_failed_trials():
    trials = [_trial(0, TrialState.COMPLETE, 5, start=1), _trial(1, TrialState.PRUNED, 2, start=1),
              _trial(2, TrialState.FAIL, 1, start=1)]
    led = pruning_ledger(StudyView(trials))
    assert (led.spent_complete, led.spent_pruned, led.spent_failed) == (5, 2, 1)
    assert led.saved == 3


def test_on_track_reads_the_complete_trials_at_that_step():
    # minimizing; at step 2 the complete trials stand at 0.1 ... 1.0
    complete = [_trial(i, TrialState.COMPLETE, 0, values=[1.0, 1.0, 0.1 * (i + 1), 0.1 * (i + 1)])
                for i in range(10)]
    good = _trial(10, TrialState.PRUNED, 0, values=[1.0, 1.0, 0.05])  # better than all at step 2
    bad = _trial(11, TrialState.PRUNED, 0, values=[1.0, 1.0, 0.95])  # in the top 10 % when maximizing
    led = pruning_ledger(StudyView(complete + [good, bad]))
    assert led.on_track == [10]
    maxi = pruning_ledger(StudyView(complete + [good, bad], [StudyDirection.MAXIMIZE]))
    assert maxi.on_track == [11]


def test_seconds_when_nothing_was_reported():
    trials = [FrozenTrial(i, i, TrialState.COMPLETE if i < 3 else TrialState.PRUNED, [1.0], {}, {},
                          datetime_start=T0, datetime_complete=T0 + dt.timedelta(seconds=10 if i < 3 else 4))
              for i in range(5)]
    led = pruning_ledger(StudyView(trials))
    assert led.unit == "seconds"
    assert led.spent_complete == 30 and led.spent_pruned == 8
    assert led.full_length == 10 and led.saved == 12


def test_seconds_scale_by_steps():
    complete = _trial(0, TrialState.COMPLETE, 10, seconds=20)
    pruned = _trial(1, TrialState.PRUNED, 2, seconds=4)
    led = pruning_ledger(StudyView([complete, pruned]), unit="seconds")
    assert led.spent == 24 and led.saved == pytest.approx(16)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unit"):
        pruning_ledger(StudyView([]), unit="epochs")
    with pytest.raises(ValueError, match="top_quantile"):
        pruning_ledger(StudyView([]), top_quantile=0)
    empty = pruning_ledger(StudyView([]))
    assert empty.spent == 0 and empty.saved_share == 0
