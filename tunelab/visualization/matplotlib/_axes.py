"""What the matplotlib figures share: pyplot on demand, new axes, safe text, categorical and log axes."""

from __future__ import annotations

from typing import Any

from tunelab._extras import require
from tunelab.visualization._common import Axis


def pyplot() -> Any:
    """matplotlib.pyplot, or the one-line MissingExtra error naming ``pip install 'tunelab[viz]'``."""
    require("matplotlib", "tunelab.visualization.matplotlib", "viz")
    import matplotlib.pyplot as plt

    return plt


def text(value: Any) -> str:
    """A user string as literal text: ``$`` would otherwise start matplotlib's math mode."""
    return str(value).replace("$", r"\$")


def new_axes(title: str, **subplots: Any) -> Any:
    """One fresh figure with one Axes titled ``title``."""
    _, ax = pyplot().subplots(**subplots)
    ax.set_title(title)
    return ax


def message_axes(title: str, message: str) -> Any:
    """An Axes with only a title and a centred message (nothing to draw, and why)."""
    ax = new_axes(title)
    ax.text(0.5, 0.5, text(message), ha="center", va="center", transform=ax.transAxes, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def apply_axis(ax: Any, axis: Axis, which: str, title: bool = True) -> None:
    """Set the x or y axis of ``ax`` from ``axis``: its label, categories as ticks at 0..k-1, or a log scale."""
    set_label = ax.set_xlabel if which == "x" else ax.set_ylabel
    if title:
        set_label(text(axis.title))
    if axis.categories is not None:
        ticks = range(len(axis.categories))
        if which == "x":
            ax.set_xticks(list(ticks), [text(c) for c in axis.categories])
            ax.set_xlim(-0.5, len(axis.categories) - 0.5)
        else:
            ax.set_yticks(list(ticks), [text(c) for c in axis.categories])
            ax.set_ylim(-0.5, len(axis.categories) - 0.5)
    elif axis.log:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")


def blues(reverse: bool = False) -> Any:
    """matplotlib's Blues without its near-white end, so every point and line stays visible on white."""
    import matplotlib
    import numpy as np
    from matplotlib.colors import ListedColormap

    colors = matplotlib.colormaps["Blues"](np.linspace(0.25, 1.0, 256))
    return ListedColormap(colors[::-1] if reverse else colors, name="tunelab_blues" + ("_r" if reverse else ""))
