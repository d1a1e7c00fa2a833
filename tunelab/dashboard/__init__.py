"""A live, read-only web page over any tunelab storage (needs ``pip install 'tunelab[dashboard]'``).

    tunelab dashboard --storage sqlite:///tunelab.db          # http://127.0.0.1:8080

Pages: the list of studies (best value, counts per state); a study page whose
summary, history and table refresh while the study runs (only new or changed
trials travel, see :mod:`tunelab.dashboard.data`); a trial page with the learning
curve, parameters, attributes and failure reason.  It never writes to the storage.
"""

from __future__ import annotations

import ipaddress
import threading
from typing import Any

__all__ = ["create_app", "is_loopback", "preload", "run_dashboard"]


def create_app(storage: Any, *, refresh_seconds: float = 2.0) -> Any:
    """The dashboard's Flask application over ``storage`` (a URL or a storage object)."""
    from tunelab.dashboard.app import create_app as _create

    return _create(storage, refresh_seconds=refresh_seconds)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1 and localhost: addresses only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


#: How many studies (the most recent) get their verdict and first figures computed at start.
PRELOAD_FIGURES_FOR = 10


def preload(app: Any) -> threading.Thread:
    """Prepare what the first visitor would otherwise wait for, in a background thread.

    Every study's trials are read once (a database storage keeps finished trials in memory afterwards and
    reads only new ones on each refresh: loading 100,000 trials from SQLite takes seconds, later reads
    milliseconds); for the most recent studies the summary, history, keep-going verdict and the figures
    the study page shows at once are computed too, and plotly.js is read and gzipped.
    """
    state = app.config["TUNELAB_STATE"]

    def run() -> None:
        try:
            studies = sorted(state.store.list_studies(), key=lambda s: s.study_id, reverse=True)
            for s in studies:
                state.store.get_all_trials(s.study_id)
            for s in studies[:PRELOAD_FIGURES_FOR]:
                state.warm(s.study_id)
            state.plotly_js()
        except Exception:  # the pages report storage errors themselves
            pass

    thread = threading.Thread(target=run, name="tunelab-dashboard-preload", daemon=True)
    thread.start()
    return thread


def run_dashboard(storage: Any, host: str = "127.0.0.1", port: int = 8080, refresh_seconds: float = 2.0) -> None:
    """Serve the dashboard until interrupted.

    Werkzeug's threaded server: enough for the few people who read one study's progress; the page
    polls every ``refresh_seconds``, so the per-request log is kept quiet.
    """
    import logging

    from werkzeug.serving import make_server

    app = create_app(storage, refresh_seconds=refresh_seconds)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(host, port, app, threaded=True)
    preload(app)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
