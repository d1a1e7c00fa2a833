"""What the dashboard sends, as plain JSON-ready data (no web framework here, so it is easy to test).

The study page first loads a decimated history (every improvement of the best,
the latest trials and an even sample) and then polls :func:`updates` with a
cursor.  Finished trials never change, so the cursor holds a *watermark* (every
trial numbered below it was finished when it was issued) and a fingerprint of
each unfinished trial at or above it: an update carries only the trials that are
new or whose fingerprint changed.  The trial table is paged on the server.
"""

from __future__ import annotations

import base64
import json
import math
import zlib
from dataclasses import dataclass
from typing import Any, Sequence

from tunelab.report import format_value, log_axis_suits, metric_names, overview
from tunelab.storage import BaseStorage, StudyNotFoundError
from tunelab.trial import FrozenTrial, TrialState

#: How many points the first history plot holds at most (improvements of the best always stay): more than a
#: 1,400-pixel-wide plot can tell apart, and about 40 kB of JSON.
HISTORY_POINTS = 2000
#: Rows per table page (at most).
MAX_PAGE_SIZE = 500


def mask_url(url: Any) -> str:
    """A storage URL with its password replaced by ***, for display (the storage layer's rule)."""
    from tunelab.storage import mask_url as _mask

    return _mask(url)


@dataclass
class StudyRef:
    """A study as the dashboard reads it: enough for the figures and the overview."""

    storage: BaseStorage
    study_id: int

    @property
    def study_name(self) -> str:
        return self.storage.get_study_name(self.study_id)

    @property
    def directions(self) -> list:
        return self.storage.get_study_directions(self.study_id)

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.storage.get_all_trials(self.study_id)

    def get_trials(self, states: Any = None, deepcopy: bool = False) -> list[FrozenTrial]:
        parsed = None if states is None else [TrialState.parse(s) for s in states]
        return self.storage.get_all_trials(self.study_id, parsed)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return self.storage.get_study_attrs(self.study_id)

    @property
    def direction(self) -> Any:
        return self.directions[0]


def study_list(storage: BaseStorage) -> list[dict]:
    """Every study with its best value (and metric name) and counts per state."""
    out = []
    for s in storage.list_studies():
        counts = {state.name.lower(): storage.get_n_trials(s.study_id, [state]) for state in TrialState}
        ref = StudyRef(storage, s.study_id)
        names = metric_names(_named(ref, s.name))
        best = "-" if not s.best_values else ", ".join(
            f"{m} = {format_value(v)}" for m, v in zip(names, s.best_values))
        out.append({"study_id": s.study_id, "name": s.name,
                    "directions": [d.name.lower() for d in s.directions], "n_trials": s.n_trials,
                    "counts": counts, "best": best,
                    "started": s.datetime_start.strftime("%Y-%m-%d %H:%M") if s.datetime_start else "-"})
    return out


class _Named:
    def __init__(self, ref: StudyRef, name: str):
        self._ref, self.study_name = ref, name

    def __getattr__(self, item: str) -> Any:
        return getattr(self._ref, item)


def _named(ref: StudyRef, name: str) -> Any:
    return _Named(ref, name)


def open_study(storage: BaseStorage, study_id: int) -> StudyRef:
    """A :class:`StudyRef`, or StudyNotFoundError."""
    storage.get_study_name(study_id)  # raises StudyNotFoundError for an unknown id
    return StudyRef(storage, study_id)


# ------------------------------------------------------------------------------------------ history
def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _short(v: float | None) -> float | None:
    """A value to 7 significant digits: what a plot can show, in fewer JSON bytes."""
    return None if v is None else float(f"{v:.7g}")


