"""The dashboard's Flask application: read-only pages and JSON endpoints over one storage.

Pages are Jinja templates (autoescaped: every user string is shown as text);
the scripts are plain files in ``static/`` and plotly.js is served from the
installed plotly package, so there is no JavaScript build step.

The study page is drawn on the server first: the summary (best value with its
metric, counts, compute saved, the keep-going verdict), the first table page and
the figures as SVG images arrive with the page, so it is complete before any
script runs.  plotly.js (4.8 MB) is loaded afterwards and the interactive figures
replace the images.  plotly.js and the scripts are served under versioned URLs
with a year-long ``immutable`` cache lifetime (and plotly.js gzipped), so a second
visit fetches neither.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
from typing import Any

from flask import Flask, Response, abort, jsonify, render_template, request

from tunelab.dashboard import data as D
from tunelab.dashboard.cache import Slow, Snapshots, snapshot_key, version_of
from tunelab.dashboard.data import unfinished_trials
from tunelab.storage import BaseStorage, StudyNotFoundError, get_storage

#: Figures the study page offers (drawn by tunelab.visualization): the first ones shown at once as images
#: (see :func:`open_figures`), the others drawn when opened.
STUDY_FIGURES = ("param_importances", "parallel_coordinate", "slice", "intermediate_values", "pruning_ledger",
                 "terminator_improvement", "pareto_front")
#: A year: the lifetime of responses whose URL changes with their content.
YEAR = 365 * 24 * 3600


def open_figures(n_objectives: int) -> tuple[str, ...]:
    """The figures the study page shows at once (besides the history): importances; the front first for
    several objectives."""
    return ("param_importances",) if n_objectives == 1 else ("pareto_front", "param_importances")


class DashboardState:
    """What the app computes per study and keeps: quick values per snapshot, slow ones per version."""

    def __init__(self, store: BaseStorage, slow_refresh: float | None = None):
        self.store = store
        self.snapshots = Snapshots()
        self.slow = Slow(slow_refresh)
        self._studies: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._plotly: dict[str, Any] = {}
        self._plotly_lock = threading.Lock()

    def full_study(self, study_id: int) -> Any:
        """A tunelab Study (for the figures and the verdict), made once per study."""
        from tunelab.study import Study

        with self._lock:
            if study_id not in self._studies:
                self._studies[study_id] = Study(self.store.get_study_name(study_id), self.store, sampler="random")
            return self._studies[study_id]

    # quick values, per snapshot of the trials
    def summary(self, ref: D.StudyRef, trials: list, snap: tuple) -> dict:
        return self.snapshots.get((ref.study_id, "summary"), snap, lambda: D.updates(ref, None, trials))

    def history(self, ref: D.StudyRef, trials: list, snap: tuple) -> dict:
        return self.snapshots.get((ref.study_id, "history"), snap, lambda: D.history(ref, trials))

    def history_svg(self, ref: D.StudyRef, trials: list, snap: tuple, log: bool | None) -> str:
        from tunelab._figure_svg import figure_to_svg

        h = self.history(ref, trials, snap)
        log = h["log"] if log is None else log
        return self.snapshots.get((ref.study_id, "history.svg", log), snap,
                                  lambda: figure_to_svg(D.history_figure(h, log), width=1200, height=330))

    # slow values, per version (finished trials), refreshed in the background
    def keep_going(self, study_id: int, version: tuple, wait: bool = True) -> dict[str, Any] | None:
        """The verdict as {"verdict", "stale", "as_of", "finished"}: ``as_of`` the finished-trial count it was
        computed at, ``finished`` the count now, ``stale`` when they differ (it is being recomputed).  With
        ``wait=False`` None unless one was computed before."""
        from tunelab.report import keep_going_text

        key = (study_id, "keep_going")
        if not wait and self.slow.peek(key) is None:
            return None
        at, text = self.slow.get(key, version, lambda: keep_going_text(self.full_study(study_id)))
        return {"verdict": text or "no estimate (tunelab.analysis is not installed)",
                "stale": tuple(at) != tuple(version), "as_of": at[1], "finished": version[1]}

    def figure(self, study_id: int, name: str, version: tuple) -> tuple[tuple, Any]:
        """(version, :class:`tunelab.report.Figure`) with its SVG when the writer can draw it."""
        from tunelab.report import SVG_FIGURES, build_figures

        def draw() -> Any:
            svg = (name,) if name in SVG_FIGURES or name in ("param_importances", "pareto_front") else ()
            figs = build_figures(self.full_study(study_id), [name], svg=svg)
            if figs:
                return figs[0]
            from tunelab.report import Figure

            return Figure(name, None, note="not available (tunelab.visualization is not installed)")
        return self.slow.get((study_id, "figure", name), version, draw)

    def warm(self, study_id: int) -> None:
        """Read a study's trials and compute what its page shows first (the verdict and the open figures)."""
        ref = D.open_study(self.store, study_id)
        trials = ref.trials
        snap = snapshot_key(trials)
        self.summary(ref, trials, snap)
        self.history_svg(ref, trials, snap, None)
        version = version_of(trials)
        self.keep_going(study_id, version)
        for name in open_figures(len(ref.directions)):
            self.figure(study_id, name, version)

    # plotly.js, read and gzipped once
    def plotly_js(self) -> dict[str, Any]:
        with self._plotly_lock:
            if not self._plotly:
                import plotly

                path = os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")
                with open(path, "rb") as fh:
                    raw = fh.read()
                self._plotly.update(raw=raw, gz=gzip.compress(raw, 6), etag=hashlib.sha1(raw).hexdigest()[:20],
                                    version=plotly.__version__)
            return self._plotly


