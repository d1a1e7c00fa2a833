"""CMAESSampler: search quality, integer handling, restarts, determinism and replay from the history."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tunelab
from tunelab.samplers.cmaes import CMAESSampler
from tunelab.trial import TrialState

from sampler_helpers import best_values, random_sampler


def sphere4(trial) -> float:
    return sum((trial.suggest_float(f"x{i}", -5, 5) - 1.0) ** 2 for i in range(4))


def test_cmaes_beats_random_on_a_4d_sphere():
    cma = best_values(lambda seed: CMAESSampler(seed=seed), sphere4, 120, range(3))
    rnd = best_values(random_sampler, sphere4, 120, range(3))
    assert np.mean(cma) < 0.5
    assert np.mean(cma) < 0.2 * np.mean(rnd)


def test_generations_follow_the_history():
    study = tunelab.create_study(sampler=CMAESSampler(seed=0))
    study.optimize(sphere4, n_trials=41)
    state = study.sampler.last_state
    assert state.population_size == 4 + math.floor(3 * math.log(4))  # 8
    # trial 0 is random (nothing to centre on yet); trials 1..39 were seen by the last ask: 4 generations
    assert state.generation == 39 // 8
    assert state.restarts == 0


@pytest.mark.parametrize("with_margin", [True, False])
def test_integer_parameters_stay_integers_in_range(with_margin):
    def objective(trial):
        a = trial.suggest_int("a", -10, 10)
        b = trial.suggest_int("b", 0, 30, step=3)
        c = trial.suggest_int("c", 1, 1000, log=True)
        x = trial.suggest_float("x", 0.0, 1.0, step=0.25)
        return (a - 3) ** 2 + (b - 12) ** 2 + math.log(c) + x

    study = tunelab.create_study(sampler=CMAESSampler(seed=1, with_margin=with_margin))
    study.optimize(objective, n_trials=60)
    for t in study.trials:
        a, b, c, x = t.params["a"], t.params["b"], t.params["c"], t.params["x"]
        assert isinstance(a, int) and -10 <= a <= 10
        assert isinstance(b, int) and 0 <= b <= 30 and b % 3 == 0
        assert isinstance(c, int) and 1 <= c <= 1000
        assert x in (0.0, 0.25, 0.5, 0.75, 1.0)
    assert study.best_params["a"] in (2, 3, 4) and study.best_params["b"] in (9, 12, 15)
    optimizer = study.sampler._replay.optimizer
    assert type(optimizer).__name__ == ("CMAwM" if with_margin else "CMA")


def _plateau(trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    y = trial.suggest_float("y", 0, 1)
    return 1.0 if x + y < 5 else 0.0  # flat: the function-value range collapses and CMA-ES should stop


def test_ipop_restarts_with_a_doubled_population_when_the_optimizer_stops():
    study = tunelab.create_study(sampler=CMAESSampler(seed=0, restart_strategy="ipop"))
    study.optimize(_plateau, n_trials=200)
    state = study.sampler.last_state
    assert state.restarts >= 1
    popsize0 = 4 + math.floor(3 * math.log(2))
    assert state.population_size == popsize0 * 2**state.restarts


def test_no_restart_strategy_keeps_one_run():
    study = tunelab.create_study(sampler=CMAESSampler(seed=0, restart_strategy=None))
    study.optimize(_plateau, n_trials=200)
    assert study.sampler.last_state.restarts == 0
    assert study.sampler.last_state.population_size == 4 + math.floor(3 * math.log(2))


def test_bipop_uses_both_regimes():
    sampler = CMAESSampler(seed=0, restart_strategy="bipop")
    study = tunelab.create_study(sampler=sampler)
    study.optimize(_plateau, n_trials=400)
    assert sampler.last_state.restarts >= 2
    budget = sampler._replay.budget
    assert budget["large"] > 0 and budget["small"] > 0


def test_restarts_escape_a_local_minimum():
    """A double well: a tight start in the worse well converges there; restarts from random means find the other."""

    def objective(trial):
        x = trial.suggest_float("x", -3, 3)
        y = trial.suggest_float("y", -3, 3)
        return min((x + 2) ** 2 + 1.0, (x - 2) ** 2) + y * y  # global minimum 0 at x = 2, local 1 at x = -2

    def run(strategy, seed):
        sampler = CMAESSampler(seed=seed, sigma0=0.05, n_startup_trials=1, restart_strategy=strategy)
        study = tunelab.create_study(sampler=sampler)
        study.enqueue_trial({"x": -2.0, "y": 0.0})  # the start: inside the worse well
        study.optimize(objective, n_trials=300)
        return study.best_value, sampler.last_state.restarts

    stuck = [run(None, seed) for seed in range(2)]
    assert all(value > 0.99 and restarts == 0 for value, restarts in stuck)
    ipop = [run("ipop", seed) for seed in range(4)]
    assert all(restarts >= 1 for _, restarts in ipop)
    assert sum(value < 0.01 for value, _ in ipop) >= 2


def test_same_seed_same_proposals_and_another_seed_differs():
    def params(seed):
        study = tunelab.create_study(sampler=CMAESSampler(seed=seed))
        study.optimize(sphere4, n_trials=30)
        return [t.params for t in study.trials]

    assert params(5) == params(5)
    assert params(5) != params(6)


def test_a_fresh_sampler_rebuilds_the_same_state_from_the_history():
    study = tunelab.create_study(name="cma-replay", sampler=CMAESSampler(seed=2))
    study.optimize(sphere4, n_trials=50)
    live = study.sampler
    live_next = study.ask()
    live_params = {n: live_next.suggest_float(n, -5, 5) for n in ("x0", "x1", "x2", "x3")}
    study.tell(live_next, state="fail")
    # a new process: same seed, nothing cached, replays the whole history
    fresh = CMAESSampler(seed=2)
    resumed = tunelab.create_study(name="cma-replay", storage=study.storage, sampler=fresh, load_if_exists=True)
    trial = resumed.ask()
    fresh_params = {n: trial.suggest_float(n, -5, 5) for n in ("x0", "x1", "x2", "x3")}
    assert fresh.last_state.generation == live.last_state.generation
    np.testing.assert_allclose(list(fresh.last_state.mean.values()), list(live.last_state.mean.values()))
    # same distribution, the next trial number: a valid proposal that is new
    assert fresh_params != live_params


def test_parallel_workers_share_a_storage():
    study = tunelab.create_study(sampler=CMAESSampler(seed=3))
    study.optimize(sphere4, n_trials=120, n_jobs=2)
    complete = study.get_trials([TrialState.COMPLETE])
    assert len(complete) == 120
    assert len({tuple(sorted(t.params.items())) for t in complete}) == 120  # no duplicated proposal
    assert study.best_value < 1.0


def test_categoricals_are_learned_by_catcma_with_margin():
    """A categorical, an int and a float: CatCMAwM's categorical distribution concentrates on the best choice
    (random sampling would keep each of the 4 choices near 25 %)."""

    def objective(trial):
        c = trial.suggest_categorical("c", ["a", "b", "c", "d"])
        n = trial.suggest_int("n", 0, 10)
        return (trial.suggest_float("x", -1, 1) - 0.2) ** 2 + (n - 3) ** 2 / 25 + (0.0 if c == "c" else 1.0)

    shares = []
    for seed in range(3):
        study = tunelab.create_study(sampler=CMAESSampler(seed=seed))
        study.optimize(objective, n_trials=80)
        assert study.sampler.infer_relative_space(study._sampling_context()).keys() == {"c", "n", "x"}
        assert study.sampler.last_state.generation >= 5
        assert set(study.sampler.last_state.mean) == {"n", "x"}  # the Gaussian's coordinates
        assert all(isinstance(t.params["n"], int) for t in study.trials)
        shares.append(np.mean([t.params["c"] == "c" for t in study.trials[-30:]]))
    assert np.mean(shares) > 0.6, shares


def test_a_space_of_categoricals_only():
    def objective(trial):
        return (trial.suggest_categorical("a", ["x", "y", "z"]) != "y") + (trial.suggest_categorical("b", [1, 2]) != 2)

    study = tunelab.create_study(sampler=CMAESSampler(seed=1))
    study.optimize(objective, n_trials=40)
    assert study.sampler.last_state.generation >= 3 and study.sampler.last_state.mean == {}
    assert study.best_value == 0


def test_a_fresh_sampler_replays_a_mixed_history_to_the_same_state():
    def objective(trial):
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        return (trial.suggest_float("x", -1, 1) - 0.2) ** 2 + (c != "b")

    study = tunelab.create_study(name="catcma-replay", sampler=CMAESSampler(seed=5))
    study.optimize(objective, n_trials=40)
    live = study.sampler
    live_next = study.ask()
    live_values = (live_next.suggest_categorical("c", ["a", "b", "c"]), live_next.suggest_float("x", -1, 1))
    fresh = CMAESSampler(seed=5)  # a new process: nothing cached, replays the whole history
    resumed = tunelab.create_study(name="catcma-replay", storage=study.storage, sampler=fresh, load_if_exists=True)
    trial = resumed.ask()
    assert (trial.suggest_categorical("c", ["a", "b", "c"]), trial.suggest_float("x", -1, 1)) != live_values
    assert fresh.last_state.generation == live.last_state.generation >= 3
    np.testing.assert_allclose(list(fresh.last_state.mean.values()), list(live.last_state.mean.values()))


def test_several_objectives_are_refused_clearly():
    study = tunelab.create_study(directions=["minimize", "maximize"], sampler=CMAESSampler(seed=0))
    with pytest.raises(ValueError, match="CMAESSampler optimises one objective; this study has 2"):
        study.ask()


@pytest.mark.parametrize("kwargs, field", [({"sigma0": -0.1}, "sigma0"), ({"restart_strategy": "lpop"}, "restart_strategy"),
                                           ({"popsize": 1}, "popsize"), ({"n_startup_trials": -1}, "n_startup_trials"),
                                           ({"tol_x": -1.0}, "tol_x")])
def test_bad_arguments_name_the_field(kwargs, field):
    with pytest.raises((ValueError, TypeError), match=f"CMAESSampler: argument '{field}'"):
        CMAESSampler(**kwargs)


def test_registry_builds_the_cmaes_sampler():
    study = tunelab.create_study(sampler="cmaes", seed=3)
    assert isinstance(study.sampler, CMAESSampler)


def test_worker_processes_share_a_database(sqlite_url):
    """Two processes, each with its own CMA-ES replaying the same SQLite history."""
    study = tunelab.create_study(storage=sqlite_url, sampler=CMAESSampler(seed=4))
    study.optimize(sphere4, n_trials=40, n_jobs=2)
    complete = study.get_trials([TrialState.COMPLETE])
    assert len(complete) == 40
    assert len({tuple(sorted(t.params.items())) for t in complete}) == 40
    # a fresh sampler replays the stored history into the generations the workers told
    fresh = CMAESSampler(seed=4)
    resumed = tunelab.load_study(study.study_name, storage=sqlite_url, sampler=fresh)
    resumed.ask().suggest_float("x0", -5, 5)
    assert fresh.last_state.generation >= (40 - 1) // 8 - 1
