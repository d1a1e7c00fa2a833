"""FidelitySampler: learning from every budget level, pruned trials included."""

from __future__ import annotations

import numpy as np
import pytest
from sampler_helpers import make_trial

import tunelab
from tunelab.samplers.base import BaseSampler, SamplingContext
from tunelab.samplers.fidelity import FidelitySampler, budget_levels, fidelity_sampler, level_view
from tunelab.space import FloatDistribution
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

X = FloatDistribution(0.0, 1.0)


def with_x(trial: FrozenTrial, x: float) -> FrozenTrial:
    trial.params, trial.distributions = {"x": x}, {"x": X}
    return trial


class BestOfView(BaseSampler):
    """Stand-in model-based sampler: proposes the best x of the trials it is shown, and records them."""

    def __init__(self, seed=None):
        super().__init__(seed)
        self.seen: list[list[FrozenTrial]] = []

    def sample_independent(self, context, name, distribution):
        complete = [t for t in context.trials if t.state == TrialState.COMPLETE]
        self.seen.append(list(context.trials))
        best = min(complete, key=lambda t: context.direction.sign() * t.values[0])
        return best.params[name]


def test_levels_group_reports_by_step():
    trials = [with_x(make_trial(0, {1: 0.5, 3: 0.7}), 0.1),
              with_x(make_trial(1, {1: 0.6}, TrialState.PRUNED), 0.2),
              with_x(make_trial(2, {1: 0.4, 3: 0.3}, TrialState.RUNNING), 0.3),
              with_x(make_trial(3, {1: 0.9}, TrialState.FAIL), 0.4),
              with_x(FrozenTrial(4, 4, TrialState.COMPLETE, values=[0.8]), 0.5)]
    levels = budget_levels(trials)
    assert {k: [(t.number, v) for t, v in items] for k, items in levels.items()} == {
        1: [(0, 0.5), (1, 0.6), (2, 0.4)], 3: [(0, 0.7), (2, 0.3)], float("inf"): [(4, 0.8)]}
    level, view = level_view(trials, min_points=2)
    assert level == 3
    # reports at step 3 become COMPLETE values; trial 1, stopped at step 1, stays PRUNED (it lost earlier)
    assert [(t.number, t.state, t.values) for t in view] == [(0, TrialState.COMPLETE, [0.7]),
                                                             (1, TrialState.PRUNED, None),
                                                             (2, TrialState.COMPLETE, [0.3])]
    level, view = level_view(trials, min_points=3)
    assert level == 1 and [t.values[0] for t in view] == [0.5, 0.6, 0.4]
    running = with_x(make_trial(5, {1: 0.1}, TrialState.RUNNING), 0.6)
    _, view = level_view(trials + [running], min_points=2)
    assert [(t.number, t.state) for t in view][-1] == (5, TrialState.RUNNING)
    assert trials[1].state == TrialState.PRUNED and trials[1].values is None  # the originals are untouched
    assert level_view(trials, min_points=4) == (None, [])


def test_base_sampler_sees_the_highest_level_with_enough_points():
    base = BestOfView()
    sampler = FidelitySampler(base=base, min_points=3, seed=0, random_fraction=0.0, adaptive=False)
    # at step 1 trial 1 (pruned) is best; at step 3 only two trials: not enough, so step 1 is used
    trials = [with_x(make_trial(0, {1: 0.5, 3: 0.9}), 0.1), with_x(make_trial(1, {1: 0.8}, TrialState.PRUNED), 0.7),
              with_x(make_trial(2, {1: 0.2, 3: 0.3}, TrialState.PRUNED), 0.3)]
    ctx = SamplingContext(load_trials=lambda: trials, directions=[StudyDirection.MAXIMIZE], trial_number=3)
    assert sampler.sample_independent(ctx, "x", X) == 0.7
    assert sampler.last_level == 1
    assert [t.values for t in base.seen[-1]] == [[0.5], [0.8], [0.2]]
    trials.append(with_x(make_trial(3, {1: 0.1, 3: 0.1}, TrialState.PRUNED), 0.9))
    ctx = SamplingContext(load_trials=lambda: trials, directions=[StudyDirection.MAXIMIZE], trial_number=4)
    assert sampler.sample_independent(ctx, "x", X) == 0.1   # step 3 now has 3 points: trial 0 is best there
    assert sampler.last_level == 3


def test_random_until_a_level_has_enough_points():
    base = BestOfView()
    sampler = FidelitySampler(base=base, min_points=5, seed=0, random_fraction=0.0, adaptive=False)
    trials = [with_x(make_trial(i, {1: 0.1 * i}), 0.1 * i) for i in range(4)]
    ctx = SamplingContext(load_trials=lambda: trials, directions=[StudyDirection.MAXIMIZE], trial_number=4)
    draws = {sampler.sample_independent(ctx, "x", X) for _ in range(5)}
    assert base.seen == [] and sampler.last_level is None
    assert len(draws) == 5 and all(0 <= d <= 1 for d in draws)


