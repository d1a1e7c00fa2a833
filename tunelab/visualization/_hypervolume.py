"""The hypervolume of the Pareto front after each trial (Optuna's ``plot_hypervolume_history``)."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from tunelab.pareto import hypervolume, nondominated_mask, violation
from tunelab.trial import TrialState
from tunelab.visualization._common import empty_figure, go, studies_of


def hypervolume_history(study: Any, reference_point: Sequence[float]) -> tuple[list[int], list[float]]:
    """(trial numbers, hypervolume of the feasible complete trials' front up to each), for a figure or a test.

    Values are turned into losses by the study's directions, and so is ``reference_point``.
    """
    view = studies_of(study)[0]
    directions = list(view.directions)
    if len(directions) < 2:
        raise ValueError("plot_hypervolume_history needs a study with several objectives; this one has one")
    try:
        ref = np.asarray(reference_point, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        ref = np.zeros(0)
    if len(ref) != len(directions) or not np.all(np.isfinite(ref)):
        raise ValueError(f"plot_hypervolume_history: 'reference_point' must be {len(directions)} finite numbers "
                         f"(one per objective); got {reference_point!r}")
    signs = np.array([d.sign() for d in directions])
    ref = ref * signs
    numbers: list[int] = []
    volumes: list[float] = []
    front = np.zeros((0, len(directions)))
    volume = 0.0
    for trial in view.get_trials([TrialState.COMPLETE]):
        if trial.values is not None and violation(trial) <= 0 and all(math.isfinite(v) for v in trial.values):
            point = np.asarray(trial.values, dtype=float) * signs
            if np.all(point < ref) and not np.any(np.all(front <= point, axis=1)):
                front = np.vstack([front, point])
                front = front[nondominated_mask(front)]
                volume = hypervolume(front, ref)
        numbers.append(trial.number)
        volumes.append(volume)
    return numbers, volumes


def plot_hypervolume_history(study: Any, reference_point: Sequence[float]):
    """How the hypervolume dominated by the feasible Pareto front (bounded by ``reference_point``) grew."""
    numbers, volumes = hypervolume_history(study, reference_point)
    if not numbers:
        return empty_figure("Hypervolume History Plot", "no complete trial yet")
    g = go()
    fig = g.Figure(g.Scatter(x=numbers, y=volumes, mode="lines+markers", name="Hypervolume"))
    fig.update_layout(title="Hypervolume History Plot", xaxis_title="Trial", yaxis_title="Hypervolume")
    return fig
