import numpy as np
import pytest

import tunelab
from tunelab import TrialState


def quadratic(trial):
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", -5, 5)
    return (x - 2) ** 2 + (y + 1) ** 2


def test_optimize_finds_a_decent_point_and_records_every_trial():
    study = tunelab.create_study(sampler="random", seed=0)
    study.optimize(quadratic, n_trials=60)
    assert len(study.trials) == 60
    assert [t.number for t in study.trials] == list(range(60))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert study.best_value == min(t.value for t in study.trials)
    assert study.best_value < 5
    assert study.best_params == study.best_trial.params


def test_maximize_picks_the_largest():
    study = tunelab.create_study(direction="maximize", sampler="random", seed=1)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=20)
    assert study.best_value == max(t.value for t in study.trials)


def test_same_seed_same_sequence():
    runs = []
    for _ in range(2):
        study = tunelab.create_study(sampler="random", seed=42)
        study.optimize(quadratic, n_trials=10)
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]
    other = tunelab.create_study(sampler="random", seed=43)
    other.optimize(quadratic, n_trials=10)
    assert [t.params for t in other.trials] != runs[0]


@pytest.mark.parametrize(
    "returned, reason",
    [
        (float("nan"), "not finite"),
        (float("inf"), "not finite"),
        (None, "returned None"),
        ("0.3", "not a number"),
        ([1.0, 2.0], "returned 2 value"),
    ],
)
def test_bad_return_values_fail_the_trial_with_a_reason(returned, reason):
    study = tunelab.create_study()
    calls = []

    def objective(trial):
        trial.suggest_float("x", 0, 1)
        calls.append(1)
        return returned if len(calls) == 1 else 0.5

    study.optimize(objective, n_trials=3)
    states = [t.state for t in study.trials]
    assert states == [TrialState.FAIL, TrialState.COMPLETE, TrialState.COMPLETE]
    assert reason in study.trials[0].system_attrs["fail_reason"]
    assert study.trials[0].values is None


def test_caught_exceptions_fail_the_trial_and_the_study_goes_on():
    study = tunelab.create_study()

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 1:
            raise RuntimeError("out of memory")
        return x

    study.optimize(objective, n_trials=4, catch=(RuntimeError,))
    assert [t.state for t in study.trials].count(TrialState.FAIL) == 1
    assert study.trials[1].system_attrs["fail_reason"] == "RuntimeError: out of memory"
    assert "in objective" in study.trials[1].system_attrs["traceback"]
    assert 'raise RuntimeError("out of memory")' in study.trials[1].system_attrs["traceback"]


def test_optimize_reraises_by_default_after_recording_like_optuna():
    study = tunelab.create_study()

    def objective(trial):
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError):
        study.optimize(objective, n_trials=3)
    assert len(study.trials) == 1 and study.trials[0].state == TrialState.FAIL
    assert study.trials[0].system_attrs["traceback"].rstrip().endswith("ZeroDivisionError: boom")


def test_numpy_and_int_returns_are_accepted():
    study = tunelab.create_study()
    study.optimize(lambda t: np.float32(t.suggest_float("x", 0, 1)), n_trials=2)
    study.optimize(lambda t: 3, n_trials=1)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
    assert study.trials[2].value == 3.0


def test_keyboard_interrupt_fails_running_trial_and_keeps_finished_ones():
    study = tunelab.create_study()

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 3:
            raise KeyboardInterrupt
        return x

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=10)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE] * 3 + [TrialState.FAIL]
    assert "interrupted" in study.trials[3].system_attrs["fail_reason"]


def test_ask_tell_loop_with_numbers_and_states():
    study = tunelab.create_study(direction="maximize")
    t0 = study.ask()
    t1 = study.ask()
    assert (t0.number, t1.number) == (0, 1)
    x = t0.suggest_float("x", 0, 1)
    study.tell(t0, x)
    t1.report(0.1, step=0)
    t1.report(0.2, step=1)
    frozen = study.tell(1, state="pruned")
    assert frozen.state == TrialState.PRUNED
    assert frozen.intermediate_values == {0: 0.1, 1: 0.2}
    assert frozen.values == [0.2]  # a pruned trial keeps its last value
    t2 = study.ask()
    failed = study.tell(t2, state="fail")
    assert failed.state == TrialState.FAIL
    with pytest.raises(ValueError, match="trial 0 is COMPLETE already"):
        study.tell(t0, 1.0)
    assert study.tell(t0, 1.0, skip_if_finished=True).value == x
    with pytest.raises(ValueError, match="no trial number 99"):
        study.tell(99, 1.0)
    with pytest.raises(ValueError, match="tell: state must be 'complete', 'pruned' or 'fail'; got 'done'"):
        study.tell(study.ask(), state="done")


