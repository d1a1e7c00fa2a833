"""Synthetic studies with known answers, built from FrozenTrials (no objective runs)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from tunelab.analysis import StudyView
from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

UNIT = FloatDistribution(0.0, 1.0)
T0 = dt.datetime(2026, 1, 1)


def linear_study(n: int = 600, weights=(10.0, 3.0, 1.0, 0.0), seed: int = 0, direction: str = "minimize",
                 noise: float = 0.0) -> StudyView:
    """y = sum_j w_j x_j on the unit cube: main-effect variance shares are w_j^2 / sum w^2 (no interactions)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, len(weights)))
    y = X @ np.asarray(weights) + rng.normal(0, noise, n)
    return from_matrix(X, y, direction)


def from_matrix(X, y, direction: str = "minimize", names=None) -> StudyView:
    names = names or [f"x{j}" for j in range(X.shape[1])]
    trials = [FrozenTrial(i, i, TrialState.COMPLETE, [float(y[i])], {n: float(X[i, j]) for j, n in enumerate(names)},
                          {n: UNIT for n in names}, datetime_start=T0 + dt.timedelta(seconds=i),
                          datetime_complete=T0 + dt.timedelta(seconds=i + 1)) for i in range(len(y))]
    return StudyView(trials, [StudyDirection.parse(direction)])


def interaction_study(n: int = 1500, seed: int = 0) -> StudyView:
    """y = 2 x0 + 12 (x1 - 1/2)(x2 - 1/2): x1 and x2 matter only together; x3 not at all."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, 4))
    y = 2 * X[:, 0] + 12 * (X[:, 1] - 0.5) * (X[:, 2] - 0.5)
    return from_matrix(X, y)


def mixed_study(n: int = 400, seed: int = 0, prune_every: int = 0) -> StudyView:
    """A network-like space: log lr (matters most), optimizer (sgd worse), momentum only under sgd, layers (int)."""
    rng = np.random.default_rng(seed)
    dists = {"lr": FloatDistribution(1e-5, 1e-1, log=True), "optimizer": CategoricalDistribution(("sgd", "adam")),
             "layers": IntDistribution(1, 4), "momentum": FloatDistribution(0.0, 0.99)}
    trials = []
    for i in range(n):
        lr = float(10 ** rng.uniform(-5, -1))
        opt = str(rng.choice(["sgd", "adam"]))
        layers = int(rng.integers(1, 5))
        params = {"lr": lr, "optimizer": opt, "layers": layers}
        if opt == "sgd":
            params["momentum"] = float(rng.random() * 0.99)
        y = (np.log10(lr) + 3) ** 2 + (0.5 if opt == "sgd" else 0.0) + 0.05 * layers
        state = TrialState.PRUNED if prune_every and i % prune_every == 0 else TrialState.COMPLETE
        steps = 10 if state == TrialState.COMPLETE else 3
        curve = {s: float(y + 1.0 / (s + 1)) for s in range(steps)}
        value = float(y) if state == TrialState.COMPLETE else curve[steps - 1]
        trials.append(FrozenTrial(i, i, state, [value], params, {k: dists[k] for k in params}, curve,
                                  {"n_layers": layers}, datetime_start=T0 + dt.timedelta(seconds=i),
                                  datetime_complete=T0 + dt.timedelta(seconds=i + steps)))
    return StudyView(trials)
