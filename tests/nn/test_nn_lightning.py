"""The Lightning callback inside a real ``pytorch_lightning.Trainer`` (installed with the ``lightning`` extra)."""

from __future__ import annotations

import os

import pytest
import torch

import tunelab
from tunelab.nn.lightning import LIGHTNING_AVAILABLE, PruningCallback
from tunelab.pruners import BasePruner

if not LIGHTNING_AVAILABLE:
    if os.environ.get("CI", "").lower() == "true":  # as tests/conftest.py's in_ci
        raise RuntimeError("CI=true but neither lightning nor pytorch_lightning is installed (extra 'lightning')")
    pytest.skip("Lightning is not installed (pip install -e '.[lightning]')", allow_module_level=True)

try:
    import lightning.pytorch as pl
except ImportError:
    import pytorch_lightning as pl


class PruneAfter(BasePruner):
    """Prunes once a trial has reported ``step`` epochs."""

    def __init__(self, step: int):
        self.step = step

    def prune(self, context):
        return context.trial.last_step >= self.step


class TinyClassifier(pl.LightningModule):
    def __init__(self, lr: float):
        super().__init__()
        self.lr = lr
        self.net = torch.nn.Linear(4, 2)

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.cross_entropy(self.net(x), y)

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_acc", (self.net(x).argmax(1) == y).float().mean())

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.lr)


def _loader(seed: int) -> torch.utils.data.DataLoader:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 4, generator=g)
    y = (x[:, 0] > 0).long()
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)


def _objective(trial: tunelab.Trial) -> float:
    model = TinyClassifier(trial.suggest_float("lr", 0.05, 0.5, log=True))
    trainer = pl.Trainer(max_epochs=5, callbacks=[PruningCallback(trial, monitor="val_acc")], logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         accelerator="cpu", num_sanity_val_steps=0)
    trainer.fit(model, _loader(0), _loader(1))
    return float(trainer.callback_metrics["val_acc"])


def test_real_trainer_reports_every_epoch_and_completes():
    study = tunelab.create_study(direction="maximize", seed=0)
    study.optimize(_objective, n_trials=1, catch=())
    trial = study.trials[0]
    assert trial.state == tunelab.TrialState.COMPLETE
    assert sorted(trial.intermediate_values) == [1, 2, 3, 4, 5]
    assert trial.value == pytest.approx(trial.intermediate_values[5])


def test_real_trainer_stops_when_the_pruner_says_so():
    study = tunelab.create_study(direction="maximize", seed=0, pruner=PruneAfter(2))
    study.optimize(_objective, n_trials=1, catch=())
    trial = study.trials[0]
    assert trial.state == tunelab.TrialState.PRUNED
    assert sorted(trial.intermediate_values) == [1, 2]
