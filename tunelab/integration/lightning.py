"""A PyTorch Lightning callback that reports a logged metric each validation epoch and prunes.

Works with ``lightning`` (``lightning.pytorch``) or the older ``pytorch_lightning``
when one is installed; this module imports neither at tunelab import time, and
without them the class is a plain object with the same hook (handy for tests
and for loops that mimic Lightning's trainer).
"""

from __future__ import annotations

from typing import Any

from tunelab.nn.hooks import report_epoch


def _callback_base() -> type:
    try:
        from lightning.pytorch import Callback

        return Callback
    except ImportError:
        pass
    try:
        from pytorch_lightning import Callback

        return Callback
    except ImportError:
        return object


LIGHTNING_AVAILABLE = _callback_base() is not object


class PruningCallback(_callback_base()):  # type: ignore[misc]
    """``Trainer(callbacks=[PruningCallback(trial, monitor="val_acc")])``.

    After each validation epoch (not the sanity check) it reports
    ``trainer.callback_metrics[monitor]`` at step ``current_epoch + 1`` and
    raises TrialPruned when the pruner says stop; Lightning lets the exception
    out of ``fit``, and ``study.optimize`` stores the trial as PRUNED.
    """

    def __init__(self, trial: Any, monitor: str):
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"PruningCallback: 'monitor' must be the name of a logged metric; got {monitor!r}")
        self.trial = trial
        self.monitor = monitor

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if getattr(trainer, "sanity_checking", False):
            return
        metrics = getattr(trainer, "callback_metrics", {}) or {}
        if self.monitor not in metrics:
            raise KeyError(f"PruningCallback: metric {self.monitor!r} was not logged; logged metrics are "
                           f"{sorted(metrics)} (log it with self.log({self.monitor!r}, value))")
        value = metrics[self.monitor]
        value = float(value.item() if hasattr(value, "item") else value)
        report_epoch(self.trial, value, int(trainer.current_epoch) + 1)


class PyTorchLightningPruningCallback(PruningCallback):
    """Optuna's name for :class:`PruningCallback` (``PyTorchLightningPruningCallback(trial, monitor)``).

    Steps are ``current_epoch + 1``, as tunelab's trainer reports them, so studies
    mixing both compare the same epochs.
    """
