"""A small static SVG renderer for plotly figure data, for readers that block scripts.

The report shows every figure twice: interactively (plotly.js) and as an SVG drawn
here from the same figure dict, so a mail client that strips scripts still shows
the picture.  It covers what the report's chosen figures use: scatter traces
(lines and/or markers) and bar charts (vertical or horizontal) on the first pair
of axes, linear or log axes, numeric or categorical values, error bars given as
data, text annotations placed in data coordinates, a title, axis titles and a
legend.  Other trace types are skipped (the caller decides which figures get an
SVG).  No browser, no kaleido, no plotting library.
"""

from __future__ import annotations

import base64
import math
import re
from html import escape, unescape
from typing import Any, Sequence

import numpy as np

_PALETTE = ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880"]
SUPPORTED_TYPES = ("scatter", "scattergl", "bar")
MAX_MARKERS = 1000  # per trace: an even sample plus the extremes, to keep the file small
_TAG = re.compile(r"</?(b|i|br|sup|sub|em|span|a)\b[^>]*>", re.I)


def _decode(values: Any) -> list:
    """Plotly may store arrays as {'dtype': 'f8', 'bdata': base64}; return a plain list."""
    if values is None:
        return []
    if isinstance(values, dict) and "bdata" in values:
        data = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
        shape = values.get("shape")
        if shape:
            data = data.reshape([int(s) for s in str(shape).split(",")])
        return data.tolist()
    if isinstance(values, np.ndarray):
        return values.tolist()
    if isinstance(values, (list, tuple)):
        return list(values)
    return [values]


def _plain(text: str) -> str:
    """Plotly text is a little HTML (<b>, <br>, entities); the plain words, to be escaped again for SVG."""
    return unescape(_TAG.sub(lambda m: " " if m.group(1).lower() == "br" else "", text))


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("text")
    return "" if value is None else _plain(str(value))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


class _Axis:
    """Maps data values to pixels: numeric (linear or log) or categorical."""

    def __init__(self, values: list, log: bool, lo_px: float, hi_px: float, categories: list | None = None):
        self.log = log
        self.lo_px, self.hi_px = lo_px, hi_px
        numeric = [_number(v) for v in values]
        self.categorical = categories is not None or (bool(values) and any(
            n is None and v is not None for n, v in zip(numeric, values)))
        if self.categorical:
            seen: dict[str, int] = {}
            for v in (categories or []) + [v for v in values if v is not None]:
                seen.setdefault(_plain(str(v)), len(seen))
            self.categories = list(seen)
            self.lo, self.hi = -0.5, max(len(self.categories) - 0.5, 0.5)
            return
        nums = [n for n in numeric if n is not None and (not log or n > 0)]
        if log:
            nums = [math.log10(n) for n in nums]
        lo, hi = (min(nums), max(nums)) if nums else (0.0, 1.0)
        if hi == lo:
            lo, hi = lo - 0.5, hi + 0.5
        pad = (hi - lo) * 0.04
        self.lo, self.hi = lo - pad, hi + pad

    def position(self, value: Any) -> float | None:
        if self.categorical:
            if value is None:
                return None
            try:
                t = float(self.categories.index(_plain(str(value))))
            except ValueError:
                return None
        else:
            n = _number(value)
            if n is None or (self.log and n <= 0):
                return None
            t = math.log10(n) if self.log else n
        return self.lo_px + (t - self.lo) / (self.hi - self.lo) * (self.hi_px - self.lo_px)

    def ticks(self) -> list[tuple[float, str]]:
        if self.categorical:
            step = max(1, math.ceil(len(self.categories) / 12))
            return [(self.position(c), _short(c)) for c in self.categories[::step]]
        if self.log:
            first, last = math.ceil(self.lo), math.floor(self.hi)
            exps = list(range(first, last + 1)) or [round((self.lo + self.hi) / 2)]
            step = max(1, math.ceil(len(exps) / 8))
            return [(self.position(10.0 ** e), f"1e{e}" if abs(e) > 3 else f"{10.0 ** e:g}") for e in exps[::step]]
        return [(self.position(v), f"{v:.4g}") for v in _nice_ticks(self.lo, self.hi)]


