"""Report and dashboard at scale: report size and build time at 10,000 trials; the dashboard's first full render
of a 100,000-trial SQLite study in headless Chromium; the bytes each refresh carries while trials keep arriving.

    python benchmarks/dashboard.py --render-only     # the dashboard render table alone (what the target is about)
    python benchmarks/dashboard.py [--report-trials 10000] [--dashboard-trials 100000] [--no-browser] [--optuna]

First full render, as measured here: the time from the start of the navigation (the page's performance time
origin) to the mark ``tunelab:first-full-render`` that the study page sets once (a) the summary is filled
(best value with its metric name, counts by state, wall time, compute saved, the keep-going verdict: all drawn
by the server, the verdict fetched by the script only when the server had none yet), (b) the first table page
is there (50 rows, drawn by the server), (c) every figure region shown at once (the optimization history and
the importances, SVG images drawn by the server) has loaded, and (d) the browser has painted a frame after that.
``tunelab:interactive`` follows once plotly.js has loaded and the interactive figures replaced the images.
The Python-side wall time from ``goto`` to the page's data-ready attribute is printed next to it.

Three visits, each over a server in its own process and a fresh browser context (empty HTTP cache) unless
said otherwise:
- cold server: started just before the visit, nothing read or computed yet (the first request reads the
  100,000 trials from SQLite and computes the verdict and importances);
- first visit: a server started as ``tunelab dashboard`` starts it, after its background preload finished;
- second visit: the same server and browser context again (plotly.js and scripts come from the browser cache).

Studies are written straight into a SQLite file with SQLAlchemy (the API would take minutes per 100,000
trials); each trial has 8 parameters, a value, a start and end time, and a third of them 10 intermediate values
(half of those pruned).  ``--db PATH`` keeps the 100,000-trial file between runs.  Results go to stdout as
Markdown tables for docs/benchmarks.md, with the load average sampled while they ran.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import tunelab
from tunelab.storage import sql_schema as S
from tunelab.trial import TrialState

N_PARAMS = 8


def make_study(url: str, name: str, n: int, seed: int = 0) -> None:
    """A finished study of ``n`` trials, written in bulk."""
    study = tunelab.create_study(name=name, storage=url, direction="minimize", sampler="random", seed=seed)
    # one real trial gives the distribution JSON for every parameter
    trial = study.ask()
    for i in range(N_PARAMS):
        if i % 4 == 3:
            trial.suggest_categorical(f"p{i}", ["relu", "gelu", "tanh"])
        else:
            trial.suggest_float(f"p{i}", 1e-4, 1.0, log=i % 2 == 0)
    study.tell(trial, 1.0)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        dist = {r.param_name: r.distribution_json for r in conn.execute(sa.select(S.trial_params))}
        study_id = conn.execute(sa.select(S.studies.c.study_id).where(S.studies.c.name == name)).scalar_one()
        first_id = conn.execute(sa.select(sa.func.max(S.trials.c.trial_id))).scalar_one() + 1
        rng = random.Random(seed)
        t0 = datetime(2026, 1, 1)
        trials, params, inter = [], [], []
        for k in range(1, n):
            tid = first_id + k - 1
            values = [rng.random() for _ in range(N_PARAMS)]
            value = sum((v - 0.3) ** 2 for v in values) + rng.gauss(0, 0.01)
            with_curve = k % 3 == 0
            pruned = with_curve and k % 6 == 0
            state = TrialState.PRUNED if pruned else TrialState.COMPLETE
            start = t0 + timedelta(seconds=k)
            trials.append({"trial_id": tid, "study_id": study_id, "number": k, "state": int(state),
                           "values_json": None if pruned else json.dumps([value]), "datetime_start": start,
                           "datetime_complete": start + timedelta(seconds=0.8)})
            for i, v in enumerate(values):
                pv = ["relu", "gelu", "tanh"][int(v * 3)] if i % 4 == 3 else max(v, 1e-4)
                params.append({"trial_id": tid, "param_name": f"p{i}", "distribution_json": dist[f"p{i}"],
                               "value_json": json.dumps(pv)})
            if with_curve:
                for step in range(3 if pruned else 10):
                    inter.append({"trial_id": tid, "step": step, "value_json": json.dumps(value + 1 / (step + 1))})
        conn.execute(sa.insert(S.trials), trials)
        conn.execute(sa.insert(S.trial_params), params)
        conn.execute(sa.insert(S.trial_intermediate), inter)
        conn.execute(sa.update(S.studies).where(S.studies.c.study_id == study_id).values(next_number=n))
    engine.dispose()


def bench_report(tmp: Path, n: int) -> dict:
    from tunelab.report import write_report

    url = f"sqlite:///{tmp / 'report.db'}"
    make_study(url, "report", n)
    load_start = time.perf_counter()  # load_study reads lazily: the build below reads the trials
    fresh = tunelab.load_study("report", url, sampler="random")
    load = time.perf_counter() - load_start
    t, c = time.perf_counter(), time.process_time()
    path = write_report([fresh], tmp / "report.html")
    build, build_cpu = time.perf_counter() - t, time.process_time() - c
    size = path.stat().st_size
    import plotly.offline

    return {"trials": n, "load_s": load, "build_s": build, "build_cpu_s": build_cpu, "size_mb": size / 1e6,
            "plotlyjs_mb": len(plotly.offline.get_plotlyjs()) / 1e6}


def bench_optuna_figures(tmp: Path) -> dict:
    """Optuna's figures for the same trials (its closest thing to a report: figures written to one HTML file
    with plotly.js once), timed in the same run; Optuna's default importance evaluator is fANOVA."""
    import optuna
    import optuna.visualization as ov
    import plotly.io

    from tunelab.trial import TrialState as TS

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    src = tunelab.load_study("report", f"sqlite:///{tmp / 'report.db'}", sampler="random")
    study = optuna.create_study(direction="minimize")
    dists = {}
    for name, d in src.trials[0].distributions.items():
        if hasattr(d, "choices"):
            dists[name] = optuna.distributions.CategoricalDistribution(list(d.choices))
        else:
            dists[name] = optuna.distributions.FloatDistribution(d.low, d.high, log=d.log)
    frozen = []
    for t in src.trials:
        state = {TS.COMPLETE: optuna.trial.TrialState.COMPLETE, TS.PRUNED: optuna.trial.TrialState.PRUNED}[t.state]
        frozen.append(optuna.trial.create_trial(
            params=t.params, distributions=dists, state=state, intermediate_values=t.intermediate_values,
            value=t.values[0] if t.values and state == optuna.trial.TrialState.COMPLETE else None))
    study.add_trials(frozen)
    figs = {}
    t, c = time.perf_counter(), time.process_time()
    for name in ("plot_optimization_history", "plot_param_importances", "plot_parallel_coordinate", "plot_slice",
                 "plot_intermediate_values"):
        figs[name] = getattr(ov, name)(study)
    build, build_cpu = time.perf_counter() - t, time.process_time() - c
    html = "".join(plotly.io.to_html(f, include_plotlyjs=(i == 0), full_html=False) for i, f in enumerate(figs.values()))
    return {"build_s": build, "build_cpu_s": build_cpu, "size_mb": len(html.encode()) / 1e6}


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def serve(url: str, preload: bool) -> None:
    """Run a dashboard server in this process (the benchmark starts it with --serve); prints its port, then
    'preloaded SECONDS' once the background preload finished."""
    from werkzeug.serving import make_server

    from tunelab.dashboard import create_app
    from tunelab.dashboard import preload as start_preload

    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # as `tunelab dashboard`: no line per request
    app = create_app(url, refresh_seconds=2.0)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"port {server.server_port}", flush=True)
    if preload:
        t = time.perf_counter()
        thread = start_preload(app)

        def report() -> None:
            thread.join()
            print(f"preloaded {time.perf_counter() - t:.2f}", flush=True)
        threading.Thread(target=report, daemon=True).start()
    server.serve_forever()


