"""The crossover and mutation operators of ``tunelab.samplers.nsgaii``: bounds, their laws, and Optuna's interface."""

from __future__ import annotations

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

import tunelab  # noqa: E402
from tunelab.samplers import nsgaii  # noqa: E402
from tunelab.samplers.nsgaii import crossover_in_bounds  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)

OPERATORS = {
    "uniform": lambda: nsgaii.UniformCrossover(0.3),
    "blx": lambda: nsgaii.BLXAlphaCrossover(alpha=0.5),
    "spx": lambda: nsgaii.SPXCrossover(),
    "sbx": lambda: nsgaii.SBXCrossover(eta=5.0),
    "vsbx": lambda: nsgaii.VSBXCrossover(eta=5.0),
    "undx": lambda: nsgaii.UNDXCrossover(sigma_xi=0.5),
}


def _objective(trial) -> tuple[float, float]:
    x = trial.suggest_float("x", -3.0, 2.0)
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    n = trial.suggest_int("n", 0, 10)
    step = trial.suggest_float("s", 0.0, 1.0, step=0.25)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    return (x - 1) ** 2 + n + step, abs(np.log10(lr) + 2) + {"a": 0, "b": 1, "c": 2}[kind]


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_each_crossover_keeps_children_in_bounds_in_a_study(name):
    sampler = tunelab.samplers.NSGAIISampler(population_size=8, seed=0, crossover=OPERATORS[name]())
    study = tunelab.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_objective, n_trials=64)
    assert len(study.trials) == 64
    for t in study.trials:
        assert -3.0 <= t.params["x"] <= 2.0 and 1e-4 <= t.params["lr"] <= 1.0
        assert isinstance(t.params["n"], int) and 0 <= t.params["n"] <= 10
        assert t.params["s"] in (0.0, 0.25, 0.5, 0.75, 1.0) and t.params["kind"] in ("a", "b", "c")
    later = [t.params["x"] for t in study.trials[32:]]
    assert len(set(later)) > 4  # children differ: the operator was applied


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_each_crossover_stays_in_the_unit_box_near_the_edges(name):
    op = OPERATORS[name]()
    rng = np.random.RandomState(0)
    for _ in range(300):
        parents = np.clip(rng.normal([0.02, 0.98, 0.5], 0.05, size=(op.n_parents, 3)), 0, 1)
        child = crossover_in_bounds(op, parents, rng, None)
        assert child.shape == (3,) and np.all((child >= 0) & (child <= 1))


def _draws(op, parents, n=4000, seed=0):
    rng = np.random.RandomState(seed)
    bounds = np.tile([0.0, 1.0], (parents.shape[1], 1))
    return np.array([op.crossover(parents, rng, None, bounds) for _ in range(n)])


def test_blx_alpha_draws_uniformly_in_the_widened_box():
    children = _draws(nsgaii.BLXAlphaCrossover(alpha=0.5), np.array([[0.4, 0.2], [0.6, 0.3]]))
    assert np.allclose(children.min(axis=0), [0.3, 0.15], atol=0.01)
    assert np.allclose(children.max(axis=0), [0.7, 0.35], atol=0.01)
    assert np.allclose(children.mean(axis=0), [0.5, 0.25], atol=0.01)


def test_uniform_crossover_takes_the_second_parent_with_swapping_prob():
    children = _draws(nsgaii.UniformCrossover(swapping_prob=0.3), np.array([[0.0, 0.0], [1.0, 1.0]]))
    assert set(np.unique(children)) == {0.0, 1.0}
    assert np.allclose(children.mean(axis=0), 0.3, atol=0.03)


def test_spx_children_lie_in_the_enlarged_simplex_around_its_centre():
    parents = np.array([[0.4, 0.4], [0.6, 0.4], [0.5, 0.6]])
    children = _draws(nsgaii.SPXCrossover(epsilon=1.0), parents)  # epsilon 1: the parents' own triangle
    assert np.allclose(children.mean(axis=0), parents.mean(axis=0), atol=0.01)
    # barycentric coordinates of every child are non-negative
    t = np.column_stack([parents[0] - parents[2], parents[1] - parents[2]])
    lam = np.linalg.solve(t, (children - parents[2]).T).T
    assert np.all(lam >= -1e-9) and np.all(lam.sum(axis=1) <= 1 + 1e-9)


def test_undx_is_normal_about_the_midpoint_with_the_stated_spreads():
    parents = np.array([[0.4, 0.5], [0.6, 0.5], [0.5, 0.7]])  # line along x; third parent 0.2 away
    children = _draws(nsgaii.UNDXCrossover(sigma_xi=0.5, sigma_eta=0.3), parents, n=8000)
    assert np.allclose(children.mean(axis=0), [0.5, 0.5], atol=0.005)
    assert children[:, 0].std() == pytest.approx(0.5 * 0.2, rel=0.05)  # sigma_xi * |x2 - x1|
    assert children[:, 1].std() == pytest.approx(0.3 * 0.2, rel=0.05)  # sigma_eta * distance of the third


