"""One self-contained HTML report of a study (or several side by side), readable offline.

The file inlines plotly.js from the installed plotly package, so it works without a
network and can be mailed.  It holds: a summary (best value with its metric name,
counts by state, wall time, compute saved by pruning, the keep-going verdict), the
figures from :mod:`tunelab.visualization`, a sortable and paged trial table (plain
JavaScript), and a static SVG of each chosen figure for readers that block scripts.

    tunelab report NAME --storage sqlite:///tunelab.db -o report.html [--compare OTHER ...]

or from Python: ``write_report([study], "report.html")``.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any, Callable, Sequence

from tunelab._validation import Check, Interval, validate
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

#: Figures the report draws, in order (Optuna's names without ``plot_``).
DEFAULT_FIGURES: tuple[str, ...] = (
    "optimization_history", "param_importances", "parallel_coordinate", "slice", "intermediate_values",
    "pruning_ledger", "pareto_front",
)
#: Drawn only when asked for (``figures=``): a regret estimate per point in time is seconds of fitting each.
OPTIONAL_FIGURES: tuple[str, ...] = ("terminator_improvement", "edf", "timeline", "rank", "contour", "interactions",
                                     "partial_dependence", "ablation_path", "noise")
#: Figures that also get a static SVG (scatter and bar figures).
SVG_FIGURES: tuple[str, ...] = ("optimization_history", "param_importances", "intermediate_values",
                                "pruning_ledger", "terminator_improvement")
_METRIC_KEYS = ("metric_names", "metric_name", "metric", "study:metric_names")


# ---------------------------------------------------------------------------------------------- summary
@dataclass
class StudyOverview:
    """What the top of a report (and the dashboard's study list) says about one study."""

    name: str
    directions: list[str]
    metric_names: list[str]
    n_trials: int
    counts: dict[str, int]
    best_number: int | None = None
    best_values: list[float] | None = None
    best_params: dict[str, Any] = field(default_factory=dict)
    wall_seconds: float | None = None
    unit: str = "steps"
    spent_complete: float = 0.0
    spent_pruned: float = 0.0
    saved: float = 0.0
    n_on_track: int | None = None  # pruned trials that were on track for the top 10 % (report only)
    pareto_numbers: list[int] | None = None  # several objectives: the trials on the Pareto front
    keep_going: str | None = None

    @property
    def best_text(self) -> str:
        """'accuracy = 0.9812 (trial #41)', or '-' when nothing is complete."""
        if self.pareto_numbers is not None:
            shown = ", ".join(f"#{n}" for n in self.pareto_numbers[:10])
            more = f" and {len(self.pareto_numbers) - 10} more" if len(self.pareto_numbers) > 10 else ""
            return f"Pareto front of {len(self.pareto_numbers)} trials: {shown}{more}"
        if self.best_values is None:
            return "-"
        parts = [f"{m} = {format_value(v)}" for m, v in zip(self.metric_names, self.best_values)]
        return ", ".join(parts) + f" (trial #{self.best_number})"

    @property
    def saved_text(self) -> str:
        """Compute saved by pruning, against running every pruned trial to the end."""
        if not self.spent_pruned and not self.saved:
            return "no trial was pruned"
        total = self.spent_complete + self.spent_pruned + self.saved
        share = self.saved / total if total else 0.0
        text = (f"{self.saved:,.0f} of {total:,.0f} {self.unit} ({share:.0%}); pruned trials ran "
                f"{self.spent_pruned:,.0f} {self.unit}, complete ones {self.spent_complete:,.0f}")
        if self.n_on_track:
            text += f"; {self.n_on_track} pruned trials were on track for the top 10 %"
        return text


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def metric_names(study: Any) -> list[str]:
    """The names of a study's objectives, as recorded by `tunelab tune`/`run` or ``set_metric_names``.

    Falls back to 'value' (one objective) or 'value 0', 'value 1', ...
    """
    n = len(study.directions)
    names = getattr(study, "metric_names", None)
    if not names:
        attrs: dict[str, Any] = {}
        for system in (False, True):
            try:
                attrs.update(study.storage.get_study_attrs(study.study_id, system=system))
            except Exception:  # a storage without system attrs still gets a report
                pass
        for key in _METRIC_KEYS:
            if attrs.get(key):
                names = attrs[key]
                break
    if isinstance(names, str):
        names = [names]
    if names and len(names) == n:
        return [str(m) for m in names]
    return ["value"] if n == 1 else [f"value {i}" for i in range(n)]


def _steps(t: FrozenTrial) -> int:
    return len(t.intermediate_values)


def overview(study: Any, trials: Sequence[FrozenTrial] | None = None, *, analysis: bool = True) -> StudyOverview:
    """A :class:`StudyOverview` of ``study`` (pass ``trials`` when they are already loaded).

    ``analysis=False`` skips the keep-going estimate and the ledger's on-track count (the dashboard
    refreshes every few seconds and counts steps only).
    """
    trials = list(study.trials if trials is None else trials)
    directions = list(study.directions)
    counts = {s.name.lower(): 0 for s in TrialState}
    for t in trials:
        counts[t.state.name.lower()] += 1
    ov = StudyOverview(name=study.study_name if hasattr(study, "study_name") else str(study),
                       directions=[d.name.lower() for d in directions], metric_names=metric_names(study),
                       n_trials=len(trials), counts=counts)
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.values is not None]
    if complete and len(directions) == 1:
        sign = directions[0].sign()
        best = min(complete, key=lambda t: sign * t.values[0])
        ov.best_number, ov.best_values, ov.best_params = best.number, list(best.values), dict(best.params)
    starts = [t.datetime_start for t in trials if t.datetime_start]
    ends = [t.datetime_complete for t in trials if t.datetime_complete]
    if starts:
        last = max(ends) if ends else None
        if any(t.state == TrialState.RUNNING for t in trials) or last is None:
            last = datetime.now(starts[0].tzinfo)
        ov.wall_seconds = max((last - min(starts)).total_seconds(), 0.0)
    _count_steps(ov, trials)
    if analysis and len(directions) > 1 and complete:
        try:
            ov.pareto_numbers = sorted(t.number for t in study.best_trials)
        except Exception:  # a study object without best_trials
            pass
    if analysis:
        _fill_ledger(ov, study)
        ov.keep_going = _keep_going(study)
    return ov


