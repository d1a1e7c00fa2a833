"""Trials as a pandas DataFrame (pandas is imported only here)."""

from __future__ import annotations

from typing import Sequence

from tunelab.trial import FrozenTrial, StudyDirection


def trials_dataframe(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection], multi_index: bool = False):
    """One row per trial: number, value (or values_0..), state, times, params_*, user_attrs_*.

    ``multi_index=True`` gives two-level columns instead, as Optuna does:
    ("params", "lr"), ("user_attrs", "seed"), ("values", 0), ("number", "") ...
    """
    import pandas as pd

    rows = []
    for t in trials:
        row = {"number": t.number, "state": t.state.name}
        if len(directions) == 1:
            row["value"] = t.values[0] if t.values else None
        else:
            for i in range(len(directions)):
                row[f"values_{i}"] = t.values[i] if t.values else None
        row["datetime_start"] = t.datetime_start
        row["datetime_complete"] = t.datetime_complete
        row["duration"] = t.duration
        row["n_steps"] = len(t.intermediate_values)
        for k, v in t.params.items():
            row[f"params_{k}"] = v
        for k, v in t.user_attrs.items():
            row[f"user_attrs_{k}"] = v
        if "fail_reason" in t.system_attrs:
            row["fail_reason"] = t.system_attrs["fail_reason"]
        rows.append(row)
    frame = pd.DataFrame(rows)
    if multi_index:
        frame.columns = pd.MultiIndex.from_tuples([_two_levels(c) for c in frame.columns])
    return frame


def _two_levels(column: str) -> tuple[str, str | int]:
    for group in ("params", "user_attrs", "values"):
        if column.startswith(group + "_"):
            rest = column[len(group) + 1:]
            return group, int(rest) if group == "values" else rest
    return column, ""
