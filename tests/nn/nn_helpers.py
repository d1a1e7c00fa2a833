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
