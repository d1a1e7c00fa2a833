"""Saving the best network with what is needed to use it, and loading it back to predict.

A model directory holds ``best_model.pt`` (weights and architecture) and
``best_config.json`` (preprocessing, classes, target, metric, configuration,
scores).  :func:`load_model` returns a :class:`TunedModel` whose ``predict`` and
``predict_proba`` take a table with the training columns and apply exactly the
training preprocessing (id columns, imputation, missing-value indicators,
encodings, date parts, scaling).
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

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
        "input_columns": data.preprocessor.input_columns,
        "id_columns": [c for c, why in data.report.dropped_columns.items() if why.startswith("looks like a row id")],
        **_plain(info),
    }
    model_path = os.path.join(out_dir, MODEL_FILE)
    config_path = os.path.join(out_dir, CONFIG_FILE)
    torch.save({"state_dict": result.model.state_dict(), "architecture": meta["architecture"]}, model_path)
    with open(config_path, "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=2, default=str)
    return model_path, config_path


class UnknownCategoryWarning(UserWarning):
    """Rows hold categories never seen in training; they are encoded as unknown (no one-hot column set)."""


@dataclass
class TunedModel:
    """A saved network with its preprocessing: ``predict(table)`` and ``predict_proba(table)``.

    table: a pandas DataFrame or the path of a CSV/Parquet file with (at least) the
    columns the model was trained on (``input_columns``); other columns are ignored.
    """

    network: Any
    meta: dict[str, Any]
    path: str

    @property
    def task(self) -> str:
        return self.meta["task"]

    @property
    def classes(self) -> list | None:
        return self.meta.get("classes")

    @property
    def target(self) -> str:
        return self.meta["target"]

    @property
    def metric(self) -> str:
        return self.meta["metric"]

    @property
    def input_columns(self) -> list[str]:
        return list(self.meta.get("input_columns") or [c["name"] for c in self.meta["preprocessing"]["columns"]])

    def outputs(self, table: Any) -> np.ndarray:
        """Raw network outputs: logits (classification) or predictions on the target's scale (regression)."""
        import torch

        from tunelab.nn.preprocess import Preprocessor

        frame = _frame(table)
        unknown: dict[str, list] = {}
        X = Preprocessor.from_dict(self.meta["preprocessing"]).transform(frame, unknown=unknown)
        for col, values in unknown.items():
            shown = ", ".join(repr(v) for v in values[:5]) + (f" and {len(values) - 5} more" if len(values) > 5 else "")
            warnings.warn(f"column {col!r} holds categories never seen in training ({shown}); they are treated "
                          "as unknown", UnknownCategoryWarning, stacklevel=3)
        with torch.no_grad():
            out = self.network(torch.as_tensor(X)).numpy().astype(np.float64)
        if self.task == "classification":
            return out
        return out.reshape(-1) * self.meta["target_std"] + self.meta["target_mean"]

    def predict(self, table: Any) -> np.ndarray:
        """Class labels (classification) or numbers (regression), one per row."""
        out = self.outputs(table)
        if self.task == "classification":
            return np.asarray(self.classes, dtype=object)[out.argmax(axis=1)]
        return out

    def predict_proba(self, table: Any) -> np.ndarray:
        """Class probabilities, one row per input row and one column per class (in ``classes`` order)."""
        if self.task != "classification":
            raise ValueError(f"predict_proba: the model in {self.path} is a regression model (target "
                             f"{self.target!r}); use predict")
        from tunelab.nn.metrics import softmax

        return softmax(self.outputs(table))


def _frame(table: Any) -> Any:
    if hasattr(table, "columns"):
        return table
    if isinstance(table, (str, os.PathLike)):
        from tunelab.nn.data import read_table

        return read_table(os.fspath(table))
    raise TypeError(f"expected a pandas DataFrame or a CSV/Parquet path; got {type(table).__name__}")


def load_model(path: str) -> TunedModel:
    """The model saved in directory ``path`` (by ``tunelab tune``, ``tunelab run`` or :func:`save_best`)."""
    import torch

    from tunelab.nn.models import build_model

    for name in (MODEL_FILE, CONFIG_FILE):
        if not os.path.isfile(os.path.join(path, name)):
            raise FileNotFoundError(f"no saved model in {path!r}: {name} is missing (tunelab tune --out DIR and "
                                    "tunelab run write both files)")
    blob = torch.load(os.path.join(path, MODEL_FILE), map_location="cpu", weights_only=True)
    with open(os.path.join(path, CONFIG_FILE), encoding="utf-8") as fh:
        meta = json.load(fh)
    network = build_model(blob["architecture"])
    network.load_state_dict(blob["state_dict"])
    network.eval()
    return TunedModel(network, meta, path)


def load_best(out_dir: str) -> tuple[Any, dict[str, Any]]:
    """(network in eval mode, the ``best_config.json`` record): the parts of :func:`load_model`'s TunedModel."""
    model = load_model(out_dir)
    return model.network, model.meta


def predict(out_dir: str, frame: Any) -> Any:
    """Predictions of the saved model for the rows of a DataFrame: ``load_model(out_dir).predict(frame)``."""
    return load_model(out_dir).predict(frame)