def test_ask_with_fixed_distributions():
    study = tunelab.create_study(seed=0)
    trial = study.ask({"lr": tunelab.FloatDistribution(1e-4, 1e-1, log=True),
                       "act": tunelab.CategoricalDistribution(("relu", "tanh"))})
    assert set(trial.params) == {"lr", "act"}
    assert 1e-4 <= trial.params["lr"] <= 1e-1


def test_enqueue_trial_runs_first_and_samples_the_rest():
    study = tunelab.create_study(seed=0)
    study.enqueue_trial({"x": 0.25})
    study.enqueue_trial({"x": 0.75, "y": 3})
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("y", 0, 5), n_trials=3)
    assert study.trials[0].params["x"] == 0.25 and 0 <= study.trials[0].params["y"] <= 5
    assert study.trials[1].params == {"x": 0.75, "y": 3}
    study.enqueue_trial({"x": 2.0})
    with pytest.raises(ValueError, match="fixed value 2.0 is outside"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[3].state == TrialState.FAIL
    assert "fixed value 2.0 is outside" in study.trials[3].system_attrs["fail_reason"]


def test_report_and_user_attrs_are_stored():
    study = tunelab.create_study()

    def objective(trial):
        for step in range(3):
            trial.report(step * 0.5, step)
        trial.set_user_attr("note", {"seed": 7})
        assert trial.should_prune() is False  # no pruner
        return 1.0

    study.optimize(objective, n_trials=1)
    t = study.trials[0]
    assert t.intermediate_values == {0: 0.0, 1: 0.5, 2: 1.0}
    assert t.user_attrs == {"note": {"seed": 7}}
    with pytest.raises(ValueError, match="'step' must be an int >= 0"):
        study.ask().report(1.0, step=-1)


def test_trial_pruned_is_recorded_as_pruned():
    study = tunelab.create_study()

    def objective(trial):
        trial.report(0.3, 0)
        raise tunelab.TrialPruned()

    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.PRUNED] * 2
    assert list(study.trials_dataframe()["state"]) == ["PRUNED", "PRUNED"]


def test_timeout_stops_and_callbacks_can_stop():
    study = tunelab.create_study()
    seen = []

    def callback(s, trial):
        seen.append(trial.number)
        if len(seen) == 5:
            s.stop()

    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=100, callbacks=[callback])
    assert seen == [0, 1, 2, 3, 4] and len(study.trials) == 5
    import time

    study2 = tunelab.create_study()
    start = time.time()
    study2.optimize(lambda t: time.sleep(0.05) or 1.0, timeout=0.3)
    assert time.time() - start < 2.0
    assert 2 <= len(study2.trials) <= 10


def test_threads_with_memory_storage_give_exact_count():
    study = tunelab.create_study(seed=0)
    study.optimize(quadratic, n_trials=40, n_jobs=4)
    numbers = sorted(t.number for t in study.trials)
    assert numbers == list(range(40))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_trials": 0}, "argument 'n_trials' must be an int in \\[1, inf\\]"),
        ({"n_trials": 2.5}, "argument 'n_trials'"),
        ({"timeout": -1}, "argument 'timeout' must be a number in \\(0, inf\\)"),
        ({"n_jobs": 0}, "argument 'n_jobs'"),
    ],
)
def test_optimize_validates_its_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tunelab.create_study().optimize(quadratic, **kwargs)


def test_optimize_needs_a_callable():
    with pytest.raises(ValueError, match="argument 'objective' must be a callable"):
        tunelab.create_study().optimize("not callable", n_trials=1)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"direction": "up"}, ValueError, "argument 'direction' must be 'minimize' or 'maximize'"),
        ({"directions": []}, ValueError, "argument 'directions'"),
        ({"direction": "minimize", "directions": ["maximize"]}, ValueError, "not both"),
        ({"sampler": "annealing"}, ValueError, "unknown sampler 'annealing'"),
        ({"pruner": "never"}, ValueError, "unknown pruner 'never'"),
        ({"sampler": 3}, TypeError, "sampler must be a name"),
        ({"seed": -1}, ValueError, "argument 'seed'"),
    ],
)
def test_create_study_validates(kwargs, error, message):
    with pytest.raises(error, match=message):
        tunelab.create_study(**kwargs)


