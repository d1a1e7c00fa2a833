"""tunelab.visualization.matplotlib: Optuna's matplotlib figures, read back from the Axes they return."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from figure_helpers import T0, UNIT, from_matrix, linear_study, mixed_study  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection, PolyCollection  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402

import tunelab  # noqa: E402
import tunelab.visualization as vis  # noqa: E402
import tunelab.visualization.matplotlib as mvis  # noqa: E402
from tunelab._extras import MissingExtra  # noqa: E402
from tunelab.analysis import StudyView  # noqa: E402
from tunelab.space import CategoricalDistribution, FloatDistribution  # noqa: E402
from tunelab.trial import FrozenTrial, StudyDirection, TrialState  # noqa: E402
from tunelab.visualization._data_params import contour_data  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def mixed():
    return mixed_study(n=200, prune_every=4)  # 50 pruned, 150 complete


def _points(ax) -> list[np.ndarray]:
    """The (n, 2) offsets of each scatter on the Axes, in drawing order."""
    return [np.asarray(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection)]


def _bars(ax) -> dict[str, np.ndarray]:
    """The timeline's bars by state: rows of (start, end, trial number) in matplotlib's date units."""
    out = {}
    for coll in ax.collections:
        if isinstance(coll, PolyCollection):
            boxes = [np.asarray(p.vertices) for p in coll.get_paths()]
            out[coll.get_label()] = np.array([[b[:, 0].min(), b[:, 0].max(), (b[:, 1].min() + b[:, 1].max()) / 2]
                                              for b in boxes])
    return out


def _line(ax, label: str):
    return next(line for line in ax.get_lines() if line.get_label() == label)


def _study(values, directions=("minimize",), params=None) -> StudyView:
    trials = []
    for i, v in enumerate(values):
        v = list(v) if isinstance(v, (list, tuple)) else [v]
        p = {"x": float(i)} if params is None else params[i]
        trials.append(FrozenTrial(i, i, TrialState.COMPLETE, [float(x) for x in v], p,
                                  {k: FloatDistribution(0.0, 100.0) for k in p}))
    return StudyView(trials, [StudyDirection.parse(d) for d in directions])


def test_every_optuna_name_is_there():
    import optuna

    assert set(optuna.visualization.matplotlib.__all__) <= set(mvis.__all__)
    assert set(optuna.visualization.__all__) <= set(vis.__all__)  # plot_hypervolume_history and matplotlib too
    for name in mvis.__all__:
        assert callable(getattr(mvis, name)), name
    assert mvis.is_available() is True


def test_import_does_not_load_matplotlib():
    code = ("import sys, tunelab, tunelab.visualization; import tunelab.visualization.matplotlib as m; "
            "m.plot_slice; tunelab.viz.matplotlib.plot_rank; print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False"]


def test_missing_matplotlib_is_a_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now raises ImportError
    with pytest.raises(MissingExtra, match=r"^tunelab.visualization.matplotlib needs matplotlib: "
                                           r"pip install 'tunelab\[viz\]'") as err:
        mvis.plot_optimization_history(linear_study(n=5))
    assert "\n" not in str(err.value)
    assert mvis.is_available() is False


def test_optimization_history_best_line_is_the_running_min():
    values = [5.0, 3.0, 4.0, 1.0, 2.0, 0.5, 7.0]
    ax = mvis.plot_optimization_history(_study(values))
    assert isinstance(ax, Axes) and ax.get_title() == "Optimization History Plot"
    (pts,) = _points(ax)
    assert list(pts[:, 0]) == list(range(7)) and list(pts[:, 1]) == values
    best = _line(ax, "Best Value")
    assert list(best.get_xdata()) == list(range(7))
    assert list(best.get_ydata()) == list(np.minimum.accumulate(values))
    assert ax.get_yscale() == "linear"
    assert mvis.plot_optimization_history(_study(values), log=True).get_yscale() == "log"
    maxi = mvis.plot_optimization_history(_study(values, ["maximize"]))
    assert list(_line(maxi, "Best Value").get_ydata()) == list(np.maximum.accumulate(values))


def test_history_states_and_several_studies(mixed):
    ax = mvis.plot_optimization_history(mixed, include_pruned=True)
    complete, pruned = _points(ax)
    assert len(complete) == 150 and len(pruned) == 50
    best = min(t.values[0] for t in mixed.trials if t.state == TrialState.COMPLETE)
    assert _line(ax, "Best Value").get_ydata()[-1] == best  # pruned trials never count as best
    a, b = linear_study(n=30, seed=1), linear_study(n=30, seed=2)
    a.study_name, b.study_name = "a", "b"
    two = mvis.plot_optimization_history([a, b])
    assert {"a Best Value", "b Best Value"} <= {line.get_label() for line in two.get_lines()}
    band = mvis.plot_optimization_history([a, b], error_bar=True)
    mean = _line(band, "Best Value (mean over studies)").get_ydata()
    run_a = np.minimum.accumulate([t.values[0] for t in a.trials])
    run_b = np.minimum.accumulate([t.values[0] for t in b.trials])
    assert np.allclose(mean, (run_a + run_b) / 2)


def test_optuna_tutorial_call_with_import_tunelab_as_optuna():
    import tunelab as optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(lambda trial: (trial.suggest_float("x", -10, 10) - 2) ** 2, n_trials=20)
    ax = optuna.visualization.matplotlib.plot_optimization_history(study)
    assert isinstance(ax, Axes)
    values = [t.value for t in study.trials]
    assert np.allclose(_line(ax, "Best Value").get_ydata(), np.minimum.accumulate(values))
    assert isinstance(optuna.visualization.matplotlib.plot_slice(study), Axes)  # one parameter: one Axes


def test_slice_log_axes_categories_and_user_attrs(mixed):
    axs = mvis.plot_slice(mixed, params=["lr", "optimizer", "user_attrs.n_layers"])
    assert isinstance(axs, np.ndarray) and axs.shape == (3,)
    assert all(len(_points(ax)[0]) == 150 for ax in axs)
    assert axs[0].get_xscale() == "log" and axs[1].get_xscale() == "linear"
    assert [t.get_text() for t in axs[1].get_xticklabels()] == ["sgd", "adam"]
    complete = [t for t in mixed.trials if t.state == TrialState.COMPLETE]
    cat = _points(axs[1])[0]
    assert list(cat[:, 0]) == [0.0 if t.params["optimizer"] == "sgd" else 1.0 for t in complete]
    assert list(cat[:, 1]) == [t.values[0] for t in complete]
    assert axs[2].get_xlabel() == "user_attrs.n_layers"
    assert list(_points(axs[2])[0][:, 0]) == [t.user_attrs["n_layers"] for t in complete]
    assert mvis.plot_slice(mixed, params=["lr"], log=False).get_xscale() == "linear"
    with_pruned = mvis.plot_slice(mixed, params=["lr"], include_pruned=True)
    assert sorted(len(p) for p in _points(with_pruned)) == [50, 150]
    conditional = mvis.plot_slice(mixed, params=["momentum"])
    assert len(_points(conditional)[0]) == sum(1 for t in complete if "momentum" in t.params)


def test_slice_draws_the_same_points_as_the_plotly_figure(mixed):
    fig = vis.plot_slice(mixed, params=["lr", "layers"], include_pruned=True, max_points=60)
    axs = mvis.plot_slice(mixed, params=["lr", "layers"], include_pruned=True, max_points=60)
    for panel, ax in enumerate(axs):
        traces = [tr for tr in fig.data if tr.xaxis == ("x" if panel == 0 else f"x{panel + 1}")]
        for tr, pts in zip(traces, _points(ax)):
            assert np.allclose(np.asarray(tr.x, dtype=float), pts[:, 0])
            assert np.allclose(np.asarray(tr.y, dtype=float), pts[:, 1])


def test_contour_two_and_more_parameters():
    study = linear_study(n=100)
    ax = mvis.plot_contour(study, params=["x0", "x1"])
    assert isinstance(ax, Axes) and ax.get_xlabel() == "x0" and ax.get_ylabel() == "x1"
    (pts,) = _points(ax)
    assert np.allclose(pts, [[t.params["x0"], t.params["x1"]] for t in study.trials])
    assert sum(isinstance(c, ContourSet) for c in ax.collections) == 1  # the interpolated surface
    panel = contour_data(study, params=["x0", "x1"]).panels[("x0", "x1")]
    values = [t.values[0] for t in study.trials]
    assert panel.z.shape == (60, 60) and min(values) <= panel.z.min() and panel.z.max() <= max(values)
    grid = mvis.plot_contour(study, params=["x0", "x1", "x2"])
    assert grid.shape == (3, 3)
    for r in range(3):
        for c in range(3):
            assert len(_points(grid[r, c])) == (0 if r == c else 1)
    assert grid[2, 0].get_xlabel() == "x0" and grid[2, 0].get_ylabel() == "x2"


def test_contour_with_a_categorical_and_a_log_parameter(mixed):
    ax = mvis.plot_contour(mixed, params=["lr", "optimizer"])
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["sgd", "adam"]
    (pts,) = _points(ax)
    assert set(pts[:, 1]) == {0.0, 1.0}


def test_rank_colors_are_ranks():
    study = linear_study(n=50)
    ax = mvis.plot_rank(study, params=["x0", "x1"])
    (sc,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    colors = np.asarray(sc.get_array())
    values = np.array([t.values[0] for t in study.trials])
    assert colors[np.argmin(values)] == 0 and colors[np.argmax(values)] == 1
    assert np.array_equal(np.argsort(colors), np.argsort(values))
    one = mvis.plot_rank(study, params=["x0"])
    assert isinstance(one, Axes) and np.allclose(_points(one)[0][:, 1], values)
    assert mvis.plot_rank(study, params=["x0", "x1", "x2"]).shape == (3, 3)


def test_parallel_coordinate_lines(mixed):
    ax = mvis.plot_parallel_coordinate(mixed, params=["lr", "optimizer", "layers"])
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    segs = lines.get_segments()
    assert len(segs) == 150 and all(len(s) == 4 for s in segs)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Objective Value", "lr", "optimizer", "layers"]
    values = np.asarray(lines.get_array())
    best = min(t.values[0] for t in mixed.trials if t.state == TrialState.COMPLETE)
    assert values[-1] == best  # the best line is drawn last, on top
    assert segs[-1][0][1] == 0.0  # ... at the bottom of the value's axis (scaled to [0, 1])


def test_param_importances_bars():
    ax = mvis.plot_param_importances(linear_study(n=300), n_bootstrap=5)
    widths = [p.get_width() for p in ax.patches]
    assert sum(widths) == pytest.approx(1.0) and len(widths) == 4
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "x0"  # the most important on top
    assert widths[-1] == max(widths)


def test_param_importances_caveat_when_the_top_two_overlap():
    ax = mvis.plot_param_importances(linear_study(n=20, weights=(1.0, 0.9, 0.1)), n_bootstrap=50)
    assert "not settled" in ax.get_title()
    assert "not settled" not in mvis.plot_param_importances(linear_study(n=300), n_bootstrap=50).get_title()


def test_param_importances_one_set_of_bars_per_objective():
    rng = np.random.default_rng(0)
    X = rng.random((200, 2))
    trials = [FrozenTrial(i, i, TrialState.COMPLETE, [float(X[i, 0]), float(X[i, 1])],
                          {"a": float(X[i, 0]), "b": float(X[i, 1])}, {"a": UNIT, "b": UNIT}) for i in range(200)]
    ax = mvis.plot_param_importances(StudyView(trials, [StudyDirection.MINIMIZE, StudyDirection.MINIMIZE]),
                                     with_ci=False)
    assert len(ax.patches) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Objective Value 0", "Objective Value 1"]
    first, second = ax.patches[:2], ax.patches[2:]  # objective 0 depends on a only, objective 1 on b only
    names = [t.get_text() for t in ax.get_yticklabels()]
    by_name = {names[round(p.get_y() + p.get_height() / 2)]: p.get_width() for p in first}
    assert by_name["a"] > 0.9
    by_name = {names[round(p.get_y() + p.get_height() / 2)]: p.get_width() for p in second}
    assert by_name["b"] > 0.9


def test_history_error_bars_from_repeats():
    trials = [FrozenTrial(i, i, TrialState.COMPLETE, [float(np.mean(v))], {"x": float(i)}, {},
                          user_attrs={"repeat_values": v} if len(v) > 1 else {})
              for i, v in enumerate([[1.0, 3.0], [2.0], [0.5, 0.7, 0.6]])]
    ax = mvis.plot_optimization_history(StudyView(trials), error_bar=True)
    (bars,) = ax.containers  # the ErrorbarContainer of the trials
    (segments,) = bars.lines[2]
    half = [(seg[1, 1] - seg[0, 1]) / 2 for seg in segments.get_segments()]
    assert half == pytest.approx([np.std([1.0, 3.0], ddof=1), 0.0, 0.1])


def test_pareto_front_two_and_three_objectives():
    rng = np.random.default_rng(0)
    pts = rng.random((200, 3))
    two = _study([tuple(p[:2]) for p in pts], ["minimize", "minimize"])
    ax = mvis.plot_pareto_front(two, target_names=["err", "cost"])
    labels = [c.get_label() for c in ax.collections]
    assert labels == ["Trial", "Best Trial"] and ax.get_xlabel() == "err"
    rest, front = _points(ax)
    assert len(rest) + len(front) == 200
    for x, y in front:
        assert not np.any((pts[:, 0] < x) & (pts[:, 1] < y))
    expected = sum(not np.any((pts[:, 0] < a) & (pts[:, 1] < b)) for a, b in pts[:, :2])
    assert len(front) == expected
    feas = mvis.plot_pareto_front(two, constraints_func=lambda t: [t.values[0] - 0.5])
    assert [c.get_label() for c in feas.collections] == ["Trial", "Best Trial", "Infeasible Trial"]
    assert all(x <= 0.5 for x, _ in _points(feas)[1])
    three = mvis.plot_pareto_front(_study([tuple(p) for p in pts], ["minimize"] * 3))
    assert three.name == "3d" and three.get_zlabel() == "Objective 2"
    with pytest.raises(ValueError, match="draws 2 or 3"):
        mvis.plot_pareto_front(linear_study(n=10))


def test_hypervolume_history_values_in_both_renderers():
    study = _study([(1, 3), (2, 2), (3, 1), (2.5, 2.5), (5, 0)], ["minimize", "minimize"])
    ax = mvis.plot_hypervolume_history(study, reference_point=[4, 4])
    line = ax.get_lines()[0]
    expected = [3.0, 5.0, 6.0, 6.0, 6.0]  # (2.5, 2.5) is dominated; (5, 0) lies beyond the reference point
    assert list(line.get_xdata()) == [0, 1, 2, 3, 4] and list(line.get_ydata()) == expected
    fig = vis.plot_hypervolume_history(study, reference_point=[4, 4])
    assert list(fig.data[0].y) == expected
    maxi = _study([(-1, -3), (-2, -2)], ["maximize", "maximize"])
    assert list(mvis.plot_hypervolume_history(maxi, [-4, -4]).get_lines()[0].get_ydata()) == [3.0, 5.0]
    with pytest.raises(ValueError, match="one objective"):
        mvis.plot_hypervolume_history(linear_study(n=5), [1.0])
    with pytest.raises(ValueError, match="reference_point must be 2"):
        mvis.plot_hypervolume_history(study, [1.0, 2.0, 3.0])


def test_intermediate_values_edf_timeline(mixed):
    ax = mvis.plot_intermediate_values(mixed)
    best = min((t for t in mixed.trials if t.state == TrialState.COMPLETE), key=lambda t: t.values[0])
    best_line = _line(ax, f"best (trial {best.number})")
    assert list(best_line.get_ydata()) == [best.intermediate_values[s] for s in sorted(best.intermediate_values)]
    assert len(ax.get_lines()) == 200  # 149 complete + 50 pruned + the best
    assert sum(len(line.get_xdata()) == 3 for line in ax.get_lines()) == 50  # pruned after 3 steps
    edf = mvis.plot_edf(mixed)
    (line,) = edf.get_lines()
    assert line.get_ydata()[-1] == 1.0 and line.get_ydata()[0] > 0
    assert mvis.plot_edf(mixed, log=True).get_xscale() == "log"
    tl = _bars(mvis.plot_timeline(mixed))
    assert len(tl["complete"]) == 150 and len(tl["pruned"]) == 50
    assert {round(w * 86400) for w in tl["complete"][:, 1] - tl["complete"][:, 0]} == {10}  # days -> seconds
    assert {round(w * 86400) for w in tl["pruned"][:, 1] - tl["pruned"][:, 0]} == {3}
    pruned = [t.number for t in mixed.trials if t.state == TrialState.PRUNED]
    assert list(tl["pruned"][:, 2]) == pruned
    assert sum(len(b) for b in _bars(mvis.plot_timeline(mixed, n_recent_trials=10)).values()) == 10
    assert sum(len(tr.y) for tr in vis.plot_timeline(mixed, n_recent_trials=10).data) == 10


def test_terminator_improvement():
    rng = np.random.default_rng(0)
    X = rng.random((40, 2))
    ax = mvis.plot_terminator_improvement(from_matrix(X, (X ** 2).sum(axis=1)), plot_error=True, n_points=3)
    improvement, error = ax.get_lines()
    assert list(improvement.get_xdata()) == [20, 30, 40] and improvement.get_label() == "Terminator Improvement"
    assert error.get_label() == "Error"
    early = mvis.plot_terminator_improvement(from_matrix(X[:5], X[:5, 0]))
    assert early.texts and not early.get_lines()


def test_decimation_of_a_20000_trial_study_keeps_the_best():
    n = 20_000
    rng = np.random.default_rng(0)
    X = rng.random((n, 2))
    y = X[:, 0] + X[:, 1] + 1.0
    y[12_345] = 0.0
    study = tunelab.create_study()
    dist = FloatDistribution(0.0, 1.0)
    study.add_trials(tunelab.trial.create_trial(params={"a": float(X[i, 0]), "b": float(X[i, 1])},
                                                distributions={"a": dist, "b": dist}, value=float(y[i]))
                     for i in range(n))
    ax = mvis.plot_optimization_history(study)
    (pts,) = _points(ax)
    assert len(pts) <= 5000 and 12_345 in pts[:, 0]
    assert _line(ax, "Best Value").get_ydata()[-1] == 0.0
    axs = mvis.plot_slice(study, max_points=1000)
    assert all(len(_points(a)[0]) <= 1000 and 0.0 in _points(a)[0][:, 1] for a in axs)
    par = mvis.plot_parallel_coordinate(study)
    (lines,) = [c for c in par.collections if isinstance(c, LineCollection)]
    assert len(lines.get_segments()) <= 5000 and 0.0 in np.asarray(lines.get_array())
    rank = mvis.plot_rank(study)
    assert len(_points(rank)[0]) <= 5000
    bars = _bars(mvis.plot_timeline(study))["complete"]
    assert 0 < len(bars) <= 5000 and 12_345 in bars[:, 2]


def test_every_figure_on_real_studies_written_as_optunas_tutorial():
    import tunelab as optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        depth = trial.suggest_int("depth", 1, 4)
        value = (np.log10(lr) + 2.5) ** 2 + (0.3 if kind == "b" else 0.0) + 0.01 * depth
        for step in range(5):
            trial.report(value + 1.0 / (step + 1), step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return value

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0), pruner=optuna.pruners.MedianPruner())
    study.optimize(objective, n_trials=40)
    m = optuna.visualization.matplotlib
    assert m.is_available()
    drawn = {
        "history": m.plot_optimization_history(study),
        "intermediate": m.plot_intermediate_values(study),
        "parallel": m.plot_parallel_coordinate(study),
        "contour": m.plot_contour(study),
        "contour2": m.plot_contour(study, params=["lr", "kind"]),
        "slice": m.plot_slice(study, params=["lr", "depth"]),
        "importances": m.plot_param_importances(study),
        "importances_duration": m.plot_param_importances(
            study, target=lambda t: (t.datetime_complete - t.datetime_start).total_seconds(),
            target_name="duration", target_direction="minimize"),
        "edf": m.plot_edf(study),
        "rank": m.plot_rank(study),
        "timeline": m.plot_timeline(study),
        "terminator": m.plot_terminator_improvement(study),
    }
    assert drawn["contour"].shape == (3, 3) and isinstance(drawn["contour2"], Axes)
    assert drawn["slice"].shape == (2,)
    n_pruned = len(study.get_trials(states=[optuna.trial.TrialState.PRUNED]))
    assert n_pruned > 0 and len(_bars(drawn["timeline"])["pruned"]) == n_pruned

    def two(trial):
        x = trial.suggest_float("x", 0, 5)
        y = trial.suggest_float("y", 0, 3)
        return 4 * x ** 2 + 4 * y ** 2, (x - 5) ** 2 + (y - 5) ** 2

    multi = optuna.create_study(directions=["minimize", "minimize"], sampler=optuna.samplers.NSGAIISampler(seed=0))
    multi.optimize(two, n_trials=30)
    front = m.plot_pareto_front(multi, target_names=["f1", "f2"])
    assert len(_points(front)[1]) == len(multi.best_trials)
    hv = m.plot_hypervolume_history(multi, reference_point=[200.0, 60.0])
    assert np.all(np.diff(hv.get_lines()[0].get_ydata()) >= 0)  # the hypervolume never shrinks
    for out in list(drawn.values()) + [front, hv]:
        (out if isinstance(out, Axes) else out.flat[0]).figure.canvas.draw()


def test_every_figure_on_an_empty_and_a_one_trial_study():
    one = StudyView([FrozenTrial(0, 0, TrialState.COMPLETE, [1.0], {"x": 0.5}, {"x": UNIT})])
    for study in (StudyView([]), one):
        for name in mvis.__all__:
            if name.startswith("plot_") and name not in ("plot_pareto_front", "plot_hypervolume_history"):
                out = getattr(mvis, name)(study)
                ax = out if isinstance(out, Axes) else out.flat[0]
                assert ax.get_title() or ax.figure.get_suptitle(), name
                ax.figure.canvas.draw()


def test_user_strings_stay_literal_text(tmp_path):
    X = np.random.default_rng(0).random((30, 2))
    study = from_matrix(X, X[:, 0], names=["cost $a$", "b_1"])
    axs = mvis.plot_slice(study)
    assert axs[0].get_xlabel() == r"cost \$a\$"  # shown as typed, not as math
    bad = CategoricalDistribution(("$x$", "<b>"))
    trials = [FrozenTrial(i, i, TrialState.COMPLETE, [float(i)], {"c": bad.choices[i % 2], "x": float(X[i, 0])},
                          {"c": bad, "x": UNIT}, datetime_start=T0) for i in range(30)]
    for f in (mvis.plot_slice, mvis.plot_contour, mvis.plot_rank, mvis.plot_parallel_coordinate):
        out = f(StudyView(trials))
        fig = (out if isinstance(out, Axes) else out.flat[0]).figure
        fig.savefig(tmp_path / f"{f.__name__}.png")  # mathtext would fail on an unbalanced or odd label


@pytest.mark.parametrize("name", ["plot_optimization_history", "plot_edf", "plot_slice", "plot_parallel_coordinate",
                                  "plot_contour", "plot_rank", "plot_param_importances"])
def test_target_direction_reaches_the_data(name):
    rng = np.random.default_rng(0)
    X = rng.random((40, 2))
    trials = [FrozenTrial(i, i, TrialState.COMPLETE, [float(X[i, 0]), float(X[i, 1])],
                          {"a": float(X[i, 0]), "b": float(X[i, 1])}, {"a": UNIT, "b": UNIT},
                          user_attrs={"y": float(X[i, 0] - X[i, 1])}) for i in range(40)]
    study = StudyView(trials, [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE])
    plot = getattr(mvis, name)
    with pytest.raises(ValueError, match="pass target_direction="):
        plot(study, target=lambda t: t.user_attrs["y"])
    plot(study, target=lambda t: t.user_attrs["y"], target_direction="maximize")
    if name == "plot_optimization_history":
        ys = [t.user_attrs["y"] for t in trials]
        for direction, running in (("maximize", np.maximum), ("minimize", np.minimum)):
            ax = plot(study, target=lambda t: t.user_attrs["y"], target_direction=direction)
            assert list(_line(ax, "Best Value").get_ydata()) == list(running.accumulate(ys))


def test_bad_arguments(mixed):
    with pytest.raises(ValueError, match="max_points"):
        mvis.plot_slice(mixed, max_points=0)
    with pytest.raises(ValueError, match="unknown parameter"):
        mvis.plot_contour(mixed, params=["lr", "nope"])
    with pytest.raises(ValueError, match="n_recent_trials"):
        mvis.plot_timeline(mixed, n_recent_trials=0)
    with pytest.raises(TypeError, match="improvement_evaluator"):
        mvis.plot_terminator_improvement(mixed, improvement_evaluator=object())
