"""A live, read-only web page over any tunelab storage (needs ``pip install 'tunelab[dashboard]'``).

    tunelab dashboard --storage sqlite:///tunelab.db          # http://127.0.0.1:8080

Pages: the list of studies (best value, counts per state); a study page whose
summary, history and table refresh while the study runs (only new or changed
trials travel, see :mod:`tunelab.dashboard.data`); a trial page with the learning
curve, parameters, attributes and failure reason.  It never writes to the storage.
"""

from __future__ import annotations

import ipaddress
from typing import Any

__all__ = ["create_app", "run_dashboard"]


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


def run_dashboard(storage: Any, host: str = "127.0.0.1", port: int = 8080, refresh_seconds: float = 2.0) -> None:
    """Serve the dashboard until interrupted (Werkzeug's threaded server: fine for a few readers)."""
    from werkzeug.serving import run_simple

    run_simple(host, port, create_app(storage, refresh_seconds=refresh_seconds), threaded=True,
               use_reloader=False, use_debugger=False)
