"""Turning a table into numbers: column kinds, imputation, standardisation and encodings.

Column kinds: ``numeric`` (standardised), ``categorical`` (one-hot, at most
``MAX_CATEGORIES`` values), ``target`` (text with more values: scikit-learn's
TargetEncoder, cross-fitted on the training rows so a row's own target never
feeds its feature) and ``date`` (year, month, day and day of week, each
standardised).  A column with more than ``MISSING_INDICATOR`` of its training
values missing also gets a 0/1 ``<name>_missing`` feature.

The :class:`Preprocessor` is fitted on the training rows only (no leakage into
the validation or test score) and is a plain JSON-able record, so the saved
model preprocesses new rows exactly as it did in training.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tunelab.nn.errors import DataError

MAX_CATEGORIES = 50
MISSING_INDICATOR = 0.05  # a column with more missing training values than this gets a _missing feature
DATE_PARTS = ("year", "month", "day", "dayofweek")
_MISSING_TEXT = "<missing>"
_DATE_LIKE = re.compile(r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})([ T]\d{1,2}:\d{2}.*)?\s*$")


@dataclass
class ColumnPlan:
    """How one input column becomes features (all statistics from the training rows)."""

    name: str
    kind: str  # "numeric", "categorical", "target" or "date"
    fill: Any = None  # value used for missing entries (numeric, categorical)
    mean: float = 0.0
    std: float = 1.0
    categories: list = field(default_factory=list)
    missing_indicator: bool = False
    encodings: list = field(default_factory=list)  # target: one list per output, aligned with categories
    default: list = field(default_factory=list)  # target: the value of an unseen category, per output
    means: list = field(default_factory=list)  # target/date: per output feature
    stds: list = field(default_factory=list)
    fills: list = field(default_factory=list)  # date: per part
    labels: list = field(default_factory=list)  # target: output names (classes for a multi-class target)

    def feature_names(self) -> list[str]:
        if self.kind == "numeric":
            names = [self.name]
        elif self.kind == "categorical":
            names = [f"{self.name}={c}" for c in self.categories]
        elif self.kind == "date":
            names = [f"{self.name}_{p}" for p in DATE_PARTS]
        else:
            names = [f"{self.name}_te" if not lab else f"{self.name}_te={lab}" for lab in self.labels]
        return names + ([f"{self.name}_missing"] if self.missing_indicator else [])


def looks_like_dates(values: Any) -> bool:
    """True when at least 90 % of the (text) values look like dates (2024-01-31, 31/01/2024, with a time or not)."""
    sample = values.astype(str).head(500)
    return len(sample) > 0 and float(sample.str.match(_DATE_LIKE).mean()) >= 0.9


def to_dates(col: Any) -> Any:
    """A column as pandas datetimes (unparsable values become NaT)."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(col):
        return col
    return pd.to_datetime(col.astype(object).where(col.notna(), None), errors="coerce", format="mixed")


def classify_columns(df: Any, max_categories: int = MAX_CATEGORIES) -> tuple[dict[str, str], dict[str, str]]:
    """Each column's kind ("numeric", "categorical", "target", "date"), and the columns dropped with the reason.

    Raises DataError for a number column with a few bad values (naming the row) and
    for durations, which have no encoding here.
    """
    import pandas as pd

    kinds: dict[str, str] = {}
    dropped: dict[str, str] = {}
    for name in df.columns:
        col = df[name]
        present = col.dropna()
        if len(present) == 0:
            dropped[str(name)] = "every value is missing"
            continue
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            kinds[str(name)] = "numeric"
            continue
        if pd.api.types.is_datetime64_any_dtype(col):
            kinds[str(name)] = "date"
            continue
        if pd.api.types.is_timedelta64_dtype(col):
            raise DataError(f"column {name!r} holds durations; turn it into numbers (e.g. seconds) or drop it")
        as_numbers = pd.to_numeric(present, errors="coerce")
        bad = as_numbers.isna()
        if bad.mean() <= 0.1 and bad.any():
            label = bad[bad].index[0]
            row = int(label) + 1 if isinstance(label, (int, np.integer)) else label
            raise DataError(f"column {name!r} holds numbers except at row {row} "
                            f"({present[bad].iloc[0]!r}; rows count from 1 after the header); "
                            "fix or blank that value")
        if not bad.any():
            kinds[str(name)] = "numeric"  # numbers stored as text
            continue
        if looks_like_dates(present):
            kinds[str(name)] = "date"
            continue
        n_distinct = present.astype(str).nunique()
        kinds[str(name)] = "categorical" if n_distinct <= max_categories else "target"
    return kinds, dropped