def _count_steps(ov: StudyOverview, trials: Sequence[FrozenTrial]) -> None:
    """Steps run by complete and pruned trials, and the steps pruning saved (every pruned trial run to the
    length of the longest complete one)."""
    complete = [_steps(t) for t in trials if t.state == TrialState.COMPLETE]
    pruned = [_steps(t) for t in trials if t.state == TrialState.PRUNED]
    ov.spent_complete, ov.spent_pruned = float(sum(complete)), float(sum(pruned))
    full = max(complete) if complete else max(pruned, default=0)
    ov.saved = float(sum(max(full - s, 0) for s in pruned))


def _fill_ledger(ov: StudyOverview, study: Any) -> None:
    ledger = _analysis("ledger", "pruning_ledger")
    if ledger is None:
        return
    try:
        data = ledger(study)
    except Exception:  # a study the ledger cannot read: keep the step counts
        return
    ov.unit, ov.spent_complete, ov.spent_pruned = data.unit, data.spent_complete, data.spent_pruned
    ov.saved, ov.n_on_track = data.saved, data.n_on_track


def keep_going_text(study: Any) -> str | None:
    """The keep-going verdict in plain words (None when tunelab.analysis is not there); seconds of GP fitting."""
    return _keep_going(study)


def _keep_going(study: Any) -> str | None:
    fn = _analysis("terminator", "keep_going")
    if fn is None:
        return None
    try:
        return str(fn(study).verdict)
    except Exception as exc:  # too few trials, several objectives ...
        return f"no estimate yet ({exc})"


def _analysis(module: str, name: str) -> Callable | None:
    import importlib

    try:
        return getattr(importlib.import_module(f"tunelab.analysis.{module}"), name)
    except (ImportError, AttributeError):
        return None


