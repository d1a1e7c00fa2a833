"""Pruners inside a study: PRUNED state, kept curves, the data frame, registry names."""

from __future__ import annotations

import tunelab
from tunelab.trial import TrialState


def curve_objective(trial):
    """Accuracy-like curves whose final level is the parameter: bad configurations stay low throughout."""
    level = trial.suggest_float("level", 0.0, 1.0)
    for step in range(10):
        trial.report(level * (1 - 0.5 ** (step + 1)), step)
        if trial.should_prune():
            raise tunelab.TrialPruned()
    return level * (1 - 0.5 ** 10)


def test_pruned_trials_keep_their_curves_and_show_pruned_in_the_frame():
    study = tunelab.create_study(direction="maximize", sampler="random", seed=1,
                                 pruner=tunelab.pruners.MedianPruner(n_startup_trials=3))
    for level in (0.5, 0.6, 0.7, 0.1, 0.95):
        study.enqueue_trial({"level": level})
    study.optimize(curve_objective, n_trials=5)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3 + [TrialState.PRUNED, TrialState.COMPLETE]
    pruned = trials[3]
    assert pruned.intermediate_values == {0: 0.05}           # stopped at its first check, curve kept
    assert pruned.values == [0.05]                            # a pruned trial's value is its last report
    frame = study.trials_dataframe()
    assert list(frame["state"]) == ["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED", "COMPLETE"]
    assert list(frame["n_steps"]) == [10, 10, 10, 1, 10]
    assert study.best_params == {"level": 0.95}


def test_pruner_names_work_in_create_study():
    for name in ("asha", "hyperband", "median", "patience", "threshold", "cv", "none"):
        study = tunelab.create_study(direction="maximize", sampler="random", seed=0, pruner=name)
        study.optimize(curve_objective, n_trials=8)
        states = {t.state for t in study.trials}
        assert states <= {TrialState.COMPLETE, TrialState.PRUNED}
        assert TrialState.COMPLETE in states


def test_asha_in_a_study_prunes_low_curves_and_keeps_high_ones():
    study = tunelab.create_study(direction="maximize", sampler="random", seed=0, pruner="asha")
    study.optimize(curve_objective, n_trials=40)
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    assert len(pruned) > len(complete) > 0
    # what got through is better than what was stopped, on average
    assert min(t.params["level"] for t in complete[1:]) > sorted(t.params["level"] for t in pruned)[len(pruned) // 2]


def test_ask_tell_pruned_keeps_the_curve():
    study = tunelab.create_study(direction="minimize", pruner="none")
    trial = study.ask()
    trial.report(3.0, 0)
    trial.report(2.5, 1)
    frozen = study.tell(trial, state="pruned")
    assert frozen.state == TrialState.PRUNED
    assert frozen.intermediate_values == {0: 3.0, 1: 2.5}
    assert frozen.values == [2.5]


def test_multi_objective_reports_are_read_in_the_first_objectives_direction():
    # objective 0 is maximized: low reports are the bad ones, whatever objective 1's direction
    study = tunelab.create_study(directions=["maximize", "minimize"], sampler="random", seed=0,
                                 pruner=tunelab.pruners.MedianPruner(n_startup_trials=3))
    for level in (0.5, 0.6, 0.7, 0.1, 0.95):
        study.enqueue_trial({"level": level})

    def objective(trial):
        return curve_objective(trial), 1.0

    study.optimize(objective, n_trials=5)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3 + [TrialState.PRUNED, TrialState.COMPLETE]
