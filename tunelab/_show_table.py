"""The trial table of `tunelab show`: the columns that matter first, fitted to a terminal's width.

A network study has a dozen parameters with long names and long float values, which
made the old table 260 characters wide.  Here the columns come in this order:
number, state, the metric (named as the study records it), how far the trial got,
then the parameters that matter most (by importance when it can be computed, else in
the order they were suggested).  Values are shortened to 4 significant digits, long
names are cut, and columns that do not fit ``width`` are left out and named in a
footnote; ``wide=True`` shows every column at full precision plus durations and user
attributes.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from tunelab.trial import FrozenTrial, TrialState

NARROW_WIDTH = 100
_GAP = "  "


def _fmt(value: Any, digits: int) -> str:
    if isinstance(value, bool) or value is None:
        return "-" if value is None else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.{digits}g}"
    return str(value)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


def param_order(study: Any, trials: Sequence[FrozenTrial]) -> list[str]:
    """Parameter names, most important first when an importance can be computed quickly."""
    order: list[str] = []
    for t in trials:
        order += [k for k in t.params if k not in order]
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.values is not None]
    if len(study.directions) != 1 or len(complete) < 10 or len(order) < 2:
        return order
    try:
        from tunelab.importance import get_param_importances  # provided by tunelab.analysis

        ranked = list(get_param_importances(study))
    except Exception:  # no importance module, or it cannot handle this study: suggestion order
        return order
    return ranked + [k for k in order if k not in ranked]


def show_rows(study: Any, shown: Sequence[FrozenTrial], metrics: Sequence[str], params: Sequence[str],
              value_text: Any, wide: bool) -> list[list[str]]:
    """Header row plus one row per trial, every cell already a string."""
    digits = 6 if wide else 4
    curves = any(t.intermediate_values for t in shown)
    attrs = sorted({k for t in shown for k, v in t.user_attrs.items()
                    if isinstance(v, (int, float, str, bool))}) if wide else []
    header = ["#", "state", *metrics, *(["last step"] if curves else []), *(["seconds"] if wide else []),
              *params, *attrs]
    rows = [header]
    for t in shown:
        values = value_text(t, 6)  # the metric keeps its precision: close results must stay apart
        row = [str(t.number), t.state.name.lower(), *values]
        if curves:
            row.append(_fmt(t.last_step, digits))
        if wide:
            row.append(_fmt(t.duration_seconds, 3))
        row += [_fmt(t.params[p], digits) if p in t.params else "" for p in params]
        row += [_fmt(t.user_attrs.get(a), digits) if a in t.user_attrs else "" for a in attrs]
        rows.append(row)
    return rows


def fit(rows: list[list[str]], width: int | None, fixed: int, max_cell: int = 14) -> tuple[list[list[str]], list[str]]:
    """Cut cells after the first ``fixed`` to ``max_cell`` characters; keep the leading columns that fit.

    The first ``fixed`` columns are always kept.  Returns (rows, names of the columns left out).
    """
    if width is None:
        return rows, []
    rows = [[c if i < fixed else _cut(c, max_cell) for i, c in enumerate(r)] for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    used, keep = 0, 0
    for i, w in enumerate(widths):
        need = w + (len(_GAP) if i else 0)
        if i >= fixed and used + need > width:
            break
        used += need
        keep = i + 1
    dropped = rows[0][keep:]
    return [r[:keep] for r in rows], dropped


def render(rows: list[list[str]], right: set[int]) -> list[str]:
    """Aligned text lines with a rule under the header; columns in ``right`` are right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, row in enumerate(rows):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append(_GAP.join(cells).rstrip())
        if j == 0:
            lines.append(_GAP.join("-" * w for w in widths))
    return lines
