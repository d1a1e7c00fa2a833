"""Data for the built-in trainer: scikit-learn's bundled sets by name, or a CSV/Parquet file.

:func:`load_dataset` reads, checks and splits a table (stratified for
classification), fits the preprocessing on the training rows and says what it
did in a :class:`DataReport` (imputed columns and counts, one-hot columns,
dropped rows and columns, class balance).  Every problem raises
:class:`~tunelab.nn.errors.DataError` naming the file, column, class or row.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from tunelab._validation import Check, Interval, Options, validate
from tunelab.nn.errors import DataError
from tunelab.nn.metrics import CLASSIFICATION_METRICS, METRICS, REGRESSION_METRICS
from tunelab.nn.preprocess import MAX_CATEGORIES, Preprocessor, classify_columns

BUNDLED = ("digits", "breast_cancer", "wine", "iris", "diabetes")
IMBALANCE_RATIO = 0.5  # smallest class / largest class below this counts as imbalanced
MIN_ROWS = 10


@dataclass
class DataReport:
    """What loading did to the data, in words a user can check."""

    source: str
    target: str
    task: str
    n_rows: int
    n_features: int
    imputed: dict[str, int] = field(default_factory=dict)  # column -> number of missing values filled
    one_hot: dict[str, int] = field(default_factory=dict)  # column -> number of categories
    dropped_columns: dict[str, str] = field(default_factory=dict)  # column -> reason
    dropped_rows: list[int] = field(default_factory=list)  # 1-based rows without a target
    class_counts: dict[str, int] | None = None
    imbalanced: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"{self.source}: {self.n_rows} rows, {self.n_features} features, {self.task} of {self.target!r}"]
        if self.imputed:
            parts = ", ".join(f"{c} ({n})" for c, n in self.imputed.items())
            lines.append(f"missing values filled (column (count)): {parts}")
        if self.one_hot:
            lines.append("one-hot encoded: " + ", ".join(f"{c} ({n} categories)" for c, n in self.one_hot.items()))
        if self.dropped_columns:
            lines.append("dropped columns: " + ", ".join(f"{c} ({r})" for c, r in self.dropped_columns.items()))
        if self.dropped_rows:
            lines.append(f"dropped {len(self.dropped_rows)} row(s) with no target: {_rows_text(self.dropped_rows)}")
        if self.class_counts is not None:
            lines.append("classes: " + ", ".join(f"{c}: {n}" for c, n in self.class_counts.items()))
        lines.extend(self.notes)
        return "\n".join(lines)


@dataclass
class Dataset:
    """Arrays ready for training, plus what is needed to read the results and preprocess new rows."""

    name: str
    task: str  # "classification" or "regression"
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    default_metric: str
    preprocessor: Preprocessor
    report: DataReport
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    classes: list | None = None
    class_weights: np.ndarray | None = None  # set when classes are imbalanced; used in the loss
    image_shape: tuple[int, ...] | None = None  # (channels, height, width) when rows are images
    target_mean: float = 0.0  # regression targets are trained standardised
    target_std: float = 1.0

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_outputs(self) -> int:
        return len(self.classes) if self.task == "classification" else 1


_LOAD_CONSTRAINTS = {
    "source": [Check(lambda v: isinstance(v, (str, os.PathLike)) or hasattr(v, "columns"),
                     "a bundled data set name, a CSV/Parquet path or a pandas DataFrame")],
    "target": [str, None],
    "task": [Options(["classification", "regression"]), None],
    "metric": [Options(sorted(METRICS)), None],
    "val_size": [Interval(float, 0, 1, closed="neither")],
    "test_size": [Interval(float, 0, 1, closed="left")],
    "seed": [Interval(int, 0, None)],
}


def load_dataset(source: Any, target: str | None = None, *, task: str | None = None, metric: str | None = None,
                 val_size: float = 0.2, test_size: float = 0.0, seed: int = 0, drop: Sequence[str] = (),
                 max_categories: int = MAX_CATEGORIES) -> Dataset:
    """A bundled set by name (digits, breast_cancer, wine, iris, diabetes), a CSV/Parquet path or a DataFrame."""
    validate(_LOAD_CONSTRAINTS, {"source": source, "target": target, "task": task, "metric": metric,
                                 "val_size": val_size, "test_size": test_size, "seed": seed}, "load_dataset")
    if val_size + test_size >= 0.9:
        raise ValueError(f"load_dataset: val_size + test_size must leave rows to train on; got {val_size + test_size}")
    image_shape = None
    if hasattr(source, "columns"):
        df, name = source.copy(), "DataFrame"
    elif isinstance(source, str) and source in BUNDLED and not os.path.exists(source):
        df, bundled_target, image_shape = bundled_frame(source)
        target, name = target or bundled_target, source
    else:
        df, name = read_table(os.fspath(source)), os.path.basename(os.fspath(source))
    if target is None:
        raise DataError(f"{name}: name the target column (target=... / --target); columns are: "
                        + ", ".join(map(str, df.columns[:30])))
    for col in drop:
        if col not in df.columns:
            raise DataError(f"{name}: cannot drop column {col!r}: no such column")
    df = df.drop(columns=list(drop))
    return _prepare(df, target, name, task, metric, val_size, test_size, seed, max_categories, image_shape)


def bundled_frame(name: str) -> tuple[Any, str, tuple[int, ...] | None]:
    """(DataFrame, target column, image shape) of one of scikit-learn's bundled data sets."""
    import sklearn.datasets as skd

    loaders = {"digits": skd.load_digits, "breast_cancer": skd.load_breast_cancer, "wine": skd.load_wine,
               "iris": skd.load_iris, "diabetes": skd.load_diabetes}
    if name not in loaders:
        raise DataError(f"unknown bundled data set {name!r}; expected one of {', '.join(BUNDLED)}")
    frame = loaders[name](as_frame=True).frame
    return frame, "target", ((1, 8, 8) if name == "digits" else None)