def test_duplicate_name_and_load_if_exists(sqlite_url):
    study = tunelab.create_study(name="s", storage=sqlite_url)
    study.optimize(quadratic, n_trials=3)
    with pytest.raises(tunelab.DuplicatedStudyError, match="load_if_exists=True"):
        tunelab.create_study(name="s", storage=sqlite_url)
    again = tunelab.create_study(name="s", storage=sqlite_url, load_if_exists=True)
    assert len(again.trials) == 3
    with pytest.raises(ValueError, match="exists with directions \\['minimize'\\]"):
        tunelab.create_study(name="s", storage=sqlite_url, direction="maximize", load_if_exists=True)
    loaded = tunelab.load_study("s", sqlite_url)
    loaded.optimize(quadratic, n_trials=2)
    assert [t.number for t in loaded.trials] == [0, 1, 2, 3, 4]
    with pytest.raises(tunelab.StudyNotFoundError, match="no study named 'missing'"):
        tunelab.load_study("missing", sqlite_url)


def test_multi_objective_best_trials_is_the_pareto_front():
    study = tunelab.create_study(directions=["minimize", "maximize"])
    points = [(1, 1), (2, 3), (3, 3), (0.5, 0.2), (2, 2)]
    for a, b in points:
        t = study.ask()
        study.tell(t, [a, b])
    front = sorted(tuple(t.values) for t in study.best_trials)
    assert front == [(0.5, 0.2), (1, 1), (2, 3)]
    with pytest.raises(RuntimeError, match="best_trial is for one objective"):
        study.best_trial


def test_constraints_prefer_feasible_best():
    study2 = tunelab.create_study(constraints=lambda t: [t.params["x"] - 0.5])
    for x in (0.9, 0.4, 0.1):
        study2.enqueue_trial({"x": x})
    study2.optimize(lambda t: -t.suggest_float("x", 0, 1), n_trials=3)
    assert study2.trials[0].system_attrs["constraints"] == pytest.approx([0.4])
    assert study2.best_params == {"x": 0.4}  # 0.9 scores better but is infeasible


def test_best_trial_without_complete_trials_says_so():
    study = tunelab.create_study(name="empty")
    with pytest.raises(ValueError, match="study 'empty' has no complete trial yet"):
        study.best_trial


def test_fixed_trial_runs_an_objective_once():
    assert quadratic(tunelab.FixedTrial({"x": 2.0, "y": -1})) == 0.0
    with pytest.raises(ValueError, match="no value for parameter 'y'"):
        quadratic(tunelab.FixedTrial({"x": 2.0}))


