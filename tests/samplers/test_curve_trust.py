"""How FidelitySampler reads its trust in early budget levels from the study's own curves."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import spearmanr

from tunelab.samplers.base import SamplingContext
from tunelab.samplers.fidelity import FidelitySampler, curve_trust, spearman, value_at
from tunelab.space import FloatDistribution
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

X = FloatDistribution(0.0, 1.0)


def curve_trial(number: int, curve: dict[int, float], state: TrialState = TrialState.COMPLETE,
                x: float = 0.5) -> FrozenTrial:
    last = curve[max(curve)]
    return FrozenTrial(number=number, trial_id=number, state=state, values=[last] if state == TrialState.COMPLETE else None,
                       params={"x": x}, distributions={"x": X}, intermediate_values=dict(curve))


def study_of(early: np.ndarray, final: np.ndarray, pruned: int = 0) -> list[FrozenTrial]:
    """Complete trials whose value at step 9 is ``early`` and at step 27 ``final``, plus pruned ones."""
    trials = [curve_trial(i, {1: 0.1, 9: float(e), 27: float(f)}, x=(i % 10) / 10) for i, (e, f) in
              enumerate(zip(early, final))]
    trials += [curve_trial(len(trials) + j, {1: 0.0, 9: 0.0}, TrialState.PRUNED) for j in range(pruned)]
    return trials


@pytest.mark.parametrize("x,y", [([1, 2, 3, 4], [1, 3, 2, 4]), ([1, 1, 2, 3, 3], [5, 4, 4, 2, 1]),
                                 ([0.3, 0.1, 0.2, 0.2, 0.9, 0.5], [1, 2, 2, 2, 3, 0])])
def test_spearman_matches_scipy_with_ties(x, y):
    assert spearman(x, y) == pytest.approx(spearmanr(x, y)[0], abs=1e-12)


def test_spearman_of_a_constant_is_zero():
    assert spearman([1, 1, 1], [1, 2, 3]) == 0.0


def test_value_at_reads_the_first_report_at_or_after_the_level():
    t = curve_trial(0, {1: 0.1, 4: 0.4, 9: 0.9})
    assert value_at(t, 3) == 0.4
    assert value_at(t, 9) == 0.9
    assert value_at(t, 10) is None


def test_informative_curves_earn_full_trust():
    rng = np.random.default_rng(0)
    final = rng.random(20)
    trust = curve_trust(study_of(final + 0.01 * rng.standard_normal(20), final, pruned=30), 9)
    assert trust.n == 20 and trust.level == 9
    assert trust.rho > 0.95 and trust.trust == 1.0


def test_early_values_unrelated_to_the_end_earn_no_trust():
    rng = np.random.default_rng(1)
    trust = curve_trust(study_of(rng.random(20), rng.random(20)), 9)
    assert abs(trust.rho) < 0.5
    assert trust.trust < 0.2


def test_reversed_rankings_earn_no_trust():
    final = np.linspace(0, 1, 12)
    trust = curve_trust(study_of(1 - final, final), 9)
    assert trust.rho == pytest.approx(-1.0)
    assert trust.trust == 0.0


def test_few_complete_trials_earn_no_trust_however_well_they_agree():
    final = np.array([0.1, 0.5, 0.9, 0.7])
    trust = curve_trust(study_of(final, final), 9)
    assert trust.n == 4 and math.isnan(trust.rho) and trust.trust == 0.0
    five = np.array([0.1, 0.5, 0.9, 0.7, 0.3])
    assert curve_trust(study_of(five, five), 9).trust > 0.5  # five in perfect agreement: some trust


def test_the_final_level_is_judged_by_how_stable_the_ends_of_the_curves_are():
    rng = np.random.default_rng(2)
    final = rng.random(15)
    trials = [curve_trial(i, {9: 0.0, 18: float(f) + 0.001 * i, 27: float(f)}) for i, f in enumerate(final)]
    trust = curve_trust(trials, math.inf)
    assert trust.level == pytest.approx(18.0)  # 2/3 of the longest complete curve
    assert trust.trust == 1.0
    noisy = [curve_trial(i, {9: 0.0, 18: float(rng.random()), 27: float(f)}) for i, f in enumerate(final)]
    assert curve_trust(noisy, math.inf).trust < 0.5


def _proposal_levels(trials: list[FrozenTrial], n: int = 40) -> list[float | None]:
    sampler = FidelitySampler(base="tpe", min_points=5, seed=0, random_fraction=0.0)
    levels = []
    for k in range(n):
        ctx = SamplingContext(load_trials=lambda: trials, directions=[StudyDirection.MAXIMIZE],
                              trial_number=len(trials) + k)
        sampler.sample_independent(ctx, "x", X)
        levels.append(sampler.last_level)
    return levels


def test_adaptive_sampler_models_when_curves_inform_and_samples_at_random_when_not():
    rng = np.random.default_rng(3)
    final = rng.random(20)
    informative = _proposal_levels(study_of(final + 0.01 * rng.standard_normal(20), final, pruned=10))
    assert all(level is not None for level in informative)  # trust 1 and no random share: always the model
    noisy = _proposal_levels(study_of(1 - final, final, pruned=10))
    assert all(level is None for level in noisy)  # trust 0: every proposal at random


def test_adaptive_sampler_records_the_measurement_and_can_be_switched_off():
    final = np.linspace(0, 1, 12)
    trials = study_of(1 - final, final)
    sampler = FidelitySampler(base="tpe", min_points=5, seed=0, random_fraction=0.0, adaptive=False)
    ctx = SamplingContext(load_trials=lambda: trials, directions=[StudyDirection.MAXIMIZE], trial_number=99)
    sampler.sample_independent(ctx, "x", X)
    assert sampler.last_level is not None and sampler.last_trust is None
    adaptive = FidelitySampler(base="tpe", min_points=5, seed=0, random_fraction=0.0)
    adaptive.sample_independent(ctx, "x", X)
    assert adaptive.last_trust is not None and adaptive.last_trust.trust == 0.0


@pytest.mark.parametrize("kwargs,field,error", [({"trust_range": (0.5, 0.2)}, "trust_range", ValueError),
                                                ({"trust_range": 0.3}, "trust_range", ValueError),
                                                ({"adaptive": "yes"}, "adaptive", TypeError)])
def test_bad_trust_arguments_name_the_field(kwargs, field, error):
    with pytest.raises(error, match=field):
        FidelitySampler(**kwargs)


def test_final_values_without_curves_are_modelled_as_they_are():
    trials = [FrozenTrial(number=i, trial_id=i, state=TrialState.COMPLETE, values=[float(i)], params={"x": i / 20},
                          distributions={"x": X}) for i in range(12)]
    levels = _proposal_levels(trials, n=10)
    assert all(level == math.inf for level in levels)  # no early level to doubt: the model always