def read_table(path: str) -> Any:
    """A CSV (any other extension is read as CSV too) or Parquet file as a DataFrame, with clear errors."""
    import pandas as pd

    if not os.path.exists(path):
        hint = f"; bundled data sets are: {', '.join(BUNDLED)}" if os.sep not in path else ""
        raise DataError(f"data file {path!r} does not exist{hint}")
    if os.path.isdir(path):
        raise DataError(f"{path!r} is a directory; expected a CSV or Parquet file")
    kind = "Parquet" if path.lower().endswith((".parquet", ".pq")) else "CSV"
    try:
        df = pd.read_parquet(path) if kind == "Parquet" else pd.read_csv(path)
    except ImportError as exc:
        raise DataError(f"cannot read {path!r} as Parquet: {exc} (install pyarrow)") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"data file {path!r} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise DataError(f"cannot read {path!r} as {kind}: {str(exc).strip()}") from None
    if df.shape[1] == 0 or len(df) == 0:
        raise DataError(f"data file {path!r} has no data rows")
    return df


def _row_number(label: Any) -> Any:
    """A row's number as a user counts it (from 1, header excluded) from its index label."""
    return int(label) + 1 if isinstance(label, (int, np.integer)) else label


def _rows_text(rows: Sequence[int], limit: int = 8) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _infer_task(y: Any, task: str | None, metric: str | None, name: str, target: str) -> str:
    import pandas as pd

    if metric is not None:
        wanted = "regression" if metric in REGRESSION_METRICS else "classification"
        if task is not None and task != wanted:
            raise ValueError(f"load_dataset: metric {metric!r} is for {wanted}, but task={task!r}")
        task = wanted
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    if task is None:
        integral = numeric and bool(np.all(np.mod(y.to_numpy(dtype=float), 1) == 0))
        task = "classification" if (not numeric or (integral and y.nunique() <= 20)) else "regression"
    if task == "regression" and not numeric:
        as_num = pd.to_numeric(y, errors="coerce")
        if as_num.isna().any():
            pos = int(np.flatnonzero(as_num.isna().to_numpy())[0])
            why = f"metric {metric!r} is for regression, so " if metric else ""
            raise DataError(f"{name}: {why}target {target!r} must be numeric for regression, but row "
                            f"{_row_number(y.index[pos])} holds {y.iloc[pos]!r}")
    if task == "classification" and numeric and y.nunique() > MAX_CATEGORIES:
        raise DataError(f"{name}: target {target!r} has {y.nunique()} distinct numbers, too many classes for "
                        f"classification; use a regression metric ({', '.join(REGRESSION_METRICS)})")
    return task


def _check_classes(y: Any, name: str, target: str, per_class: int, positions: np.ndarray) -> dict[str, int]:
    counts = y.astype(str).value_counts()
    if len(counts) < 2:
        raise DataError(f"{name}: target {target!r} has a single class ({counts.index[0]!r}); nothing to learn")
    for cls, n in counts.items():
        if n < per_class:
            rows = [int(positions[i]) + 1 for i in np.flatnonzero(y.astype(str).to_numpy() == cls)]
            raise DataError(f"{name}: class {cls!r} of target {target!r} has only {n} row(s) (row "
                            f"{_rows_text(rows)}); a stratified split needs at least {per_class} rows per class: "
                            "add rows, merge the class, or drop those rows")
    return {str(k): int(v) for k, v in sorted(counts.items(), key=lambda kv: kv[0])}


