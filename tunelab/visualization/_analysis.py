"""plotly figures over the analysis results: importances, interactions, partial dependence, ablation, ledger,
noise, the Pareto front and the hypervolume history.

Importances, the Pareto front and the hypervolume come from ``_data_params.py`` and
``_data_objectives.py``, which the matplotlib figures read too.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from tunelab.trial import FrozenTrial
from tunelab.visualization._common import COLORS, MAX_POINTS, studies_of
from tunelab.visualization._data_objectives import hypervolume_data, pareto_data
from tunelab.visualization._data_params import importance_data, too_few
from tunelab.visualization._plotly import empty_figure, escape, go, make_subplots, trial_hover


def _too_few(view: Any, title: str, needed: int = 2):
    """An empty figure saying why, when the study has fewer complete trials than a surrogate needs."""
    message = too_few(view, needed)
    return None if message is None else empty_figure(title, message)


def plot_param_importances(study: Any, evaluator: Any = None, params: Sequence[str] | None = None, *,
                           target: Callable[[FrozenTrial], float] | None = None,
                           target_name: str = "Objective Value", with_ci: bool = True, n_bootstrap: int | None = None,
                           target_direction: str | None = None):
    """Horizontal bars of each parameter's importance (most important on top), with its bootstrap interval.

    evaluator: as :func:`tunelab.importance.get_param_importances` (PED-ANOVA by default).
    With several objectives and no target, one bar trace per objective.
    """
    data = importance_data(study, evaluator, params, target=target, target_name=target_name, with_ci=with_ci,
                           n_bootstrap=n_bootstrap, target_direction=target_direction)
    if data.message is not None:
        return empty_figure("Hyperparameter Importances", data.message)
    g = go()
    fig = g.Figure()
    single = len(data.bars) == 1
    for bars in data.bars:
        err = {"type": "data", "symmetric": False,
               "array": [max(0.0, h - v) for v, h in zip(bars.values, bars.high)],
               "arrayminus": [max(0.0, v - lo) for v, lo in zip(bars.values, bars.low)]} if with_ci else None
        names = [escape(n) for n in bars.names]
        fig.add_trace(g.Bar(x=bars.values, y=names, orientation="h", name=escape(bars.label), error_x=err,
                            text=None if single else [f"{v:.2f}" for v in bars.values], textposition="outside",
                            hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
        if single:  # each value right of its interval's whisker, where the bar's own label would sit under it
            ends = [max(v, h) if with_ci else v for v, h in zip(bars.values, bars.high)]
            for name, value, end in zip(names, bars.values, ends):
                fig.add_annotation(x=end, y=name, text=f"{value:.2f}", showarrow=False, xanchor="left", xshift=6)
    title = {"text": "Hyperparameter Importances"}
    if data.note is not None:
        title["subtitle"] = {"text": escape(data.note)}
    fig.update_layout(title=title, xaxis_title="Hyperparameter Importance",
                      yaxis_title="Hyperparameter", barmode="group", showlegend=not single)
    fig.update_yaxes(ticksuffix="  ")  # a zero bar's value label starts at the axis: keep it off the name
    return fig


def plot_interactions(study: Any, params: Sequence[str] | None = None, *,
                      target: Callable[[FrozenTrial], float] | None = None, top: int = 8,
                      target_direction: str | None = None):
    """A heatmap of pairwise fANOVA interactions (share of variance) among the ``top`` strongest parameters;
    the diagonal holds each parameter's own (main-effect) share."""
    from tunelab.analysis.importance import FanovaImportanceEvaluator

    view = studies_of(study)[0]
    early = _too_few(view, "Interactions")
    if early is not None:
        return early
    res = FanovaImportanceEvaluator(interaction_top=top).evaluate_with_ci(view, params=params, target=target,
                                                                          target_direction=target_direction)
    names = [p.name for p in res.params[:top]]
    if len(names) < 2:
        return empty_figure("Interactions", "interactions need two parameters that vary")
    k = len(names)
    z = np.full((k, k), np.nan)
    pos = {n: i for i, n in enumerate(names)}
    for p in res.params[:top]:
        z[pos[p.name], pos[p.name]] = p.importance
    for it in res.interactions:
        a, b = it.params
        if a in pos and b in pos:
            z[pos[a], pos[b]] = z[pos[b], pos[a]] = it.importance
    g = go()
    labels = [escape(n) for n in names]
    fig = g.Figure(g.Heatmap(z=z, x=labels, y=labels, colorscale="Blues", zmin=0,
                             text=[[("" if np.isnan(v) else f"{v:.3f}") for v in row] for row in z],
                             texttemplate="%{text}", hovertemplate="%{y} × %{x}: %{z:.4f}<extra></extra>",
                             colorbar={"title": "share"}))
    fig.update_layout(title="Interactions (fANOVA: pairs off the diagonal, main effects on it)",
                      yaxis={"autorange": "reversed"})
    return fig


