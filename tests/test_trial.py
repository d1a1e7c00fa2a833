"""tunelab.trial: the records, and the live handle that reaches its study only through TrialBackend."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tunelab
from tunelab.space import CategoricalDistribution, Distribution, FloatDistribution, IntDistribution
from tunelab.trial import FixedTrial, FrozenTrial, StudyDirection, Trial, TrialState, check_values


def test_states_and_directions_print_by_name():
    assert str(TrialState.COMPLETE) == "COMPLETE" and f"{TrialState.FAIL}" == "FAIL"
    assert str(StudyDirection.MAXIMIZE) == "MAXIMIZE"
    assert TrialState.COMPLETE == 2 and int(TrialState.FAIL) == 4  # still the stored numbers
    study = tunelab.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert f"state={study.trials[0].state}" == "state=COMPLETE"


def test_parse_accepts_names_and_names_what_is_expected():
    assert TrialState.parse("pruned") is TrialState.PRUNED and StudyDirection.parse("MAXIMIZE").sign() == -1.0
    with pytest.raises(ValueError, match="state must be one of"):
        TrialState.parse("done")
    with pytest.raises(ValueError, match="direction must be 'minimize' or 'maximize'"):
        StudyDirection.parse("up")


@pytest.mark.parametrize("returned, values, reason", [
    (1, [1.0], None),
    (np.float32(0.5), [0.5], None),
    ((1, 2), None, "returned 2 value(s) but the study has 1"),
    (None, None, "returned None"),
    (math.nan, None, "not finite"),
    (True, None, "not a number"),
    ("0.3", None, "not a number"),
])
def test_check_values(returned, values, reason):
    got, why = check_values(returned, 1)
    assert got == values
    assert (why is None) if reason is None else (reason in why)


def test_frozen_trial_value_and_duration():
    trial = FrozenTrial(number=0, trial_id=0, state=TrialState.COMPLETE, values=[1.0, 2.0],
                        intermediate_values={3: 0.1, 7: 0.2})
    assert trial.last_step == 7 and trial.duration is None and trial.duration_seconds is None
    with pytest.raises(RuntimeError, match="several objective values"):
        trial.value


class RecordingBackend:
    """A TrialBackend without any study: proves the handle needs nothing else."""

    study = "the study"
    trial_id = 42

    def __init__(self, known: dict[str, Distribution] | None = None, prune: bool = False):
        self.known, self.prune, self.calls = dict(known or {}), prune, []

    def known_distribution(self, name: str) -> Distribution | None:
        return self.known.get(name)

    def sample(self, name: str, distribution: Distribution, params: dict, distributions: dict) -> Any:
        self.calls.append(("sample", name, dict(params)))
        return distribution.from_unit(0.25)

    def set_param(self, name: str, distribution: Distribution, value: Any) -> None:
        self.calls.append(("param", name, value))

    def set_intermediate_value(self, step: int, value: float) -> None:
        self.calls.append(("report", step, value))

    def set_attr(self, key: str, value: Any, system: bool) -> None:
        self.calls.append(("attr", key, value, system))

    def should_prune(self, trial: FrozenTrial) -> bool:
        self.calls.append(("prune?", trial.state, dict(trial.intermediate_values)))
        return self.prune

    def budget(self, trial: FrozenTrial) -> float | None:
        return 3.0


def test_the_live_trial_talks_only_to_its_backend():
    backend = RecordingBackend()
    trial = Trial(backend, number=7, fixed_params={"a": 2}, relative={"b": 0.9},
                  relative_space={"b": FloatDistribution(0, 1)})
    assert trial.study == "the study" and trial.trial_id == 42 and trial.number == 7
    assert trial.suggest_int("a", 0, 5) == 2  # enqueued value first
    assert trial.suggest_float("b", 0, 1) == 0.9  # then the sampler's joint proposal
    assert trial.suggest_float("c", 0, 4) == 1.0  # then an independent sample, seeing the values so far
    trial.report(0.5, step=1)
    trial.set_user_attr("seed", 3)
    trial.set_system_attr("sys", 1)
    assert trial.should_prune() is False and trial.budget == 3.0
    assert backend.calls == [
        ("param", "a", 2), ("param", "b", 0.9), ("sample", "c", {"a": 2, "b": 0.9}), ("param", "c", 1.0),
        ("report", 1, 0.5), ("attr", "seed", 3, False), ("attr", "sys", 1, True),
        ("prune?", TrialState.RUNNING, {1: 0.5}),
    ]


def test_a_relative_value_is_used_only_for_the_same_distribution():
    backend = RecordingBackend()
    trial = Trial(backend, 0, relative={"b": 0.9}, relative_space={"b": FloatDistribution(0, 1)})
    assert trial.suggest_float("b", 0, 2) == 0.5  # another range: sampled independently
    assert ("sample", "b", {}) in backend.calls


def test_a_range_may_move_between_trials_but_keeps_its_kind_log_and_choices():
    known = {"x": FloatDistribution(0, 1), "n": IntDistribution(1, 5), "c": CategoricalDistribution(["a", "b"])}
    trial = Trial(RecordingBackend(known=known), 0)
    assert 0 <= trial.suggest_float("x", 0, 2) <= 2  # other bounds, as Optuna allows (a range set by another param)
    for call, why in [(lambda t: t.suggest_int("x", 0, 2), "int now, float before"),
                      (lambda t: t.suggest_float("n", 1, 5), "float now, int before"),
                      (lambda t: t.suggest_int("n", 1, 5, log=True), "another log setting"),
                      (lambda t: t.suggest_categorical("c", ["a", "b", "z"]), "other choices")]:
        with pytest.raises(ValueError, match=f"earlier trials of this study used .*: {why}"):
            call(Trial(RecordingBackend(known=known), 1))


def test_one_range_per_name_within_a_trial():
    trial = Trial(RecordingBackend(), 0)
    trial.suggest_int("n", 1, 3)
    with pytest.raises(ValueError, match="already suggested in this trial"):
        trial.suggest_int("n", 1, 4)
    with pytest.raises(ValueError, match="parameter 'lr'"):
        trial.suggest_float("lr", 1, 0)


def test_report_checks_its_arguments_and_keeps_the_first_value_of_a_step():
    backend = RecordingBackend()
    trial = Trial(backend, 0)
    with pytest.raises(ValueError, match="'step' must be an int >= 0"):
        trial.report(0.1, step=-1)
    with pytest.raises(ValueError, match="'value' must be a number"):
        trial.report("high", step=0)
    trial.report(0.1, 0)
    trial.report(0.2, 0)
    assert trial.intermediate_values == {0: 0.1} and backend.calls == [("report", 0, 0.1)]


def test_fixed_trial_runs_an_objective_without_a_study():
    def objective(trial):
        trial.report(1.0, 0)
        return trial.suggest_float("x", 0, 1) + trial.suggest_categorical("c", ["a", "b"]).count("b")

    trial = FixedTrial({"x": 0.25, "c": "b"})
    assert objective(trial) == 1.25 and not trial.should_prune() and trial.budget is None
    with pytest.raises(ValueError, match="no value for parameter 'y'"):
        trial.suggest_int("y", 0, 1)
    with pytest.raises(ValueError, match="outside"):
        FixedTrial({"x": 3.0}).suggest_float("x", 0, 1)


def test_study_ask_hands_the_relative_proposal_to_the_trial():
    class Joint(tunelab.samplers.RandomSampler):
        def infer_relative_space(self, context):
            return {"x": FloatDistribution(0, 1)}

        def sample_relative(self, context, space):
            return {"x": 0.125}

    study = tunelab.create_study(sampler=Joint(seed=0))
    trial = study.ask()
    assert trial.suggest_float("x", 0, 1) == 0.125 and trial.study is study
    assert study.tell(trial, 1.0).params == {"x": 0.125}


def test_duration_is_a_timedelta_as_in_optuna():
    from datetime import datetime, timedelta

    import tunelab

    trial = tunelab.trial.create_trial(value=1.0)
    trial.datetime_start, trial.datetime_complete = datetime(2026, 1, 1, 12, 0, 0), datetime(2026, 1, 1, 12, 0, 2, 500000)
    assert trial.duration == timedelta(seconds=2.5) and trial.duration_seconds == 2.5
    # Optuna's visualization tutorial: a figure of the time each trial took
    study = tunelab.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert all(t.duration.total_seconds() >= 0 for t in study.trials)
