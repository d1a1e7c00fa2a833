"""Smaller Optuna names the surface test asks for, each against Optuna's own on a small case."""

from __future__ import annotations

import logging

import pytest

optuna = pytest.importorskip("optuna")

import tunelab  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.mark.parametrize("make", [
    lambda lib: lib.distributions.FloatDistribution(0.0, 2.0),
    lambda lib: lib.distributions.IntDistribution(1, 9, step=2),
    lambda lib: lib.distributions.CategoricalDistribution(["a", 3, None]),
])
def test_internal_and_external_representations_are_optunas(make):
    ours, theirs = make(tunelab), make(optuna)
    for value in ([0.0, 1.5, 2.0] if isinstance(theirs, optuna.distributions.FloatDistribution)
                  else [1, 5, 9] if isinstance(theirs, optuna.distributions.IntDistribution) else ["a", 3, None]):
        internal = ours.to_internal_repr(value)
        assert internal == theirs.to_internal_repr(value)
        assert ours.to_external_repr(internal) == theirs.to_external_repr(internal) == value


def test_hyperopt_parameters_build_a_sampler_without_warnings():
    import warnings

    params = tunelab.samplers.TPESampler.hyperopt_parameters()
    reference = optuna.samplers.TPESampler.hyperopt_parameters()
    assert {k: params[k] for k in ("n_startup_trials", "n_ei_candidates", "prior_weight")} == \
        {k: reference[k] for k in ("n_startup_trials", "n_ei_candidates", "prior_weight")}
    assert [params["gamma"](n) for n in (1, 10, 100, 1000)] == [reference["gamma"](n) for n in (1, 10, 100, 1000)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sampler = tunelab.samplers.TPESampler(**params)
    assert sampler.n_startup_trials == 20


def test_version_and_default_formatter():
    assert tunelab.version.__version__ == tunelab.__version__
    record = logging.LogRecord("tunelab", logging.WARNING, __file__, 1, "careful", None, None)
    text = tunelab.logging.create_default_formatter().format(record)
    assert text.startswith("[W ") and text.endswith("] careful")


def test_a_ga_sampler_written_for_optuna_runs():
    """Optuna's BaseGASampler recipe: select_parent(study, generation) + sample_relative(study, trial, space)."""

    class BestHalf(tunelab.samplers.BaseGASampler):
        def __init__(self):
            super().__init__(population_size=6)
            self._random = tunelab.samplers.RandomSampler(seed=0)

        def select_parent(self, study, generation):
            pool = self.get_population(study, generation - 1) + self.get_parent_population(study, generation - 1)
            return sorted(pool, key=lambda t: t.value)[:3]

        def infer_relative_search_space(self, study, trial):
            return tunelab.search_space.intersection_search_space(study.get_trials(deepcopy=False))

        def sample_relative(self, study, trial, search_space):
            parents = self.get_parent_population(study, self.get_trial_generation(study, trial))
            if not parents:
                return {}
            return {"x": sum(p.params["x"] for p in parents) / len(parents)}

        def sample_independent(self, study, trial, param_name, param_distribution):
            return self._random.sample_independent(study, trial, param_name, param_distribution)

    study = tunelab.create_study(sampler=BestHalf())
    study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=24)
    sampler = study.sampler
    assert sampler.get_trial_generation(study, study.trials[13]) == 2
    parents = sampler.get_parent_population(study, 3)
    assert len(parents) == 3
    # generations after the first take the mean of the three best so far: they stop moving
    assert len({round(t.params["x"], 12) for t in study.trials[6:12]}) == 1


def test_fixed_trial_keeps_system_attrs():
    assert tunelab.trial.FixedTrial({"x": 1}).system_attrs == {}


def test_ped_anova_global_form_compares_with_the_whole_space():
    """evaluate_on_local=False (Optuna's global PED-ANOVA): the top trials against a uniform density."""
    def objective(trial):
        x = trial.suggest_float("x", -1.0, 1.0)
        y = trial.suggest_float("y", -1.0, 1.0)
        kind = trial.suggest_categorical("kind", ["a", "b", "c"])
        return x * x + 0.05 * y + (0.3 if kind == "c" else 0.0)

    ours = tunelab.create_study(sampler=tunelab.samplers.RandomSampler(seed=0))
    ours.optimize(objective, n_trials=300)
    theirs = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    theirs.optimize(objective, n_trials=300)
    for lib, study in ((tunelab, ours), (optuna, theirs)):
        result = lib.importance.get_param_importances(
            study, evaluator=lib.importance.PedAnovaImportanceEvaluator(evaluate_on_local=False), normalize=False)
        assert list(result)[0] == "x", (lib.__name__, result)
    local = tunelab.importance.get_param_importances(
        ours, evaluator=tunelab.importance.PedAnovaImportanceEvaluator(target_quantile=0.1, region_quantile=0.5),
        normalize=False)
    global_ = tunelab.importance.get_param_importances(
        ours, evaluator=tunelab.importance.PedAnovaImportanceEvaluator(target_quantile=0.1, region_quantile=0.5,
                                                                       evaluate_on_local=False), normalize=False)
    assert global_["x"] > local["x"] > 0  # against the whole space the top trials' x stands out more
    with pytest.raises(TypeError, match="'evaluate_on_local' must be True or False"):
        tunelab.importance.PedAnovaImportanceEvaluator(evaluate_on_local="yes")


@pytest.mark.parametrize("first, then", [
    (lambda t: t.suggest_float("x", 0, 1), lambda t: t.suggest_float("x", 0, 5)),  # bounds move: accepted
    (lambda t: t.suggest_int("x", 1, 4), lambda t: t.suggest_int("x", 2, 9, step=1)),
    (lambda t: t.suggest_float("x", 0.1, 1), lambda t: t.suggest_float("x", 0.1, 1, log=True)),  # log: refused
    (lambda t: t.suggest_float("x", 0, 1), lambda t: t.suggest_int("x", 0, 1)),  # kind: refused
    (lambda t: t.suggest_categorical("x", ["a", "b"]), lambda t: t.suggest_categorical("x", ["a", "c"])),
])
def test_a_parameter_may_change_its_range_where_optuna_lets_it(first, then):
    """Same verdict as Optuna's, trial by trial: accepted, or refused with a ValueError."""
    verdicts = []
    for lib in (optuna, tunelab):
        study = lib.create_study(sampler=lib.samplers.RandomSampler(seed=0))
        study.optimize(lambda t: float(hash(str(first(t))) % 7), n_trials=2)
        trial = study.ask()
        try:
            then(trial)
            verdicts.append("accepted")
        except ValueError:
            verdicts.append("refused")
    assert verdicts[0] == verdicts[1], verdicts