def history(ref: StudyRef, trials: Sequence[FrozenTrial], max_points: int = HISTORY_POINTS) -> dict:
    """Complete trials' first objective by trial number, decimated to about ``max_points``.

    Kept always: every trial that improved the best so far, and the latest 200 trials.  ``log`` says
    whether the value axis should start logarithmic (:func:`tunelab.report.log_axis_suits` over every
    complete trial's value, not only the points kept).
    """
    directions = ref.directions
    sign = directions[0].sign()
    done = [t for t in trials if t.state == TrialState.COMPLETE and t.values is not None]
    keep = set()
    best = math.inf
    for i, t in enumerate(done):
        v = sign * t.values[0]
        if v < best:
            best = v
            keep.add(i)
    keep.update(range(max(len(done) - 200, 0), len(done)))
    stride = max(1, math.ceil(len(done) / max(max_points - len(keep), 1)))
    keep.update(range(0, len(done), stride))
    points = [[done[i].number, _short(_num(done[i].values[0]))] for i in sorted(keep)]
    return {"points": points, "n_complete": len(done), "decimated": len(points) < len(done),
            "sign": sign, "metric": metric_names(ref)[0], "log": log_axis_suits([t.values[0] for t in done])}


def history_figure(h: dict, log: bool | None = None) -> dict:
    """A plotly-style figure dict of :func:`history`'s points and the best so far, for the SVG writer."""
    xs = [p[0] for p in h["points"]]
    ys = [p[1] for p in h["points"]]
    bx, by, best = [], [], math.inf
    sign = h["sign"]
    for x, y in zip(xs, ys):
        if y is not None and sign * y < best:
            best = sign * y
        if best != math.inf:
            bx.append(x)
            by.append(sign * best)
    metric = h["metric"]
    log = h["log"] if log is None else log
    return {"data": [{"type": "scatter", "mode": "markers", "x": xs, "y": ys, "name": metric,
                      "marker": {"color": "#636efa", "opacity": 0.6}},
                     {"type": "scatter", "mode": "lines", "x": bx, "y": by, "name": "best " + metric,
                      "line": {"shape": "hv", "color": "#ef553b"}}],
            "layout": {"xaxis": {"title": {"text": "trial"}},
                       "yaxis": {"title": {"text": metric}, "type": "log" if log else "linear"}}}


# ------------------------------------------------------------------------------------------ updates
def _fingerprint(t: FrozenTrial) -> str:
    last = max(t.intermediate_values) if t.intermediate_values else None
    key = (int(t.state), t.values, len(t.params), len(t.intermediate_values), last,
           sorted(t.user_attrs), sorted(t.system_attrs))
    return format(zlib.crc32(repr(key).encode()), "x")