# ---------------------------------------------------------------------------------------------- log axis
#: A value axis spanning at least this ratio (max / min, all values positive) is drawn logarithmic.
LOG_RATIO = 1e3
#: ... or when the middle 80 % of the values fill less than this share of a linear axis (a few outliers, often
#: the first trials, squash the rest) and a log axis gives them at least twice the room.
LOG_SQUASHED_SHARE = 0.1


def log_axis_suits(values: Sequence[Any]) -> bool:
    """Whether a value axis over ``values`` reads better logarithmic; the history figures' automatic choice.

    True when every finite value is positive and either they span three decades or more, or the middle
    80 % of them (10th to 90th percentile) take less than a tenth of a linear axis while a log axis gives
    them at least twice that share.  Zero or negative values keep a linear axis (a log axis cannot show
    them).  The dashboard's script applies the same rule (``TL.logSuits`` in static/common.js).
    """
    import numpy as np

    v = np.asarray([x for x in values if x is not None], dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 3 or (v <= 0).any():
        return False
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        return False
    if hi / lo >= LOG_RATIO:
        return True
    q10, q90 = (float(q) for q in np.quantile(v, [0.1, 0.9]))
    linear_share = (q90 - q10) / (hi - lo)
    log_share = math.log(q90 / q10) / math.log(hi / lo)
    return linear_share < LOG_SQUASHED_SHARE and log_share >= 2 * linear_share


def _marker_values(data: dict) -> list:
    """The y values of a figure's marker traces (the trials' values in a history figure)."""
    from tunelab._figure_svg import _decode

    out: list = []
    for trace in data.get("data") or []:
        if trace.get("type", "scatter") in ("scatter", "scattergl") and "markers" in (trace.get("mode") or ""):
            out += _decode(trace.get("y"))
    return out


def add_log_toggle(data: dict, log: bool | None = None) -> dict:
    """Give a figure dict a linear/log switch for its value axis, starting log when ``log`` (None: when
    :func:`log_axis_suits` its marker values).  The switch is a plotly button, so it works in an offline file."""
    if log is None:
        log = log_axis_suits(_marker_values(data))
    layout = data.setdefault("layout", {})
    yaxis = layout.setdefault("yaxis", {})
    yaxis["type"] = "log" if log else "linear"
    menus = [m for m in layout.get("updatemenus") or [] if m.get("name") != "value axis"]
    menus.append({"name": "value axis", "type": "buttons", "direction": "right", "showactive": True,
                  "active": 1 if log else 0, "x": 1.0, "xanchor": "right", "y": 1.12, "yanchor": "bottom",
                  "pad": {"r": 0, "t": 0}, "font": {"size": 11},
                  "buttons": [{"label": "linear", "method": "relayout", "args": [{"yaxis.type": "linear"}]},
                              {"label": "log", "method": "relayout", "args": [{"yaxis.type": "log"}]}]})
    layout["updatemenus"] = menus
    return data


# ---------------------------------------------------------------------------------------------- figures
@dataclass
class Figure:
    name: str
    data: dict | None  # plotly figure dict, or None when it could not be drawn
    note: str = ""
    svg: str | None = None


def _plotter(name: str) -> Callable | None:
    try:
        import tunelab.visualization as viz
    except ImportError:
        viz = None
    fn = getattr(viz, f"plot_{name}", None) if viz is not None else None
    if fn is None and name == "optimization_history":
        return _fallback_history
    return fn


def _fallback_history(study: Any) -> Any:
    """Objective value per trial and the best so far (used when tunelab.visualization is not there)."""
    import plotly.graph_objects as go

    if len(study.directions) != 1:
        raise ValueError("several objectives: see the Pareto front")
    sign = study.directions[0].sign()
    done = [t for t in study.trials if t.state == TrialState.COMPLETE and t.values is not None]
    best, run = [], math.inf
    for t in done:
        run = min(run, sign * t.values[0])
        best.append(sign * run)
    fig = go.Figure([go.Scatter(x=[t.number for t in done], y=[t.values[0] for t in done], mode="markers",
                                name="objective value"),
                     go.Scatter(x=[t.number for t in done], y=best, mode="lines", name="best value",
                                line={"shape": "hv"})])
    fig.update_layout(title="Optimization history", xaxis_title="trial", yaxis_title="objective value")
    return fig


def build_figures(study: Any, names: Sequence[str] = DEFAULT_FIGURES, svg: Sequence[str] = SVG_FIGURES,
                  max_points: int | None = None) -> list[Figure]:
    """Draw the named figures for ``study``; one that does not apply gets a note instead of an error.

    ``max_points`` goes to the figures that decimate (None: their own default).
    """
    import inspect

    from tunelab._figure_svg import figure_to_svg, supported

    out = []
    for name in names:
        fn = _plotter(name)
        if fn is None:
            continue
        kwargs = {}
        if max_points is not None and "max_points" in inspect.signature(fn).parameters:
            kwargs["max_points"] = max_points
        try:
            fig = fn(study, **kwargs)
        except Exception as exc:  # e.g. no complete trial, one objective for the Pareto front
            out.append(Figure(name, None, note=str(exc) or type(exc).__name__))
            continue
        if not fig.data:
            out.append(Figure(name, None, note="nothing to draw yet"))
            continue
        data = fig.to_plotly_json()
        if name == "optimization_history":
            add_log_toggle(data)  # log when outliers would squash the rest; a button switches
        image = figure_to_svg(data) if name in svg and supported(data) else None
        out.append(Figure(name, json.loads(_to_json(data)), svg=image))
    return [f for f in out if f.data is not None or f.name in ("optimization_history", "param_importances")]


def _to_json(obj: Any) -> str:
    import plotly.io

    return plotly.io.to_json(obj, validate=False, remove_uids=True)


# ---------------------------------------------------------------------------------------------- table
def trial_table(study: Any, trials: Sequence[FrozenTrial], limit: int) -> dict:
    """Columns and rows for the report's table: best complete trials first, then the others."""
    directions = list(study.directions)
    metrics = metric_names(study)
    sign = directions[0].sign() if len(directions) == 1 else 1.0
    complete = sorted((t for t in trials if t.state == TrialState.COMPLETE and t.values is not None),
                      key=lambda t: sign * t.values[0])
    others = [t for t in trials if not (t.state == TrialState.COMPLETE and t.values is not None)]
    chosen = (complete + others)[:limit]
    params = sorted({k for t in chosen for k in t.params})
    attrs = sorted({k for t in chosen for k, v in t.user_attrs.items() if _scalar(v)})[:12]
    columns = ["#", "state", *metrics, "duration s", "steps", *params, *(f"attr {a}" for a in attrs), "note"]
    rows = []
    for t in chosen:
        values = list(t.values) if t.values is not None else [None] * len(metrics)
        note = t.system_attrs.get("fail_reason") or ""
        rows.append([t.number, t.state.name.lower(), *(_cell(v) for v in values[: len(metrics)]),
                     _cell(t.duration_seconds), _steps(t) or None, *(_cell(t.params.get(p)) for p in params),
                     *(_cell(t.user_attrs.get(a)) for a in attrs), str(note).splitlines()[0][:200] if note else ""])
    return {"columns": columns, "rows": rows, "total": len(trials), "shown": len(chosen),
            "numeric": [2 + i for i in range(len(metrics))]}


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, (int, float, str, bool))


