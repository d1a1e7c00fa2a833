"""Samplers and pruners written the way Optuna's documentation shows run unchanged, with several workers too."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tunelab as optuna  # the point: the plug-ins below are written against Optuna's API
from tunelab.trial._state import TrialState


class SimulatedAnnealingSampler(optuna.samplers.BaseSampler):
    """Optuna's tutorial shape: assigns self._rng, skips super().__init__, uses study.trials[-2]."""

    def __init__(self, temperature: float = 100, seed: int | None = None):
        self._rng = np.random.RandomState(seed)
        self._temperature = temperature
        self._current_trial = None
        self.calls: list[tuple[str, int]] = []

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict:
        self.calls.append(("infer", trial.number))
        return optuna.search_space.intersection_search_space(study.get_trials(deepcopy=False))

    def sample_relative(self, study: Any, trial: Any, search_space: dict) -> dict:
        self.calls.append(("relative", trial.number))
        if search_space == {}:
            return {}
        assert any(t.number == trial.number and t.state == TrialState.RUNNING for t in study.trials)
        # the tutorial takes study.trials[-2]; with several workers that one may still run, so: the last complete
        prev_trial = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))[-1]
        if self._current_trial is None or prev_trial.value <= self._current_trial.value:
            probability = 1.0
        else:
            probability = np.exp((self._current_trial.value - prev_trial.value) / self._temperature)
        self._temperature *= 0.9
        if self._rng.uniform(0, 1) < probability:
            self._current_trial = prev_trial
        params = {}
        for name, dist in search_space.items():
            assert isinstance(dist, optuna.distributions.FloatDistribution)
            current = self._current_trial.params[name]
            width = (dist.high - dist.low) * 0.1
            params[name] = self._rng.uniform(max(current - width, dist.low), min(current + width, dist.high))
        return params

    def sample_independent(self, study: Any, trial: Any, param_name: str, param_distribution: Any) -> Any:
        self.calls.append(("independent", trial.number))
        # seeded from this sampler's stream (the tutorial's is unseeded), so a test run repeats itself
        independent = optuna.samplers.RandomSampler(seed=int(self._rng.randint(2**31)))
        return independent.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        self.calls.append(("after", trial.number))
        assert state == trial.state and (values is None or list(values) == trial.values)


def _objective(trial: Any) -> float:
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_float("y", -5, 5)
    return x**2 + y


def test_user_sampler_in_optunas_shape_runs_and_is_called_in_order() -> None:
    sampler = SimulatedAnnealingSampler(seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=30)
    assert study.sampler is sampler and len(study.trials) == 30
    assert study.best_value < min(t.value for t in study.trials[:2])  # it improved on its start
    first = [c for c in sampler.calls if c[1] == 0]
    assert first == [("infer", 0), ("independent", 0), ("independent", 0), ("after", 0)]
    later = [c[0] for c in sampler.calls if c[1] == 5]
    assert later == ["infer", "relative", "after"]  # the joint space covers both parameters
    assert isinstance(sampler._rng, np.random.RandomState)


def test_user_sampler_runs_in_worker_processes_over_sqlite(tmp_path: Any) -> None:
    study = optuna.create_study(sampler=SimulatedAnnealingSampler(seed=1), storage=f"sqlite:///{tmp_path}/s.db")
    study.optimize(_objective, n_trials=12, n_jobs=2)
    trials = study.get_trials(states=[TrialState.COMPLETE])
    assert len(trials) == 12 and len({t.params["x"] for t in trials}) == 12


def test_user_sampler_runs_in_threads_with_its_own_streams() -> None:
    study = optuna.create_study(sampler=SimulatedAnnealingSampler(seed=2))
    study.optimize(_objective, n_trials=12, n_jobs=2)
    assert len(study.get_trials(states=[TrialState.COMPLETE])) == 12


class DuckSampler:
    """Not derived from BaseSampler: only Optuna's three methods."""

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict:
        return {}

    def sample_relative(self, study: Any, trial: Any, search_space: dict) -> dict:
        return {}

    def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
        return dist.low if hasattr(dist, "low") else dist.choices[0]


def test_duck_typed_sampler_and_pruner_objects_are_adapted() -> None:
    class Always:
        def prune(self, study: Any, trial: Any) -> bool:
            return trial.last_step is not None and trial.last_step >= 1

    study = optuna.create_study(sampler=DuckSampler(), pruner=Always())

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 2, 3)
        for step in range(3):
            trial.report(x, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return x

    study.optimize(objective, n_trials=3)
    assert [t.params["x"] for t in study.trials] == [2.0, 2.0, 2.0]
    assert all(t.state == TrialState.PRUNED and t.last_step == 1 for t in study.trials)


class LastPlacePruner(optuna.pruners.BasePruner):
    """Optuna's tutorial pruner: compares with complete trials through study.get_trials."""

    def __init__(self, warmup_steps: int, warmup_trials: int):
        self._warmup_steps = warmup_steps
        self._warmup_trials = warmup_trials
        self.verdicts: list[tuple[int, int]] = []

    def prune(self, study: "optuna.study.Study", trial: "optuna.trial.FrozenTrial") -> bool:
        step = trial.last_step
        if step:
            this_score = trial.intermediate_values[step]
            completed = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            others = sorted(t.intermediate_values[step] for t in completed if step in t.intermediate_values)
            if step >= self._warmup_steps and len(others) > self._warmup_trials and this_score < others[0]:
                self.verdicts.append((trial.number, step))
                return True
        return False


def _scored(trial: Any) -> float:
    quality = trial.suggest_float("q", 0, 1)
    score = 0.0
    for step in range(5):
        score = quality * (step + 1)
        trial.report(score, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return score


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_user_pruner_in_optunas_shape_prunes_last_place(n_jobs: int) -> None:
    pruner = LastPlacePruner(warmup_steps=1, warmup_trials=3)
    study = optuna.create_study(direction="maximize", pruner=pruner,
                                sampler=optuna.samplers.RandomSampler(seed=0))
    for q in (0.5, 0.6, 0.7, 0.8, 0.9):  # the first complete trials: any later q < 0.5 is in last place
        study.enqueue_trial({"q": q})
    study.optimize(_scored, n_trials=60, n_jobs=n_jobs)
    pruned = study.get_trials(states=[TrialState.PRUNED])
    assert pruned, f"a last-place trial was pruned: {[(t.number, t.state.name, t.intermediate_values) for t in study.trials][:8]}"
    complete = study.get_trials(states=[TrialState.COMPLETE])
    for t in pruned:  # each pruned trial was below every complete trial that had finished before it
        step = t.last_step
        earlier = [c for c in complete if c.datetime_complete < t.datetime_complete and step in c.intermediate_values]
        assert len(earlier) > 3 and t.intermediate_values[step] < min(c.intermediate_values[step] for c in earlier)
    if n_jobs == 1:
        assert sorted(n for n, _ in pruner.verdicts) == [t.number for t in pruned]


def test_user_pruner_may_delegate_to_a_builtin_one() -> None:
    class Delegating(optuna.pruners.BasePruner):
        def __init__(self) -> None:
            self.inner = optuna.pruners.MedianPruner(n_startup_trials=2)

        def prune(self, study: Any, trial: Any) -> bool:
            return self.inner.prune(study, trial)

    study = optuna.create_study(direction="maximize", pruner=Delegating(),
                                sampler=optuna.samplers.RandomSampler(seed=3))
    study.optimize(_scored, n_trials=20)
    assert study.get_trials(states=[TrialState.PRUNED])
