"""The HTML report, its summary numbers, the static SVG writer and `tunelab show`'s narrow table."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

import tunelab
from tunelab._figure_svg import figure_to_svg
from tunelab.cli import main
from tunelab.report import build_report, metric_names, overview, trial_table, write_report
from tunelab.trial import TrialState

EVIL = "</script><script>alert(1)</script>"


def _objective(trial):
    x = trial.suggest_float("x", -2, 2)
    kind = trial.suggest_categorical(EVIL, ["a", "b"])
    for step in range(5):
        trial.report(x * x + 1.0 / (step + 1), step)
        if trial.should_prune():
            raise tunelab.TrialPruned()
    return x * x + (0.5 if kind == "a" else 0.0)


@pytest.fixture
def study():
    s = tunelab.create_study(name="quad " + EVIL, direction="minimize", sampler="random", seed=0,
                             pruner="median")
    s.optimize(_objective, n_trials=40)
    t = s.ask()
    s.tell(t, state="fail")
    return s


def _payload(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    return json.loads(m.group(1))


def test_overview_counts_best_and_pruning_ledger(study):
    trials = study.trials
    ov = overview(study)
    assert ov.n_trials == 41 and ov.counts["complete"] == 13
    assert ov.counts["fail"] == 1
    assert ov.counts["complete"] + ov.counts["pruned"] == 40
    assert ov.best_number == study.best_trial.number and ov.best_values == [study.best_value]
    assert ov.best_text.startswith("value = ")
    # the ledger's sums equal the trials' steps
    assert ov.unit == "steps"
    assert ov.spent_complete == sum(len(t.intermediate_values) for t in trials if t.state == TrialState.COMPLETE)
    assert ov.spent_pruned == sum(len(t.intermediate_values) for t in trials if t.state == TrialState.PRUNED)
    assert ov.saved == sum(5 - len(t.intermediate_values) for t in trials if t.state == TrialState.PRUNED)
    assert ov.keep_going.startswith("Too early to tell: 13 complete")  # the analysis verdict, word for word
    fast = overview(study, analysis=False)  # the dashboard's: the same step counts, no estimate
    assert (fast.spent_complete, fast.spent_pruned, fast.saved) == (ov.spent_complete, ov.spent_pruned, ov.saved)
    assert fast.keep_going is None
    assert ov.wall_seconds is not None and ov.wall_seconds >= 0


def test_metric_name_comes_from_the_study_attrs(study):
    assert metric_names(study) == ["value"]
    study.set_user_attr("metric", "rmse")
    assert metric_names(study) == ["rmse"]
    assert overview(study).best_text.startswith("rmse = ")


def test_report_is_offline_escaped_and_holds_every_trial(study, tmp_path):
    path = write_report([study], tmp_path / "r.html")
    html = path.read_text()
    assert "<script src=" not in html  # plotly.js is inlined, nothing is fetched
    assert "Plotly" in html and len(html) > 3_000_000
    # the hostile name never appears raw: not in the markup, not able to close the data block
    assert html.count(EVIL) == 0
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    data = _payload(html)
    table = data["tables"][0]
    assert table["total"] == 41 and len(table["rows"]) == 41
    assert EVIL in table["columns"]
    assert table["rows"][0][0] == study.best_trial.number  # best first
    assert data["figures"], "at least the optimization history is drawn"
    assert '<div class="static"><svg' in html  # the static copy for readers without scripts


def test_report_table_is_limited_for_large_studies(study):
    table = trial_table(study, study.trials, limit=10)
    assert table["shown"] == 10 and table["total"] == 41
    values = [r[2] for r in table["rows"]]
    assert values == sorted(values)  # the best complete trials are the ones kept
    html = build_report([study], max_table_rows=10)
    assert "the first 10 of 41" in html


def test_compare_puts_studies_side_by_side(study):
    other = tunelab.create_study(name="other", direction="minimize", sampler="random", seed=1)
    other.optimize(_objective, n_trials=8)
    html = build_report([study, other])
    data = _payload(html)
    assert len(data["tables"]) == 2 and data["tables"][1]["total"] == 8
    assert 'class="row cols-2"' in html
    assert "<th>other</th>" in html


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="studies"):
        build_report([])
    with pytest.raises(ValueError, match="max_table_rows"):
        build_report([object()], max_table_rows=0)


def test_svg_draws_the_points_and_escapes_text():
    fig = {"data": [{"type": "scatter", "mode": "markers", "x": [1, 2, 3], "y": [1e-3, 1e-2, 1e-1], "name": "a<b"},
                    {"type": "scatter", "mode": "lines", "x": [1, 2, 3], "y": [1e-3, 1e-3, 1e-3], "name": "best"}],
           "layout": {"title": {"text": "T <script>"}, "yaxis": {"type": "log", "title": {"text": "loss"}}}}
    svg = figure_to_svg(fig)
    assert svg.count("<circle") == 3
    assert svg.count("<polyline") == 1
    assert "T &lt;script&gt;" in svg and "<script>" not in svg
    assert "a&lt;b" in svg
    assert ">0.01<" in svg  # a decade tick on the log axis
    bars = figure_to_svg({"data": [{"type": "bar", "orientation": "h", "x": [0.7, 0.3], "y": ["lr", "layers"]}],
                          "layout": {}})
    assert bars.count("<rect") == 2 + 2  # background, plot area, two bars
    import xml.dom.minidom

    xml.dom.minidom.parseString(svg)  # well-formed XML
    xml.dom.minidom.parseString(bars)


def test_svg_draws_error_bars_value_labels_and_respects_a_hidden_legend():
    import re
    import xml.dom.minidom

    error = {"type": "data", "symmetric": False, "array": [0.5, 0.1], "arrayminus": [0.25, 0.2]}
    fig = {"data": [{"type": "bar", "orientation": "h", "x": [0.5, 0.2], "y": ["lr", "layers"],
                     "name": "Objective Value", "error_x": error}],
           "layout": {"showlegend": False, "xaxis": {"title": {"text": "importance"}},
                      "annotations": [{"x": 1.0, "y": "lr", "text": "0.50", "showarrow": False, "xanchor": "left"},
                                      {"x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper", "text": "paper note"}]}}
    svg = figure_to_svg(fig)
    xml.dom.minidom.parseString(svg)
    assert "Objective Value" not in svg  # layout.showlegend=False: no legend entry
    assert ">0.50<" in svg and "paper note" not in svg  # data-placed labels drawn, paper-placed ones skipped
    whiskers = re.findall(r'<path d="M([\d.]+),([\d.]+)H([\d.]+)', svg)
    assert len(whiskers) == 2
    rect = r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" fill="#636efa"'
    bars = [(float(x), float(w)) for x, w in re.findall(rect, svg)]
    (lo1, _, hi1), (lo2, _, hi2) = [(float(a), b, float(c)) for a, b, c in whiskers]
    (x1, w1), (x2, w2) = bars
    scale = w1 / 0.5  # pixels per unit, from the first bar (0 -> 0.5)
    assert abs((hi1 - lo1) - 0.75 * scale) < 1.0  # 0.25 below to 0.5 above the value 0.5
    assert abs((x1 + w1) - (lo1 + 0.25 * scale)) < 1.0
    assert abs(lo2 - x2) < 1.0 and abs((hi2 - lo2) - 0.3 * scale) < 1.0  # 0.2 - 0.2 = 0 to 0.3
    assert figure_to_svg({**fig, "layout": {}}).count("Objective Value") == 1  # a legend when not hidden


def test_cli_report_and_compare(tmp_path):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    for name in ("a", "b"):
        tunelab.create_study(name=name, storage=storage, direction="minimize", sampler="random",
                             seed=1).optimize(_objective, n_trials=6)
    out = tmp_path / "rep.html"
    result = CliRunner().invoke(main, ["report", "a", "--storage", storage, "-o", str(out), "--compare", "b"])
    assert result.exit_code == 0, result.output
    assert out.exists() and "12 trials" in result.output
    result = CliRunner().invoke(main, ["report", "a", "--storage", storage, "--compare", "nope"])
    assert result.exit_code == 2 and "no study named 'nope'" in result.output


def test_show_fits_100_columns_with_the_metric_first(tmp_path):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    study = tunelab.create_study(name="net", storage=storage, direction="maximize", sampler="random", seed=2)
    study.set_user_attr("metric", "balanced_accuracy")
    names = [f"layer_{i}_hidden_units_after_dropout" for i in range(10)]

    def objective(trial):
        return sum(trial.suggest_float(n, 0.000001, 1.0, log=True) for n in names) / 10

    study.optimize(objective, n_trials=12)
    result = CliRunner().invoke(main, ["show", "net", "--storage", storage])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 100, result.output
    header = next(line for line in lines if line.lstrip().startswith("#"))
    assert header.split()[:3] == ["#", "state", "balanced_accuracy"]
    assert "use --wide" in result.output
    wide = CliRunner().invoke(main, ["show", "net", "--storage", storage, "--wide"])
    assert wide.exit_code == 0
    assert max(len(line) for line in wide.output.splitlines()) > 100
    assert all(n in wide.output for n in names)


def test_empty_and_multi_objective_studies_get_a_report():
    empty = tunelab.create_study(name="empty", direction="maximize")
    html = build_report([empty])
    assert "<td>-</td>" in html  # no best yet
    assert _payload(html)["tables"][0]["total"] == 0
    multi = tunelab.create_study(name="multi", directions=["minimize", "maximize"], sampler="random", seed=0)
    multi.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=12)
    html = build_report([multi])
    data = _payload(html)
    assert data["tables"][0]["columns"][2:4] == ["value 0", "value 1"]
    assert any("pareto" in k or data["figures"][k] for k in data["figures"])
    assert f"Pareto front of {len(multi.best_trials)} trials" in html


def test_history_figure_gets_a_log_switch_and_starts_log_when_outliers_squash_it():
    from tunelab.report import build_figures

    squashed = tunelab.create_study(name="early outliers", direction="minimize", sampler="random", seed=0)
    for i in range(40):
        t = squashed.ask()
        t.suggest_float("x", 0, 1)
        squashed.tell(t, 2000.0 if i < 3 else 5.0 + (i % 7) * 0.1)  # the first trials dominate
    tight = tunelab.create_study(name="tight", direction="minimize", sampler="random", seed=0)
    for i in range(40):
        t = tight.ask()
        t.suggest_float("x", 0, 1)
        tight.tell(t, 5.0 + (i % 7) * 0.5)
    for study, want in ((squashed, "log"), (tight, "linear")):
        fig = build_figures(study, ["optimization_history"])[0]
        layout = fig.data["layout"]
        assert layout["yaxis"]["type"] == want
        menu = next(m for m in layout["updatemenus"] if m.get("name") == "value axis")
        assert [b["label"] for b in menu["buttons"]] == ["linear", "log"]
        assert [b["args"] for b in menu["buttons"]] == [[{"yaxis.type": "linear"}], [{"yaxis.type": "log"}]]
        assert menu["active"] == (1 if want == "log" else 0)
        # the static copy follows the same axis: decade ticks only on the log one
        assert (">1000<" in fig.svg) == (want == "log")