def _prepare(df: Any, target: str, name: str, task: str | None, metric: str | None, val_size: float,
             test_size: float, seed: int, max_categories: int, image_shape: tuple[int, ...] | None) -> Dataset:
    from sklearn.model_selection import train_test_split

    df.columns = [str(c) for c in df.columns]
    if target not in df.columns:
        close = difflib.get_close_matches(target, df.columns, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DataError(f"{name}: target column {target!r} not found{hint}; columns are: "
                        + ", ".join(df.columns[:30]))
    y_all = df[target]
    missing = y_all.isna().to_numpy()
    if missing.all():
        raise DataError(f"{name}: target column {target!r} is empty in all {len(df)} rows")
    positions = np.flatnonzero(~missing)
    dropped_rows = [int(i) + 1 for i in np.flatnonzero(missing)]
    df = df.iloc[positions]  # index labels stay the original row positions, for error messages
    if len(df) < MIN_ROWS:
        raise DataError(f"{name}: only {len(df)} rows have a target; at least {MIN_ROWS} are needed")
    y = df[target]
    task = _infer_task(y, task, metric, name, target)
    X_df = df.drop(columns=[target])
    kinds, dropped_cols = classify_columns(X_df, max_categories)
    report = DataReport(source=name, target=target, task=task, n_rows=len(df), n_features=0,
                        dropped_columns=dropped_cols, dropped_rows=dropped_rows)
    report.imputed = {c: int(X_df[c].isna().sum()) for c in kinds if X_df[c].isna().any()}

    classes = class_weights = None
    if task == "classification":
        counts = _check_classes(y, name, target, 3 if test_size > 0 else 2, positions)
        report.class_counts = counts
        keys = y.astype(str).to_numpy()
        classes = sorted(counts)
        y_codes = np.searchsorted(np.asarray(classes, dtype=object), keys).astype(np.int64)
        values = np.array([counts[c] for c in classes], dtype=float)
        report.imbalanced = bool(values.min() / values.max() < IMBALANCE_RATIO)
        if report.imbalanced:
            class_weights = (values.sum() / (len(values) * values)).astype(np.float32)
            report.notes.append(f"classes are imbalanced (smallest/largest = {values.min() / values.max():.2f}): "
                                "the loss uses class weights and the default metric is balanced_accuracy")
        stratify = y_codes
        y_arr = y_codes
    else:
        import pandas as pd

        y_arr = pd.to_numeric(y).to_numpy(dtype=np.float32)
        stratify = None
    idx = np.arange(len(df))
    try:
        rest, test_idx = (train_test_split(idx, test_size=test_size, random_state=seed, stratify=stratify)
                          if test_size > 0 else (idx, None))
        strat_rest = None if stratify is None else stratify[rest]
        train_idx, val_idx = train_test_split(rest, test_size=val_size / (1 - test_size), random_state=seed,
                                              stratify=strat_rest)
    except ValueError as exc:
        raise DataError(f"{name}: cannot split {len(df)} rows into train/validation"
                        f"{'/test' if test_size else ''} ({exc}); use more rows or a larger val_size") from None

    prep = Preprocessor.fit(X_df.iloc[train_idx], kinds)
    report.one_hot = {p.name: len(p.categories) for p in prep.columns if p.kind == "categorical"}
    X = prep.transform(X_df)
    report.n_features = X.shape[1]
    ds = Dataset(name=name, task=task, X_train=X[train_idx], y_train=y_arr[train_idx], X_val=X[val_idx],
                 y_val=y_arr[val_idx], default_metric="rmse", preprocessor=prep, report=report,
                 classes=classes, class_weights=class_weights, image_shape=image_shape)
    if test_idx is not None:
        ds.X_test, ds.y_test = X[test_idx], y_arr[test_idx]
    if task == "classification":
        ds.default_metric = "balanced_accuracy" if report.imbalanced else "accuracy"
    else:
        ds.target_mean = float(ds.y_train.mean())
        ds.target_std = float(ds.y_train.std()) or 1.0
    fitting = CLASSIFICATION_METRICS if task == "classification" else REGRESSION_METRICS
    if metric is not None and metric not in fitting:
        raise ValueError(f"load_dataset: metric {metric!r} does not fit a {task} task")
    if image_shape is not None and int(np.prod(image_shape)) != X.shape[1]:
        ds.image_shape = None
    return ds
