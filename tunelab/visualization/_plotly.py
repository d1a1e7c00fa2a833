"""plotly on demand and what the plotly figures share: escaped text, hover labels, axis settings, empty figures."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from tunelab.trial import FrozenTrial
from tunelab.visualization._common import Axis


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


def escape(text: Any) -> str:
    """Text is HTML in plotly: user strings are escaped so a parameter name stays text."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escaped(values: Sequence[Any]) -> list[Any]:
    """Category labels escaped, numbers and None as they are."""
    return [escape(v) if isinstance(v, str) else v for v in values]


def axis_settings(axis: Axis) -> dict[str, Any]:
    """plotly axis settings for an :class:`Axis` (without the title)."""
    if axis.categories is not None:
        return {"type": "category", "categoryorder": "array", "categoryarray": [escape(c) for c in axis.categories]}
    return {"type": "log"} if axis.log else {}


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
        out.append("<br>".join(escape(x) for x in lines))
    return out


def empty_figure(title: str, message: str):
    fig = go().Figure()
    fig.update_layout(title=title, annotations=[{"text": escape(message), "showarrow": False, "xref": "paper",
                                                "yref": "paper", "x": 0.5, "y": 0.5}])
    return fig