def _cell(v: Any) -> Any:
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    if v is None or isinstance(v, (int, str, bool)):
        return v
    return str(v)


# ---------------------------------------------------------------------------------------------- HTML
_CONSTRAINTS = {
    "studies": [Check(lambda s: isinstance(s, (list, tuple)) and len(s) >= 1, "a non-empty list of studies")],
    "max_table_rows": [Interval(int, 1, None)],
    "max_points": [Interval(int, 100, None)],
}


def build_report(studies: Sequence[Any], *, figures: Sequence[str] = DEFAULT_FIGURES,
                 max_table_rows: int = 10_000, max_points: int = 1500, title: str | None = None) -> str:
    """The report's HTML for one study, or several side by side.

    ``max_points`` caps the points per figure (the best trials and the Pareto front always stay), so a
    report of a large study stays a few MB; ``max_table_rows`` caps the table (best complete trials first).
    """
    validate(_CONSTRAINTS, {"studies": studies, "max_table_rows": max_table_rows, "max_points": max_points},
             "build_report")
    started = time.perf_counter()
    import plotly.offline

    parts = []
    for study in studies:
        trials = study.trials
        parts.append({"overview": overview(study, trials), "figures": build_figures(study, figures, max_points=max_points),
                      "table": trial_table(study, trials, max_table_rows)})
    names = [p["overview"].name for p in parts]
    title = title or ("tunelab report: " + " vs ".join(names))
    body = [_header(title, parts), _summary(parts), _figure_rows(parts), _tables(parts)]
    payload = {"figures": {f"fig-{i}-{j}": f.data for i, p in enumerate(parts)
                           for j, f in enumerate(p["figures"]) if f.data is not None},
               "tables": [p["table"] for p in parts]}
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return _PAGE.format(
        title=escape(title), css=_CSS, body="\n".join(body), plotlyjs=plotly.offline.get_plotlyjs(),
        data=_script_json(payload), script=_SCRIPT,
        footer=escape(f"made by tunelab on {generated} in {time.perf_counter() - started:.1f} s"),
    )