def _errors(spec: Any, values: list) -> list[tuple[float, float] | None] | None:
    """(low, high) of each value's error bar, from a plotly error spec of type 'data'; None without one."""
    if not isinstance(spec, dict) or spec.get("visible", True) is False or spec.get("type", "data") != "data":
        return None
    plus = _decode(spec.get("array"))
    if not plus:
        return None
    minus = plus if spec.get("symmetric", not spec.get("arrayminus")) else _decode(spec.get("arrayminus"))
    out: list[tuple[float, float] | None] = []
    for i, value in enumerate(values):
        v = _number(value)
        up = _number(plus[i]) if i < len(plus) else None
        down = _number(minus[i]) if i < len(minus) else None
        out.append(None if v is None or up is None or down is None else (v - down, v + up))
    return out


def _nice_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    span = hi - lo
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    ticks = []
    v = start
    while v <= hi + 1e-12 * span:
        ticks.append(0.0 if abs(v) < step * 1e-9 else v)
        v += step
    return ticks


def _short(label: Any, width: int = 14) -> str:
    s = str(label)
    return s if len(s) <= width else s[: width - 1] + "…"


def _color(trace: dict, index: int) -> str:
    for source in (trace.get("marker") or {}, trace.get("line") or {}):
        c = source.get("color")
        if isinstance(c, str):
            return c
    return _PALETTE[index % len(_PALETTE)]


