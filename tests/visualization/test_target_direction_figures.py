"""Every figure that takes ``target=`` takes ``target_direction=`` and hands it to the analysis."""

from __future__ import annotations

import numpy as np
import pytest
from figure_helpers import T0, UNIT

import tunelab.visualization as vis
from tunelab.analysis import StudyView
from tunelab.trial import FrozenTrial, StudyDirection, TrialState


@pytest.fixture(scope="module")
def two_objectives() -> StudyView:
    rng = np.random.default_rng(0)
    X = rng.random((60, 2))
    trials = [FrozenTrial(i, i, TrialState.COMPLETE, [float(X[i, 0]), float(X[i, 1])],
                          {"a": float(X[i, 0]), "b": float(X[i, 1])}, {"a": UNIT, "b": UNIT},
                          user_attrs={"y": float(X[i, 0] - X[i, 1])}, datetime_start=T0, datetime_complete=T0)
              for i in range(60)]
    return StudyView(trials, [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE])


FIGURES = ["plot_optimization_history", "plot_edf", "plot_slice", "plot_parallel_coordinate", "plot_contour",
           "plot_rank", "plot_param_importances", "plot_interactions", "plot_partial_dependence",
           "plot_ablation_path", "plot_terminator_improvement"]


@pytest.mark.parametrize("name", FIGURES)
def test_figures_pass_target_direction_through(two_objectives, name):
    plot = getattr(vis, name)
    kwargs = {"min_n_trials": 20} if name == "plot_terminator_improvement" else {}
    with pytest.raises(ValueError, match="pass target_direction="):
        plot(two_objectives, target=lambda t: t.user_attrs["y"], **kwargs)
    fig = plot(two_objectives, target=lambda t: t.user_attrs["y"], target_direction="maximize", **kwargs)
    assert len(fig.data) >= 1


def test_the_history_best_line_follows_target_direction(two_objectives):
    ys = [t.user_attrs["y"] for t in two_objectives.trials]
    for direction, best in (("maximize", max(ys)), ("minimize", min(ys))):
        fig = vis.plot_optimization_history(two_objectives, target=lambda t: t.user_attrs["y"],
                                            target_direction=direction)
        best_line = next(tr for tr in fig.data if tr.name and "Best" in tr.name)
        assert best_line.y[-1] == pytest.approx(best)
