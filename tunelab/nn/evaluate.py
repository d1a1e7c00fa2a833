"""The honest end of a tuning run: the best configuration scored on rows tuning never saw, next to baselines.

Tuning picks the configuration (and each trial its best epoch) on the validation
rows, so the validation figure of the winner is optimistic.  :func:`evaluate_best`
scores the retrained best network on the held-out test rows, and fits simple
baselines on the same training rows and scores them on the same test rows:

- ``constant``: the class priors (predicts the most frequent class) or the mean;
- ``linear``: LogisticRegression (class-weighted when the network's loss is) or Ridge;
- ``hgb``: scikit-learn's HistGradientBoosting with its default settings.

Baselines see the same preprocessed features the network sees and train on the
training plus validation rows (the network uses the validation rows to pick its
epoch).  For a table too small to hold out a test set, :func:`evaluate_best`
cross-validates instead: the best configuration and the baselines are refitted
on k folds, each scored on its held-out fold, and the result says that those
rows were also used for tuning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from tunelab.nn.metrics import compute_metric, metric_direction

BASELINES = ("constant", "linear", "hgb")
SMALL_TABLE = 200  # fewer rows than this: cross-validate instead of holding out a test set
CV_FOLDS = 5
NETWORK = "network (best configuration)"


@dataclass
class Evaluation:
    """Scores of the best configuration and the baselines, and where they were measured.

    mode: "test" (held-out rows tuning never saw), "cv" (k-fold cross-validation of
    the best configuration over all rows, which tuning also used) or "none".
    scores: label -> value on the test rows (mean over folds for "cv"); std: label -> spread over folds.
    """

    metric: str
    validation: float
    mode: str
    n_test: int = 0
    folds: int = 0
    scores: dict[str, float] = field(default_factory=dict)
    std: dict[str, float] = field(default_factory=dict)
    note: str = ""  # why there is no test or CV score, when there is none

    @property
    def direction(self) -> str:
        return metric_direction(self.metric)

    def lines(self) -> list[str]:
        """The evaluation as printed by ``tunelab tune`` and ``tunelab run``: one row per model."""
        m = self.metric
        if self.mode == "none":
            why = self.note or "no test rows, test size 0"
            return [f"{m} of the best configuration: {fmt(self.validation)} on validation rows ({why}: this is "
                    "the figure tuning chose on, not a test score)"]
        if self.mode == "test":
            head = f"{m} on {self.n_test} held-out test rows that tuning never saw (the same rows for every model):"
            column = "test"
        else:
            head = (f"{m} by {self.folds}-fold cross-validation (too few rows to hold out a test set: each model "
                    f"is refitted {self.folds} times and scored on the fold it did not see; tuning also chose "
                    "the configuration on these rows, so the network's figure is somewhat optimistic):")
            column = f"{self.folds}-fold CV"
        rows = [("model", "validation", column)]
        for label, value in self.scores.items():
            spread = f" ± {fmt(self.std[label])}" if label in self.std else ""
            validation = fmt(self.validation) if label == NETWORK else "-"
            rows.append((label, validation, fmt(value) + spread))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        out = [head] + ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        out.append("  (validation: the rows tuning chose the configuration and its epoch on, so it is optimistic)")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "validation": self.validation, "mode": self.mode, "n_test": self.n_test,
                "folds": self.folds, "scores": dict(self.scores), "std": dict(self.std), "note": self.note}


def fmt(value: float) -> str:
    """A metric value as tunelab prints it (4 significant digits)."""
    return f"{value:.4g}"


def network_outputs(model: Any, data: Any, X: np.ndarray) -> np.ndarray:
    """Logits (classification) or predictions on the target's scale (regression) of a trained network."""
    import torch

    device = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        out = model(torch.as_tensor(np.asarray(X, dtype=np.float32), device=device)).cpu().numpy()
    out = out.astype(np.float64)
    if data.task == "regression":
        return out.reshape(-1) * data.target_std + data.target_mean
    return out


def baseline_estimators(task: str, which: Sequence[str], balanced: bool = False, seed: int = 0) -> dict[str, Any]:
    """label -> unfitted scikit-learn estimator for the named baselines."""
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge

    unknown = sorted(set(which) - set(BASELINES))
    if unknown:
        raise ValueError(f"unknown baseline(s) {unknown}; expected some of {', '.join(BASELINES)}")
    made: dict[str, Any] = {}
    for name in which:
        if task == "classification":
            if name == "constant":
                made["constant (class priors)"] = DummyClassifier(strategy="prior")
            elif name == "linear":
                made["logistic regression"] = LogisticRegression(max_iter=2000,
                                                                 class_weight="balanced" if balanced else None)
            else:
                made["HistGradientBoosting"] = HistGradientBoostingClassifier(random_state=seed)
        else:
            if name == "constant":
                made["constant (mean)"] = DummyRegressor(strategy="mean")
            elif name == "linear":
                made["ridge regression"] = Ridge()
            else:
                made["HistGradientBoosting"] = HistGradientBoostingRegressor(random_state=seed)
    return made


