"""The pruner contract as a test class: subclass it and say how to build your pruner.

::

    from tunelab.testing import PrunerSuite

    class TestMyPruner(PrunerSuite):
        pruner_factory = MyPruner            # called with no arguments

What it checks, on random curves (hypothesis; the other trials are complete,
pruned or running, with curves that skip steps and hold NaN): the verdict is a
pure, deterministic function of the context (the same twice and from a fresh
object, the context untouched); maximizing v decides like minimizing -v; a curve
above every other at every step is kept; NaN is the worst value (a NaN report is
pruned whenever some number in its place would be); a worse latest value never
turns a prune into a keep; ``budget`` is None or a number that never shrinks as
the trial goes on; a trial without reports is kept; the pruner pickles and prints
its class name; and it prunes on some draw, so the prune-only properties apply.

Flags (class attributes): ``monotone`` (False: a worse value may be kept, as with an
upper bound on accuracy or a t-test), ``absolute_bounds`` (True: prunes values outside
fixed bounds however good, so the dominant-curve property does not apply),
``can_prune`` (False for a pruner that never prunes numbers, like the no-op one).
A test that does not apply to the flags is not collected.
"""

from __future__ import annotations

import copy
import inspect
import math
import pickle
from typing import Any, Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tunelab.pruners.base import BasePruner, PruningContext
from tunelab.testing._suite import drop_flagged_tests
from tunelab.trial import FrozenTrial, StudyDirection, TrialState


def make_trial(number: int, curve: dict[int, float] | Sequence[float], state: TrialState = TrialState.COMPLETE,
               first_step: int = 0) -> FrozenTrial:
    """A trial whose curve is a {step: value} dict or a list of values at steps first_step, first_step+1, ..."""
    iv = dict(curve) if isinstance(curve, dict) else {first_step + i: float(v) for i, v in enumerate(curve)}
    values = [iv[max(iv)]] if state == TrialState.COMPLETE and iv else None
    return FrozenTrial(number=number, trial_id=number, state=state, values=values, intermediate_values=iv)


def context(current: Sequence[float], others: Sequence[FrozenTrial], direction: str = "maximize") -> PruningContext:
    """The pruner's view: the judged (running) trial's curve, numbered after the others."""
    trial = make_trial(len(others), current, TrialState.RUNNING)
    return PruningContext(trial=trial, trials=list(others), direction=StudyDirection.parse(direction))


values = st.floats(0.0, 1.0, allow_nan=False)
# the judged trial: reports at steps 0, 1, ...; half the draws are low curves, which most pruners stop
curves = st.one_of(st.lists(values, min_size=1, max_size=6), st.lists(st.floats(0.0, 0.3), min_size=1, max_size=9))
# other trials: (curve, state); their curves may skip steps (halving reports only at rungs) and hold NaN; half
# the draws are several long, high, complete curves, so that the prune-only properties get pruned trials to check
other_curves = st.dictionaries(st.integers(0, 8), st.one_of(values, st.just(math.nan)), min_size=1, max_size=6)
any_others = st.lists(st.tuples(other_curves, st.sampled_from([TrialState.COMPLETE, TrialState.PRUNED,
                                                               TrialState.RUNNING])), min_size=0, max_size=8)
strong_others = st.lists(st.tuples(st.dictionaries(st.integers(0, 8), st.floats(0.6, 1.0), min_size=7, max_size=9),
                                   st.just(TrialState.COMPLETE)), min_size=4, max_size=8)
others_strategy = st.one_of(any_others, strong_others)
directions = st.sampled_from(["maximize", "minimize"])
# each subclass runs the same @given methods on its own pruner: one method, several executors, by design
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors])


def build_others(others: Sequence[tuple[dict, TrialState]], sign: float = 1.0) -> list[FrozenTrial]:
    return [make_trial(i, {s: sign * v for s, v in dict(curve).items()}, state)
            for i, (curve, state) in enumerate(others)]


_NEEDS = {"monotone": ["test_a_worse_latest_value_is_pruned_too"], "can_prune": ["test_prunes_on_some_draw"]}
_NOT_WITH = {"absolute_bounds": ["test_a_curve_above_all_others_at_every_step_is_kept"]}


