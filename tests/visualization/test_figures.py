"""Figures hold the right traces and points; every one builds on 100,000 trials."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pytest
from figure_helpers import T0, UNIT, from_matrix, interaction_study, linear_study, mixed_study

import tunelab
import tunelab.visualization as vis
from tunelab.analysis import StudyView
from tunelab.space import FloatDistribution
from tunelab.trial import FrozenTrial, StudyDirection, TrialState


@pytest.fixture(scope="module")
def mixed():
    return mixed_study(n=200, prune_every=4)  # 50 pruned, 150 complete


def _by_name(fig):
    return {tr.name: tr for tr in fig.data}


def test_import_tunelab_does_not_load_plotly():
    code = "import sys, tunelab; tunelab.Study; print('plotly' in sys.modules, 'sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
    assert tunelab.visualization is vis and tunelab.viz.plot_slice is vis.plot_slice


def test_optimization_history_points_and_best_line(mixed):
    fig = vis.plot_optimization_history(mixed)
    traces = _by_name(fig)
    assert set(traces) == {"Objective Value", "Best Value"}
    complete = [t for t in mixed.trials if t.state == TrialState.COMPLETE]
    assert list(traces["Objective Value"].x) == [t.number for t in complete]
    assert list(traces["Objective Value"].y) == [t.values[0] for t in complete]
    best = np.minimum.accumulate([t.values[0] for t in complete])
    assert np.allclose(traces["Best Value"].y, best)
    with_pruned = _by_name(vis.plot_optimization_history(mixed, include_pruned=True))
    assert len(with_pruned["pruned (last report)"].x) == 50
    assert np.allclose(with_pruned["Best Value"].y[-1], best[-1])  # pruned trials never count as best


def test_history_of_several_studies_and_error_bar():
    a, b = linear_study(n=50, seed=1), linear_study(n=50, seed=2)
    a.study_name, b.study_name = "a", "b"
    assert len(vis.plot_optimization_history([a, b]).data) == 4
    band = vis.plot_optimization_history([a, b], error_bar=True)
    assert [tr.name for tr in band.data] == ["±1 std", "Best Value (mean over studies)"]


def test_slice_log_axes_categories_and_user_attrs(mixed):
    fig = vis.plot_slice(mixed, params=["lr", "optimizer", "user_attrs.n_layers"])
    assert len(fig.data) == 3 and all(len(tr.x) == 150 for tr in fig.data)
    assert fig.layout.xaxis.type == "log"  # lr is log-scaled
    assert fig.layout.xaxis2.type == "category" and list(fig.layout.xaxis2.categoryarray) == ["sgd", "adam"]
    assert fig.layout.xaxis3.title.text == "user_attrs.n_layers"
    assert vis.plot_slice(mixed, params=["lr"], log=False).layout.xaxis.type != "log"
    fig = vis.plot_slice(mixed, params=["lr"], include_pruned=True)
    assert sorted(len(tr.x) for tr in fig.data) == [50, 150]
    fig = vis.plot_slice(mixed, params=["lr"], states=["pruned"])
    assert [len(tr.x) for tr in fig.data] == [50]


def test_slice_conditional_param_shows_only_trials_that_have_it(mixed):
    fig = vis.plot_slice(mixed, params=["momentum"])
    n_sgd = sum(1 for t in mixed.trials if t.state == TrialState.COMPLETE and "momentum" in t.params)
    assert len(fig.data[0].x) == n_sgd


def test_parallel_coordinate_dimensions(mixed):
    fig = vis.plot_parallel_coordinate(mixed, params=["lr", "optimizer", "layers"])
    dims = fig.data[0].dimensions
    assert [d.label for d in dims] == ["Objective Value", "lr", "optimizer", "layers"]
    assert len(dims[0].values) == 150
    assert list(dims[2].ticktext) == ["sgd", "adam"]
    lr = [t.params["lr"] for t in mixed.trials if t.state == TrialState.COMPLETE]
    assert np.allclose(dims[1].values, np.log10(lr))  # log params on log10 axes
    # momentum exists only under sgd: trials without it are left out
    with_momentum = vis.plot_parallel_coordinate(mixed, params=["lr", "momentum"])
    n_sgd = sum(1 for t in mixed.trials if t.state == TrialState.COMPLETE and "momentum" in t.params)
    assert len(with_momentum.data[0].dimensions[0].values) == n_sgd


def test_contour_and_rank():
    study = linear_study(n=100)
    fig = vis.plot_contour(study, params=["x0", "x1"])
    assert [tr.type for tr in fig.data] == ["contour", "scatter"]
    assert len(fig.data[1].x) == 100 and np.array(fig.data[0].z).shape == (60, 60)
    grid = vis.plot_contour(study, params=["x0", "x1", "x2"])
    assert sum(tr.type == "contour" for tr in grid.data) == 6
    rank = vis.plot_rank(study, params=["x0", "x1"])
    colors = np.array(rank.data[0].marker.color)
    best = int(np.argmin([t.values[0] for t in study.trials]))
    assert colors[best] == 0 and colors.max() == 1


def test_param_importances_bars():
    fig = vis.plot_param_importances(linear_study(n=300), n_bootstrap=5)
    bar = fig.data[0]
    assert list(bar.y)[-1] == "x0"  # most important on top
    assert sum(bar.x) == pytest.approx(1.0)
    assert len(bar.error_x.array) == 4
    plain = vis.plot_param_importances(linear_study(n=300), evaluator="fanova", with_ci=False)
    assert list(plain.data[0].y)[-1] == "x0"
    # each value sits right of its whisker, never on it nor against the name ("x30.00")
    labels = {a.y: a for a in fig.layout.annotations}
    assert set(labels) == set(bar.y) and min(bar.x) < 0.01 and fig.layout.yaxis.ticksuffix == "  "
    for name, value, above in zip(bar.y, bar.x, bar.error_x.array):
        assert labels[name].x == pytest.approx(value + above) and labels[name].text == f"{value:.2f}"


def test_param_importances_say_when_the_top_two_are_not_settled():
    """Overlapping intervals of the two strongest parameters get a caveat under the title, also in the SVG."""
    from tunelab._figure_svg import figure_to_svg

    close = vis.plot_param_importances(linear_study(n=20, weights=(1.0, 0.9, 0.1)), n_bootstrap=50)
    note = close.layout.title.subtitle.text
    assert note.startswith("not settled with 20 complete trials: the intervals of ") and note.endswith(" overlap")
    assert {w for w in ("x0", "x1") if f" {w} " in note} == {"x0", "x1"}
    assert "not settled" in figure_to_svg(close)
    clear = vis.plot_param_importances(linear_study(n=300), n_bootstrap=50)  # x0 far ahead of x1
    assert clear.layout.title.subtitle.text is None and "not settled" not in figure_to_svg(clear)
    plain = vis.plot_param_importances(linear_study(n=20, weights=(1.0, 0.9, 0.1)), with_ci=False)
    assert plain.layout.title.subtitle.text is None  # no intervals, no claim about them


def test_interactions_heatmap_finds_the_pair():
    fig = vis.plot_interactions(interaction_study(n=800))
    z = np.array(fig.data[0].z, dtype=float)
    names = list(fig.data[0].x)
    off = z.copy()
    np.fill_diagonal(off, -1)
    i, j = np.unravel_index(np.nanargmax(off), off.shape)
    assert {names[i], names[j]} == {"x1", "x2"}


def test_intermediate_values_traces(mixed):
    fig = vis.plot_intermediate_values(mixed)
    traces = _by_name(fig)
    best = min((t for t in mixed.trials if t.state == TrialState.COMPLETE), key=lambda t: t.values[0])
    assert f"best (trial {best.number})" in traces
    pruned_points = [x for x in traces["pruned"].x if x is not None]
    assert len(pruned_points) == 50 * 3
    assert "pruned" not in _by_name(vis.plot_intermediate_values(mixed, include_pruned=False))


def test_edf_and_timeline(mixed):
    edf = vis.plot_edf(mixed)
    assert edf.data[0].y[-1] == 1.0 and edf.data[0].y[0] > 0
    tl = vis.plot_timeline(mixed)
    traces = _by_name(tl)
    assert len(traces["complete"].y) == 150 and len(traces["pruned"].y) == 50
    assert traces["complete"].x[0] == 10_000  # 10 steps of one second, in ms


def test_pareto_front():
    rng = np.random.default_rng(0)
    trials = []
    for i in range(300):
        a, b = rng.random(2)
        trials.append(FrozenTrial(i, i, TrialState.COMPLETE, [float(a), float(b)], {"x": float(a)}, {"x": UNIT}))
    study = StudyView(trials, [StudyDirection.MINIMIZE, StudyDirection.MINIMIZE])
    fig = vis.plot_pareto_front(study, target_names=["err", "cost"])
    traces = _by_name(fig)
    front = [(x, y) for x, y in zip(traces["Best Trial"].x, traces["Best Trial"].y)]
    pts = np.array([t.values for t in trials])
    for x, y in front:
        assert not np.any((pts[:, 0] < x) & (pts[:, 1] < y))
    assert len(traces["Trial"].x) + len(front) == 300
    assert fig.layout.xaxis.title.text == "err"
    only = vis.plot_pareto_front(study, include_dominated_trials=False, axis_order=[1, 0])
    assert [tr.name for tr in only.data] == ["Best Trial"]
    feas = vis.plot_pareto_front(study, constraints_func=lambda t: [t.values[0] - 0.5])
    assert all(x <= 0.5 for x in _by_name(feas)["Best Trial"].x)
    with pytest.raises(ValueError, match="draws 2 or 3"):
        vis.plot_pareto_front(linear_study(n=10))


def test_why_figures(mixed):
    pd = vis.plot_partial_dependence(mixed, params=["lr", "optimizer"])
    assert pd.layout.xaxis.type == "log"
    assert list(pd.data[5].x) == ["sgd", "adam"]
    ab = vis.plot_ablation_path(mixed)
    wf = ab.data[0]
    assert wf.type == "waterfall" and wf.x[0] == "reference" and wf.x[-1] == "best"
    led = vis.plot_pruning_ledger(mixed)
    traces = _by_name(led)
    assert traces["complete"].x[0] == 150 * 10 and traces["pruned"].x[0] == 50 * 3
    assert traces["saved by pruning"].x[0] == 50 * 7


def test_noise_figure():
    trials = [FrozenTrial(i, i, TrialState.COMPLETE, [float(np.mean(v))], {"x": i}, {},
                          user_attrs={"repeat_values": v})
              for i, v in enumerate([[1.0, 1.2, 0.8], [0.5, 0.6, 0.55], [2.0, 2.1, 1.9]])]
    fig = vis.plot_noise(StudyView(trials))
    means = _by_name(fig)["mean ± std"]
    assert list(means.x) == ["#1", "#0", "#2"]
    assert len(_by_name(fig)["each repeat"].y) == 9


def test_terminator_improvement():
    rng = np.random.default_rng(0)
    X = rng.random((40, 2))
    fig = vis.plot_terminator_improvement(from_matrix(X, (X ** 2).sum(axis=1)), plot_error=True, n_points=3)
    assert [tr.name for tr in fig.data] == ["Terminator Improvement", "Error"]
    assert list(fig.data[0].x) == [20, 30, 40]
    with pytest.raises(TypeError, match="improvement_evaluator"):
        vis.plot_terminator_improvement(from_matrix(X, X[:, 0]), improvement_evaluator=object())


def test_user_strings_are_escaped():
    X = np.random.default_rng(0).random((30, 2))
    study = from_matrix(X, X[:, 0], names=["<script>alert(1)</script>", "b"])
    fig = vis.plot_slice(study)
    assert fig.layout.xaxis.title.text == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "<script>" not in fig.to_json()
    from tunelab.space import CategoricalDistribution

    bad = CategoricalDistribution(("<b>x</b>", "<script>"))
    trials = [FrozenTrial(i, i, TrialState.COMPLETE, [float(i)], {"c": bad.choices[i % 2], "x": float(X[i, 0])},
                          {"c": bad, "x": UNIT}) for i in range(30)]
    view = StudyView(trials)
    for f in (vis.plot_slice, vis.plot_contour, vis.plot_rank, vis.plot_parallel_coordinate,
              vis.plot_partial_dependence):
        text = f(view).to_json()
        assert "<script>" not in text and "<b>x" not in text, f.__name__


def test_bad_arguments(mixed):
    with pytest.raises(ValueError, match="max_points"):
        vis.plot_slice(mixed, max_points=0)
    with pytest.raises(ValueError, match="state must be one of"):
        vis.plot_slice(mixed, states=["done"])
    with pytest.raises(ValueError, match="unknown parameter"):
        vis.plot_slice(mixed, params=["nope"])
    with pytest.raises(TypeError, match="list of names"):
        vis.plot_slice(mixed, params="lr")


@pytest.fixture(scope="module")
def huge():
    """100,000 complete trials over two parameters, the best planted in the middle."""
    n = 100_000
    rng = np.random.default_rng(0)
    X = rng.random((n, 2))
    y = X[:, 0] + X[:, 1]
    y[54_321] = -1.0
    dist = FloatDistribution(1e-3, 1.0, log=True)
    trials = [FrozenTrial(i, i, TrialState.COMPLETE, [float(y[i])],
                          {"lr": float(1e-3 + X[i, 0] * 0.99), "x": float(X[i, 1])}, {"lr": dist, "x": UNIT},
                          datetime_start=T0, datetime_complete=T0 + dt.timedelta(seconds=1)) for i in range(n)]
    return StudyView(trials)


def test_figures_on_100k_trials_keep_the_best(huge):
    hist = _by_name(vis.plot_optimization_history(huge))
    assert len(hist["Objective Value"].x) <= 5000 and 54_321 in list(hist["Objective Value"].x)
    assert hist["Best Value"].y[-1] == -1.0
    sl = vis.plot_slice(huge, max_points=2000)
    assert all(len(tr.x) <= 2000 for tr in sl.data) and -1.0 in list(sl.data[0].y)
    par = vis.plot_parallel_coordinate(huge)
    assert -1.0 in list(par.data[0].dimensions[0].values)
    for f in (vis.plot_contour, vis.plot_rank, vis.plot_edf, vis.plot_timeline):
        fig = f(huge)
        assert all(len(tr.x) <= 5000 for tr in fig.data if tr.type != "contour" and tr.x is not None)
    imp = vis.plot_param_importances(huge, with_ci=False)
    assert set(imp.data[0].y) == {"lr", "x"}


def test_every_figure_on_a_real_study_with_pruning():
    study = tunelab.create_study(sampler="random", seed=0, pruner="median")

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        if kind == "a":
            trial.suggest_int("depth", 1, 4)
        value = (np.log10(lr) + 2.5) ** 2
        for step in range(5):
            trial.report(value + 1.0 / (step + 1), step)
            if trial.should_prune():
                raise tunelab.TrialPruned()
        return value

    study.optimize(objective, n_trials=40)
    n_complete = len(study.get_trials(["complete"]))
    for name in vis.__all__:
        if name.startswith("plot_") and name not in ("plot_pareto_front", "plot_hypervolume_history"):
            fig = getattr(vis, name)(study)
            if name == "plot_terminator_improvement" and n_complete < 20:
                assert fig.layout.annotations[0].text.startswith("Too early"), name
            else:
                assert fig.data, name
    led = _by_name(vis.plot_pruning_ledger(study))
    spent = sum(len(t.intermediate_values) for t in study.trials)
    assert led["complete"].x[0] + led["pruned"].x[0] == spent


def test_intermediate_values_and_pareto_on_100k_trials():
    n = 100_000
    rng = np.random.default_rng(0)
    vals = rng.random((n, 2))
    trials = [FrozenTrial(i, i, TrialState.COMPLETE, [float(vals[i, 0]), float(vals[i, 1])], {"x": float(vals[i, 0])},
                          {"x": UNIT}, {0: float(vals[i, 0]), 1: float(vals[i, 0])}) for i in range(n)]
    study = StudyView(trials, [StudyDirection.MINIMIZE, StudyDirection.MINIMIZE])
    curves = vis.plot_intermediate_values(study)
    assert sum(1 for tr in curves.data for x in tr.x if x is None) <= 300
    fig = vis.plot_pareto_front(study)
    traces = _by_name(fig)
    assert len(traces["Trial"].x) <= 5000
    front = np.flatnonzero(~np.array([np.any((vals[:, 0] < a) & (vals[:, 1] < b)) for a, b in
                                      zip(traces["Best Trial"].x, traces["Best Trial"].y)]))
    assert len(front) == len(traces["Best Trial"].x) >= 5


def test_every_figure_on_an_empty_and_a_one_trial_study():
    one = StudyView([FrozenTrial(0, 0, TrialState.COMPLETE, [1.0], {"x": 0.5}, {"x": UNIT})])
    for study in (StudyView([]), one):
        for name in vis.__all__:
            if name.startswith("plot_") and name not in ("plot_pareto_front", "plot_hypervolume_history"):
                fig = getattr(vis, name)(study)
                assert fig.layout.title.text, name


def test_history_error_bars_from_repeats():
    trials = [FrozenTrial(i, i, TrialState.COMPLETE, [float(np.mean(v))], {"x": float(i)}, {},
                          user_attrs={"repeat_values": v} if len(v) > 1 else {})
              for i, v in enumerate([[1.0, 3.0], [2.0], [0.5, 0.7, 0.6]])]
    fig = vis.plot_optimization_history(StudyView(trials), error_bar=True)
    bars = list(_by_name(fig)["Objective Value"].error_y.array)
    assert bars == pytest.approx([np.std([1.0, 3.0], ddof=1), 0.0, 0.1])
    assert _by_name(vis.plot_optimization_history(StudyView(trials)))["Objective Value"].error_y.array is None
