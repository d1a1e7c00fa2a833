"""PyTorch Lightning pruning: report a logged validation metric each epoch, stop a bad trial's training.

``Trainer(callbacks=[PyTorchLightningPruningCallback(trial, monitor="val_acc")])``:
after each validation run (not the sanity check) the value logged as
``monitor`` is reported at step = the epoch; when the study's pruner says so the
callback raises ``TrialPruned``, which Lightning passes out of ``trainer.fit``
after its teardown.
"""

from __future__ import annotations

from typing import Any

from tunelab.trial import TrialPruned

try:  # Lightning 2.x ships as `lightning` (the unified package) or `pytorch_lightning`
    from lightning.pytorch import Callback as _Callback
except ImportError:  # pragma: no cover - whichever is installed
    from pytorch_lightning import Callback as _Callback


class PyTorchLightningPruningCallback(_Callback):
    """Reports ``monitor`` from ``trainer.callback_metrics`` to ``trial`` after every validation epoch."""

    def __init__(self, trial: Any, monitor: str):
        super().__init__()
        self._trial = trial
        self.monitor = monitor
        self.pruned_epoch: int | None = None

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.sanity_checking:
            return
        current = trainer.callback_metrics.get(self.monitor)
        if current is None:
            raise ValueError(f"PyTorchLightningPruningCallback: the module logged no {self.monitor!r} "
                             f"(it logged {sorted(trainer.callback_metrics)}); call self.log({self.monitor!r}, ...) "
                             "in validation_step")
        epoch = trainer.current_epoch
        self._trial.report(float(current), step=epoch)
        if self._trial.should_prune():
            self.pruned_epoch = epoch
            raise TrialPruned(f"trial was pruned at epoch {epoch}")