class PrunerSuite:
    """The contract every pruner keeps; set ``pruner_factory`` (and the flags) in a subclass."""

    pruner_factory: Any = None
    monotone: bool = True
    absolute_bounds: bool = False
    can_prune: bool = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        drop_flagged_tests(cls, _NEEDS, _NOT_WITH)

    def build(self) -> BasePruner:
        """A fresh pruner from ``pruner_factory`` (a class or a function of no arguments)."""
        factory = inspect.getattr_static(self, "pruner_factory")
        factory = factory.__func__ if isinstance(factory, staticmethod) else factory
        if factory is None:
            raise TypeError(f"{type(self).__name__}: set pruner_factory to your pruner class or to a function "
                            f"() -> pruner")
        return factory()

    def verdict(self, curve: Sequence[float], others: Sequence, direction: str, sign: float = 1.0) -> bool:
        return self.build().prune(context([sign * v for v in curve], build_others(others, sign), direction))

    # ------------------------------------------------------------------ the contract
    def test_prunes_on_some_draw(self):
        """The pruner prunes on some draw of the strategies, so the prune-only properties check it."""
        found = []

        @settings(max_examples=200, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(curve=curves, others=others_strategy, direction=directions)
        def search(curve, others, direction):
            if self.verdict(curve, others, direction):
                found.append(1)

        search()
        assert found, f"{type(self).__name__}: no draw was pruned; the strategies never exercise its prune branch"

    def test_no_report_is_never_pruned(self):
        ctx = context([], build_others([({0: 0.5, 1: 0.6}, TrialState.COMPLETE)] * 4))
        pruner = self.build()
        assert pruner.prune(ctx) is False
        assert pruner.budget(ctx) is None or pruner.budget(ctx) >= 0

    @SETTINGS
    @given(curve=curves, others=others_strategy, direction=directions)
    def test_verdict_is_pure_and_deterministic(self, curve, others, direction):
        ctx = context(curve, build_others(others), direction=direction)
        snapshot = copy.deepcopy(ctx)
        pruner = self.build()
        first = pruner.prune(ctx)
        assert isinstance(first, bool)
        assert pruner.prune(ctx) is first
        assert self.build().prune(ctx) is first
        assert ctx == snapshot  # nothing in the context was changed

    @SETTINGS
    @given(curve=curves, others=others_strategy)
    def test_minimizing_the_negated_values_decides_alike(self, curve, others):
        assert self.verdict(curve, others, "maximize") is self.verdict(curve, others, "minimize", sign=-1.0)

    @SETTINGS
    @given(n_steps=st.integers(1, 6), others=others_strategy, direction=directions)
    def test_a_curve_above_all_others_at_every_step_is_kept(self, n_steps, others, direction):
        sign = 1.0 if direction == "maximize" else -1.0
        dominant = [sign * (1.5 + 0.1 * i) for i in range(n_steps)]  # better than [0, 1] and improving each step
        ctx = context(dominant, build_others(others, sign), direction=direction)
        assert self.build().prune(ctx) is False

    @SETTINGS
    @given(curve=curves, others=others_strategy, direction=directions)
    def test_nan_is_the_worst_value(self, curve, others, direction):
        with_nan = curve[:-1] + [math.nan]
        if self.verdict(curve, others, direction):
            assert self.verdict(with_nan, others, direction), "a NaN report was kept where a number was pruned"

    @SETTINGS
    @given(curve=curves, others=others_strategy, direction=directions, drop=st.floats(0.0, 1.0))
    def test_a_worse_latest_value_is_pruned_too(self, curve, others, direction, drop):
        if not self.verdict(curve, others, direction):
            return
        worse = curve[:-1] + [curve[-1] - drop if direction == "maximize" else curve[-1] + drop]
        assert self.verdict(worse, others, direction)

    @SETTINGS
    @given(curve=curves, others=others_strategy, direction=directions)
    def test_budget_never_shrinks_as_the_trial_goes_on(self, curve, others, direction):
        pruner, previous = self.build(), None
        for k in range(1, len(curve) + 1):
            budget = pruner.budget(context(curve[:k], build_others(others), direction=direction))
            assert budget is None or (math.isfinite(budget) and budget >= 0)
            if budget is not None and previous is not None:
                assert budget >= previous, f"budget went from {previous} to {budget} at step {k - 1}"
            previous = budget if budget is not None else previous

    def test_pickles_and_prints_its_class(self):
        pruner = self.build()
        copy_ = pickle.loads(pickle.dumps(pruner))
        assert type(copy_) is type(pruner) and vars(copy_).keys() == vars(pruner).keys()
        assert repr(pruner).startswith(type(pruner).__name__)
        ctx = context([0.2, 0.1], build_others([({0: 0.5, 1: 0.9}, TrialState.COMPLETE)] * 5))
        assert copy_.prune(ctx) is pruner.prune(ctx)
