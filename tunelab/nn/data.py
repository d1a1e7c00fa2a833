"""Data for the built-in trainer: scikit-learn's bundled sets by name, or a CSV/Parquet file.

:func:`load_dataset` reads, checks and splits a table into train / validation /
test rows (stratified for classification), fits the preprocessing on the
training rows and says what it did in a :class:`DataReport`: row-id columns
dropped, columns that leak the target, imputed columns and missing-value
indicators, one-hot, target-encoded and date columns, dropped rows, class
balance.  Every problem raises :class:`~tunelab.nn.errors.DataError` naming the
file, column, class or row.
"""

from __future__ import annotations

import difflib
import functools
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from tunelab._validation import Check, Interval, Options, validate
from tunelab.nn.errors import DataError
from tunelab.nn.metrics import CLASSIFICATION_METRICS, METRICS, REGRESSION_METRICS
from tunelab.nn.checks import id_columns, leaking_columns
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
    missing_indicators: list[str] = field(default_factory=list)  # columns given a 0/1 <col>_missing feature
    target_encoded: dict[str, int] = field(default_factory=dict)  # column -> number of categories
    dates: list[str] = field(default_factory=list)  # columns split into year, month, day, dayofweek
    leaks: dict[str, float] = field(default_factory=dict)  # column -> its score alone (likely leakage)
    kept: list[str] = field(default_factory=list)  # columns kept on request (--keep) though they looked like ids
    split: dict[str, int] = field(default_factory=dict)  # rows in train / validation / test

    def summary(self) -> str:
        lines = [f"{self.source}: {self.n_rows} rows, {self.n_features} features, {self.task} of {self.target!r}"]
        if self.split:
            lines.append("rows: " + ", ".join(f"{n} {k}" for k, n in self.split.items() if n)
                         + (" (test rows are never seen by tuning)" if self.split.get("test") else ""))
        if self.dropped_columns:
            lines.append("dropped columns: " + ", ".join(f"{c} ({r})" for c, r in self.dropped_columns.items())
                         + " -- use --keep COL to keep one")
        if self.kept:
            lines.append("kept on request: " + ", ".join(self.kept))
        if self.imputed:
            parts = _listed([f"{c} ({n})" for c, n in self.imputed.items()])
            lines.append(f"missing values filled (column (count)): {parts}")
        if self.missing_indicators:
            lines.append("missing-value indicators added (> 5 % missing): "
                         + ", ".join(f"{c}_missing" for c in self.missing_indicators))
        if self.one_hot:
            lines.append("one-hot encoded: " + _listed([f"{c} ({n} categories)" for c, n in self.one_hot.items()]))
        if self.target_encoded:
            lines.append("target-encoded (too many values to one-hot; cross-fitted TargetEncoder): "
                         + ", ".join(f"{c} ({n} values)" for c, n in self.target_encoded.items()))
        if self.dates:
            lines.append("dates split into year, month, day, dayofweek: " + ", ".join(self.dates))
        for col, score in self.leaks.items():
            what = "balanced accuracy" if self.task == "classification" else "R^2"
            lines.append(f"warning: column {col!r} alone predicts {self.target!r} almost perfectly ({what} "
                         f"{score:.3f} on training rows): likely leakage (a value known only after the outcome?); "
                         f"drop it with --drop {col} unless it will be known when predicting")
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
    strata: np.ndarray | None = None  # every row's target (class code or number), in the table's order
    refold: Any = None  # refold(test_rows=positions) -> the same table split with those rows as the test set

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
    "drop": [Check(lambda v: not isinstance(v, str) and all(isinstance(c, str) for c in v), "a list of column names")],
    "keep": [Check(lambda v: not isinstance(v, str) and all(isinstance(c, str) for c in v), "a list of column names")],
}


