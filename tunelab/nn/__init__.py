"""Tuning neural networks with PyTorch: a built-in trainer (MLP/CNN), data loading, LR range test, hooks.

Nothing here imports torch until it is used: names load on first access, so
``import tunelab.nn`` is cheap and ``import tunelab`` never imports this package.

- ``load_dataset(source, target)``: bundled set or CSV/Parquet -> Dataset (data.py)
- ``NNObjective(data, ...)``: an objective for ``study.optimize`` (objective.py)
- ``default_space(trial, options)``: the conditional default space (search_space.py)
- ``train(config, data, ...)``: the training loop with repeats and pruning (trainer.py)
- ``lr_range_test(data, optimizer)``: learning-rate bounds from a short run (lr_range.py)
- ``report_epoch(trial, value, epoch)``: pruning in your own loop (hooks.py)
- ``PruningCallback(trial, monitor)``: the same for PyTorch Lightning (lightning.py)
- ``pick_device(...)``: CPU / GPU / one GPU per parallel worker (devices.py)
- ``load_model(dir)``: the saved best model, with ``predict`` / ``predict_proba`` (export.py)
- ``evaluate_best``: test score of the best configuration next to baselines (evaluate.py)
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "DataError": "tunelab.nn.errors",
    "Dataset": "tunelab.nn.data",
    "DataReport": "tunelab.nn.data",
    "load_dataset": "tunelab.nn.data",
    "BUNDLED": "tunelab.nn.data",
    "NNObjective": "tunelab.nn.objective",
    "SpaceOptions": "tunelab.nn.search_space",
    "default_space": "tunelab.nn.search_space",
    "train": "tunelab.nn.trainer",
    "TrainResult": "tunelab.nn.trainer",
    "TrainingDiverged": "tunelab.nn.trainer",
    "lr_range_test": "tunelab.nn.lr_range",
    "LRRange": "tunelab.nn.lr_range",
    "report_epoch": "tunelab.nn.hooks",
    "PruningCallback": "tunelab.nn.lightning",
    "pick_device": "tunelab.nn.devices",
    "save_best": "tunelab.nn.export",
    "load_best": "tunelab.nn.export",
    "predict": "tunelab.nn.export",
    "load_model": "tunelab.nn.export",
    "TunedModel": "tunelab.nn.export",
    "UnknownCategoryWarning": "tunelab.nn.export",
    "evaluate_best": "tunelab.nn.evaluate",
    "Evaluation": "tunelab.nn.evaluate",
    "build_objective": "tunelab.nn.spec",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tunelab.nn' has no attribute {name!r}")
