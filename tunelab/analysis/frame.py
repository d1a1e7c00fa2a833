"""Trials as a pandas DataFrame (pandas is imported only here)."""

from __future__ import annotations

from typing import Sequence

from tunelab.trial import FrozenTrial, StudyDirection


def trials_dataframe(trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]):
    """One row per trial: number, value (or values_0..), state, times, params_*, user_attrs_*."""
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
    return pd.DataFrame(rows)