class Server:
    """A dashboard server in a child process, so 'cold' means a fresh process with nothing cached."""

    def __init__(self, url: str, preload: bool):
        cmd = [sys.executable, os.path.abspath(__file__), "--serve", url] + (["--preload"] if preload else [])
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=dict(os.environ))
        line = self.proc.stdout.readline()
        if not line.startswith("port "):
            raise RuntimeError(f"the dashboard server did not start: {line!r}")
        self.base = f"http://127.0.0.1:{int(line.split()[1])}"
        self.preload_s: float | None = None
        if preload:
            line = self.proc.stdout.readline()
            self.preload_s = float(line.split()[1])

    def cpu_seconds(self) -> float | None:
        """User + system CPU seconds of the server process so far (Linux /proc; None elsewhere)."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


_MARKS = """() => {
  const mark = n => { const e = performance.getEntriesByName(n)[0]; return e ? e.startTime : null; };
  const nav = performance.getEntriesByType("navigation")[0];
  const res = performance.getEntriesByType("resource");
  const plotly = res.filter(r => r.name.includes("/vendor/plotly"));
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  return {first: mark("tunelab:first-full-render"), interactive: mark("tunelab:interactive"),
          html_ms: nav.responseEnd, fcp: paint ? paint.startTime : null,
          bytes: nav.transferSize + res.reduce((a, r) => a + r.transferSize, 0),
          plotly_bytes: plotly.reduce((a, r) => a + r.transferSize, 0),
          history_points: (document.getElementById("history").data || [{x: []}])[0].x.length,
          plotly_at_first_render: document.body.getAttribute("data-plotly-at-first-render"),
          rows: document.querySelectorAll("#trials tbody tr").length,
          verdict: document.getElementById("keep-going").textContent};
}"""


def _visit(context: Any, server: Server, study_id: int) -> dict:
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    cpu = server.cpu_seconds()
    t = time.perf_counter()
    page.goto(f"{server.base}/study/{study_id}", wait_until="commit", timeout=600_000)
    page.wait_for_selector("body[data-ready='1']", state="attached", timeout=600_000)
    ready = time.perf_counter() - t
    page.wait_for_selector("body[data-interactive='1']", state="attached", timeout=600_000)
    interactive = time.perf_counter() - t
    after = server.cpu_seconds()
    out = page.evaluate(_MARKS)
    out.update(wall_ready_s=ready, wall_interactive_s=interactive, errors=errors,
               server_cpu_s=None if cpu is None or after is None else after - cpu)
    page.close()
    return out


def bench_render(url: str, study_id: int = 1) -> dict:
    """The study page's first full render in headless Chromium: cold server, first and second visit."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise SystemExit("needs chromium (apt-get install chromium)")
    out: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        cold = Server(url, preload=False)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            out["cold"] = _visit(ctx, cold, study_id)
            ctx.close()
        finally:
            cold.close()
        warm = Server(url, preload=True)
        try:
            out["preload_s"] = warm.preload_s
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            out["first"] = _visit(ctx, warm, study_id)
            out["second"] = _visit(ctx, warm, study_id)
            ctx.close()
        finally:
            warm.close()
        browser.close()
    return out