def baseline_scores(data: Any, metric: str, which: Sequence[str] = ("constant", "linear"),
                    seed: int = 0) -> dict[str, float]:
    """Each baseline fitted on the training + validation rows and scored on ``data``'s test rows."""
    if data.X_test is None:
        raise ValueError("baseline_scores: the data set has no test rows (load it with test_size > 0)")
    X = np.vstack([data.X_train, data.X_val]).astype(np.float64)
    y = np.concatenate([data.y_train, data.y_val])
    scores = {}
    for label, est in baseline_estimators(data.task, which, data.class_weights is not None, seed).items():
        est.fit(X, y)
        scores[label] = score_estimator(est, data, metric)
    return scores


def score_estimator(est: Any, data: Any, metric: str) -> float:
    """A fitted scikit-learn estimator's metric on ``data``'s test rows, computed as for the network."""
    X = np.asarray(data.X_test, dtype=np.float64)
    if data.task == "classification":
        proba = np.zeros((len(X), data.n_outputs))
        proba[:, np.asarray(est.classes_, dtype=np.int64)] = est.predict_proba(X)
        return compute_metric(metric, data.y_test, np.log(np.clip(proba, 1e-12, None)))
    return compute_metric(metric, data.y_test, est.predict(X))


def score_on_test(result: Any, data: Any, metric: str) -> float:
    """The trained network's metric on ``data``'s test rows."""
    return compute_metric(metric, data.y_test, network_outputs(result.model, data, data.X_test))


def evaluate_best(objective: Any, params: dict[str, Any], result: Any, validation: float,
                  baselines: Sequence[str] = ("constant", "linear"), cv: bool = False,
                  folds: int = CV_FOLDS) -> Evaluation:
    """Score the retrained best configuration (``result``) and the baselines on rows tuning never saw.

    objective: the NNObjective (its data, metric, seed, device); params: the best trial's
    parameters; validation: the best trial's value.  cv=True (or a data set without
    test rows that can be refolded) cross-validates over ``folds`` folds instead.
    """
    data, metric = objective.data, objective.metric
    ev = Evaluation(metric, float(validation), "none")
    if data.X_test is not None and len(data.X_test) and not cv:
        ev.mode, ev.n_test = "test", int(len(data.X_test))
        ev.scores = {NETWORK: score_on_test(result, data, metric),
                     **baseline_scores(data, metric, baselines, objective.seed)}
        return ev
    if not cv or data.refold is None:
        return ev
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter = (StratifiedKFold if data.task == "classification" else KFold)(folds, shuffle=True,
                                                                              random_state=objective.seed)
    from tunelab.nn.errors import DataError

    per_label: dict[str, list[float]] = {}
    positions = np.arange(len(data.strata))
    if data.task == "classification" and np.bincount(data.strata).min() < 2 * folds:
        ev.note = (f"no cross-validation: a class has fewer than {2 * folds} rows, too few for {folds} "
                   "stratified folds with a validation split in each")
        return ev
    try:
        for _, held_out in splitter.split(positions, data.strata if data.task == "classification" else None):
            fold = data.refold(test_rows=held_out)
            fold_result = objective.retrain(params, data=fold)
            per_label.setdefault(NETWORK, []).append(score_on_test(fold_result, fold, metric))
            for label, value in baseline_scores(fold, metric, baselines, objective.seed).items():
                per_label.setdefault(label, []).append(value)
    except DataError as exc:
        ev.note = f"no cross-validation: {exc}"
        return ev
    ev.mode, ev.folds = "cv", folds
    ev.scores = {k: float(np.mean(v)) for k, v in per_label.items()}
    ev.std = {k: float(np.std(v, ddof=1)) for k, v in per_label.items()}
    return ev


def describe(config: dict[str, Any], best_epoch: int | None = None) -> str:
    """A training configuration in plain words."""
    parts = []
    if config.get("model", "mlp") == "mlp":
        n = int(config.get("layers", 2))
        parts.append(f"an MLP with {n} hidden layer{'s' if n != 1 else ''} of {config.get('width')} units")
    else:
        parts.append(f"a CNN with {config.get('conv_layers')} conv layer(s) from {config.get('channels')} channels "
                     f"and a hidden layer of {config.get('width')} units")
    extras = [str(config.get("activation", "relu"))]
    if config.get("dropout"):
        extras.append(f"dropout {float(config['dropout']):.2g}")
    if config.get("batch_norm"):
        extras.append("batch norm")
    parts[0] += f" ({', '.join(extras)})"
    opt = config.get("optimizer", "adam")
    words = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}.get(opt, opt)
    detail = [f"learning rate {float(config['lr']):.2g}"]
    if opt == "sgd":
        detail.append(f"momentum {float(config.get('momentum', 0)):.2g}" + (" Nesterov" if config.get("nesterov")
                                                                            else ""))
    if config.get("weight_decay"):
        detail.append(f"weight decay {float(config['weight_decay']):.1e}")
    parts.append(f"trained with {words} ({', '.join(detail)})")
    parts.append(f"batch size {config.get('batch_size')}")
    schedule = config.get("schedule", "none")
    parts.append({"none": "constant learning rate", "cosine": "cosine decay of the learning rate",
                  "step": f"learning rate x{float(config.get('step_gamma', 0.1)):.2g} every third of the epochs"}
                 .get(schedule, schedule))
    n_epochs = config.get("epochs")
    epochs = f"up to {n_epochs} epoch{'' if n_epochs == 1 else 's'}"
    if best_epoch:
        epochs += f" (best validation score at epoch {best_epoch})"
    parts.append(epochs)
    return ", ".join(parts)
