"""What every figure shares: plotly on demand, trial selection by state, decimation, axes and log scales."""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from tunelab.analysis._data import Column, Table, Target, as_view, build_table
from tunelab.analysis.decimate import decimate
from tunelab.trial import FrozenTrial, TrialState

MAX_POINTS = 5000  # points one figure draws at most (plus the best and the Pareto front)
MAX_CURVES = 300  # learning curves one figure draws at most

LogSpec = "bool | Mapping[str, bool] | None"

COLORS = {"complete": "#1f77b4", "pruned": "#ff7f0e", "fail": "#d62728", "running": "#7f7f7f",
          "waiting": "#bcbd22", "best": "#d62728"}


def go():
    """plotly.graph_objects, or a clear error saying how to install it."""
    try:
        import plotly.graph_objects as go_module
    except ImportError:  # pragma: no cover - plotly is in the viz extra
        raise ImportError("tunelab's figures need plotly: pip install 'tunelab[viz]'") from None
    return go_module


def make_subplots(**kwargs: Any):
    from plotly.subplots import make_subplots as _make

    return _make(**kwargs)


def chosen_states(states: Iterable[TrialState | str] | None, include_pruned: bool,
                  default: Sequence[TrialState] = (TrialState.COMPLETE,)) -> tuple[TrialState, ...]:
    """The states a figure draws: ``states`` if given, else ``default`` (+ PRUNED with include_pruned)."""
    if states is not None:
        if isinstance(states, (str, TrialState)):
            states = [states]
        parsed = tuple(TrialState.parse(s) for s in states)
        if not parsed:
            raise ValueError("states must name at least one trial state")
        return parsed
    out = tuple(default)
    if include_pruned and TrialState.PRUNED not in out:
        out = out + (TrialState.PRUNED,)
    return out


def table_for(study: Any, params: Sequence[str] | None, target: Target | None, states: Sequence[TrialState],
              what: str, target_direction: str | None = None) -> Table:
    """The trials in ``states`` with a finite target (pruned trials carry their last reported value).

    target_direction: which way ``target`` is better (:func:`tunelab.analysis.get_param_importances`)."""
    return build_table(study, params, target, states=states, what=what, target_direction=target_direction)


def keep_indices(table: Table, max_points: int | None) -> np.ndarray:
    if max_points is None:
        return np.arange(len(table.trials))
    if max_points < 1:
        raise ValueError(f"max_points must be an int >= 1 or None; got {max_points!r}")
    return decimate(table.loss, max_points)


def best_index(table: Table) -> int | None:
    """The best trial among the complete ones in the table (pruned trials never count as best)."""
    complete = [i for i, t in enumerate(table.trials) if t.state == TrialState.COMPLETE]
    if not complete:
        return None
    return min(complete, key=lambda i: (table.loss[i], table.trials[i].number))


def wants_log(name: str, column: Column | None, log: Any, values: np.ndarray | None = None) -> bool:
    """Whether an axis is logarithmic: ``log`` (bool, or a dict by name) overrides the distribution's own."""
    if isinstance(log, Mapping):
        if name in log:
            return bool(log[name])
        log = None
    if log is not None and not isinstance(log, bool):
        raise TypeError(f"log must be True, False, None or a dict of name -> bool; got {log!r}")
    if column is not None and column.kind == "categorical":
        return False
    if log is None:
        return bool(column is not None and column.log)
    if log and values is not None:
        finite = values[np.isfinite(values)]
        if finite.size and finite.min() <= 0:
            return False  # a log axis cannot show zero or negative values
    return log


def axis_values(column: Column, index: np.ndarray) -> tuple[list[Any], dict[str, Any]]:
    """Values to plot for a column at rows ``index`` and the axis settings (categories as text, in order)."""
    if column.kind == "categorical":
        labels = [_escape(str(c)) for c in column.choices or ()]
        xs = [None if column.raw[i] is None else _escape(str(column.raw[i])) for i in index]
        return xs, {"type": "category", "categoryorder": "array", "categoryarray": labels}
    xs = [column.raw[i] for i in index]
    return xs, {}


def trial_hover(trials: Sequence[FrozenTrial], index: np.ndarray, values: np.ndarray | None = None,
                max_params: int = 8) -> list[str]:
    out = []
    for k, i in enumerate(index):
        t = trials[i]
        lines = [f"Trial {t.number} ({t.state.name.lower()})"]
        if values is not None:
            lines.append(f"value: {values[k]:.6g}")
        for n, (p, v) in enumerate(t.params.items()):
            if n >= max_params:
                lines.append("…")
                break
            lines.append(f"{p}: {v:.4g}" if isinstance(v, float) else f"{p}: {v}")
        out.append("<br>".join(_escape(x) for x in lines))
    return out


def _escape(text: str) -> str:
    """Hover text is HTML in plotly: user strings are escaped so a parameter name stays text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape(text: Any) -> str:
    return _escape(str(text))


def check_max_points(max_points: Any) -> None:
    if max_points is not None and (isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1):
        raise ValueError(f"max_points must be an int >= 1 or None; got {max_points!r}")


def finite(x: float | None) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def studies_of(study: Any) -> list[Any]:
    """One study or a list of them (Optuna's history and EDF accept both)."""
    if isinstance(study, (list, tuple)) and study and not isinstance(study[0], FrozenTrial):
        return [as_view(s) for s in study]
    return [as_view(study)]


def empty_figure(title: str, message: str):
    fig = go().Figure()
    fig.update_layout(title=title, annotations=[{"text": escape(message), "showarrow": False, "xref": "paper",
                                                "yref": "paper", "x": 0.5, "y": 0.5}])
    return fig
