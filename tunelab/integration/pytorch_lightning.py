"""Optuna's ``optuna.integration.pytorch_lightning`` import path (tunelab's module is ``lightning``)."""

from tunelab.integration.lightning import PyTorchLightningPruningCallback

__all__ = ["PyTorchLightningPruningCallback"]