def write_report(studies: Sequence[Any], path: str | Path, **kwargs: Any) -> Path:
    """Write :func:`build_report` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(build_report(studies, **kwargs), encoding="utf-8")
    return path


def _script_json(obj: Any) -> str:
    """JSON that is safe inside a <script> element (no '</script>' or '<!--' can end it early)."""
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _header(title: str, parts: list[dict]) -> str:
    return f"<header><h1>{escape(title)}</h1></header>"


def _summary(parts: list[dict]) -> str:
    rows = [
        ("objective", lambda o: ", ".join(f"{m} ({d})" for m, d in zip(o.metric_names, o.directions))),
        ("best", lambda o: o.best_text),
        ("trials", lambda o: f"{o.n_trials:,}: " + ", ".join(f"{n:,} {k}" for k, n in o.counts.items() if n)),
        ("wall time", lambda o: format_seconds(o.wall_seconds)),
        ("saved by pruning", lambda o: o.saved_text),
        ("keep going?", lambda o: o.keep_going or "no estimate (tunelab.analysis.keep_going is not installed)"),
    ]
    head = "".join(f"<th>{escape(p['overview'].name)}</th>" for p in parts) if len(parts) > 1 else ""
    lines = [f'<section id="summary"><h2>Summary</h2><table class="summary">'
             f"{'<tr><th></th>' + head + '</tr>' if head else ''}"]
    for label, fn in rows:
        cells = "".join(f"<td>{escape(fn(p['overview']))}</td>" for p in parts)
        lines.append(f"<tr><th>{escape(label)}</th>{cells}</tr>")
    best_params = [p["overview"].best_params for p in parts]
    if any(best_params):
        cells = "".join("<td>" + "<br>".join(escape(f"{k} = {format_value(v)}") for k, v in bp.items()) + "</td>"
                        for bp in best_params)
        lines.append(f"<tr><th>best parameters</th>{cells}</tr>")
    lines.append("</table></section>")
    return "\n".join(lines)


def _figure_rows(parts: list[dict]) -> str:
    """One study: the figures two by two.  Several: one row per figure, one column per study."""
    out = ['<section id="figures"><h2>Figures</h2>']
    if len(parts) == 1:
        out.append('<div class="row cols-2">')
        out += [_figure_cell(0, j, f, "") for j, f in enumerate(parts[0]["figures"])]
        out.append("</div></section>")
        return "\n".join(out)
    names: list[str] = []
    for p in parts:
        names += [f.name for f in p["figures"] if f.name not in names]
    for name in names:
        out.append(f'<div class="row cols-{len(parts)}">')
        for i, p in enumerate(parts):
            j, fig = next(((j, f) for j, f in enumerate(p["figures"]) if f.name == name), (None, None))
            caption = f"{name.replace('_', ' ')} — {p['overview'].name}"
            out.append(_figure_cell(i, j, fig, caption))
        out.append("</div>")
    out.append("</section>")
    return "\n".join(out)


def _figure_cell(i: int, j: int | None, fig: Figure | None, caption: str) -> str:
    head = f"<figure><figcaption>{escape(caption)}</figcaption>" if caption else "<figure>"
    if fig is None or fig.data is None:
        name = fig.name.replace("_", " ") if fig else "figure"
        return f'{head}<p class="note">{escape(name)} not drawn: {escape(fig.note if fig else "not available")}</p></figure>'
    static = f'<div class="static">{fig.svg}</div>' if fig.svg else \
        f'<p class="static note">{escape(fig.name.replace("_", " "))}: interactive only (needs scripts)</p>'
    return f'{head}<div class="plot" id="fig-{i}-{j}"></div>{static}</figure>'


def _tables(parts: list[dict]) -> str:
    out = ['<section id="trials"><h2>Trials</h2>']
    for i, p in enumerate(parts):
        t = p["table"]
        name = escape(p["overview"].name)
        limited = f" (the first {t['shown']:,} of {t['total']:,}: best complete trials first)" \
            if t["shown"] < t["total"] else ""
        # the static table below is what a reader without scripts sees: its first 50 rows
        head = "".join(f"<th>{escape(str(c))}</th>" for c in t["columns"])
        body = "".join("<tr>" + "".join(f"<td>{escape(format_value(v)) if v is not None else ''}</td>"
                                        for v in row) + "</tr>" for row in t["rows"][:50])
        out.append(f'<div class="trials" data-table="{i}"><h3>{name}: {t["total"]:,} trials{limited}</h3>'
                   f'<div class="controls"></div>'
                   f'<table class="trial-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')
    out.append("</section>")
    return "\n".join(out)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1400px;padding:0 16px;color:#222}
header h1{font-size:1.5em;margin:16px 0 8px}
h2{font-size:1.2em;border-bottom:1px solid #ddd;padding-bottom:4px}
table.summary{border-collapse:collapse}
table.summary th{text-align:left;padding:4px 12px 4px 0;vertical-align:top;color:#555;font-weight:600}
table.summary td{padding:4px 16px 4px 0;vertical-align:top}
.row{display:grid;gap:16px;margin-bottom:12px}
.row.cols-1{grid-template-columns:1fr}.row.cols-2{grid-template-columns:1fr 1fr}
.row.cols-3{grid-template-columns:1fr 1fr 1fr}.row.cols-4{grid-template-columns:repeat(4,1fr)}
figure{margin:0;border:1px solid #eee;padding:8px;min-width:0}
figcaption{font-weight:600;text-transform:capitalize;margin-bottom:4px}
.static svg{max-width:100%;height:auto}
.note{color:#777;font-style:italic}
.has-js .static{display:none}
table.trial-table{border-collapse:collapse;font-size:13px;width:100%}
.trial-table th,.trial-table td{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;white-space:nowrap;
 max-width:22em;overflow:hidden;text-overflow:ellipsis}
.trial-table th{cursor:pointer;background:#f5f6fa;position:sticky;top:0}
.trial-table th.sorted-asc::after{content:" \\25B2"}.trial-table th.sorted-desc::after{content:" \\25BC"}
.trials{overflow-x:auto;margin-bottom:24px}
.controls{margin:6px 0}.controls button{margin:0 4px}
footer{color:#888;font-size:12px;margin:24px 0}
"""