def encode_cursor(watermark: int, prints: dict[int, str]) -> str:
    raw = json.dumps({"w": watermark, "f": prints}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, dict[int, str]]:
    """(watermark, fingerprints); an empty cursor means 'send everything'. Raises ValueError if malformed."""
    if not cursor:
        return 0, {}
    try:
        raw = zlib.decompress(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        data = json.loads(raw)
        watermark = int(data["w"])
        prints = {int(k): str(v) for k, v in dict(data["f"]).items()}
    except Exception as exc:
        raise ValueError(f"cursor: not a cursor this dashboard issued ({type(exc).__name__})") from None
    if watermark < 0:
        raise ValueError("cursor: the watermark must be >= 0")
    return watermark, prints


_UNFINISHED = frozenset({TrialState.RUNNING, TrialState.WAITING})  # a set test is 15x faster than is_finished()


def unfinished_trials(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """The trials still waiting or running (one fast pass: 100,000 trials in a few ms)."""
    return [t for t in trials if t.state in _UNFINISHED]


def trial_row(t: FrozenTrial) -> list:
    """[number, state, values, duration s, last step] — what the live page needs of a trial."""
    values = [_num(v) for v in t.values] if t.values is not None else None
    return [t.number, t.state.name.lower(), values, _num(t.duration_seconds), t.last_step]


def _at(trials: Sequence[FrozenTrial], number: int) -> FrozenTrial | None:
    i = _first_at_least(trials, number)
    return trials[i] if i < len(trials) and trials[i].number == number else None


def cursor_for(trials: Sequence[FrozenTrial], unfinished: Sequence[FrozenTrial] | None = None) -> str:
    """A cursor after ``trials``: the next trial number, and a fingerprint of each trial not finished yet
    (``unfinished``, when the caller knows them, saves a scan of every trial)."""
    if unfinished is None:
        unfinished = unfinished_trials(trials)
    watermark = trials[-1].number + 1 if trials else 0
    return encode_cursor(watermark, {t.number: _fingerprint(t) for t in unfinished})


def updates(ref: StudyRef, cursor: str | None, trials: Sequence[FrozenTrial] | None = None) -> dict:
    """Trials new or changed since ``cursor``, the new cursor, counts per state and the best.

    Without a cursor no trial rows are sent (the page starts from :func:`history` and a table page).
    The work is proportional to the trials that are new or were unfinished at the cursor, plus one
    count over all trials.
    """
    watermark, prints = decode_cursor(cursor)
    trials = list(ref.trials if trials is None else trials)
    if cursor:
        # trials are ordered by number: the new ones sit at the end
        new = trials[_first_at_least(trials, watermark):]
        known = [t for t in (_at(trials, n) for n in sorted(prints)) if t is not None]
        changed = [t for t in known if prints[t.number] != _fingerprint(t)] + new
        unfinished = [t for t in known + new if not t.state.is_finished()]
        next_cursor = cursor_for(trials, unfinished)
    else:
        changed = []
        next_cursor = cursor_for(trials)
    counts = state_counts(trials)
    out: dict[str, Any] = {"cursor": next_cursor, "trials": [trial_row(t) for t in changed],
                           "counts": counts, "n_trials": len(trials)}
    if changed or not cursor:
        ov = overview(_named(ref, ""), trials, analysis=False)
        out.update(best=ov.best_text, best_number=ov.best_number, wall_time=ov.wall_seconds, saved=ov.saved_text)
    return out


def js_number(v: Any, decimals: int | None = None) -> str:
    """A number as the page's script writes it (``TL.fmt``: 6 significant digits, as JavaScript prints a
    number), so the rows drawn on the server and those the script redraws look the same."""
    import numpy as np

    if v is None:
        return ""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    x = round(v, decimals) if decimals is not None else v
    if x.is_integer() and abs(x) < 1e21:
        return str(int(x))
    x = float(f"{x:.6g}")
    if 1e-6 <= abs(x) < 1e21:
        return np.format_float_positional(x, trim="-")
    return np.format_float_scientific(x, trim="-", exp_digits=1)


def js_seconds(s: float | None) -> str:
    """Seconds as the page's script writes them (``TL.seconds``)."""
    if s is None:
        return "-"
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


def status_text(counts: dict[str, int], refresh_seconds: float) -> str:
    """'running (3 trials in progress), refreshing every 2 s' or 'idle, refreshing every 2 s'."""
    running = counts.get("running", 0) + counts.get("waiting", 0)
    every = f"refreshing every {refresh_seconds:g} s"
    if running:
        return f"running ({running} {'trial' if running == 1 else 'trials'} in progress), {every}"
    return f"idle, {every}"


def state_counts(trials: Sequence[FrozenTrial]) -> dict[str, int]:
    """Trials per state, by lower-case name (every state present, zeros included)."""
    from collections import Counter

    by_state = Counter(t.state for t in trials)
    return {s.name.lower(): by_state.get(s, 0) for s in TrialState}


def _first_at_least(trials: Sequence[FrozenTrial], number: int) -> int:
    lo, hi = 0, len(trials)
    while lo < hi:
        mid = (lo + hi) // 2
        if trials[mid].number < number:
            lo = mid + 1
        else:
            hi = mid
    return lo


# ------------------------------------------------------------------------------------------ table
SORT_KEYS = ("number", "state", "value", "duration", "steps")


def table_page(ref: StudyRef, trials: Sequence[FrozenTrial], page: int = 0, size: int = 50,
               sort: str = "number", desc: bool = False, state: str | None = None) -> dict:
    """One page of the trial table, sorted and filtered on the server.

    ``sort`` is one of :data:`SORT_KEYS` or ``param:NAME``; missing values sort last.
    """
    if size < 1 or size > MAX_PAGE_SIZE:
        raise ValueError(f"size: must be an int in [1, {MAX_PAGE_SIZE}]; got {size}")
    if page < 0:
        raise ValueError(f"page: must be >= 0; got {page}")
    if state:
        try:
            wanted = TrialState.parse(state)
        except (ValueError, KeyError):
            raise ValueError(f"state: must be one of {', '.join(s.name.lower() for s in TrialState)}; "
                             f"got {state!r}") from None
        trials = [t for t in trials if t.state == wanted]
    names = metric_names(ref)
    params = sorted({k for t in trials[-2000:] for k in t.params} | {k for t in trials[:200] for k in t.params})
    if sort.startswith("param:"):
        pname = sort[len("param:"):]

        def key(t: FrozenTrial) -> Any:
            v = t.params.get(pname)
            return (v is None, (0, v) if isinstance(v, (int, float)) else (1, str(v)))
    elif sort == "value":
        def key(t: FrozenTrial) -> Any:
            v = t.values[0] if t.values else None
            return (v is None or not math.isfinite(v), v if v is not None and math.isfinite(v) else 0.0)
    elif sort == "duration":
        def key(t: FrozenTrial) -> Any:
            return (t.duration is None, t.duration_seconds or 0.0)
    elif sort == "steps":
        def key(t: FrozenTrial) -> Any:
            return (t.last_step is None, t.last_step or 0)
    elif sort == "state":
        def key(t: FrozenTrial) -> Any:
            return (t.state.name, t.number)
    elif sort == "number":
        def key(t: FrozenTrial) -> Any:
            return t.number
    else:
        raise ValueError(f"sort: must be one of {', '.join(SORT_KEYS)} or 'param:NAME'; got {sort!r}")
    if sort == "number":
        ordered = list(reversed(trials)) if desc else list(trials)
    else:
        ordered = sorted(trials, key=key)
        if desc:  # missing values still last
            present = [t for t in ordered if not (isinstance(key(t), tuple) and key(t)[0] is True)]
            missing = ordered[len(present):]
            ordered = present[::-1] + missing
    chunk = ordered[page * size:(page + 1) * size]
    rows = []
    for t in chunk:
        values = [_num(v) for v in t.values] if t.values is not None else [None] * len(names)
        rows.append({"number": t.number, "state": t.state.name.lower(), "values": values,
                     "duration": _num(t.duration_seconds), "steps": t.last_step,
                     "params": [format_value(t.params[p]) if p in t.params else "" for p in params]})
    return {"columns": {"metrics": names, "params": params}, "rows": rows, "total": len(trials), "page": page,
            "size": size, "pages": max(1, math.ceil(len(trials) / size)), "sort": sort, "desc": desc}


# ------------------------------------------------------------------------------------------ trial
def trial_detail(ref: StudyRef, number: int) -> dict:
    """Everything the trial page shows; KeyError when the study has no such trial."""
    trials = ref.trials
    i = _first_at_least(trials, number)
    if i >= len(trials) or trials[i].number != number:
        raise KeyError(number)
    t = trials[i]
    curve = sorted(t.intermediate_values.items())
    fail = t.system_attrs.get("fail_reason")
    tb = t.system_attrs.get("traceback") or t.system_attrs.get("fail_traceback")
    return {
        "number": t.number, "state": t.state.name.lower(),
        "values": [(m, format_value(v)) for m, v in zip(metric_names(ref), t.values or [])],
        "params": [(k, format_value(v), str(t.distributions.get(k, ""))) for k, v in t.params.items()],
        "user_attrs": [(k, _show(v)) for k, v in sorted(t.user_attrs.items())],
        "system_attrs": [(k, _show(v)) for k, v in sorted(t.system_attrs.items())
                         if k not in ("fail_reason", "traceback", "fail_traceback")],
        "fail_reason": str(fail) if fail else None, "traceback": str(tb) if tb else None,
        "started": _when(t.datetime_start), "completed": _when(t.datetime_complete),
        "duration": format_value(t.duration_seconds) if t.duration is not None else "-",
        "curve": {"steps": [s for s, _ in curve], "values": [_num(v) for _, v in curve]},
    }


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else "-"


def _show(v: Any) -> str:
    text = v if isinstance(v, str) else json.dumps(v, default=str)
    return text if len(text) <= 2000 else text[:2000] + " …"