def test_with_asha_it_learns_from_pruned_trials_in_a_study():
    base = BestOfView()
    # no level floor: in this short run the levels above step 3 fill up with complete trials at once
    sampler = FidelitySampler(base=base, min_points=4, seed=1, random_fraction=0.0, min_level_share=0.0, adaptive=False)

    def objective(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        for step in range(1, 10):
            trial.report(-(x - 0.8) ** 2 * (1 + 1 / step), step)
            if trial.should_prune():
                raise tunelab.TrialPruned()
        return -(x - 0.8) ** 2

    study = tunelab.create_study(direction="maximize", sampler=sampler, pruner="asha")
    study.optimize(objective, n_trials=30)
    assert base.seen, "the base sampler was never used"
    # the base sampler was shown pruned trials' intermediate values as COMPLETE values
    pruned = {t.number for t in study.trials if t.state == TrialState.PRUNED}
    assert any(t.number in pruned and t.state == TrialState.COMPLETE for view in base.seen for t in view)
    # once it took over, every proposal is the best x at some level: earlier trials' values come back
    xs = [t.params["x"] for t in study.trials]
    assert len(set(xs)) < len(xs)


def test_with_tpe_the_search_concentrates_near_the_optimum():
    def objective(trial):
        x = trial.suggest_float("x", -5.0, 5.0)
        y = trial.suggest_float("y", -5.0, 5.0)
        for step in range(1, 10):
            trial.report((x - 1) ** 2 + (y + 2) ** 2 + 1.0 / step, step)
            if trial.should_prune():
                raise tunelab.TrialPruned()
        return (x - 1) ** 2 + (y + 2) ** 2

    sampler = FidelitySampler(base="tpe", seed=0, random_fraction=0.0, adaptive=False)
    study = tunelab.create_study(direction="minimize", sampler=sampler, pruner="asha", seed=0)
    study.optimize(objective, n_trials=80)
    distance = [np.hypot(t.params["x"] - 1, t.params["y"] + 2) for t in study.trials]
    assert sampler.last_level is not None
    assert np.median(distance[-30:]) < 0.5 * np.median(distance[:10])
    assert study.best_value < 0.5


def test_fidelity_sampler_helper_and_errors():
    from tunelab.pruners import make_pruner

    assert isinstance(fidelity_sampler(make_pruner("asha"), seed=0), FidelitySampler)
    assert type(fidelity_sampler(None, seed=0)).__name__ == "TPESampler"
    assert type(fidelity_sampler(make_pruner("none"), seed=0)).__name__ == "TPESampler"
    with pytest.raises(ValueError, match="FidelitySampler: argument 'min_points'"):
        FidelitySampler(min_points=0)
    with pytest.raises(ValueError, match="unknown sampler 'nope'"):
        FidelitySampler(base="nope")


def test_random_fraction_one_never_asks_the_base_sampler():
    base = BestOfView()
    sampler = FidelitySampler(base=base, min_points=1, seed=0, random_fraction=1.0)
    trials = [with_x(make_trial(i, {1: 0.1 * i}), 0.1 * i) for i in range(4)]
    ctx = SamplingContext(load_trials=lambda: trials, directions=[StudyDirection.MAXIMIZE], trial_number=4)
    assert 0 <= sampler.sample_independent(ctx, "x", X) <= 1
    assert base.seen == [] and sampler.last_level is None
    with pytest.raises(ValueError, match="FidelitySampler: argument 'random_fraction'"):
        FidelitySampler(random_fraction=1.5)


def test_levels_below_a_share_of_the_longest_curve_are_not_modelled():
    # 12 trials stopped at step 1 (enough points there), 3 trials ran to step 27
    trials = [with_x(make_trial(i, {1: 0.1 * i}, TrialState.PRUNED), 0.05 * i) for i in range(12)]
    trials += [with_x(make_trial(12 + i, {1: 0.5, 9: 0.6, 27: 0.7 + 0.01 * i}), 0.9) for i in range(3)]
    assert level_view(trials, min_points=10)[0] == 1
    assert level_view(trials, min_points=10, min_level=9) == (None, [])
    assert level_view(trials, min_points=3, min_level=9)[0] == 27
    base = BestOfView()
    ctx = SamplingContext(load_trials=lambda: trials, directions=[StudyDirection.MAXIMIZE], trial_number=15)
    # the default (1/3): a step-1 report says little about a 27-step curve, so it samples at random
    sampler = FidelitySampler(base=base, min_points=10, seed=0, random_fraction=0.0, adaptive=False)
    assert sampler.min_level_share == pytest.approx(1 / 3)
    assert 0 <= sampler.sample_independent(ctx, "x", X) <= 1
    assert base.seen == [] and sampler.last_level is None
    # with no floor it models step 1, where trial 11 (x = 0.55) is best
    sampler = FidelitySampler(base=base, min_points=10, seed=0, random_fraction=0.0, min_level_share=0.0, adaptive=False)
    assert sampler.sample_independent(ctx, "x", X) == pytest.approx(0.55)
    assert sampler.last_level == 1
    with pytest.raises(ValueError, match="FidelitySampler: argument 'min_level_share'"):
        FidelitySampler(min_level_share=2.0)


def test_auto_with_a_pruner_keeps_the_model_off_the_first_rungs():
    study = tunelab.create_study(direction="maximize", sampler="auto", pruner="asha", seed=0)
    trial = study.ask()
    trial.suggest_float("x", 0.0, 1.0)
    inner = study.sampler._inners["fidelity"]
    assert isinstance(inner, FidelitySampler)
    assert inner.random_fraction == 0.5 and inner.min_level_share == pytest.approx(1 / 3)


def test_multi_objective_studies_with_a_pruner_use_the_base_sampler_on_the_study_itself():
    # reports are one number per step, so budget levels exist for one objective only; with two objectives
    # the default sampler + a pruner once built single-valued levels and crashed after ten trials
    study = tunelab.create_study(directions=["minimize", "minimize"], sampler="auto", pruner="asha", seed=0)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1) ** 2, (1 - t.suggest_float("y", 0, 1)) ** 2), n_trials=30)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert len(study.best_trials) >= 3