def plotly_version() -> str:
    import plotly

    return str(plotly.__version__)


def create_app(storage: Any, *, refresh_seconds: float = 2.0, slow_refresh_seconds: float | None = None) -> Flask:
    """A Flask app showing ``storage`` (a URL or a storage object), read-only.

    ``slow_refresh_seconds``: how often a running study's verdict and figures may be recomputed in the
    background (None: ten times as long as the last computation took, at least a second).
    """
    store: BaseStorage = get_storage(storage)
    shown_url = D.mask_url(storage if isinstance(storage, str) else getattr(store, "url", type(store).__name__))
    app = Flask(__name__, static_folder="static", template_folder="templates")
    state = DashboardState(store, slow_refresh_seconds)
    app.config["TUNELAB_STORAGE"] = store
    app.config["TUNELAB_STATE"] = state
    static_hashes: dict[str, str] = {}
    app.add_template_filter(D.js_number, "num")
    app.add_template_filter(D.js_seconds, "seconds")

    def static_hash(filename: str) -> str:
        if filename not in static_hashes:
            with open(os.path.join(app.static_folder or "", filename), "rb") as fh:
                static_hashes[filename] = hashlib.sha1(fh.read()).hexdigest()[:10]
        return static_hashes[filename]

    @app.url_defaults
    def _versioned_static(endpoint: str, values: dict) -> None:
        # a script's URL changes with its content, so browsers may keep it for a year
        if endpoint == "static" and "filename" in values and "v" not in values:
            values["v"] = static_hash(values["filename"])

    app.get_send_file_max_age = lambda filename: YEAR if request.args.get("v") else None  # type: ignore[method-assign]

    def ref(study_id: int) -> D.StudyRef:
        try:
            return D.open_study(store, study_id)
        except (StudyNotFoundError, KeyError):
            abort(404, description=f"no study with id {study_id}")

    @app.context_processor
    def _common() -> dict:
        return {"storage_url": shown_url, "refresh_ms": int(refresh_seconds * 1000),
                "plotly_url": f"/vendor/plotly-{plotly_version()}.min.js"}

    @app.after_request
    def _headers(resp: Response) -> Response:
        # scripts only from this server; plotly needs inline styles and eval-free code
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self' data:; object-src 'none'; base-uri 'none'")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.endpoint == "static" and request.args.get("v"):
            resp.cache_control.immutable = True
        return resp

    @app.get("/")
    def index() -> str:
        return render_template("index.html", studies=D.study_list(store))

    @app.get("/study/<int:study_id>")
    def study_page(study_id: int) -> str:
        r = ref(study_id)
        directions = [d.name.lower() for d in r.directions]
        trials = r.trials
        unfinished = unfinished_trials(trials)
        snap = snapshot_key(trials, unfinished)
        summary = state.summary(r, trials, snap)
        version = version_of(trials, unfinished)
        shown = open_figures(len(directions))
        others = [f for f in STUDY_FIGURES if f not in shown and (len(directions) > 1 or f != "pareto_front")]
        hist = state.history(r, trials, snap) if len(directions) == 1 else None
        table = D.table_page(r, trials, page=0, size=50, sort="number", desc=True)
        return render_template(
            "study.html", study_id=study_id, name=r.study_name, directions=directions, metrics=D.metric_names(r),
            summary=summary, status=D.status_text(summary["counts"], refresh_seconds),
            keep_going=state.keep_going(study_id, version, wait=False), history=hist, table=table,
            shown_figures=shown, figures=others, svg_version=_etag_part(snap),
            fig_version="-".join(map(str, version)))

    @app.get("/study/<int:study_id>/history.svg")
    def history_svg(study_id: int) -> Response:
        r = ref(study_id)
        if len(r.directions) != 1:
            abort(404, description="several objectives: no history figure")
        log_arg = request.args.get("log", "auto")
        if log_arg not in ("auto", "0", "1"):
            abort(400, description=f"log: must be auto, 0 or 1; got {log_arg!r}")
        trials = r.trials
        snap = snapshot_key(trials)
        log = None if log_arg == "auto" else log_arg == "1"
        resp = Response(state.history_svg(r, trials, snap, log), mimetype="image/svg+xml")
        resp.set_etag(f"h{study_id}-{_etag_part(snap)}-{log_arg}")
        resp.cache_control.no_cache = True  # the study changes: ask each time, an unchanged one answers 304
        return resp.make_conditional(request)

    @app.get("/study/<int:study_id>/figure/<name>.svg")
    def figure_svg(study_id: int, name: str) -> Response:
        from tunelab._figure_svg import note_svg

        if name not in STUDY_FIGURES:
            abort(404, description=f"figure: must be one of {', '.join(STUDY_FIGURES)}; got {name!r}")
        r = ref(study_id)
        version = version_of(r.trials)
        try:
            at, fig = state.figure(study_id, name, version)
        except Exception as exc:  # reported in the picture, as the report does
            at, fig, svg = version, None, note_svg(f"{name.replace('_', ' ')} not drawn: {exc}")
        else:
            svg = fig.svg or note_svg(f"{name.replace('_', ' ')}: " + (
                f"not drawn: {fig.note}" if fig.data is None else "interactive only (needs scripts)"))
        resp = Response(svg, mimetype="image/svg+xml")
        resp.set_etag(f"f{study_id}-{name}-{'-'.join(map(str, at))}")
        resp.cache_control.no_cache = True
        return resp.make_conditional(request)

    @app.get("/study/<int:study_id>/trial/<int:number>")
    def trial_page(study_id: int, number: int) -> str:
        r = ref(study_id)
        try:
            detail = D.trial_detail(r, number)
        except KeyError:
            abort(404, description=f"study {study_id} has no trial #{number}")
        return render_template("trial.html", study_id=study_id, name=r.study_name, trial=detail)

    @app.get("/api/studies")
    def api_studies() -> Response:
        return jsonify(D.study_list(store))

    @app.get("/api/study/<int:study_id>/init")
    def api_init(study_id: int) -> Response:
        r = ref(study_id)
        trials = r.trials
        snap = snapshot_key(trials)
        out = dict(state.summary(r, trials, snap))  # no trial rows: the page starts from the decimated history
        if len(r.directions) == 1:
            out["history"] = state.history(r, trials, snap)
        return jsonify(out)

    @app.get("/api/study/<int:study_id>/keep_going")
    def api_keep_going(study_id: int) -> Response:
        r = ref(study_id)
        return jsonify(state.keep_going(study_id, version_of(r.trials)))

    @app.get("/api/study/<int:study_id>/updates")
    def api_updates(study_id: int) -> Response:
        r = ref(study_id)
        try:
            return jsonify(D.updates(r, request.args.get("cursor", "")))
        except ValueError as exc:
            return jsonify({"error": str(exc)}), 400

    @app.get("/api/study/<int:study_id>/trials")
    def api_trials(study_id: int) -> Response:
        r = ref(study_id)
        args = request.args
        try:
            page = int(args.get("page", 0))
            size = int(args.get("size", 50))
            desc = args.get("desc", "0") in ("1", "true")
            return jsonify(D.table_page(r, r.trials, page=page, size=size, sort=args.get("sort", "number"),
                                        desc=desc, state=args.get("state") or None))
        except ValueError as exc:
            return jsonify({"error": str(exc)}), 400

    @app.get("/api/study/<int:study_id>/figure/<name>")
    def api_figure(study_id: int, name: str) -> Response:
        if name not in STUDY_FIGURES:
            return jsonify({"error": f"figure: must be one of {', '.join(STUDY_FIGURES)}; got {name!r}"}), 400
        r = ref(study_id)
        try:
            _, fig = state.figure(study_id, name, version_of(r.trials))
        except Exception as exc:
            return jsonify({"note": str(exc) or type(exc).__name__})
        if fig.data is None:
            return jsonify({"note": fig.note})
        return Response(D.json.dumps({"figure": fig.data}, allow_nan=False, default=str),
                        mimetype="application/json")

    def serve_plotly(immutable: bool) -> Response:
        js = state.plotly_js()
        gz = "gzip" in request.headers.get("Accept-Encoding", "")
        resp = Response(js["gz"] if gz else js["raw"], mimetype="text/javascript")
        if gz:
            resp.headers["Content-Encoding"] = "gzip"
        resp.headers["Vary"] = "Accept-Encoding"
        resp.set_etag(js["etag"] + ("-gz" if gz else ""))
        resp.cache_control.public = True
        resp.cache_control.max_age = YEAR if immutable else 86400
        if immutable:
            resp.cache_control.immutable = True
        return resp.make_conditional(request)

    @app.get("/vendor/plotly-<version>.min.js")
    def plotly_versioned(version: str) -> Response:
        if version != plotly_version():
            abort(404, description=f"this server has plotly.js {plotly_version()}")
        return serve_plotly(immutable=True)

    @app.get("/vendor/plotly.min.js")
    def plotly_js() -> Response:
        return serve_plotly(immutable=False)

    @app.errorhandler(404)
    def _not_found(err: Any) -> tuple:
        return render_template("error.html", message=getattr(err, "description", "not found")), 404

    return app


def _etag_part(snap: tuple) -> str:
    return hashlib.sha1(repr(snap).encode()).hexdigest()[:16]
