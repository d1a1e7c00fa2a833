"""The dashboard's Flask application: read-only pages and JSON endpoints over one storage.

Pages are Jinja templates (autoescaped: every user string is shown as text);
the scripts are plain files in ``static/`` and plotly.js is served from the
installed plotly package, so there is no JavaScript build step.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from flask import Flask, Response, abort, jsonify, render_template, request, send_file

from tunelab.dashboard import data as D
from tunelab.storage import BaseStorage, StudyNotFoundError, get_storage

#: Figures the study page offers (loaded when opened; drawn by tunelab.visualization).
STUDY_FIGURES = ("param_importances", "parallel_coordinate", "slice", "intermediate_values", "pruning_ledger",
                 "terminator_improvement", "pareto_front")


def create_app(storage: Any, *, refresh_seconds: float = 2.0) -> Flask:
    """A Flask app showing ``storage`` (a URL or a storage object), read-only."""
    store: BaseStorage = get_storage(storage)
    shown_url = D.mask_url(storage if isinstance(storage, str) else getattr(store, "url", type(store).__name__))
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config["TUNELAB_STORAGE"] = store
    studies: dict[int, Any] = {}
    lock = threading.Lock()

    def ref(study_id: int) -> D.StudyRef:
        try:
            return D.open_study(store, study_id)
        except (StudyNotFoundError, KeyError):
            abort(404, description=f"no study with id {study_id}")

    def full_study(study_id: int) -> Any:
        """A tunelab Study (for the figures), made once per study."""
        from tunelab.study import Study

        with lock:
            if study_id not in studies:
                studies[study_id] = Study(store.get_study_name(study_id), store, sampler="random")
            return studies[study_id]

    @app.context_processor
    def _common() -> dict:
        return {"storage_url": shown_url, "refresh_ms": int(refresh_seconds * 1000)}

    @app.after_request
    def _headers(resp: Response) -> Response:
        # scripts only from this server; plotly needs inline styles and eval-free code
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "img-src 'self' data:; object-src 'none'; base-uri 'none'")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        return resp

    @app.get("/")
    def index() -> str:
        return render_template("index.html", studies=D.study_list(store))

    @app.get("/study/<int:study_id>")
    def study_page(study_id: int) -> str:
        r = ref(study_id)
        directions = [d.name.lower() for d in r.directions]
        figures = [f for f in STUDY_FIGURES if len(directions) > 1 or f != "pareto_front"]
        return render_template("study.html", study_id=study_id, name=r.study_name, directions=directions,
                               metrics=D.metric_names(r), figures=figures)

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
        out = D.updates(r, None, trials)  # no trial rows: the page starts from the decimated history
        if len(r.directions) == 1:
            out["history"] = D.history(r, trials)
        return jsonify(out)

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
        ref(study_id)
        from tunelab.report import build_figures

        figs = build_figures(full_study(study_id), [name], svg=())
        if not figs or figs[0].data is None:
            note = figs[0].note if figs else "not available (tunelab.visualization is not installed)"
            return jsonify({"note": note})
        return Response(D.json.dumps({"figure": figs[0].data}, allow_nan=False, default=str),
                        mimetype="application/json")

    @app.get("/vendor/plotly.min.js")
    def plotly_js() -> Response:
        import plotly

        path = os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")
        return send_file(path, mimetype="text/javascript", max_age=86400)

    @app.errorhandler(404)
    def _not_found(err: Any) -> tuple:
        return render_template("error.html", message=getattr(err, "description", "not found")), 404

    return app
