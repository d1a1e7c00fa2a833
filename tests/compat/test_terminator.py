"""tunelab.terminator: Optuna's names and arguments, stopping a converged study, agreeing with Optuna's values."""

from __future__ import annotations

import inspect
import math

import numpy as np
import optuna
import optuna.terminator
import pytest
from scipy.stats import spearmanr

import tunelab
from tunelab.terminator import (BestValueStagnationEvaluator, CrossValidationErrorEvaluator, EMMREvaluator,
                                MedianErrorEvaluator, RegretBoundEvaluator, StaticErrorEvaluator, Terminator,
                                TerminatorCallback, report_cross_validation_scores)
from tunelab.trial import StudyDirection, TrialState, create_trial

optuna.logging.set_verbosity(optuna.logging.WARNING)
pytestmark = [pytest.mark.filterwarnings("ignore:.*optuna.terminator.*deprecated:FutureWarning"),
              pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")]

MIN = StudyDirection.MINIMIZE


def test_optuna_names_and_constructor_arguments() -> None:
    assert set(optuna.terminator.__all__) <= set(tunelab.terminator.__all__)
    for name in optuna.terminator.__all__:
        theirs = getattr(optuna.terminator, name)
        ours = getattr(tunelab.terminator, name)
        if inspect.isclass(theirs):
            theirs, ours = theirs.__init__, ours.__init__
        ours_args = [(p.name, p.default) for p in inspect.signature(ours).parameters.values()]
        theirs_args = [(p.name, p.default) for p in inspect.signature(theirs).parameters.values()]
        assert ours_args == theirs_args, name


# ------------------------------------------------------------------ trials shared with Optuna


def _optuna_trials(fn, dims: int, n: int, seed: int, noise: float) -> list:
    rng = np.random.default_rng(seed)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    study.optimize(lambda t: fn(np.array([t.suggest_float(f"x{i}", -2, 2) for i in range(dims)]))
                   + noise * rng.normal(), n_trials=n)
    return study.trials


def _as_tunelab(trials: list) -> list:
    return [create_trial(params=t.params, value=t.value, system_attrs=dict(t.system_attrs),
                         distributions={k: tunelab.distributions.json_to_distribution(
                             optuna.distributions.distribution_to_json(d)) for k, d in t.distributions.items()})
            for t in trials]


def _sphere(x: np.ndarray) -> float:
    return float((x ** 2).sum())


def _abs(x: np.ndarray) -> float:
    return float(np.abs(x).sum())


def test_regret_bound_is_of_the_order_of_optunas() -> None:
    """Same trials (random search, noisy): every value within 25 % of Optuna's, and the same ordering.

    Both fit a Matern-5/2 GP with the same prior shapes, but with different
    optimisers and random candidate sets, so the values are close, not equal
    (measured: within 5 %).  On trials clustered by TPE the two fits can end in
    different optima of the posterior, and the bounds then differ by up to 3x.
    """
    ours, theirs = [], []
    for fn, dims, n, seed in [(_sphere, 1, 30, 1), (_sphere, 3, 30, 2), (_sphere, 3, 80, 3), (_abs, 1, 60, 4),
                              (_abs, 3, 40, 5), (_sphere, 2, 100, 6)]:
        trials = _optuna_trials(fn, dims, n, seed, noise=0.05)
        theirs.append(optuna.terminator.RegretBoundEvaluator(seed=0).evaluate(
            trials, optuna.study.StudyDirection.MINIMIZE))
        ours.append(RegretBoundEvaluator(seed=0).evaluate(_as_tunelab(trials), MIN))
    ratios = np.array(ours) / np.array(theirs)
    assert np.all((ratios > 0.8) & (ratios < 1.25)), (ours, theirs)
    assert spearmanr(ours, theirs).statistic >= 0.9, (ours, theirs)


def test_regret_bound_follows_the_direction() -> None:
    trials = _as_tunelab(_optuna_trials(_sphere, 2, 40, 7, noise=0.0))
    flipped = [create_trial(params=t.params, distributions=t.distributions, value=-t.value) for t in trials]
    a = RegretBoundEvaluator(seed=1).evaluate(trials, MIN)
    b = RegretBoundEvaluator(seed=1).evaluate(flipped, StudyDirection.MAXIMIZE)
    assert a == pytest.approx(b, rel=1e-6)
    assert a > 0


def test_best_value_stagnation_matches_optuna() -> None:
    values = [5.0, 4.0, 4.5, 3.0, 3.0, 3.5, 6.0, 2.9, 3.0, 3.1, 3.2]
    ours = [create_trial(params={"x": v}, distributions={"x": tunelab.distributions.FloatDistribution(0, 10)},
                         value=v) for v in values]
    theirs = [optuna.trial.create_trial(params={"x": v}, distributions={"x": optuna.distributions.FloatDistribution(
        0, 10)}, value=v) for v in values]
    for k in range(1, len(values) + 1):
        for direction in ("minimize", "maximize"):
            got = BestValueStagnationEvaluator(4).evaluate(ours[:k], StudyDirection.parse(direction))
            want = optuna.terminator.BestValueStagnationEvaluator(4).evaluate(
                theirs[:k], optuna.study.StudyDirection[direction.upper()])
            assert got == want, (k, direction)


def _constant_after_first(trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    return 1.0 if trial.number else 0.5 + 0 * x


@pytest.mark.parametrize("n_jobs, where", [(1, "memory"), (2, "memory"), (2, "sqlite")])
def test_stagnation_callback_stops_like_optuna(tmp_path, n_jobs: int, where: str) -> None:
    """The best (trial 0) never improves; with 5 stagnant trials allowed the 7th trial's callback stops the study.

    Optuna stops after 7 trials (one worker); with two workers (threads in memory, processes on SQLite)
    each finishes its running trial.
    """
    terminator = Terminator(BestValueStagnationEvaluator(5), min_n_trials=1)
    storage = f"sqlite:///{tmp_path / 'db.sqlite'}" if where == "sqlite" else None
    study = tunelab.create_study(storage=storage, sampler="random")
    study.optimize(_constant_after_first, n_trials=40, n_jobs=n_jobs, callbacks=[TerminatorCallback(terminator)])
    n = len(study.get_trials(states=[TrialState.COMPLETE]))
    if n_jobs == 1:
        reference = optuna.create_study()
        reference.optimize(_constant_after_first, n_trials=40, callbacks=[optuna.terminator.TerminatorCallback(
            optuna.terminator.Terminator(optuna.terminator.BestValueStagnationEvaluator(5), min_n_trials=1))])
        assert n == len(reference.trials) == 7
    else:
        assert 7 <= n <= 7 + n_jobs


def _noisy_cv_quadratic(trial) -> float:
    """A 1-D quadratic measured as the mean of 5 'fold' scores with fold noise of sd 0.1."""
    x = trial.suggest_float("x", -3, 3)
    rng = np.random.default_rng(trial.number)
    scores = x ** 2 + 0.1 * rng.standard_normal(5)
    report_cross_validation_scores(trial, scores.tolist())
    return float(scores.mean())


def test_callback_stops_a_converged_study_early() -> None:
    """The GP sampler finds the bottom of the quadratic within ~20 trials; the terminator stops soon after.

    Measured with GP seeds 0-3: stopped after 30, 20, 23 and 20 trials, best |x| <= 0.12.
    """
    study = tunelab.create_study(sampler=tunelab.samplers.GPSampler(seed=0))
    study.optimize(_noisy_cv_quadratic, n_trials=150, callbacks=[TerminatorCallback(Terminator(
        RegretBoundEvaluator(seed=0)))])
    n = len(study.trials)
    assert 20 <= n <= 60, n  # judged from the 20th trial on, stopped well before the budget
    assert abs(study.best_params["x"]) < 0.3
    # at the stop, the room left is below the cross-validation error of the best trial
    bound = RegretBoundEvaluator(seed=0).evaluate(study.trials, MIN)
    error = CrossValidationErrorEvaluator().evaluate(study.trials, MIN)
    assert error == pytest.approx(math.sqrt((1 / 5 + 1 / 4) * np.var(
        study.best_trial.system_attrs["terminator:cv_scores"])))
    assert bound < 3 * error


def test_callback_keeps_a_fresh_noisy_study_going() -> None:
    """Four parameters, 30 trials: the GP is far from sure, so nothing stops.

    Measured (study seeds 0-2, after 20-30 trials): the regret bound is 100-540 times the CV error.
    """
    def objective(trial) -> float:
        x = np.array([trial.suggest_float(f"x{i}", -3, 3) for i in range(4)])
        rng = np.random.default_rng(trial.number)
        scores = float(np.sum(x ** 2 + np.sin(3 * x))) + 0.05 * rng.standard_normal(5)
        report_cross_validation_scores(trial, scores.tolist())
        return float(scores.mean())

    study = tunelab.create_study(sampler="random", seed=0)
    study.optimize(objective, n_trials=30, callbacks=[TerminatorCallback()])
    assert len(study.trials) == 30


def test_report_cross_validation_scores_is_what_the_evaluator_reads(tmp_path) -> None:
    storage = f"sqlite:///{tmp_path / 'cv.db'}"
    study = tunelab.create_study(study_name="cv", storage=storage, direction="maximize", sampler="random")
    folds = {}

    def objective(trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        scores = [x + 0.01 * k for k in range(4)]
        folds[trial.number] = scores
        report_cross_validation_scores(trial, scores)
        return float(np.mean(scores))

    study.optimize(objective, n_trials=5)
    reloaded = tunelab.load_study(study_name="cv", storage=storage)
    best = reloaded.best_trial
    assert best.system_attrs["terminator:cv_scores"] == folds[best.number]
    ours = CrossValidationErrorEvaluator().evaluate(reloaded.trials, StudyDirection.MAXIMIZE)
    theirs = optuna.terminator.CrossValidationErrorEvaluator().evaluate(
        [optuna.trial.create_trial(params=t.params, value=t.value, system_attrs=dict(t.system_attrs),
                                   distributions={"x": optuna.distributions.FloatDistribution(0, 1)})
         for t in reloaded.trials], optuna.study.StudyDirection.MAXIMIZE)
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert ours == pytest.approx(math.sqrt((1 / 4 + 1 / 3) * np.var(folds[best.number])))


def test_missing_cv_scores_say_what_to_call() -> None:
    study = tunelab.create_study(sampler="random")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    with pytest.raises(ValueError, match="report_cross_validation_scores"):
        Terminator(min_n_trials=2).should_terminate(study)


def test_static_error_and_min_n_trials() -> None:
    study = tunelab.create_study(sampler="random", seed=3)
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=25)
    assert not Terminator(StaticErrorEvaluator(1e9), StaticErrorEvaluator(1e9), min_n_trials=26).should_terminate(
        study)  # too few trials to judge
    assert Terminator(RegretBoundEvaluator(seed=0), StaticErrorEvaluator(1e9)).should_terminate(study)
    assert not Terminator(RegretBoundEvaluator(seed=0), StaticErrorEvaluator(0.0)).should_terminate(study)


class _CountingEvaluator:
    """An improvement evaluator whose value is the number of trials it was given."""

    def evaluate(self, trials, study_direction) -> float:
        return float(len(trials))


def test_median_error_evaluator_matches_optuna() -> None:
    ours = [create_trial(params={}, distributions={}, value=float(i)) for i in range(40)]
    theirs = [optuna.trial.create_trial(params={}, distributions={}, value=float(i)) for i in range(40)]
    mine = MedianErrorEvaluator(_CountingEvaluator(), warm_up_trials=5, n_initial_trials=9, threshold_ratio=0.5)
    ref = optuna.terminator.MedianErrorEvaluator(_CountingEvaluator(), warm_up_trials=5, n_initial_trials=9,
                                                 threshold_ratio=0.5)
    assert mine.evaluate(ours[:13], MIN) < 0 and ref.evaluate(theirs[:13], MIN) < 0  # not enough trials yet
    assert mine.evaluate(ours[:14], MIN) == ref.evaluate(theirs[:14], MIN) == 2.5  # median of 1..9 is 5, x 0.5
    assert mine.evaluate(ours, MIN) == 2.5  # computed once, then kept


def test_emmr_waits_then_gives_finite_nonnegative_values() -> None:
    trials = _as_tunelab(_optuna_trials(_sphere, 2, 40, 11, noise=0.01))
    evaluator = EMMREvaluator(seed=0)
    assert evaluator.evaluate(trials[:1], MIN) > 1e300  # fewer than min_n_trials: never stop
    values = [evaluator.evaluate(trials[:k], MIN) for k in (5, 20, 40)]
    assert all(math.isfinite(v) and v >= 0 for v in values), values


def test_emmr_is_of_the_order_of_optunas_and_falls() -> None:
    """The KL term differs from Optuna's on purpose (docs/migrating.md): within a factor 10, same trend."""
    raw = _optuna_trials(_sphere, 2, 60, 1, noise=0.0)
    ours = [EMMREvaluator(seed=0).evaluate(_as_tunelab(raw[:k]), MIN) for k in (10, 60)]
    theirs = [optuna.terminator.EMMREvaluator(seed=0).evaluate(raw[:k], optuna.study.StudyDirection.MINIMIZE)
              for k in (10, 60)]
    ratios = np.array(ours) / np.array(theirs)
    assert np.all((ratios > 0.1) & (ratios < 10)), (ours, theirs)
    assert ours[1] < ours[0] / 3 and theirs[1] < theirs[0] / 3


def test_emmr_with_median_error_stops_a_converged_quadratic() -> None:
    """Measured: TPE seeds 0-3 stopped after 30, 30, 30, 79 trials (Optuna's pair: 32, 30 for seeds 0, 1)."""
    emmr = EMMREvaluator(seed=0)
    terminator = Terminator(emmr, MedianErrorEvaluator(emmr), min_n_trials=30)
    study = tunelab.create_study(sampler=tunelab.samplers.TPESampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", -3, 3) ** 2, n_trials=200, callbacks=[TerminatorCallback(terminator)])
    assert 30 <= len(study.trials) < 200
    assert abs(study.best_params["x"]) < 0.3


@pytest.mark.parametrize("make, field", [
    (lambda: RegretBoundEvaluator(top_trials_ratio=0), "top_trials_ratio"),
    (lambda: RegretBoundEvaluator(top_trials_ratio=1.5), "top_trials_ratio"),
    (lambda: RegretBoundEvaluator(min_n_trials=0), "min_n_trials"),
    (lambda: RegretBoundEvaluator(seed=-1), "seed"),
    (lambda: BestValueStagnationEvaluator(-1), "max_stagnation_trials"),
    (lambda: EMMREvaluator(min_n_trials=1), "min_n_trials"),
    (lambda: EMMREvaluator(delta=0), "delta"),
    (lambda: MedianErrorEvaluator(EMMREvaluator(), threshold_ratio=0), "threshold_ratio"),
    (lambda: MedianErrorEvaluator(EMMREvaluator(), n_initial_trials=0), "n_initial_trials"),
    (lambda: MedianErrorEvaluator(EMMREvaluator(), warm_up_trials=-1), "warm_up_trials"),
    (lambda: MedianErrorEvaluator(object()), "paired_improvement_evaluator"),
    (lambda: StaticErrorEvaluator("small"), "constant"),
    (lambda: Terminator(min_n_trials=0), "min_n_trials"),
    (lambda: Terminator(improvement_evaluator=object()), "improvement_evaluator"),
    (lambda: Terminator(error_evaluator="cv"), "error_evaluator"),
    (lambda: TerminatorCallback(terminator=3), "terminator"),
    (lambda: report_cross_validation_scores(tunelab.trial.FixedTrial({}), [0.5]), "scores"),
    (lambda: report_cross_validation_scores(tunelab.trial.FixedTrial({}), [0.5, float("nan")]), "scores"),
])
def test_bad_arguments_name_the_field(make, field: str) -> None:
    with pytest.raises((ValueError, TypeError), match=f"'?{field}'?"):
        make()


def test_empty_space_and_no_complete_trial_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="no trial has completed"):
        RegretBoundEvaluator().evaluate([], MIN)
    with pytest.raises(ValueError, match="intersection search space is empty"):
        RegretBoundEvaluator().evaluate([create_trial(params={}, distributions={}, value=1.0)] * 3, MIN)


def test_plot_terminator_improvement_with_evaluators() -> None:
    study = tunelab.create_study(sampler="random", seed=0)
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=30)
    fig = tunelab.visualization.plot_terminator_improvement(
        study, plot_error=True, improvement_evaluator=BestValueStagnationEvaluator(10), min_n_trials=10, n_points=3)
    assert [tr.name for tr in fig.data] == ["Terminator Improvement", "Error"]
    complete = study.trials
    assert list(fig.data[0].x) == [9, 19, 29]
    assert list(fig.data[0].y) == [BestValueStagnationEvaluator(10).evaluate(complete[:k], MIN) for k in (10, 20, 30)]
    assert list(fig.data[1].y) == [0.0, 0.0, 0.0]  # the stagnation evaluator's default error: StaticErrorEvaluator(0)


def test_plot_terminator_improvement_without_cv_scores_leaves_the_error_out() -> None:
    study = tunelab.create_study(sampler="random", seed=1)
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=22)
    fig = tunelab.visualization.plot_terminator_improvement(
        study, plot_error=True, improvement_evaluator=RegretBoundEvaluator(seed=0), n_points=2)
    assert list(fig.data[0].x) == [19, 21] and all(v > 0 for v in fig.data[0].y)
    assert all(math.isnan(v) for v in fig.data[1].y)
    assert "report_cross_validation_scores" in fig.layout.annotations[0].text
    with pytest.raises(ValueError, match="report_cross_validation_scores"):  # asked for by name: the error stands
        tunelab.visualization.plot_terminator_improvement(
            study, plot_error=True, error_evaluator=CrossValidationErrorEvaluator())
    with pytest.raises(ValueError, match="'target'"):
        tunelab.visualization.plot_terminator_improvement(study, improvement_evaluator=RegretBoundEvaluator(),
                                                          target=lambda t: t.value)