_SCRIPT = r"""
(function(){
  document.documentElement.classList.add("has-js");
  var data = JSON.parse(document.getElementById("report-data").textContent);
  function draw(el){
    var fig = data.figures[el.id];
    if (!fig || el.getAttribute("data-drawn")) return;
    el.setAttribute("data-drawn", "1");
    var layout = Object.assign({}, fig.layout || {}, {autosize: true});
    Plotly.newPlot(el, fig.data, layout, {responsive: true, displaylogo: false});
  }
  if (window.Plotly) {
    // figures are drawn when they come near the screen, so a large report opens at once
    var plots = Array.prototype.slice.call(document.querySelectorAll(".plot"));
    if ("IntersectionObserver" in window) {
      var seen = new IntersectionObserver(function(entries){
        entries.forEach(function(e){ if (e.isIntersecting) { seen.unobserve(e.target); draw(e.target); } });
      }, {rootMargin: "300px"});
      plots.forEach(function(el){ seen.observe(el); });
    } else {
      plots.forEach(draw);
    }
  } else {
    document.documentElement.classList.remove("has-js");
  }
  var PAGE = 50;
  document.querySelectorAll(".trials").forEach(function(box){
    var t = data.tables[+box.getAttribute("data-table")];
    var rows = t.rows.slice(), page = 0, sortCol = null, desc = false, state = "";
    var table = box.querySelector("table"), tbody = table.querySelector("tbody");
    var ths = table.querySelectorAll("th"), controls = box.querySelector(".controls");
    var filter = document.createElement("select"), prev = document.createElement("button"),
        next = document.createElement("button"), info = document.createElement("span");
    var states = ["all states"].concat(Array.from(new Set(t.rows.map(function(r){ return r[1]; }))));
    states.forEach(function(s){ var o = document.createElement("option"); o.value = s === "all states" ? "" : s;
      o.textContent = s; filter.appendChild(o); });
    prev.textContent = "previous"; next.textContent = "next";
    controls.appendChild(filter); controls.appendChild(prev); controls.appendChild(next); controls.appendChild(info);
    function cmp(a, b){
      if (a === null || a === "") return 1; if (b === null || b === "") return -1;
      if (typeof a === "number" && typeof b === "number") return a - b;
      return String(a).localeCompare(String(b), undefined, {numeric: true});
    }
    function view(){ return state ? rows.filter(function(r){ return r[1] === state; }) : rows; }
    function render(){
      var v = view(), pages = Math.max(1, Math.ceil(v.length / PAGE));
      page = Math.min(page, pages - 1);
      tbody.textContent = "";
      v.slice(page * PAGE, (page + 1) * PAGE).forEach(function(r){
        var tr = document.createElement("tr");
        r.forEach(function(c){ var td = document.createElement("td");
          td.textContent = c === null ? "" : (typeof c === "number" && !Number.isInteger(c) ? +c.toPrecision(6) : c);
          td.title = td.textContent; tr.appendChild(td); });
        tbody.appendChild(tr);
      });
      info.textContent = "rows " + (v.length ? page * PAGE + 1 : 0) + "-" + Math.min(v.length, (page + 1) * PAGE) +
        " of " + v.length + " (page " + (page + 1) + " of " + pages + ")";
      prev.disabled = page === 0; next.disabled = page >= pages - 1;
    }
    ths.forEach(function(th, i){
      th.title = "sort by " + th.textContent;
      th.addEventListener("click", function(){
        desc = sortCol === i ? !desc : false; sortCol = i;
        rows.sort(function(a, b){ return desc ? cmp(b[i], a[i]) : cmp(a[i], b[i]); });
        ths.forEach(function(h){ h.classList.remove("sorted-asc", "sorted-desc"); });
        th.classList.add(desc ? "sorted-desc" : "sorted-asc"); page = 0; render();
      });
    });
    filter.addEventListener("change", function(){ state = filter.value; page = 0; render(); });
    prev.addEventListener("click", function(){ page--; render(); });
    next.addEventListener("click", function(){ page++; render(); });
    render();
  });
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head><body>
{body}
<footer>{footer}</footer>
<script type="application/json" id="report-data">{data}</script>
<script>{plotlyjs}</script>
<script>{script}</script>
</body></html>
"""
