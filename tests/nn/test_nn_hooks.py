"""Pruning in users' own loops: report_epoch, and the Lightning callback with a stand-in trainer."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

import tunelab
from tunelab.nn.hooks import report_epoch
from tunelab.nn.lightning import PruningCallback
from tunelab.pruners import BasePruner


class PruneFrom(BasePruner):
    def __init__(self, step, budget=None):
        self.step, self._budget, self.asked = step, budget, []

    def prune(self, context):
        self.asked.append(context.trial.last_step)
        return context.trial.last_step >= self.step

    def budget(self, context):
        return self._budget


def _run(pruner, values):
    study = tunelab.create_study(direction="maximize", pruner=pruner)

    def objective(trial):
        for epoch, value in enumerate(values, start=1):
            report_epoch(trial, value, epoch)
        return values[-1]

    study.optimize(objective, n_trials=1)
    return study.trials[0]


def test_report_epoch_stores_values_and_prunes():
    pruner = PruneFrom(3)
    trial = _run(pruner, [0.1, 0.2, 0.3, 0.4])
    assert trial.state == tunelab.TrialState.PRUNED
    assert trial.intermediate_values == {1: 0.1, 2: 0.2, 3: 0.3}
    assert pruner.asked == [1, 2, 3]


def test_report_epoch_asks_only_at_the_budget():
    pruner = PruneFrom(99, budget=3)
    trial = _run(pruner, [0.1, 0.2, 0.3, 0.4])
    assert trial.state == tunelab.TrialState.COMPLETE
    assert pruner.asked == [3, 4]


def test_report_epoch_checks_its_arguments():
    with pytest.raises(ValueError, match="'epoch' must be an int >= 0"):
        report_epoch(tunelab.FixedTrial({}), 0.5, -1)
    with pytest.raises(ValueError, match="'value' must be a number"):
        report_epoch(tunelab.FixedTrial({}), "high", 1)


def _trainer(epoch, metrics, sanity=False):
    return SimpleNamespace(current_epoch=epoch, callback_metrics=metrics, sanity_checking=sanity)


def test_lightning_callback_reports_each_validation_epoch_and_prunes():
    study = tunelab.create_study(direction="maximize", pruner=PruneFrom(2))
    trial = study.ask()
    cb = PruningCallback(trial, monitor="val_acc")
    cb.on_validation_end(_trainer(0, {"val_acc": torch.tensor(0.5)}, sanity=True), None)  # sanity check: ignored
    assert trial.intermediate_values == {}
    cb.on_validation_end(_trainer(0, {"val_acc": torch.tensor(0.5)}), None)
    assert trial.intermediate_values == {1: 0.5}
    with pytest.raises(tunelab.TrialPruned):
        cb.on_validation_end(_trainer(1, {"val_acc": torch.tensor(0.75)}), None)
    assert trial.intermediate_values == {1: 0.5, 2: 0.75}


def test_lightning_callback_names_a_missing_metric():
    cb = PruningCallback(tunelab.FixedTrial({}), monitor="val_acc")
    with pytest.raises(KeyError, match="metric 'val_acc' was not logged; logged metrics are \\['val_loss'\\]"):
        cb.on_validation_end(_trainer(0, {"val_loss": 1.0}), None)
    with pytest.raises(ValueError, match="'monitor' must be the name"):
        PruningCallback(tunelab.FixedTrial({}), monitor="")
