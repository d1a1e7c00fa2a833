"""Median, percentile, threshold and patience pruners on hand-made curves."""

from __future__ import annotations

import math

import pytest
from pruning_helpers import context, make_trial

from tunelab.pruners import PRUNERS, make_pruner
from tunelab.pruners.patience import PatiencePruner
from tunelab.pruners.percentile import MedianPruner, PercentilePruner
from tunelab.pruners.threshold import ThresholdPruner
from tunelab.trial import TrialState

# five complete accuracy curves over steps 0..4; at step 2 they read 0.5, 0.6, 0.7, 0.8, 0.9
FIVE = [make_trial(i, [0.1 * (i + 1), 0.3 + 0.1 * i, 0.5 + 0.1 * i, 0.5 + 0.1 * i, 0.5 + 0.1 * i])
        for i in range(5)]


# ---------------------------------------------------------------- median / percentile
def test_median_prunes_the_worst_and_keeps_the_best():
    pruner = MedianPruner()
    assert pruner.prune(context([0.0, 0.1, 0.2], FIVE)) is True       # below every other curve
    assert pruner.prune(context([0.9, 0.9, 0.95], FIVE)) is False     # above every other curve
    # best-so-far is compared: a dip after a good report does not prune
    assert pruner.prune(context([0.9, 0.95, 0.1], FIVE)) is False


def test_median_compares_best_so_far_against_the_median_of_others():
    pruner = MedianPruner()
    # others' best up to step 2: 0.5, 0.6, 0.7, 0.8, 0.9 -> median 0.7
    assert pruner.prune(context([0.0, 0.0, 0.69], FIVE)) is True
    assert pruner.prune(context([0.0, 0.0, 0.71], FIVE)) is False


def test_median_is_direction_aware():
    pruner = MedianPruner()
    low = [0.0, 0.0, 0.0]
    assert pruner.prune(context(low, FIVE, direction="maximize")) is True
    assert pruner.prune(context(low, FIVE, direction="minimize")) is False
    high = [2.0, 2.0, 2.0]
    assert pruner.prune(context(high, FIVE, direction="minimize")) is True


def test_median_honours_warmup_startup_interval_and_min_trials():
    bad = [0.0, 0.0, 0.0]
    assert MedianPruner(n_warmup_steps=3).prune(context(bad, FIVE)) is False
    assert MedianPruner(n_warmup_steps=2).prune(context(bad, FIVE)) is True
    assert MedianPruner(n_startup_trials=6).prune(context(bad, FIVE)) is False
    assert MedianPruner(interval_steps=2).prune(context(bad, FIVE)) is True       # step 2 is on the grid
    assert MedianPruner(interval_steps=2).prune(context(bad[:2], FIVE)) is False  # step 1 is not
    assert MedianPruner(n_min_trials=6).prune(context(bad, FIVE)) is False
    # pruned trials count as comparisons but not as completed start-up trials
    pruned = [make_trial(i, t.intermediate_values, TrialState.PRUNED) for i, t in enumerate(FIVE)]
    assert MedianPruner(n_startup_trials=1).prune(context(bad, pruned)) is False
    assert MedianPruner(n_startup_trials=0).prune(context(bad, pruned)) is True


def test_median_ignores_running_and_failed_trials_and_prunes_nan():
    running = [make_trial(10 + i, [1.0, 1.0, 1.0], TrialState.RUNNING) for i in range(9)]
    failed = [make_trial(30 + i, [1.0, 1.0, 1.0], TrialState.FAIL) for i in range(9)]
    assert MedianPruner().prune(context([0.0, 0.0, 0.75], FIVE + running + failed, number=50)) is False
    assert MedianPruner().prune(context([0.9, 0.9, math.nan], FIVE)) is True
    assert MedianPruner().prune(context([0.9], [])) is False  # nobody to compare with


def test_percentile_keeps_the_requested_share():
    value = [0.0, 0.0, 0.75]  # between the 4th (0.7) and 5th (0.8) of five: in the top half, not top quarter
    assert PercentilePruner(50).prune(context(value, FIVE)) is False
    assert PercentilePruner(25).prune(context(value, FIVE)) is True
    assert PercentilePruner(100).prune(context([0.0, 0.0, 0.49], FIVE)) is True
    assert PercentilePruner(100).prune(context([0.0, 0.0, 0.51], FIVE)) is False


