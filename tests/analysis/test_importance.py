"""Importance on studies whose variance decomposition is known."""

from __future__ import annotations

from collections import OrderedDict

import pytest
from analysis_helpers import interaction_study, linear_study, mixed_study

import tunelab
from tunelab.analysis import StudyView
from tunelab.importance import (
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    PedAnovaImportanceEvaluator,
    get_param_importances,
    interactions,
    param_importances,
)
from tunelab.trial import FrozenTrial, StudyDirection, TrialState


@pytest.fixture(scope="module")
def linear():
    return linear_study()


def test_default_is_ped_anova_ordered_and_sums_to_one(linear):
    imp = get_param_importances(linear)
    assert isinstance(imp, OrderedDict)
    assert list(imp)[:2] == ["x0", "x1"]
    assert sum(imp.values()) == pytest.approx(1.0)
    assert list(imp.values()) == sorted(imp.values(), reverse=True)
    assert imp == get_param_importances(linear, evaluator=PedAnovaImportanceEvaluator())


def test_fanova_matches_the_known_variance_shares(linear):
    imp = get_param_importances(linear, evaluator=FanovaImportanceEvaluator())
    assert list(imp) == ["x0", "x1", "x2", "x3"]
    total = 10 ** 2 + 3 ** 2 + 1 ** 2
    assert imp["x0"] == pytest.approx(100 / total, abs=0.04)
    assert imp["x1"] == pytest.approx(9 / total, abs=0.03)
    assert imp["x3"] < 0.01


def test_mean_decrease_impurity_orders_the_strong_parameters(linear):
    imp = get_param_importances(linear, evaluator=MeanDecreaseImpurityImportanceEvaluator(n_trees=16))
    assert list(imp)[:3] == ["x0", "x1", "x2"]


def test_evaluator_by_name_and_bad_evaluator(linear):
    assert list(get_param_importances(linear, evaluator="fanova"))[0] == "x0"
    with pytest.raises(ValueError, match="evaluator must be one of"):
        get_param_importances(linear, evaluator="shap")
    with pytest.raises(TypeError, match="evaluate"):
        get_param_importances(linear, evaluator=object())


def test_same_answer_run_to_run(linear):
    for ev in (PedAnovaImportanceEvaluator(), FanovaImportanceEvaluator(n_trees=8)):
        a = param_importances(linear, evaluator=ev, n_bootstrap=5)
        b = param_importances(linear, evaluator=ev, n_bootstrap=5)
        assert a == b


def test_intervals_hold_the_estimate(linear):
    res = param_importances(linear, n_bootstrap=10, confidence=0.9)
    assert res.method == "ped_anova" and res.n_trials == 600
    for p in res.params:
        assert 0.0 <= p.low <= p.high <= 1.0
    top = res.params[0]
    assert top.name == "x0" and top.low > 0.5


def test_fanova_finds_the_planted_interaction():
    study = interaction_study()
    res = param_importances(study, evaluator=FanovaImportanceEvaluator(n_trees=16))
    strongest = res.interactions[0]
    assert set(strongest.params) == {"x1", "x2"}
    assert strongest.importance > 0.3
    assert strongest.low <= strongest.importance <= strongest.high
    others = [i.importance for i in res.interactions[1:]]
    assert max(others) < 0.05
    assert [i.params for i in interactions(study, n_trees=16)][0] in (("x1", "x2"), ("x2", "x1"))


def test_log_and_conditional_parameters():
    study = mixed_study()
    for ev in (PedAnovaImportanceEvaluator(), FanovaImportanceEvaluator(n_trees=16)):
        imp = get_param_importances(study, evaluator=ev)
        assert set(imp) == {"lr", "optimizer", "layers", "momentum"}
        assert list(imp)[0] == "lr"
        assert imp["optimizer"] > imp["layers"]


def test_log_scale_matters_for_ped_anova():
    # y depends on log10(lr) near 1e-4: on a linear scale every good value crowds into the first cell
    study = mixed_study(n=500)
    imp = get_param_importances(study, params=["lr", "layers"])
    assert imp["lr"] > 0.8


def test_params_subset_user_attrs_and_unknown_names():
    study = mixed_study(n=200)
    imp = get_param_importances(study, params=["lr", "user_attrs.n_layers"])
    assert set(imp) == {"lr", "user_attrs.n_layers"}
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['nope'\]"):
        get_param_importances(study, params=["nope"])


