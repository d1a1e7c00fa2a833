"""Saving the best network with what is needed to use it: architecture, preprocessing, classes, config."""

from __future__ import annotations

import json
import os
from typing import Any

MODEL_FILE = "best_model.pt"
CONFIG_FILE = "best_config.json"


def _plain(value: Any) -> Any:
    """JSON-able copies of numpy scalars/arrays and tuples."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def save_best(out_dir: str, result: Any, data: Any, info: dict[str, Any]) -> tuple[str, str]:
    """Write ``best_model.pt`` (state dict + architecture) and ``best_config.json``; returns both paths.

    result: the TrainResult of the best configuration; data: its Dataset;
    info: what else to record (params, config, study name, value mean/std...).
    """
    import torch

    os.makedirs(out_dir, exist_ok=True)
    meta = {
        "architecture": _plain(result.architecture),
        "task": data.task,
        "metric": result.metric,
        "classes": _plain(data.classes),
        "target": data.report.target,
        "target_mean": data.target_mean,
        "target_std": data.target_std,
        "preprocessing": _plain(data.preprocessor.to_dict()),
        **_plain(info),
    }
    model_path = os.path.join(out_dir, MODEL_FILE)
    config_path = os.path.join(out_dir, CONFIG_FILE)
    torch.save({"state_dict": result.model.state_dict(), "architecture": meta["architecture"]}, model_path)
    with open(config_path, "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=2, default=str)
    return model_path, config_path


def load_best(out_dir: str) -> tuple[Any, dict[str, Any]]:
    """The saved network (in eval mode) and its config record, from a directory written by :func:`save_best`."""
    import torch

    from tunelab.nn.models import build_model

    blob = torch.load(os.path.join(out_dir, MODEL_FILE), map_location="cpu", weights_only=True)
    with open(os.path.join(out_dir, CONFIG_FILE), encoding="utf-8") as fh:
        meta = json.load(fh)
    model = build_model(blob["architecture"])
    model.load_state_dict(blob["state_dict"])
    model.eval()
    return model, meta


def predict(out_dir: str, frame: Any) -> Any:
    """Predictions of the saved network for the rows of a DataFrame (class labels or numbers)."""
    import numpy as np
    import torch

    from tunelab.nn.preprocess import Preprocessor

    model, meta = load_best(out_dir)
    X = Preprocessor.from_dict(meta["preprocessing"]).transform(frame)
    with torch.no_grad():
        out = model(torch.as_tensor(X)).numpy()
    if meta["task"] == "classification":
        return np.asarray(meta["classes"], dtype=object)[out.argmax(axis=1)]
    return out.reshape(-1) * meta["target_std"] + meta["target_mean"]