def test_import_is_light():
    import subprocess
    import sys

    code = ("import sys, tunelab; heavy = [m for m in ('torch', 'plotly', 'pandas', 'sklearn', 'sqlalchemy', "
            "'dask', 'ray', 'scipy', 'numpy') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_best_trial_by_is_not_fooled_by_one_lucky_seed():
    study = tunelab.create_study(direction="maximize")
    for seeds in ([0.99, 0.70, 0.72], [0.80, 0.81, 0.79], [0.5]):
        trial = study.ask()
        trial.set_user_attr("repeat_values", seeds)
        study.tell(trial, sum(seeds) / len(seeds))
    assert study.best_trial.number == 0  # best mean, 0.803 vs 0.800
    assert study.best_trial_by("conservative").number == 1
    assert study.best_trial_by("max").number == 0
    with pytest.raises(ValueError, match="'by'"):
        study.best_trial_by("median")


def test_best_trial_by_needs_a_complete_trial_and_one_objective():
    with pytest.raises(ValueError, match="no complete trial"):
        tunelab.create_study().best_trial_by()
    with pytest.raises(RuntimeError, match="one objective"):
        tunelab.create_study(directions=["minimize", "maximize"]).best_trial_by()


def test_tell_on_a_database_refuses_a_second_tell_of_a_live_trial(sqlite_url):
    study = tunelab.create_study(storage=sqlite_url)
    trial = study.ask()
    trial.report(0.5, step=1)
    trial.report(0.25, step=2)
    assert study.tell(trial, state="pruned").values == [0.25]  # the live trial's own curve
    with pytest.raises(ValueError, match="trial 0 is PRUNED already"):
        study.tell(trial, 1.0)
    assert study.tell(trial, 1.0, skip_if_finished=True).state == TrialState.PRUNED
    other = study.ask()
    study.tell(other.number, 2.0)  # by number: read first, then refused the second time
    with pytest.raises(ValueError, match="trial 1 is COMPLETE already"):
        study.tell(other, 3.0)
    assert study.trials[1].value == 2.0


def test_lazy_attributes_are_the_subpackages_that_exist():
    import tunelab

    assert hasattr(tunelab, "execution") is False  # a name with no module behind it is no attribute
    assert tunelab.integration.__name__ == "tunelab.integration" and tunelab.pruners.__name__ == "tunelab.pruners"
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        tunelab.nothing_here


def test_trials_dataframe_multi_index():
    study = tunelab.create_study(directions=["minimize", "maximize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_int("n", 1, 3)), n_trials=3)
    flat = study.trials_dataframe()
    nested = study.trials_dataframe(multi_index=True)
    assert {"params_x", "values_1"} <= set(flat.columns)
    assert {("params", "x"), ("params", "n"), ("values", 0), ("values", 1), ("number", "")} <= set(nested.columns)
    assert list(nested[("params", "n")]) == list(flat["params_n"])


def test_a_trial_whose_constraints_function_raised_is_not_feasible():
    def constraints(t):
        if t.params["x"] < 0.2:
            raise RuntimeError("broken constraint")
        return [t.params["x"] - 0.5]

    study = tunelab.create_study(constraints=constraints)
    for x in (0.1, 0.4, 0.9):
        study.enqueue_trial({"x": x})
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert "constraints_error" in study.trials[0].system_attrs
    assert study.best_params == {"x": 0.4}  # 0.1 scores best but its constraints are unknown


def test_tell_refuses_a_trial_that_is_only_enqueued():
    study = tunelab.create_study()
    study.enqueue_trial({"x": 0.5})
    with pytest.raises(ValueError, match="trial 0 is WAITING"):
        study.tell(0, 0.3)
    assert study.trials[0].state == TrialState.WAITING
    trial = study.ask()
    assert trial.suggest_float("x", 0, 1) == 0.5  # the queued configuration is still there


def test_add_trial_refuses_a_complete_trial_without_a_finite_value():
    from tunelab.trial import create_trial

    study = tunelab.create_study()
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="add_trial: a COMPLETE trial needs 1 finite value"):
            study.add_trial(create_trial(value=bad))
    assert study.trials == []


@pytest.mark.parametrize("kwargs, field", [({"catch": "x"}, "catch"), ({"catch": [ValueError, 3]}, "catch"),
                                           ({"callbacks": [1]}, "callbacks")])
def test_optimize_checks_catch_and_callbacks_before_any_trial(kwargs, field):
    study = tunelab.create_study()
    with pytest.raises(ValueError, match=f"argument '{field}'"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, **kwargs)
    assert study.trials == []


def test_each_optimize_call_with_workers_draws_new_points_from_a_seeded_sampler(sqlite_url):
    study = tunelab.create_study(storage=sqlite_url, sampler="random", seed=0)
    for _ in range(2):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4, n_jobs=2)
    xs = [t.params["x"] for t in study.trials]
    assert len(set(xs)) == 8


def test_worker_seeds_are_repeatable_and_distinct_per_worker_and_per_call():
    from tunelab.study._worker import worker_seed

    seeds = {(w, start): worker_seed(3, w, start) for w in range(4) for start in (0, 4, 8)}
    assert len(set(seeds.values())) == len(seeds)
    assert all(worker_seed(3, w, start) == s for (w, start), s in seeds.items())
    assert worker_seed(4, 0, 0) != seeds[(0, 0)]


def test_an_error_after_the_trial_is_stored_is_not_swallowed_by_the_worker():
    class Broken(tunelab.samplers.RandomSampler):
        def after_trial(self, *args, **kwargs):
            raise ValueError("after_trial broke")

    study = tunelab.create_study(sampler=Broken(seed=0))
    with pytest.raises(ValueError, match="after_trial broke"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE]
