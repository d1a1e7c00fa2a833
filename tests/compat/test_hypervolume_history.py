"""plot_hypervolume_history: the hypervolume after each trial, as Optuna's figure draws it."""

from __future__ import annotations

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")
pytest.importorskip("plotly")

import tunelab  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)

VALUES = [(3.0, 1.0), (1.0, 3.0), (2.0, 2.0), (4.0, 4.0), (0.5, 3.5), (2.5, 0.5)]


def _studies(directions):
    sign = np.array([1 if d == "minimize" else -1 for d in directions])
    ours = tunelab.create_study(directions=directions)
    theirs = optuna.create_study(directions=directions)
    for i, v in enumerate(VALUES):
        values = list(np.array(v) * sign)
        ours.enqueue_trial({"i": i})
        ours.optimize(lambda t, values=values: (t.suggest_int("i", 0, 9), values)[1], n_trials=1)
        theirs.enqueue_trial({"i": i})
        theirs.optimize(lambda t, values=values: (t.suggest_int("i", 0, 9), values)[1], n_trials=1)
    return ours, theirs


@pytest.mark.parametrize("directions", [["minimize", "minimize"], ["maximize", "minimize"]])
def test_same_curve_as_optuna(directions):
    ours, theirs = _studies(directions)
    sign = np.array([1 if d == "minimize" else -1 for d in directions])
    reference = list(np.array([5.0, 5.0]) * sign)
    mine = tunelab.visualization.plot_hypervolume_history(ours, reference)
    numbers, volumes = list(mine.data[0].x), list(mine.data[0].y)
    assert numbers == list(range(len(VALUES)))
    assert volumes[0] == pytest.approx(2 * 4) and volumes[1] == pytest.approx(8 + 2 * 2)  # by hand
    figure = optuna.visualization.plot_hypervolume_history(theirs, reference)
    assert np.allclose(volumes, figure.data[0].y)


def test_bad_reference_point_and_single_objective_are_refused():
    ours, _ = _studies(["minimize", "minimize"])
    with pytest.raises(ValueError, match="reference_point must be 2 finite numbers"):
        tunelab.visualization.plot_hypervolume_history(ours, [1.0])
    single = tunelab.create_study()
    single.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with pytest.raises(ValueError, match="one objective"):
        tunelab.visualization.plot_hypervolume_history(single, [1.0])