def _text(col: Any) -> np.ndarray:
    """A text column as str values, missing ones as a category of their own."""
    return col.astype(object).where(col.notna(), _MISSING_TEXT).astype(str).to_numpy()


def _date_parts(col: Any) -> np.ndarray:
    dates = to_dates(col)
    return np.column_stack([dates.dt.year, dates.dt.month, dates.dt.day, dates.dt.day_of_week]).astype(float)


@dataclass
class Preprocessor:
    """Column plans fitted on training rows; ``transform`` gives a float32 matrix."""

    columns: list[ColumnPlan]

    @classmethod
    def fit(cls, df: Any, kinds: dict[str, str], y: np.ndarray | None = None, task: str = "regression",
            seed: int = 0) -> "Preprocessor":
        """Plans for ``df``'s columns; ``y`` (the training targets) is needed only for target-encoded columns."""
        return cls.fit_transform(df, kinds, y, task, seed)[0]

    @classmethod
    def fit_transform(cls, df: Any, kinds: dict[str, str], y: np.ndarray | None = None, task: str = "regression",
                      seed: int = 0) -> tuple["Preprocessor", np.ndarray]:
        """The fitted preprocessor and the training matrix, whose target-encoded columns are cross-fitted."""
        import pandas as pd

        plans, crossfit = [], {}
        for name, kind in kinds.items():
            col = df[name]
            indicator = bool(col.isna().mean() > MISSING_INDICATOR)
            if kind == "numeric":
                values = pd.to_numeric(col, errors="coerce").astype(float)
                fill = float(values.median()) if values.notna().any() else 0.0
                filled = values.fillna(fill)
                std = float(filled.std(ddof=0))
                plans.append(ColumnPlan(name, "numeric", fill=fill, mean=float(filled.mean()),
                                        std=std if std > 1e-12 else 1.0, missing_indicator=indicator))
            elif kind == "categorical":
                text = col.dropna().astype(str)
                cats = sorted(text.unique().tolist())
                fill = text.mode().iloc[0] if len(text) else (cats[0] if cats else "")
                plans.append(ColumnPlan(name, "categorical", fill=fill, categories=cats, missing_indicator=indicator))
            elif kind == "date":
                parts = _date_parts(col)
                fills = [float(np.nanmedian(p)) if np.isfinite(p).any() else 0.0 for p in parts.T]
                parts = np.where(np.isnan(parts), np.asarray(fills)[None, :], parts)
                stds = [float(s) if s > 1e-12 else 1.0 for s in parts.std(axis=0)]
                plans.append(ColumnPlan(name, "date", fills=fills, means=parts.mean(axis=0).tolist(), stds=stds,
                                        missing_indicator=indicator))
            elif kind == "target":
                if y is None:
                    raise ValueError(f"column {name!r} is target-encoded, so Preprocessor.fit needs y")
                plan, values = _fit_target_encoding(name, col, np.asarray(y), task, seed)
                plan.missing_indicator = indicator
                plans.append(plan)
                crossfit[name] = values
            else:
                raise ValueError(f"unknown column kind {kind!r} for column {name!r}")
        prep = cls(plans)
        return prep, prep.transform(df, crossfit=crossfit)

    def transform(self, df: Any, unknown: dict[str, list] | None = None,
                  crossfit: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """The feature matrix of ``df``'s rows.

        unknown: if a dict is given, it receives, per column, the values never seen in
        training (one-hot: all zeros; target-encoded: the training mean).
        crossfit: target-encoded values to use instead of the fitted mapping (training rows).
        """
        import pandas as pd

        missing = [p.name for p in self.columns if p.name not in df.columns]
        if missing:
            raise DataError(f"column(s) {', '.join(repr(m) for m in missing)} missing from the data; the model "
                            f"was trained on: {', '.join(p.name for p in self.columns)}")
        blocks = []
        for plan in self.columns:
            col = df[plan.name]
            if plan.kind == "numeric":
                values = pd.to_numeric(col, errors="coerce").astype(float).fillna(plan.fill).to_numpy()
                blocks.append(((values - plan.mean) / plan.std)[:, None])
            elif plan.kind == "categorical":
                text = col.astype(object).where(col.notna(), plan.fill).astype(str).to_numpy()
                known = np.asarray(plan.categories, dtype=object)
                onehot = (text[:, None] == known[None, :]).astype(float)
                _note_unknown(unknown, plan.name, text[onehot.sum(axis=1) == 0])
                blocks.append(onehot)
            elif plan.kind == "date":
                parts = _date_parts(col)
                parts = np.where(np.isnan(parts), np.asarray(plan.fills)[None, :], parts)
                blocks.append((parts - np.asarray(plan.means)) / np.asarray(plan.stds))
            else:
                if crossfit is not None and plan.name in crossfit:
                    values = crossfit[plan.name]
                else:
                    values, unseen = _apply_target_encoding(plan, _text(col))
                    _note_unknown(unknown, plan.name, unseen)
                blocks.append((values - np.asarray(plan.means)) / np.asarray(plan.stds))
            if plan.missing_indicator:
                blocks.append(col.isna().to_numpy(dtype=float)[:, None])
        if not blocks:
            raise DataError("no usable input column is left (every column was dropped or is the target)")
        return np.hstack(blocks).astype(np.float32)

    @property
    def feature_names(self) -> list[str]:
        return [f for plan in self.columns for f in plan.feature_names()]

    @property
    def input_columns(self) -> list[str]:
        """The columns a table must have to be transformed."""
        return [p.name for p in self.columns]

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [vars(p) for p in self.columns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Preprocessor":
        return cls([ColumnPlan(**c) for c in data["columns"]])


def _note_unknown(unknown: dict[str, list] | None, name: str, values: np.ndarray) -> None:
    if unknown is not None and len(values):
        seen = unknown.setdefault(name, [])
        seen.extend(v for v in dict.fromkeys(values.tolist()) if v not in seen)


def _fit_target_encoding(name: str, col: Any, y: np.ndarray, task: str, seed: int) -> tuple[ColumnPlan, np.ndarray]:
    """scikit-learn's TargetEncoder on one column: the plan (full-data mapping) and cross-fitted training values."""
    from sklearn.preprocessing import TargetEncoder

    if task == "classification":
        target_type = "binary" if len(np.unique(y)) <= 2 else "multiclass"
    else:
        target_type = "continuous"
    encoder = TargetEncoder(target_type=target_type, **_crossfit_folds(target_type, seed))
    values = encoder.fit_transform(_text(col)[:, None], y)
    if target_type == "multiclass":
        labels = [str(c) for c in encoder.classes_]
        default = [float(v) for v in np.ravel(encoder.target_mean_)]
    else:
        labels = [""]
        default = [float(encoder.target_mean_)]
    stds = values.std(axis=0)
    plan = ColumnPlan(name, "target", categories=[str(c) for c in encoder.categories_[0]],
                      encodings=[np.asarray(e, dtype=float).tolist() for e in encoder.encodings_], default=default,
                      means=values.mean(axis=0).tolist(), stds=[float(s) if s > 1e-12 else 1.0 for s in stds],
                      labels=labels)
    return plan, values


def _crossfit_folds(target_type: str, seed: int) -> dict[str, Any]:
    """Shuffled 5-fold cross-fitting: a splitter on scikit-learn >= 1.9, the older keywords before."""
    import sklearn
    from sklearn.model_selection import KFold, StratifiedKFold

    major, minor = (int(p) for p in sklearn.__version__.split(".")[:2])
    if (major, minor) < (1, 9):
        return {"cv": 5, "shuffle": True, "random_state": seed}
    splitter = StratifiedKFold if target_type != "continuous" else KFold
    return {"cv": splitter(5, shuffle=True, random_state=seed)}


def _apply_target_encoding(plan: ColumnPlan, text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    index = {c: i for i, c in enumerate(plan.categories)}
    pos = np.array([index.get(v, -1) for v in text], dtype=np.int64)
    table = np.asarray(plan.encodings, dtype=float).T  # (categories, outputs)
    out = np.where((pos >= 0)[:, None], table[np.clip(pos, 0, None)], np.asarray(plan.default)[None, :])
    return out, text[pos < 0]