def load_dataset(source: Any, target: str | None = None, *, task: str | None = None, metric: str | None = None,
                 val_size: float = 0.2, test_size: float = 0.0, seed: int = 0, drop: Sequence[str] = (),
                 keep: Sequence[str] = (), max_categories: int = MAX_CATEGORIES,
                 test_rows: Sequence[int] | None = None) -> Dataset:
    """A bundled set by name (digits, breast_cancer, wine, iris, diabetes), a CSV/Parquet path or a DataFrame.

    test_size: the fraction of rows held out as a test set (``X_test``/``y_test``),
    which neither training nor tuning sees.  test_rows: instead, the positions (among
    the rows that have a target) of the test rows, e.g. one fold of a cross-validation.
    drop: columns to ignore.  keep: columns to use even though they look like row ids.
    """
    validate(_LOAD_CONSTRAINTS, {"source": source, "target": target, "task": task, "metric": metric,
                                 "val_size": val_size, "test_size": test_size, "seed": seed, "drop": drop,
                                 "keep": keep}, "load_dataset")
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
    df.columns = [str(c) for c in df.columns]
    for option, cols in (("drop", drop), ("keep", keep)):
        for col in cols:
            if col not in df.columns:
                close = difflib.get_close_matches(col, df.columns, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise DataError(f"{name}: cannot {option} column {col!r}: no such column{hint}")
    df = df.drop(columns=list(drop))
    return _prepare(df, target, name, task, metric, val_size, test_size, seed, max_categories, image_shape,
                    set(keep), test_rows)


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


def _listed(items: list[str], limit: int = 12) -> str:
    """A comma-separated list, cut after ``limit`` items (the full lists are in the DataReport)."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


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
             test_size: float, seed: int, max_categories: int, image_shape: tuple[int, ...] | None,
             keep: set[str] = frozenset(), test_rows: Sequence[int] | None = None) -> Dataset:
    from sklearn.model_selection import train_test_split

    source_df, task_arg = df, task
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
    ids = id_columns(X_df, keep) if image_shape is None else {}
    kept = sorted(c for c in keep if c in X_df.columns and id_columns(X_df[[c]]))  # would have been dropped
    X_df = X_df.drop(columns=list(ids))
    kinds, dropped_cols = classify_columns(X_df, max_categories)
    report = DataReport(source=name, target=target, task=task, n_rows=len(df), n_features=0,
                        dropped_columns={**{c: f"looks like a row id: {r}" for c, r in ids.items()}, **dropped_cols},
                        dropped_rows=dropped_rows, kept=kept)
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
        if test_rows is not None:
            test_idx = np.asarray(sorted(set(int(i) for i in test_rows)), dtype=np.int64)
            if len(test_idx) == 0 or test_idx.min() < 0 or test_idx.max() >= len(df):
                raise ValueError(f"test_rows must be positions in 0..{len(df) - 1}")
            rest = np.setdiff1d(idx, test_idx)
            frac = val_size
        else:
            rest, test_idx = (train_test_split(idx, test_size=test_size, random_state=seed, stratify=stratify)
                              if test_size > 0 else (idx, None))
            frac = val_size / (1 - test_size)
        strat_rest = None if stratify is None else stratify[rest]
        train_idx, val_idx = train_test_split(rest, test_size=frac, random_state=seed, stratify=strat_rest)
    except ValueError as exc:
        raise DataError(f"{name}: cannot split {len(df)} rows into train/validation"
                        f"{'/test' if test_size else ''} ({exc}); use more rows or a larger val_size") from None
    report.split = {"train": len(train_idx), "validation": len(val_idx),
                    "test": 0 if test_idx is None else len(test_idx)}

    X_fit = X_df.iloc[train_idx]
    if image_shape is None:
        leaks = leaking_columns(X_fit, y_arr[train_idx], {k: v for k, v in kinds.items() if k not in keep}, task, seed)
        report.leaks = {c: round(s, 4) for c, s in leaks.items()}
    prep, X_train = Preprocessor.fit_transform(X_fit, kinds, y_arr[train_idx], task, seed)
    report.one_hot = {p.name: len(p.categories) for p in prep.columns if p.kind == "categorical"}
    report.target_encoded = {p.name: len(p.categories) for p in prep.columns if p.kind == "target"}
    report.dates = [p.name for p in prep.columns if p.kind == "date"]
    report.missing_indicators = [p.name for p in prep.columns if p.missing_indicator]
    X = prep.transform(X_df)
    X[train_idx] = X_train  # target-encoded columns: cross-fitted values for the rows they were fitted on
    report.n_features = X.shape[1]
    ds = Dataset(name=name, task=task, X_train=X[train_idx], y_train=y_arr[train_idx], X_val=X[val_idx],
                 y_val=y_arr[val_idx], default_metric="rmse", preprocessor=prep, report=report,
                 classes=classes, class_weights=class_weights, image_shape=image_shape)
    if test_idx is not None:
        ds.X_test, ds.y_test = X[test_idx], y_arr[test_idx]
    ds.strata = y_arr
    ds.refold = functools.partial(_prepare, source_df, target, name, task_arg, metric, val_size, 0.0, seed,
                                  max_categories, image_shape, keep)
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