def plot_partial_dependence(study: Any, params: Sequence[str] | None = None, *,
                            target: Callable[[FrozenTrial], float] | None = None,
                            target_name: str = "Objective Value", top: int = 4, n_points: int = 30,
                            log: Any = None, target_direction: str | None = None):
    """The surrogate's mean value as each parameter moves (others as in the trials), with the trees' 10-90 % band.

    params: default the ``top`` most important. Log parameters get log x axes (``log`` overrides).
    """
    from tunelab.analysis.explain import partial_dependence

    view = studies_of(study)[0]
    early = _too_few(view, "Partial Dependence")
    if early is not None:
        return early
    pds = partial_dependence(view, params, target=target, top=top, n_points=n_points,
                             target_direction=target_direction)
    g = go()
    fig = make_subplots(rows=1, cols=len(pds), shared_yaxes=True,
                        subplot_titles=[escape(p.param) for p in pds])
    for c, pd in enumerate(pds, start=1):
        xs = [escape(v) for v in pd.grid] if pd.kind == "categorical" else pd.grid
        fig.add_trace(g.Scatter(x=xs, y=pd.high, mode="lines", line={"width": 0}, showlegend=False,
                                hoverinfo="skip"), row=1, col=c)
        fig.add_trace(g.Scatter(x=xs, y=pd.low, mode="lines", line={"width": 0}, fill="tonexty",
                                fillcolor="rgba(31,119,180,0.2)", showlegend=False, hoverinfo="skip"), row=1, col=c)
        fig.add_trace(g.Scatter(x=xs, y=pd.mean, mode="lines+markers" if pd.kind == "categorical" else "lines",
                                name=escape(pd.param), showlegend=False, line={"color": COLORS["complete"]}),
                      row=1, col=c)
        want_log = log.get(pd.param) if isinstance(log, dict) else log
        if pd.kind != "categorical" and (pd.log if want_log is None else want_log):
            fig.update_xaxes(type="log", row=1, col=c)
    fig.update_yaxes(title_text=escape(target_name), row=1, col=1)
    fig.update_layout(title="Partial Dependence (random-forest surrogate)")
    return fig


def plot_ablation_path(study: Any, reference: Any = None, *, target: Callable[[FrozenTrial], float] | None = None,
                       target_name: str = "Objective Value", target_direction: str | None = None):
    """A waterfall from the reference configuration's predicted value to the best's, one parameter per step."""
    from tunelab.analysis.explain import ablation_path

    view = studies_of(study)[0]
    early = _too_few(view, "Ablation Path")
    if early is not None:
        return early
    path = ablation_path(view, reference, target=target, target_direction=target_direction)
    g = go()
    labels = ["reference"] + [f"{escape(s.param)} → {escape(_short(s.to_value))}" for s in path.steps] + ["best"]
    deltas = [path.reference_predicted]
    prev = path.reference_predicted
    for s in path.steps:
        deltas.append(s.predicted - prev)
        prev = s.predicted
    deltas.append(path.best_predicted)
    measure = ["absolute"] + ["relative"] * len(path.steps) + ["total"]
    text = [f"{path.reference_predicted:.4g}"] + [f"{s.share:+.0%}" for s in path.steps] + \
        [f"{path.best_predicted:.4g}"]
    fig = g.Figure(g.Waterfall(x=labels, y=deltas, measure=measure, text=text, textposition="outside",
                               connector={"line": {"color": "grey"}}))
    fig.update_layout(title="Ablation Path (predicted by a random-forest surrogate; step labels: share of the gain)",
                      yaxis_title=escape(target_name), showlegend=False)
    return fig


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return "absent" if value is None else str(value)


def plot_pruning_ledger(study: Any, *, unit: str = "auto", top_quantile: float = 0.1):
    """Compute spent on complete, pruned and failed trials and saved by pruning (stacked), with the counts."""
    from tunelab.analysis.ledger import pruning_ledger

    led = pruning_ledger(studies_of(study)[0], unit=unit, top_quantile=top_quantile)
    g = go()
    fig = g.Figure()
    parts = [("complete", led.spent_complete, COLORS["complete"]), ("pruned", led.spent_pruned, COLORS["pruned"]),
             ("failed", led.spent_failed, COLORS["fail"]), ("saved by pruning", led.saved, "#2ca02c")]
    for name, value, color in parts:
        fig.add_trace(g.Bar(x=[value], y=["compute"], orientation="h", name=name, marker={"color": color},
                            text=[f"{value:.4g}"], textposition="inside",
                            hovertemplate=f"{name}: %{{x:.4g}} {led.unit}<extra></extra>"))
    note = (f"{led.n_complete} complete, {led.n_pruned} pruned, {led.n_failed} failed; pruning saved "
            f"{led.saved_share:.0%} of the compute; {led.n_on_track} pruned trial(s) were on track for the top "
            f"{led.top_quantile:.0%} when stopped")
    fig.update_layout(title="Pruning Ledger", barmode="stack", xaxis_title=f"compute ({led.unit})", height=300,
                      annotations=[{"text": escape(note), "showarrow": False, "xref": "paper", "yref": "paper",
                                    "x": 0, "y": -0.45, "xanchor": "left"}])
    return fig


