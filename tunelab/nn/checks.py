"""Checks a careful analyst runs on a table before fitting: row-id columns and target leakage.

- :func:`id_columns`: columns that identify a row rather than describe it: named
  like an index (``rownames``, ``id``, ``index``, ``Unnamed: 0``), text unique in
  every row, or integers unique in every row that count up (1, 2, 3, ...).  A
  model can only memorise them; and when the file is sorted by the target they
  leak it.
- :func:`leaking_columns`: columns that alone predict the target almost perfectly
  on the training rows (cross-validated decision tree on that one column).  Often
  a value known only after the outcome; it is reported, not dropped.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

INDEX_NAMES = {"", "rownames", "row.names", "row_names", "id", "index", "row", "rowid", "row_id", "x"}
_UNNAMED = re.compile(r"^unnamed: ?\d+$")
LEAK_THRESHOLD = 0.98  # cross-validated balanced accuracy or R^2 of one column alone
_LEAK_ROWS = 4000  # the check looks at this many training rows at most


def id_columns(df: Any, keep: set[str] = frozenset()) -> dict[str, str]:
    """Columns that look like row ids (not in ``keep``), with the reason."""
    import pandas as pd

    found: dict[str, str] = {}
    n = len(df)
    for name in df.columns:
        if name in keep:
            continue
        col = df[name]
        lowered = str(name).strip().lower()
        if lowered in INDEX_NAMES - {"x"} or _UNNAMED.match(lowered) or (lowered == "x" and _counts_up(col)):
            found[name] = "named like a row index"
            continue
        if n < 10 or col.isna().any() or col.nunique() != n:
            continue
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            if _counts_up(col):
                found[name] = "a different whole number in every row, counting up"
        elif not pd.api.types.is_datetime64_any_dtype(col):
            numbers = pd.to_numeric(col, errors="coerce")
            if numbers.isna().all():
                found[name] = "a different text in every row"
            elif numbers.notna().all() and _counts_up(numbers):
                found[name] = "a different whole number in every row, counting up"
    return found


def _counts_up(col: Any) -> bool:
    """Whole numbers forming a run without gaps (a row number, in any order)."""
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(col) or col.isna().any() or len(col) < 2:
        return False
    values = col.to_numpy(dtype=float)
    if not np.all(np.mod(values, 1) == 0):
        return False
    return bool(np.all(np.diff(np.sort(values)) == 1))


def leaking_columns(df: Any, y: np.ndarray, kinds: dict[str, str], task: str, seed: int = 0) -> dict[str, float]:
    """Columns whose cross-validated score alone (balanced accuracy / R^2) is at least LEAK_THRESHOLD."""
    import pandas as pd
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if len(df) > _LEAK_ROWS:
        pick = np.random.default_rng(seed).choice(len(df), _LEAK_ROWS, replace=False)
        df, y = df.iloc[pick], np.asarray(y)[pick]
    if task == "classification":
        counts = np.bincount(np.asarray(y, dtype=np.int64))
        counts = counts[counts > 0]
        if len(counts) < 2 or counts.min() < 3:
            return {}
        model: Any = DecisionTreeClassifier(min_samples_leaf=2, random_state=seed)
        folds = list(StratifiedKFold(3, shuffle=True, random_state=seed).split(df, y))
    else:
        model = DecisionTreeRegressor(min_samples_leaf=2, random_state=seed)
        folds = list(KFold(3, shuffle=True, random_state=seed).split(df))
    y = np.asarray(y)
    found = {}
    for name, kind in kinds.items():
        col = df[name]
        if kind == "numeric":
            x = pd.to_numeric(col, errors="coerce").astype(float).to_numpy()
        elif kind == "date":
            from tunelab.nn.preprocess import to_dates

            dates = to_dates(col)
            x = (dates.dt.year * 400 + dates.dt.day_of_year).to_numpy(dtype=float)
        else:
            x = pd.factorize(col.astype(object).where(col.notna(), "<missing>").astype(str), sort=True)[0]
            x = x.astype(float)
        x = np.where(np.isnan(x), np.nanmin(x) - 1 if np.isfinite(x).any() else 0.0, x)
        if len(np.unique(x)) < 2:
            continue
        score = float(np.mean([_score(model.fit(x[tr, None], y[tr]).predict(x[te, None]), y[te], task)
                               for tr, te in folds]))
        if score >= LEAK_THRESHOLD:
            found[name] = score
    return found


def _score(pred: np.ndarray, y: np.ndarray, task: str) -> float:
    """Balanced accuracy (classification) or R^2 (regression), without scikit-learn's per-call checks."""
    if task == "classification":
        return float(np.mean([np.mean(pred[y == c] == c) for c in np.unique(y)]))
    total = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - pred) ** 2)) / total if total > 0 else 0.0