def test_target_and_several_objectives():
    trials = [FrozenTrial(t.number, t.trial_id, t.state, [t.values[0], -t.values[0]], t.params, t.distributions)
              for t in linear_study(n=200).trials]
    multi = StudyView(trials, [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE])
    with pytest.raises(ValueError, match="2 objectives; pass target"):
        get_param_importances(multi)
    imp = get_param_importances(multi, target=lambda t: t.values[1])
    assert list(imp)[0] == "x0"


def test_too_few_trials_is_a_clear_error():
    with pytest.raises(ValueError, match="at least 2 complete trials"):
        get_param_importances(linear_study(n=1))


def test_bad_evaluator_arguments():
    with pytest.raises(ValueError, match="target_quantile"):
        PedAnovaImportanceEvaluator(target_quantile=1.5)
    with pytest.raises(ValueError, match="region_quantile"):
        PedAnovaImportanceEvaluator(target_quantile=0.5, region_quantile=0.4)
    with pytest.raises(ValueError, match="n_trees"):
        FanovaImportanceEvaluator(n_trees=0)


def test_on_a_real_study():
    study = tunelab.create_study(sampler="random", seed=1)

    def objective(trial):
        a = trial.suggest_float("a", -3, 3)
        b = trial.suggest_float("b", -3, 3)
        kind = trial.suggest_categorical("kind", ["x", "y"])
        return a * a + 0.01 * b + (0.0 if kind == "x" else 0.1)

    study.optimize(objective, n_trials=120)
    assert list(tunelab.importance.get_param_importances(study))[0] == "a"
    assert list(get_param_importances(study, evaluator="fanova"))[0] == "a"


def test_ignores_pruned_and_failed_trials():
    base = linear_study(n=300).trials
    junk = [FrozenTrial(1000 + i, 1000 + i, TrialState.PRUNED, [-1e9], {"x3": 0.01}, base[0].distributions)
            for i in range(50)]
    junk += [FrozenTrial(2000, 2000, TrialState.FAIL, None, {"x0": 0.5}, base[0].distributions)]
    imp = get_param_importances(StudyView(base + junk))
    assert list(imp)[0] == "x0"


def test_normalize_false_gives_the_raw_scores(linear):
    raw = get_param_importances(linear, evaluator=FanovaImportanceEvaluator(n_trees=8), normalize=False)
    # fANOVA's raw scores are shares of the forest's variance: below 1 in total, x0 near 100/110
    assert 0.9 < sum(raw.values()) <= 1.0 + 1e-9
    assert raw["x0"] == pytest.approx(100 / 110, abs=0.05)
    ped = PedAnovaImportanceEvaluator().evaluate(linear)
    assert list(ped)[0] == "x0" and ped["x0"] > 1.0  # a divergence, not a share


def test_a_plug_in_evaluator():
    class ByName:
        def evaluate(self, study, params=None, *, target=None):
            return OrderedDict([("x3", 3.0), ("x0", 1.0)])

    assert get_param_importances(linear_study(n=20), evaluator=ByName()) == OrderedDict([("x3", 0.75), ("x0", 0.25)])


def test_a_parameter_that_matters_only_where_it_exists():
    import numpy as np

    from tunelab.space import CategoricalDistribution, FloatDistribution

    rng = np.random.default_rng(0)
    opt_d, unit = CategoricalDistribution(("sgd", "adam")), FloatDistribution(0.0, 1.0)
    trials = []
    for i in range(600):
        opt = "sgd" if rng.random() < 0.5 else "adam"
        params = {"optimizer": opt, "noise": float(rng.random())}
        dists = {"optimizer": opt_d, "noise": unit}
        if opt == "sgd":
            params["momentum"] = float(rng.random())
            dists["momentum"] = unit
            y = 4 * (params["momentum"] - 0.9) ** 2  # sgd is best only with a high momentum
        else:
            y = 0.3
        trials.append(FrozenTrial(i, i, TrialState.COMPLETE, [y], params, dists))
    for ev in (PedAnovaImportanceEvaluator(), FanovaImportanceEvaluator(n_trees=16)):
        imp = get_param_importances(StudyView(trials), evaluator=ev)
        assert list(imp)[0] == "momentum", (type(ev).__name__, imp)
        assert imp["noise"] < 0.1