def render_table(r: dict, n: int) -> str:
    """The render measurements as Markdown."""
    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v / 1000:.2f} s"

    lines = [f"| {n:,}-trial study, headless Chromium | first full render (navigation start to mark) | "
             "goto to data-ready (Python wall) | interactive (plotly figures in) | HTML received | server CPU | "
             "bytes over the wire (plotly.js of them) | console errors |",
             "|---|---|---|---|---|---|---|---|"]
    labels = {"cold": "cold server (fresh process, nothing read yet), empty browser cache",
              "first": "first visit (server preloaded, as `tunelab dashboard` does), empty browser cache",
              "second": "second visit (same server and browser)"}
    for key, label in labels.items():
        v = r[key]
        cpu = "-" if v["server_cpu_s"] is None else f"{v['server_cpu_s']:.2f} s"
        lines.append(f"| {label} | **{ms(v['first'])}** | {v['wall_ready_s']:.2f} s | {ms(v['interactive'])} | "
                     f"{ms(v['html_ms'])} | {cpu} | {v['bytes'] / 1e6:.2f} MB ({v['plotly_bytes'] / 1e6:.2f} MB) | "
                     f"{len(v['errors'])} |")
    first = r["first"]
    lines.append("")
    lines.append(f"Server preload before the first visit: {r['preload_s']:.1f} s wall. History points sent: "
                 f"{first['history_points']:,}; table rows drawn: {first['rows']}; plotly.js loaded before the "
                 f"first full render: {'yes' if first['plotly_at_first_render'] == '1' else 'no'}; "
                 f"verdict: {first['verdict'][:80]!r}.")
    return "\n".join(lines)