@pytest.mark.parametrize("name", ["SBXCrossover", "VSBXCrossover", "BLXAlphaCrossover", "UniformCrossover"])
def test_child_spread_matches_optunas_operator(name):
    """Same parents, many draws: mean and spread of each gene agree with Optuna's operator of that name."""
    parents = np.array([[0.3, 0.55, 0.1], [0.5, 0.45, 0.2]])
    kwargs = {"eta": 10.0} if "SBX" in name else {}
    ours = _draws(getattr(nsgaii, name)(**kwargs), parents, seed=1)
    study = optuna.create_study(directions=["minimize", "minimize"])
    theirs = _draws_optuna(getattr(optuna.samplers.nsgaii, name)(**kwargs), parents, study)
    assert np.allclose(ours.mean(axis=0), theirs.mean(axis=0), atol=0.01)
    assert np.allclose(ours.std(axis=0), theirs.std(axis=0), atol=0.01, rtol=0.08)


def _draws_optuna(op, parents, study, n=4000):
    rng = np.random.RandomState(2)
    bounds = np.tile([0.0, 1.0], (parents.shape[1], 1))
    return np.array([op.crossover(parents, rng, study, bounds) for _ in range(n)])


def test_polynomial_mutation_stays_in_bounds_and_centres_on_the_value():
    mutation = nsgaii.PolynomialMutation(eta=20.0)
    rng = np.random.RandomState(0)
    bounds = np.array([0.0, 1.0])
    near_edge = [mutation.mutation(0.01, rng, None, bounds) for _ in range(2000)]
    middle = [mutation.mutation(0.5, rng, None, bounds) for _ in range(2000)]
    assert min(near_edge) >= 0.0 and max(near_edge) <= 1.0
    assert np.mean(middle) == pytest.approx(0.5, abs=0.005) and 0.01 < np.std(middle) < 0.1
    assert np.std([mutation.mutation(0.5, rng, None, bounds) for _ in range(2000)]) > \
        np.std([nsgaii.PolynomialMutation(eta=100.0).mutation(0.5, rng, None, bounds) for _ in range(2000)])


def test_mutation_operator_moves_numeric_genes_in_a_study():
    sampler = tunelab.samplers.NSGAIISampler(population_size=6, seed=0, mutation_prob=1.0,
                                             mutation=nsgaii.PolynomialMutation(eta=20.0))
    study = tunelab.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_objective, n_trials=30)
    assert all(-3.0 <= t.params["x"] <= 2.0 for t in study.trials)


def test_a_crossover_written_for_optuna_plugs_in():
    calls = []

    class Midpoint(nsgaii.BaseCrossover):
        n_parents = 2

        def crossover(self, parents_params, rng, study, search_space_bounds):
            calls.append((parents_params.shape, study.directions))
            return parents_params.mean(axis=0) + rng.rand() * 0  # RandomState API

    sampler = tunelab.samplers.NSGAIISampler(population_size=4, seed=0, crossover=Midpoint(), crossover_prob=1.0,
                                             mutation_prob=0.0)
    study = tunelab.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=12)
    assert calls and calls[0][0] == (2, 2) and len(calls[0][1]) == 2
    # with Optuna's own operator object too (same interface)
    sampler = tunelab.samplers.NSGAIISampler(population_size=4, seed=0,
                                             crossover=optuna.samplers.nsgaii.BLXAlphaCrossover())
    study = tunelab.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=12)
    assert len(study.trials) == 12


@pytest.mark.parametrize("make, message", [
    (lambda: nsgaii.BLXAlphaCrossover(alpha=-1), "'alpha'"),
    (lambda: nsgaii.SBXCrossover(use_child_gene_prob=0.0), "'use_child_gene_prob'"),
    (lambda: nsgaii.UniformCrossover(swapping_prob=2), "'swapping_prob'"),
    (lambda: nsgaii.PolynomialMutation(eta=-1), "'eta'"),
    (lambda: tunelab.samplers.NSGAIISampler(crossover=object()), "'crossover'"),
    (lambda: tunelab.samplers.NSGAIISampler(mutation="poly"), "'mutation'"),
])
def test_bad_operator_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_an_operator_that_returns_nan_falls_back_to_the_first_parent():
    class Broken(nsgaii.BaseCrossover):
        n_parents = 2

        def crossover(self, parents_params, rng, study, search_space_bounds):
            return np.array([np.nan, 2.0])

    parents = np.array([[0.2, 0.3], [0.6, 0.7]])
    child = crossover_in_bounds(Broken(), parents, np.random.RandomState(0), None)
    assert child.tolist() == [0.2, 1.0]
