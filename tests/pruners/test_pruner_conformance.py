"""The contract every pruner keeps.  To put a new pruner through it, add one line to CASES.

Properties checked on random curves (hypothesis; the other trials are complete,
pruned or running, with curves that skip steps and hold NaN), for each pruner as built by
its line: it is a pure, deterministic verdict (same answer twice and from a
fresh object, nothing in the context changed); it is direction-symmetric
(maximizing v decides like minimizing -v); a curve that beats every other one
at every step is never pruned; NaN is the worst value (a NaN report is pruned
whenever some number in its place would be); a worse latest value never turns
a prune into a keep (except the CV pruner, whose t-test can lose significance
when a fold gets worse and more spread); ``budget`` is None or a number that never
shrinks as the trial goes on (a trial is never sent back to a smaller target); the pruner pickles (spawned workers receive it) and prints
its class name.  ``test_every_registered_pruner_is_listed`` fails when a name
in ``tunelab.pruners.PRUNERS`` has no line here.
"""

from __future__ import annotations

import copy
import math
import pickle
from dataclasses import dataclass
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pruning_helpers import context, make_trial
from tunelab.pruners import PRUNERS, BasePruner, make_pruner
from tunelab.pruners.halving import SuccessiveHalvingPruner
from tunelab.pruners.hyperband import HyperbandPruner
from tunelab.pruners.patience import PatiencePruner
from tunelab.pruners.percentile import MedianPruner, PercentilePruner
from tunelab.pruners.threshold import ThresholdPruner
from tunelab.trial import TrialState


@dataclass(frozen=True)
class Case:
    """One pruner configuration under test."""

    id: str
    build: Callable[[], BasePruner]
    registry: tuple[str, ...] = ()  # the PRUNERS names this line stands for
    monotone: bool = True  # a worse latest value never turns a prune into a keep
    absolute_bounds: bool = False  # prunes values outside fixed bounds, however good


CASES = [
    Case("nop", lambda: make_pruner("none"), ("none", "nop")),
    Case("median", lambda: make_pruner("median"), ("median",)),
    Case("median-eager", lambda: MedianPruner(n_startup_trials=1, n_min_trials=1)),
    Case("percentile-25", lambda: PercentilePruner(25, n_startup_trials=1)),
    Case("threshold", lambda: make_pruner("threshold"), ("threshold",)),
    # symmetric bounds, so negating the values mirrors them; an upper bound on accuracy guards divergence, so a
    # worse value may fall back inside [lower, upper]: not monotone
    Case("threshold-bounds", lambda: ThresholdPruner(lower=-0.5, upper=0.5), monotone=False, absolute_bounds=True),
    Case("patience", lambda: make_pruner("patience"), ("patience",)),
    Case("patience-2-median", lambda: PatiencePruner(MedianPruner(n_startup_trials=1), patience=2)),
    Case("asha", lambda: make_pruner("asha"), ("asha", "sha", "successive_halving")),
    Case("asha-eta2-max4", lambda: SuccessiveHalvingPruner(1, 2, max_resource=4)),
    Case("asha-auto", lambda: SuccessiveHalvingPruner("auto", 2, max_resource="auto")),
    Case("hyperband", lambda: make_pruner("hyperband"), ("hyperband",)),
    Case("hyperband-1-6-2", lambda: HyperbandPruner(1, 6, 2)),
    Case("cv", lambda: make_pruner("cv"), ("cv",), monotone=False),
    Case("wilcoxon", lambda: make_pruner("wilcoxon"), ("wilcoxon",)),
]
IDS = [c.id for c in CASES]

values = st.floats(0.0, 1.0, allow_nan=False)
# the judged trial: reports at steps 0, 1, ...; half the draws are low curves, which most pruners stop
curves = st.one_of(st.lists(values, min_size=1, max_size=6), st.lists(st.floats(0.0, 0.3), min_size=1, max_size=9))
# other trials: (curve, state); their curves may skip steps (halving reports only at rungs) and hold NaN;
# numbers are their positions, the judged trial comes last.  Half the draws are several long, high, complete
# curves, so that the properties about pruned trials get pruned trials to check (test_cases_reach_a_prune)
other_curves = st.dictionaries(st.integers(0, 8), st.one_of(values, st.just(math.nan)), min_size=1, max_size=6)
any_others = st.lists(st.tuples(other_curves, st.sampled_from([TrialState.COMPLETE, TrialState.PRUNED,
                                                               TrialState.RUNNING])), min_size=0, max_size=8)
strong_others = st.lists(st.tuples(st.dictionaries(st.integers(0, 8), st.floats(0.6, 1.0), min_size=7, max_size=9),
                                   st.just(TrialState.COMPLETE)), min_size=4, max_size=8)
others_strategy = st.one_of(any_others, strong_others)
directions = st.sampled_from(["maximize", "minimize"])
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def build_others(others, sign: float = 1.0):
    return [make_trial(i, {s: sign * v for s, v in dict(curve).items()}, state) for i, (curve, state) in enumerate(others)]