def plot_noise(study: Any, *, top: int = 20, confidence: float = 0.9):
    """The ``top`` configurations (by the conservative bound) as mean ± std over their repeats, seeds as dots."""
    from tunelab.analysis.noise import noise_summary

    summ = noise_summary(studies_of(study)[0], confidence=confidence, top=top)
    if not summ.configs:
        return empty_figure("Noise", "no complete trials")
    g = go()
    labels = [f"#{c.numbers[0]}" + (f" (+{len(c.numbers) - 1})" if len(c.numbers) > 1 else "") for c in summ.configs]
    fig = g.Figure()
    fig.add_trace(g.Scatter(x=labels, y=[c.mean for c in summ.configs], mode="markers", name="mean ± std",
                            error_y={"type": "data", "array": [c.std for c in summ.configs]},
                            marker={"size": 9, "color": COLORS["complete"]}))
    xs, ys = [], []
    for label, c in zip(labels, summ.configs):
        xs.extend([label] * len(c.values))
        ys.extend(c.values)
    fig.add_trace(g.Scatter(x=xs, y=ys, mode="markers", name="each repeat",
                            marker={"size": 5, "color": "grey", "opacity": 0.6}))
    note = (f"best single trial #{summ.best_number} ranks {summ.best_rank_conservative} by the conservative "
            f"bound ({summ.confidence:.0%}); pooled std {summ.pooled_std:.3g}")
    fig.update_layout(title="Noise over repeats (configurations ranked by the conservative bound)",
                      xaxis_title="configuration (trial number)", yaxis_title="value",
                      annotations=[{"text": escape(note), "showarrow": False, "xref": "paper", "yref": "paper",
                                    "x": 0, "y": 1.06, "xanchor": "left"}])
    return fig


def plot_pareto_front(study: Any, *, target_names: Sequence[str] | None = None,
                      include_dominated_trials: bool = True, axis_order: Sequence[int] | None = None,
                      constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
                      targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
                      max_points: int | None = MAX_POINTS):
    """The complete trials in objective space (2 or 3 axes): the front as "Best Trial", others as "Trial".

    targets: a function of a trial giving the 2 or 3 values to plot (default its objectives).
    constraints_func: trials with any value > 0 are infeasible (drawn grey, never on the front).
    The front is always drawn whole; dominated trials are decimated to max_points.
    """
    data = pareto_data(study, target_names=target_names, include_dominated_trials=include_dominated_trials,
                       axis_order=axis_order, constraints_func=constraints_func, targets=targets,
                       max_points=max_points)
    g = go()
    fig = g.Figure()
    m = len(data.axis_names)
    for grp in data.groups:
        hover = trial_hover(grp.trials, grp.index, None)
        c = grp.coords
        if m == 2:
            fig.add_trace(g.Scatter(x=c[0], y=c[1], mode="markers", name=grp.name, marker={"color": grp.color},
                                    text=hover, hoverinfo="text"))
        else:
            fig.add_trace(g.Scatter3d(x=c[0], y=c[1], z=c[2], mode="markers", name=grp.name,
                                      marker={"color": grp.color, "size": 3}, text=hover, hoverinfo="text"))
    axes = [escape(n) for n in data.axis_names]
    if m == 2:
        fig.update_layout(xaxis_title=axes[0], yaxis_title=axes[1])
    else:
        fig.update_layout(scene={"xaxis_title": axes[0], "yaxis_title": axes[1], "zaxis_title": axes[2]})
    fig.update_layout(title="Pareto-front Plot")
    return fig


def plot_hypervolume_history(study: Any, reference_point: Sequence[float]):
    """The hypervolume the feasible complete trials dominate (up to ``reference_point``) after each trial.

    reference_point: one coordinate per objective, worse than every value that should count.
    """
    data = hypervolume_data(study, reference_point)
    if data.message is not None:
        return empty_figure("Hypervolume History Plot", data.message)
    g = go()
    fig = g.Figure(g.Scatter(x=data.numbers, y=data.values, mode="lines+markers", name="Hypervolume"))
    fig.update_layout(title="Hypervolume History Plot", xaxis_title="Trial", yaxis_title="Hypervolume")
    return fig