@pytest.mark.parametrize("kwargs, field", [
    ({"percentile": 101}, "percentile"),
    ({"percentile": 50, "n_startup_trials": -1}, "n_startup_trials"),
    ({"percentile": 50, "interval_steps": 0}, "interval_steps"),
    ({"percentile": 50, "n_min_trials": 0}, "n_min_trials"),
    ({"percentile": 50, "n_warmup_steps": 1.5}, "n_warmup_steps"),
])
def test_percentile_rejects_bad_arguments(kwargs, field):
    with pytest.raises((ValueError, TypeError), match=f"PercentilePruner: argument '{field}'"):
        PercentilePruner(**kwargs)


# ---------------------------------------------------------------- threshold
def test_threshold_bounds_and_warmup():
    pruner = ThresholdPruner(lower=0.2, upper=0.9, n_warmup_steps=2)
    assert pruner.prune(context([0.1], [])) is False              # in warm-up
    assert pruner.prune(context([0.5, 0.5, 0.1], [])) is True     # below lower
    assert pruner.prune(context([0.5, 0.5, 0.95], [])) is True    # above upper
    assert pruner.prune(context([0.5, 0.5, 0.5], [])) is False


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_threshold_prunes_non_finite_at_once(bad):
    assert ThresholdPruner(n_warmup_steps=100).prune(context([bad], [])) is True
    assert make_pruner("threshold").prune(context([0.3, bad], [])) is True
    assert make_pruner("threshold").prune(context([0.3, 1e30], [])) is False


def test_threshold_rejects_bad_bounds():
    with pytest.raises(ValueError, match="'lower' \\(2.0\\) must be <= 'upper' \\(1.0\\)"):
        ThresholdPruner(lower=2.0, upper=1.0)
    with pytest.raises(ValueError, match="ThresholdPruner: argument 'lower'"):
        ThresholdPruner(lower="low")


# ---------------------------------------------------------------- patience
def test_patience_prunes_a_stalled_curve_only():
    pruner = PatiencePruner(patience=2)
    assert pruner.prune(context([0.5, 0.6, 0.6, 0.55], [])) is True     # last two no better than 0.6
    assert pruner.prune(context([0.5, 0.6, 0.6, 0.61], [])) is False    # 0.61 improved
    assert pruner.prune(context([0.5, 0.5], [])) is False               # not enough reports yet
    assert PatiencePruner(patience=2, min_delta=0.05).prune(context([0.5, 0.6, 0.6, 0.61], [])) is True


def test_patience_is_direction_aware():
    curve = [1.0, 0.8, 0.6, 0.4]  # a falling loss: improving when minimising, stalled when maximising
    assert PatiencePruner(patience=2).prune(context(curve, [], direction="minimize")) is False
    assert PatiencePruner(patience=2).prune(context(curve, [], direction="maximize")) is True


def test_patience_asks_the_wrapped_pruner_once_stalled():
    stalled_but_good = [0.9, 0.95, 0.95, 0.95]
    stalled_and_bad = [0.0, 0.1, 0.1, 0.1]
    improving_and_bad = [0.0, 0.01, 0.02, 0.03]
    wrapped = PatiencePruner(MedianPruner(), patience=2)
    others = [make_trial(i, [0.5 + 0.05 * i] * 4) for i in range(5)]
    assert wrapped.prune(context(stalled_but_good, others)) is False
    assert wrapped.prune(context(stalled_and_bad, others)) is True
    assert wrapped.prune(context(improving_and_bad, others)) is False
    with pytest.raises(ValueError, match="PatiencePruner: argument 'patience'"):
        PatiencePruner(patience=0)
    with pytest.raises(ValueError, match="PatiencePruner: argument 'wrapped' must be a pruner object"):
        PatiencePruner(wrapped="median")


# ---------------------------------------------------------------- registry
def test_registry_builds_every_name_and_rejects_unknown_ones():
    expected = {"none", "nop", "median", "threshold", "patience", "asha", "sha", "successive_halving",
                "hyperband", "cv"}
    assert expected <= set(PRUNERS)
    for name in PRUNERS:
        assert make_pruner(name).prune(context([0.5], [])) is False
    asha = make_pruner("asha")
    assert (asha.min_resource, asha.reduction_factor) == (1, 3)
    with pytest.raises(ValueError, match="unknown pruner 'percentile'"):
        make_pruner("percentile")
