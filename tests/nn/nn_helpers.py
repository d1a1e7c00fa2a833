"""Helpers shared by the neural-network tests."""

from __future__ import annotations

import numpy as np


def mixed_frame(n: int = 120, seed: int = 0):
    """Numbers, a text column, a boolean, missing values and a text target that depends on them."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n).astype(object)
    flag = rng.random(n) < 0.5
    y = (x1 + 1.5 * (color == "red") + 0.3 * rng.normal(size=n)) > 0.4
    df = pd.DataFrame({"x1": x1, "x2": x2, "color": color, "flag": flag, "label": np.where(y, "yes", "no")})
    df.loc[[3, 10, 50], "x2"] = np.nan
    df.loc[[7, 8], "color"] = np.nan
    return df


SMALL_CONFIG = {"model": "mlp", "layers": 1, "width": 32, "activation": "relu", "dropout": 0.1, "batch_norm": False,
                "optimizer": "adam", "lr": 3e-3, "batch_size": 64, "epochs": 4, "schedule": "none"}


def messy_frame(n: int = 240, seed: int = 0):
    """A table with what a careful analyst checks for: a row id (sorted by the target), a unique text id, a
    column that leaks the target, a 51-value text column, a column missing in 40 % of rows and dates."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    states = [f"S{i:02d}" for i in range(51)]
    state = rng.choice(states, size=n)
    x1 = rng.normal(size=n)
    effect = {s: (i % 3 - 1) * 1.0 for i, s in enumerate(states)}
    income = rng.normal(50, 10, size=n)
    logit = 1.5 * x1 + np.array([effect[s] for s in state]) + 0.05 * (income - 50)
    y = np.where(logit + 0.3 * rng.normal(size=n) > 0, "yes", "no")
    order = np.argsort(y, kind="stable")  # a file sorted by the target: the row number leaks it
    df = pd.DataFrame({"x1": x1, "state": state, "income": income, "y": y}).iloc[order].reset_index(drop=True)
    df.insert(0, "rownames", np.arange(1, n + 1))
    df["customer"] = [f"cust-{rng.integers(1e9)}-{i}" for i in range(n)]
    df["refund_issued"] = (df["y"] == "yes").astype(int) * 10 + rng.normal(0, 0.1, size=n)  # known only after
    df.loc[rng.random(n) < 0.4, "income"] = np.nan
    df["signup"] = (pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, size=n), unit="D")
                    ).strftime("%Y-%m-%d")
    return df