def ensure_study(db: Path, n: int, name: str = "big") -> str:
    """The SQLite URL of a finished ``n``-trial study in ``db``, made unless the file already holds it."""
    url = f"sqlite:///{db}"
    if db.exists():
        try:
            s = tunelab.load_study(name, url, sampler="random")
            if s.storage.get_n_trials(s.study_id) == n:
                return url
        except Exception:
            pass
        db.unlink()
    t = time.perf_counter()
    make_study(url, name, n)
    print(f"# wrote the {n:,}-trial study in {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
    return url


def bench_dashboard(url: str, n: int) -> dict:
    """Server-side costs in this process (Flask's test client): the study page with what its first render
    loads (history and importance images, the verdict), cold then warm; the table sorted by value; the bytes
    each refresh carries while a writer adds trials (the study in ``url`` grows: pass a copy)."""
    from tunelab.dashboard import create_app

    out: dict = {"trials": n}
    app = create_app(url, refresh_seconds=1.0)
    client = app.test_client()
    sid = _study_id(url)
    timings = {}
    for label in ("cold", "warm"):
        t, c = time.perf_counter(), time.process_time()
        page = client.get(f"/study/{sid}")
        parts = [client.get(f"/study/{sid}/history.svg?log=auto"),
                 client.get(f"/study/{sid}/figure/param_importances.svg"),
                 client.get(f"/api/study/{sid}/keep_going")]
        timings[label] = time.perf_counter() - t
        out[f"server_{label}_cpu_s"] = time.process_time() - c
        assert page.status_code == 200 and all(r.status_code == 200 for r in parts), [r.status_code for r in parts]
        out[f"page_kb_{label}"] = (len(page.data) + sum(len(r.data) for r in parts[:2])) / 1e3
        init = client.get(f"/api/study/{sid}/init")
        out[f"init_kb_{label}"] = len(init.data) / 1e3
    out["server_cold_s"], out["server_warm_s"] = timings["cold"], timings["warm"]
    t = time.perf_counter()
    sorted_page = client.get(f"/api/study/{sid}/trials?page=10&size=50&sort=value")
    out["sort_by_value_s"] = time.perf_counter() - t
    assert sorted_page.status_code == 200

    # bytes per refresh while trials arrive: a writer adds ~10 trials/s, the page polls once a second
    stop, writing = threading.Event(), threading.Event()
    name = tunelab.storage.get_storage(url).get_study_name(sid)

    def writer() -> None:
        study = tunelab.load_study(name, url, sampler="random")  # reads the 100,000 trials first
        while not stop.is_set():
            trial = study.ask()
            x = trial.suggest_float("p0", 1e-4, 1.0, log=True)
            for step in range(3):
                trial.report(x + step, step)
            study.tell(trial, x)
            writing.set()
            time.sleep(0.1)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    if not writing.wait(timeout=900):
        raise RuntimeError("the writer thread added no trial")
    cursor = client.get(f"/api/study/{sid}/init").get_json()["cursor"]
    sizes, update_sizes, counts = [], [], []
    for _ in range(10):
        time.sleep(1.0)
        r = client.get(f"/api/study/{sid}/updates?cursor={cursor}")
        body = r.get_json()
        cursor = body["cursor"]
        update_sizes.append(len(r.data))
        counts.append(len(body["trials"]))
        page = client.get(f"/api/study/{sid}/trials?page=0&size=50&sort=number&desc=1")  # the table reloads too
        sizes.append(len(r.data) + len(page.data))
    stop.set()
    thread.join()
    idle = client.get(f"/api/study/{sid}/updates?cursor={client.get(f'/api/study/{sid}/init').get_json()['cursor']}")
    from tunelab.dashboard.data import trial_row
    from tunelab.storage import get_storage

    every = get_storage(url).get_all_trials(sid)
    out["full_resend_mb"] = len(json.dumps([trial_row(t) for t in every], default=str)) / 1e6
    out["update_bytes_mean"] = statistics.mean(update_sizes)
    out["refresh_bytes_mean"] = statistics.mean(sizes)
    out["refresh_trials_mean"] = statistics.mean(counts)
    out["idle_refresh_bytes"] = len(idle.data)
    return out


def _study_id(url: str, name: str = "big") -> int:
    from tunelab.storage import get_storage

    store = get_storage(url)
    return next(s.study_id for s in store.list_studies() if s.name == name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--report-trials", type=int, default=10_000)
    ap.add_argument("--dashboard-trials", type=int, default=100_000)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--render-only", action="store_true", help="only the dashboard's first render in Chromium")
    ap.add_argument("--db", help="SQLite file for the dashboard's study, kept between runs (made if missing)")
    ap.add_argument("--optuna", action="store_true", help="also time Optuna's figures on the report's trials")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--serve", metavar="URL", help=argparse.SUPPRESS)  # the child process of a render run
    ap.add_argument("--preload", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.preload)
        return
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from analysis import LoadSampler

    tmp = Path(tempfile.mkdtemp(prefix="tunelab-dash-bench-"))
    rep = peer = dash = render = None
    try:
        load = LoadSampler(every=5.0)
        started = datetime.now()
        if not args.report_only:
            db = Path(args.db) if args.db else tmp / "dash.db"
            url = ensure_study(db, args.dashboard_trials)
            if not args.no_browser:
                render = bench_render(url, _study_id(url))
            if not args.render_only:
                shutil.copy(db, tmp / "live.db")  # the refresh measurement adds trials: a copy
                dash = bench_dashboard(f"sqlite:///{tmp / 'live.db'}", args.dashboard_trials)
        if not args.render_only:
            rep = bench_report(tmp, args.report_trials)
            peer = bench_optuna_figures(tmp) if args.optuna else None
        loads = load.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"# {started:%Y-%m-%d %H:%M}-{datetime.now():%H:%M} (local time of {platform.node()}), "
          f"{os.cpu_count()} CPUs, python {platform.python_version()}, load average (1 min) while it ran: "
          f"{loads['load_min']:.1f}-{loads['load_max']:.1f} (mean {loads['load_mean']:.1f})")
    print(f"# command: python {' '.join(sys.argv)}")
    if render is not None:
        print()
        print(render_table(render, args.dashboard_trials))
    if rep is None and dash is None:
        return
    print("\n| what | result |\n|---|---|")
    if rep is not None:
        print(f"| report, {rep['trials']:,} trials: build time, reading the trials from SQLite included "
              f"(load_study before it: {rep['load_s']:.1f} s): wall (CPU) | {rep['build_s']:.1f} s "
              f"({rep['build_cpu_s']:.1f} s) |")
        print(f"| report size ({rep['plotlyjs_mb']:.1f} MB of it is plotly.js) | {rep['size_mb']:.1f} MB |")
    if peer:
        print(f"| Optuna 5 figures (history, importances by fANOVA, parallel, slice, intermediate) on the same "
              f"trials: wall (CPU); ratio of CPU Optuna/tunelab | {peer['build_s']:.1f} s ({peer['build_cpu_s']:.1f} s); "
              f"{peer['build_cpu_s'] / rep['build_cpu_s']:.1f}x |")
        print(f"| Optuna's 5 figures in one HTML with plotly.js once | {peer['size_mb']:.1f} MB |")
    if dash is None:
        return
    print(f"| dashboard, {dash['trials']:,} trials, server only (test client): study page + history and importance "
          f"SVG + verdict, fresh app (trials read from SQLite, nothing computed): wall (CPU) | "
          f"{dash['server_cold_s']:.2f} s ({dash['server_cold_cpu_s']:.2f} s) |")
    print(f"| the same again (trials cached, verdict and figures computed) | {dash['server_warm_s']:.2f} s "
          f"({dash['server_warm_cpu_s']:.2f} s) |")
    print(f"| study page with its two SVG images | {dash['page_kb_warm']:.0f} kB |")
    print(f"| data for the interactive history (decimated points, counts, best, cursor) | {dash['init_kb_warm']:.0f} kB |")
    print(f"| table page sorted by value (server) | {dash['sort_by_value_s']:.2f} s |")
    print(f"| bytes per refresh while ~10 trials/s arrive (updates + table page) | "
          f"{dash['refresh_bytes_mean'] / 1e3:.1f} kB ({dash['refresh_trials_mean']:.1f} trials each) |")
    print(f"| of which the updates answer (new and changed trials, counts, best) | "
          f"{dash['update_bytes_mean'] / 1e3:.1f} kB; every trial's row would be {dash['full_resend_mb']:.1f} MB |")
    print(f"| bytes per refresh with nothing new | {dash['idle_refresh_bytes']} B |")


if __name__ == "__main__":
    main()