def verdict(case: Case, curve, others, direction: str, sign: float = 1.0) -> bool:
    ctx = context([sign * v for v in curve], build_others(others, sign), direction=direction)
    return case.build().prune(ctx)


def test_every_registered_pruner_is_listed():
    listed = {name for case in CASES for name in case.registry}
    assert set(PRUNERS) <= listed, f"PRUNERS names with no conformance line: {sorted(set(PRUNERS) - listed)}"


@pytest.mark.parametrize("case", [c for c in CASES if c.id not in ("nop", "threshold")],
                         ids=[c.id for c in CASES if c.id not in ("nop", "threshold")])
def test_cases_reach_a_prune(case):
    """Each pruner that can prune does so on some draw of the strategies, so the prune-only properties check it."""
    found = []

    @settings(max_examples=200, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(curve=curves, others=others_strategy, direction=directions)
    def search(curve, others, direction):
        if verdict(case, curve, others, direction):
            found.append(1)

    search()
    assert found, f"{case.id}: no draw was pruned; the strategies never exercise its prune branch"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_no_report_is_never_pruned(case):
    ctx = context([], build_others([({0: 0.5, 1: 0.6}, TrialState.COMPLETE)] * 4))
    pruner = case.build()
    assert pruner.prune(ctx) is False
    assert pruner.budget(ctx) is None or pruner.budget(ctx) >= 0


@pytest.mark.parametrize("case", CASES, ids=IDS)
@SETTINGS
@given(curve=curves, others=others_strategy, direction=directions)
def test_verdict_is_pure_and_deterministic(case, curve, others, direction):
    ctx = context(curve, build_others(others), direction=direction)
    snapshot = copy.deepcopy(ctx)
    pruner = case.build()
    first = pruner.prune(ctx)
    assert isinstance(first, bool)
    assert pruner.prune(ctx) is first
    assert case.build().prune(ctx) is first
    assert ctx == snapshot  # nothing in the context was changed


@pytest.mark.parametrize("case", CASES, ids=IDS)
@SETTINGS
@given(curve=curves, others=others_strategy)
def test_minimizing_the_negated_values_decides_alike(case, curve, others):
    assert verdict(case, curve, others, "maximize") is verdict(case, curve, others, "minimize", sign=-1.0)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@SETTINGS
@given(n_steps=st.integers(1, 6), others=others_strategy, direction=directions)
def test_a_curve_above_all_others_at_every_step_is_kept(case, n_steps, others, direction):
    if case.absolute_bounds:
        return
    sign = 1.0 if direction == "maximize" else -1.0
    dominant = [sign * (1.5 + 0.1 * i) for i in range(n_steps)]  # better than [0, 1] and improving each step
    ctx = context(dominant, build_others(others, sign), direction=direction)
    assert case.build().prune(ctx) is False


@pytest.mark.parametrize("case", CASES, ids=IDS)
@SETTINGS
@given(curve=curves, others=others_strategy, direction=directions)
def test_nan_is_the_worst_value(case, curve, others, direction):
    with_nan = curve[:-1] + [math.nan]
    if verdict(case, curve, others, direction):
        assert verdict(case, with_nan, others, direction), "a NaN report was kept where a number was pruned"


@pytest.mark.parametrize("case", [c for c in CASES if c.monotone], ids=[c.id for c in CASES if c.monotone])
@SETTINGS
@given(curve=curves, others=others_strategy, direction=directions, drop=st.floats(0.0, 1.0))
def test_a_worse_latest_value_is_pruned_too(case, curve, others, direction, drop):
    if not verdict(case, curve, others, direction):
        return
    worse = curve[:-1] + [curve[-1] - drop if direction == "maximize" else curve[-1] + drop]
    assert verdict(case, worse, others, direction)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@SETTINGS
@given(curve=curves, others=others_strategy, direction=directions)
def test_budget_never_shrinks_as_the_trial_goes_on(case, curve, others, direction):
    pruner, previous = case.build(), None
    for k in range(1, len(curve) + 1):
        budget = pruner.budget(context(curve[:k], build_others(others), direction=direction))
        assert budget is None or (math.isfinite(budget) and budget >= 0)
        if budget is not None and previous is not None:
            assert budget >= previous, f"budget went from {previous} to {budget} at step {k - 1}"
        previous = budget if budget is not None else previous


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_pickles_and_prints_its_class(case):
    pruner = case.build()
    copy_ = pickle.loads(pickle.dumps(pruner))
    assert type(copy_) is type(pruner) and vars(copy_).keys() == vars(pruner).keys()
    assert repr(pruner).startswith(type(pruner).__name__)
    ctx = context([0.2, 0.1], build_others([({0: 0.5, 1: 0.9}, TrialState.COMPLETE)] * 5))
    assert copy_.prune(ctx) is pruner.prune(ctx)
