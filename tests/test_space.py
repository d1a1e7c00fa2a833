import math

import numpy as np
import pytest

import tunelab
from tunelab.space import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    SearchSpace,
    distribution_from_json,
    distribution_to_json,
)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: FloatDistribution(1.0, 0.0), "low (1.0) must be <= high (0.0)"),
        (lambda: FloatDistribution(0.0, 1.0, log=True), "log=True needs low > 0"),
        (lambda: FloatDistribution(0.0, 1.0, step=0.3), "does not fit the range"),
        (lambda: FloatDistribution(0.0, 1.0, step=-0.1), "step must be > 0"),
        (lambda: FloatDistribution(1e-3, 1.0, log=True, step=0.1), "cannot be used together"),
        (lambda: FloatDistribution(0.0, float("inf")), "high must be finite"),
        (lambda: FloatDistribution("a", 1.0), "low must be a number"),
        (lambda: IntDistribution(5, 1), "low (5) must be <= high (1)"),
        (lambda: IntDistribution(0, 10, log=True), "log=True needs low >= 1"),
        (lambda: IntDistribution(0, 10, step=3), "does not fit the range"),
        (lambda: IntDistribution(0, 10, step=0), "step must be >= 1"),
        (lambda: IntDistribution(0.5, 10), "low must be an integer"),
        (lambda: CategoricalDistribution(()), "choices must not be empty"),
        (lambda: CategoricalDistribution(("a", "a")), "choices must be distinct"),
        (lambda: CategoricalDistribution(([1, 2],)), "JSON-serialisable"),
        (lambda: CategoricalDistribution("abc"), "must be a list"),
    ],
)
def test_bad_distributions_name_the_problem(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_suggest_errors_name_the_parameter():
    study = tunelab.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match="parameter 'lr': log=True needs low > 0"):
        trial.suggest_float("lr", 0.0, 1.0, log=True)
    with pytest.raises(ValueError, match="parameter 'units': low \\(8\\) must be <= high \\(4\\)"):
        trial.suggest_int("units", 8, 4)
    with pytest.raises(ValueError, match="parameter 'act': choices must not be empty"):
        trial.suggest_categorical("act", [])


def test_same_name_with_another_kind_or_log_scale_in_one_study_is_refused():
    study = tunelab.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0.1, 1), n_trials=2)
    trial = study.ask()
    with pytest.raises(ValueError, match="parameter 'x' is suggested with .* but earlier trials"):
        trial.suggest_float("x", 0.1, 1, log=True)
    # other bounds are fine (Optuna's rule), and the first error did not break the trial
    assert 0 <= trial.suggest_float("x", 0, 2) <= 2


@pytest.mark.parametrize(
    "dist",
    [
        FloatDistribution(-3.0, 7.0),
        FloatDistribution(1e-5, 1e-1, log=True),
        FloatDistribution(0.0, 1.0, step=0.25),
        IntDistribution(1, 9),
        IntDistribution(1, 1024, log=True),
        IntDistribution(-10, 10, step=5),
        CategoricalDistribution((None, True, "adam", 3, 0.5)),
    ],
)
def test_unit_map_round_trips_and_stays_inside(dist):
    rng = np.random.default_rng(0)
    for u in np.concatenate([rng.random(200), [0.0, 1.0]]):
        value = dist.from_unit(u)
        assert dist.contains(value), (dist, u, value)
        assert dist.from_unit(dist.to_unit(value)) == value
    assert distribution_from_json(distribution_to_json(dist)) == dist


def test_int_unit_map_gives_each_value_equal_mass():
    dist = IntDistribution(1, 4)
    counts = np.bincount([dist.from_unit(u) for u in np.linspace(0, 1, 4000, endpoint=False)], minlength=5)[1:]
    assert counts.tolist() == [1000, 1000, 1000, 1000]


def test_log_float_is_uniform_in_log_space():
    dist = FloatDistribution(1e-4, 1.0, log=True)
    assert math.isclose(dist.from_unit(0.5), 1e-2)
    assert math.isclose(dist.to_unit(1e-3), 0.25)


