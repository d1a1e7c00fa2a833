"""A ``target=`` is ranked in ``target_direction``, or the direction of the objective it equals; on a study with
several objectives any other target needs the argument. keep_going judges a target against the GP's noise."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_helpers import T0, UNIT, from_matrix

from tunelab.analysis import ablation_path, get_param_importances, keep_going, partial_dependence
from tunelab.analysis._data import build_table
from tunelab.analysis.noise import REPEATS_KEY
from tunelab.analysis.terminator import keep_going_history
from tunelab.analysis import StudyView
from tunelab.trial import FrozenTrial, StudyDirection, TrialState


def _two_sided(n: int = 600, seed: int = 0) -> StudyView:
    """Two objectives (minimize a, maximize b) and a user attribute ``y``: low y needs x0 < 0.1, high y x1 > 0.9."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, 3))
    y = -10.0 * (X[:, 0] < 0.1) + 10.0 * (X[:, 1] > 0.9) + rng.normal(0, 0.01, n)
    trials = [FrozenTrial(i, i, TrialState.COMPLETE, [float(X[i, 2]), float(X[i, 2] * 2)],
                          {f"x{j}": float(X[i, j]) for j in range(3)}, {f"x{j}": UNIT for j in range(3)},
                          user_attrs={"y": float(y[i])}, datetime_start=T0, datetime_complete=T0)
              for i in range(n)]
    return StudyView(trials, [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE])


def y_of(t: FrozenTrial) -> float:
    return t.user_attrs["y"]


def test_an_objective_as_target_keeps_its_direction():
    study = _two_sided(50)
    assert build_table(study, target=lambda t: t.values[0]).direction == StudyDirection.MINIMIZE
    assert build_table(study, target=lambda t: t.values[1]).direction == StudyDirection.MAXIMIZE
    assert build_table(study, target=lambda t: t.values[1], target_direction="minimize").direction == \
        StudyDirection.MINIMIZE


def test_another_target_on_several_objectives_needs_target_direction():
    study = _two_sided(50)
    for call in (lambda: get_param_importances(study, target=y_of),
                 lambda: ablation_path(study, target=y_of),
                 lambda: partial_dependence(study, target=y_of),
                 lambda: keep_going(study, target=y_of)):
        with pytest.raises(ValueError, match="pass target_direction='minimize' or 'maximize'"):
            call()
    assert build_table(study, target=y_of, target_direction="maximize").direction == StudyDirection.MAXIMIZE


def test_bad_target_direction_and_one_without_target_are_refused():
    study = _two_sided(50)
    with pytest.raises(ValueError, match="'target_direction' must be 'minimize' or 'maximize'; got 'up'"):
        build_table(study, target=y_of, target_direction="up")
    single = from_matrix(np.random.default_rng(0).random((20, 2)), np.arange(20.0))
    with pytest.raises(ValueError, match="'target_direction' goes with 'target'"):
        get_param_importances(single, target_direction="maximize")


def test_one_objective_study_ranks_a_target_in_its_direction_unless_told():
    rng = np.random.default_rng(1)
    study = from_matrix(rng.random((30, 2)), np.arange(30.0), direction="maximize")
    assert build_table(study, target=lambda t: -t.values[0]).direction == StudyDirection.MAXIMIZE
    assert build_table(study, target=lambda t: -t.values[0], target_direction="minimize").direction == \
        StudyDirection.MINIMIZE


def test_the_direction_decides_what_ped_anova_and_ablation_call_best():
    study = _two_sided()
    low = get_param_importances(study, target=y_of, target_direction="minimize")
    high = get_param_importances(study, target=y_of, target_direction="maximize")
    assert list(low)[0] == "x0" and list(high)[0] == "x1"
    best_high = ablation_path(study, target=y_of, target_direction="maximize")
    assert best_high.best_value == max(y_of(t) for t in study.trials)
    best_low = ablation_path(study, target=y_of, target_direction="minimize")
    assert best_low.best_value == min(y_of(t) for t in study.trials)
    pds = partial_dependence(study, target=y_of, target_direction="maximize", top=1)
    assert [p.param for p in pds] == ["x1"]


def test_keep_going_with_a_target_on_several_objectives_uses_the_gps_noise():
    study = _two_sided(60)
    kg = keep_going(study, target=y_of, target_direction="minimize")
    assert kg.error_source == "gp" and kg.n_trials == 60 and np.isfinite(kg.regret_bound)
    hist = keep_going_history(study, target=lambda t: t.values[1], n_points=2)
    assert [p.error_source for p in hist.points] == ["gp", "gp"]


def test_keep_going_uses_repeat_noise_only_for_the_objective():
    rng = np.random.default_rng(2)
    study = from_matrix(rng.random((40, 2)), rng.random(40))
    for i, t in enumerate(study.trials):
        t.user_attrs[REPEATS_KEY] = [t.values[0] - 0.05, t.values[0] + 0.05]
        t.user_attrs["other"] = float(i)
    assert keep_going(study).error_source == "repeats"
    other = keep_going(study, target=lambda t: t.user_attrs["other"])
    assert other.error_source == "gp"


def test_an_ablation_reference_trial_reports_the_targets_value():
    study = _two_sided(200)
    ref = study.trials[5]
    path = ablation_path(study, ref, target=y_of, target_direction="maximize")
    assert path.reference_value == y_of(ref) and path.reference_value != ref.values[0]
