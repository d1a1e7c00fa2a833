"""Validation metrics of the built-in trainer (scikit-learn's, computed on numpy outputs)."""

from __future__ import annotations

import numpy as np

CLASSIFICATION_METRICS = ("accuracy", "balanced_accuracy", "f1", "roc_auc")
REGRESSION_METRICS = ("rmse", "mae", "r2")
METRICS = CLASSIFICATION_METRICS + REGRESSION_METRICS
MINIMIZED = ("rmse", "mae")


def metric_direction(metric: str) -> str:
    """'maximize' or 'minimize' for a metric name."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
    return "minimize" if metric in MINIMIZED else "maximize"


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def compute_metric(metric: str, y_true: np.ndarray, outputs: np.ndarray, n_classes: int | None = None) -> float:
    """The metric of network outputs: logits (n, classes) for classification, predictions (n,) for regression.

    f1 is macro-averaged; roc_auc is one-vs-rest macro for more than two classes.
    """
    from sklearn import metrics as skm

    if metric in CLASSIFICATION_METRICS:
        if metric == "roc_auc":
            proba = softmax(outputs)
            if proba.shape[1] == 2:
                return float(skm.roc_auc_score(y_true, proba[:, 1]))
            return float(skm.roc_auc_score(y_true, proba, multi_class="ovr", average="macro",
                                           labels=list(range(proba.shape[1]))))
        pred = outputs.argmax(axis=1)
        if metric == "accuracy":
            return float(np.mean(pred == y_true))
        if metric == "balanced_accuracy":
            return float(skm.balanced_accuracy_score(y_true, pred))
        return float(skm.f1_score(y_true, pred, average="macro", labels=list(range(outputs.shape[1])),
                                  zero_division=0))
    pred = outputs.reshape(-1)
    if metric == "rmse":
        return float(np.sqrt(np.mean((pred - y_true) ** 2)))
    if metric == "mae":
        return float(np.mean(np.abs(pred - y_true)))
    if metric == "r2":
        return float(skm.r2_score(y_true, pred))
    raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
