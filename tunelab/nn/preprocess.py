"""Turning a table into numbers: column kinds, imputation, standardisation, one-hot encoding.

The :class:`Preprocessor` is fitted on the training rows only (no leakage into
the validation score) and is a plain JSON-able record, so the saved best model
can preprocess new rows the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tunelab.nn.errors import DataError

MAX_CATEGORIES = 50


@dataclass
class ColumnPlan:
    """How one input column becomes features."""

    name: str
    kind: str  # "numeric" or "categorical"
    fill: Any = None  # value used for missing entries
    mean: float = 0.0
    std: float = 1.0
    categories: list = field(default_factory=list)

    def feature_names(self) -> list[str]:
        if self.kind == "numeric":
            return [self.name]
        return [f"{self.name}={c}" for c in self.categories]


def classify_columns(df: Any, max_categories: int = MAX_CATEGORIES) -> tuple[dict[str, str], dict[str, str]]:
    """Each column's kind ("numeric"/"categorical"), and the columns dropped with the reason.

    Raises DataError for a column that is neither numeric nor categorical,
    naming the column and, where one value is at fault, its row.
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
        if pd.api.types.is_datetime64_any_dtype(col) or pd.api.types.is_timedelta64_dtype(col):
            raise DataError(f"column {name!r} holds dates/times, which are neither numeric nor categorical; "
                            "drop it or turn it into numbers (e.g. a day count) first")
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
        n_distinct = present.astype(str).nunique()
        if n_distinct > max_categories or (n_distinct > 20 and n_distinct > 0.5 * len(present)):
            raise DataError(f"column {name!r} is neither numeric nor categorical: {n_distinct} distinct text "
                            f"values in {len(present)} rows (at most {max_categories} categories are one-hot "
                            "encoded, and fewer than half the rows); drop it or encode it yourself")
        kinds[str(name)] = "categorical"
    return kinds, dropped


@dataclass
class Preprocessor:
    """Column plans fitted on training rows; ``transform`` gives a float32 matrix."""

    columns: list[ColumnPlan]

    @classmethod
    def fit(cls, df: Any, kinds: dict[str, str]) -> "Preprocessor":
        import pandas as pd

        plans = []
        for name, kind in kinds.items():
            col = df[name]
            if kind == "numeric":
                values = pd.to_numeric(col, errors="coerce").astype(float)
                fill = float(values.median()) if values.notna().any() else 0.0
                filled = values.fillna(fill)
                std = float(filled.std(ddof=0))
                plans.append(ColumnPlan(name, "numeric", fill=fill, mean=float(filled.mean()),
                                        std=std if std > 1e-12 else 1.0))
            else:
                text = col.dropna().astype(str)
                cats = sorted(text.unique().tolist())
                fill = text.mode().iloc[0] if len(text) else (cats[0] if cats else "")
                plans.append(ColumnPlan(name, "categorical", fill=fill, categories=cats))
        return cls(plans)

    def transform(self, df: Any) -> np.ndarray:
        import pandas as pd

        blocks = []
        for plan in self.columns:
            if plan.name not in df.columns:
                raise DataError(f"column {plan.name!r} is missing from the data to transform")
            col = df[plan.name]
            if plan.kind == "numeric":
                values = pd.to_numeric(col, errors="coerce").astype(float).fillna(plan.fill).to_numpy()
                blocks.append(((values - plan.mean) / plan.std)[:, None])
            else:
                text = col.astype(object).where(col.notna(), plan.fill).astype(str).to_numpy()
                onehot = (text[:, None] == np.asarray(plan.categories, dtype=object)[None, :]).astype(float)
                blocks.append(onehot)
        if not blocks:
            raise DataError("no usable input column is left (every column was dropped or is the target)")
        return np.hstack(blocks).astype(np.float32)

    @property
    def feature_names(self) -> list[str]:
        return [f for plan in self.columns for f in plan.feature_names()]

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [vars(p) for p in self.columns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Preprocessor":
        return cls([ColumnPlan(**c) for c in data["columns"]])