def figure_to_svg(figure: Any, width: int = 640, height: int = 400) -> str:
    """An SVG string for the scatter and bar traces of ``figure`` (a plotly Figure or its dict).

    Every string from the figure (titles, names, categories) is XML-escaped.
    """
    fig = figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else dict(figure)
    layout = fig.get("layout") or {}
    traces = [dict(t) for t in fig.get("data") or []
              if t.get("type", "scatter") in SUPPORTED_TYPES
              and t.get("xaxis", "x") == "x" and t.get("yaxis", "y") == "y" and t.get("visible", True) is True]
    xaxis, yaxis = layout.get("xaxis") or {}, layout.get("yaxis") or {}
    title = _text(layout.get("title"))
    subtitle = _text((layout.get("title") or {}).get("subtitle")) if isinstance(layout.get("title"), dict) else ""
    names = [(k, _plain(str(t.get("name")))) for k, t in enumerate(traces)
             if t.get("name") and t.get("showlegend", True) is not False and layout.get("showlegend") is not False]
    legend_w = 150 if names else 0
    xs, ys = [], []
    for t in traces:
        x, y = _decode(t.get("x")), _decode(t.get("y"))
        if not x and y:
            x = list(range(len(y)))
        if not y and x:
            y = list(range(len(x)))
        t["_x"], t["_y"] = x, y
        xs += x
        ys += y
        horizontal_bar = t.get("orientation") == "h"
        errors = None
        if t.get("type") == "bar":
            errors = _errors(t.get("error_x"), x) if horizontal_bar else _errors(t.get("error_y"), y)
        if errors is not None:  # the value axis must reach the whiskers
            t["_err"] = errors
            ends = [v for pair in errors if pair for v in pair]
            if horizontal_bar:
                xs += ends
            else:
                ys += ends
    horizontal = any(t.get("type") == "bar" and t.get("orientation") == "h" for t in traces)
    longest = max((len(_short(_plain(str(v)))) for v in ys if isinstance(v, str)), default=0)
    left = max(70, 22 + 6 * longest)
    right, top, bottom = width - 20 - legend_w, (54 if subtitle else 40) if title else 16, height - 52
    xcats = list((xaxis.get("categoryarray") or [])) or None
    ycats = list((yaxis.get("categoryarray") or [])) or None
    xa = _Axis(xs, xaxis.get("type") == "log", left, right, xcats if xaxis.get("type") == "category" else None)
    ya = _Axis(ys, yaxis.get("type") == "log", bottom, top, ycats if yaxis.get("type") == "category" else None)
    if any(t.get("type") == "bar" for t in traces):  # bars start at zero
        for axis, values in ((xa, xs) if horizontal else (ya, ys),):
            if not axis.categorical and not axis.log:
                axis.lo = min(axis.lo, 0.0)
                axis.hi = max(axis.hi, 0.0)

    bars = [t for t in traces if t.get("type") == "bar"]
    stacked = layout.get("barmode") in ("stack", "relative")
    if stacked and bars:  # the value axis must reach the sums
        sums: dict[str, float] = {}
        for t in bars:
            for x, y in zip(t["_x"], t["_y"]):
                key, v = (_plain(str(y)), _number(x)) if horizontal else (_plain(str(x)), _number(y))
                sums[key] = sums.get(key, 0.0) + (v or 0.0)
        axis = xa if horizontal else ya
        if not axis.categorical and not axis.log and sums:
            hi = max(sums.values())
            axis.hi = max(axis.hi, hi * 1.04)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" font-family="sans-serif" font-size="11">',
           f"<title>{escape(title or 'figure')}</title>",
           f'<rect width="{width}" height="{height}" fill="white"/>']
    if title:
        out.append(f'<text x="{width / 2:.1f}" y="22" text-anchor="middle" font-size="14">{escape(title)}</text>')
        if subtitle:
            out.append(f'<text x="{width / 2:.1f}" y="39" text-anchor="middle" fill="#555">{escape(subtitle)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="#f5f6fa"/>')
    for px, label in xa.ticks():
        out.append(f'<line x1="{px:.1f}" y1="{top}" x2="{px:.1f}" y2="{bottom}" stroke="#ddd"/>'
                   f'<text x="{px:.1f}" y="{bottom + 14}" text-anchor="middle">{escape(label)}</text>')
    for py, label in ya.ticks():
        out.append(f'<line x1="{left}" y1="{py:.1f}" x2="{right}" y2="{py:.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 6}" y="{py + 4:.1f}" text-anchor="end">{escape(label)}</text>')
    out.append(f'<text x="{(left + right) / 2:.1f}" y="{height - 12}" text-anchor="middle">'
               f"{escape(_text(xaxis.get('title')))}</text>")
    out.append(f'<text transform="translate(16 {(top + bottom) / 2:.1f}) rotate(-90)" text-anchor="middle">'
               f"{escape(_text(yaxis.get('title')))}</text>")

    bars = [t for t in traces if t.get("type") == "bar"]
    base: dict[str, float] = {}
    whiskers: list[tuple[bool, float, float, Any, int]] = []  # (horizontal, centre px, bar width px, errors, index)
    for i, t in enumerate(traces):
        color = escape(_color(t, i))
        points = [(xa.position(x), ya.position(y)) for x, y in zip(t["_x"], t["_y"])]
        if t.get("type") == "bar":
            k, nb = next(j for j, b in enumerate(bars) if b is t), len(bars)
            if stacked:
                k, nb = 0, 1
            for index, ((px, py), x, y) in enumerate(zip(points, t["_x"], t["_y"])):
                if px is None or py is None:
                    continue
                if stacked:  # this bar starts where the previous traces' bars for the category ended
                    key = _plain(str(y)) if horizontal else _plain(str(x))
                    start = base.get(key, 0.0)
                    size = _number(x if horizontal else y) or 0.0
                    base[key] = start + size
                    if horizontal:
                        x0, px = xa.position(start), xa.position(start + size)
                    else:
                        y0, py = ya.position(start), ya.position(start + size)
                if horizontal:
                    band = abs(ya.position(ya.categories[0]) - ya.position(ya.categories[1])) \
                        if ya.categorical and len(ya.categories) > 1 else (bottom - top) / max(len(t["_y"]), 1)
                    h = band * 0.8 / nb
                    y0 = py - band * 0.4 + k * h
                    if not stacked:
                        x0 = xa.position(0.0) if not xa.categorical and not xa.log else left
                    out.append(f'<rect x="{min(x0, px):.1f}" y="{y0:.1f}" width="{abs(px - x0):.1f}" '
                               f'height="{h:.1f}" fill="{color}"/>')
                    whiskers.append((True, y0 + h / 2, h, t.get("_err"), index))
                else:
                    band = abs(xa.position(xa.categories[1]) - xa.position(xa.categories[0])) \
                        if xa.categorical and len(xa.categories) > 1 else (right - left) / max(len(t["_x"]), 1)
                    w = band * 0.8 / nb
                    x0 = px - band * 0.4 + k * w
                    if not stacked:
                        y0 = ya.position(0.0) if not ya.categorical and not ya.log else bottom
                    out.append(f'<rect x="{x0:.1f}" y="{min(y0, py):.1f}" width="{w:.1f}" '
                               f'height="{abs(py - y0):.1f}" fill="{color}"/>')
                    whiskers.append((False, x0 + w / 2, w, t.get("_err"), index))
            continue
        mode = t.get("mode") or ("lines+markers" if len(points) < 20 else "lines")
        if "lines" in mode:
            segments, current = [], []
            for px, py in points:
                if px is None or py is None:
                    if current:
                        segments.append(current)
                    current = []
                else:
                    current.append(f"{px:.1f},{py:.1f}")
            if current:
                segments.append(current)
            shape = (t.get("line") or {}).get("shape")
            for seg in segments:
                if shape in ("hv", "vh") and len(seg) > 1:  # step lines (best so far)
                    pts = [tuple(map(float, p.split(","))) for p in seg]
                    stepped = [pts[0]]
                    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
                        stepped += [(x1, y0), (x1, y1)] if shape == "hv" else [(x0, y1), (x1, y1)]
                    seg = [f"{x:.1f},{y:.1f}" for x, y in stepped]
                out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{" ".join(seg)}"/>')
        if "markers" in mode and len(points) > MAX_MARKERS:
            ys_px = [p[1] if p[1] is not None else math.nan for p in points]
            finite = [i for i, v in enumerate(ys_px) if not math.isnan(v)]
            extremes = {min(finite, key=lambda i: ys_px[i]), max(finite, key=lambda i: ys_px[i])} if finite else set()
            step = len(points) / MAX_MARKERS
            keep = sorted({int(k * step) for k in range(MAX_MARKERS)} | extremes)
            points = [points[i] for i in keep]
        if "markers" in mode:
            opacity = (t.get("marker") or {}).get("opacity", 0.8)
            opacity = opacity if isinstance(opacity, (int, float)) else 0.8
            out.append(f'<g fill="{color}" fill-opacity="{opacity}">')
            out += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5"/>' for px, py in points
                    if px is not None and py is not None]
            out.append("</g>")
    for horizontal_bar, centre, size, errors, index in whiskers:
        if not errors or errors[index] is None:
            continue
        axis = xa if horizontal_bar else ya
        lo, hi = (axis.position(v) for v in errors[index])
        if lo is None or hi is None:
            continue
        cap = min(size * 0.25, 6.0)
        if horizontal_bar:
            out.append(f'<path d="M{lo:.1f},{centre:.1f}H{hi:.1f}M{lo:.1f},{centre - cap:.1f}V{centre + cap:.1f}'
                       f'M{hi:.1f},{centre - cap:.1f}V{centre + cap:.1f}" stroke="#444" fill="none"/>')
        else:
            out.append(f'<path d="M{centre:.1f},{lo:.1f}V{hi:.1f}M{centre - cap:.1f},{lo:.1f}H{centre + cap:.1f}'
                       f'M{centre - cap:.1f},{hi:.1f}H{centre + cap:.1f}" stroke="#444" fill="none"/>')
    for note in layout.get("annotations") or []:  # text at data coordinates (value labels); paper notes skipped
        if note.get("xref", "x") != "x" or note.get("yref", "y") != "y" or not note.get("text"):
            continue
        px, py = xa.position(note.get("x")), ya.position(note.get("y"))
        if px is None or py is None:
            continue
        anchor = {"left": "start", "right": "end"}.get(note.get("xanchor"), "middle")
        px += float(note.get("xshift") or 0)
        py -= float(note.get("yshift") or 0)
        label = escape(_plain(str(note["text"])))
        out.append(f'<text x="{px:.1f}" y="{py + 4:.1f}" text-anchor="{anchor}">{label}</text>')
    for i, (k, name) in enumerate(names[:12]):
        y = top + 10 + 16 * i
        out.append(f'<rect x="{right + 12}" y="{y - 8}" width="10" height="10" '
                   f'fill="{escape(_color(traces[k], k))}"/>'
                   f'<text x="{right + 26}" y="{y + 1}">{escape(_short(name, 20))}</text>')
    out.append("</svg>")
    return "\n".join(out)


def note_svg(text: str, width: int = 640, height: int = 120) -> str:
    """A small SVG that says why a figure is not drawn (the text escaped), where a picture was expected."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" font-family="sans-serif" font-size="13">'
            f"<title>{escape(_short(text, 80))}</title>"
            f'<rect width="{width}" height="{height}" fill="white"/>'
            f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" fill="#777" font-style="italic">'
            f"{escape(_short(text, 100))}</text></svg>")


def supported(figure: Any) -> bool:
    """True when the figure has at least one trace :func:`figure_to_svg` can draw."""
    fig = figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else dict(figure)
    return any(t.get("type", "scatter") in SUPPORTED_TYPES for t in fig.get("data") or [])


__all__: Sequence[str] = ["figure_to_svg", "note_svg", "supported"]