def test_categorical_keeps_none_and_booleans_apart_from_numbers():
    dist = CategoricalDistribution((None, True, 1, 1.5, "x"))
    assert dist.index(True) == 1 and dist.index(1) == 2
    assert dist.contains(None) and not dist.contains(False)
    assert dist.contains(np.int64(1))


def test_categorical_equality_goes_by_json_form():
    assert CategoricalDistribution((True, "a")) != CategoricalDistribution((1, "a"))
    assert CategoricalDistribution((1.0, "a")) != CategoricalDistribution((1, "a"))
    assert CategoricalDistribution((np.int64(1), "a")) == CategoricalDistribution((1, "a"))
    assert len({CategoricalDistribution((True,)), CategoricalDistribution((1,))}) == 2


def test_same_name_with_bool_then_int_choices_is_rejected():
    study = tunelab.create_study()
    trial = study.ask()
    trial.suggest_categorical("flag", [True, False])
    with pytest.raises(ValueError, match="flag"):
        study.ask().suggest_categorical("flag", [1, 0])


def test_declarative_space_with_conditions_from_python_and_text():
    py = SearchSpace.from_mapping({
        "optimizer": tunelab.Categorical(["sgd", "adam"]),
        "lr": tunelab.Float(1e-5, 1e-1, log=True),
        "momentum": tunelab.Float(0.0, 0.99, when={"optimizer": "sgd"}),
        "beta1": tunelab.Float(0.8, 0.999, when={"optimizer": ["adam"]}),
    })
    text = SearchSpace.from_mapping({
        "optimizer": ["sgd", "adam"],
        "lr": {"type": "float", "low": 1e-5, "high": 1e-1, "log": True},
        "momentum": {"type": "float", "low": 0.0, "high": 0.99, "when": {"optimizer": "sgd"}},
        "beta1": {"type": "float", "low": 0.8, "high": 0.999, "when": {"optimizer": ["adam"]}},
    })
    assert py.distributions() == text.distributions()
    study = tunelab.create_study(seed=3)
    study.optimize(lambda t: t.suggest(text)["lr"], n_trials=30)
    for t in study.trials:
        assert ("momentum" in t.params) == (t.params["optimizer"] == "sgd")
        assert ("beta1" in t.params) == (t.params["optimizer"] == "adam")
    assert {t.params["optimizer"] for t in study.trials} == {"sgd", "adam"}


@pytest.mark.parametrize(
    "mapping, message",
    [
        ({"x": {"type": "float", "low": 1}}, "parameter 'x': a float parameter needs 'high'"),
        ({"x": {"type": "decimal", "low": 1}}, "parameter 'x': 'type' must be one of"),
        ({"x": {"type": "int", "low": 1, "high": 3, "lg": True}}, "unknown key\\(s\\) \\['lg'\\]"),
        ({"x": {"type": "float", "low": 0, "high": 1, "when": {"opt": "sgd"}}}, "'when' names 'opt'"),
        ({"x": ["a", "b"], "y": {"type": "int", "low": 1, "high": 2, "when": {"x": "c"}}}, "'when' value 'c'"),
        ({}, "non-empty mapping"),
    ],
)
def test_declarative_errors(mapping, message):
    with pytest.raises(ValueError, match=message):
        SearchSpace.from_mapping(mapping)


def test_space_grid_expands_conditionals_only_under_their_parent():
    space = SearchSpace.from_mapping({
        "kernel": ["linear", "rbf"],
        "gamma": tunelab.Float(0.1, 0.3, step=0.1, when={"kernel": "rbf"}),
        "C": tunelab.Int(1, 2),
    })
    grid = space.grid()
    assert len(grid) == 2 + 3 * 2
    assert {"kernel": "linear", "C": 1} in grid
    assert all(("gamma" in p) == (p["kernel"] == "rbf") for p in grid)
