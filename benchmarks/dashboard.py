"""Report and dashboard at scale: report size and build time at 10,000 trials; the dashboard's first render of
a 100,000-trial SQLite study (server responses, and page ready in headless Chromium) and the bytes each refresh
carries while trials keep arriving.

    python benchmarks/dashboard.py [--report-trials 10000] [--dashboard-trials 100000] [--no-browser]

Studies are written straight into a SQLite file with SQLAlchemy (the API would take minutes per 100,000
trials); each trial has 8 parameters, a value, a start and end time, and a third of them 10 intermediate values
(half of those pruned).  Results go to stdout as a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

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
    load_start = time.perf_counter()  # loading the trials is the storage's cost, measured apart
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


def bench_dashboard(tmp: Path, n: int, browser: bool) -> dict:
    from werkzeug.serving import make_server

    from tunelab.dashboard import create_app

    url = f"sqlite:///{tmp / 'dash.db'}"
    make_study(url, "big", n)
    out: dict = {"trials": n}

    # server side, cold: a fresh app (empty trial cache), then warm
    app = create_app(url, refresh_seconds=1.0)
    client = app.test_client()
    sid = 1
    timings = {}
    for label in ("cold", "warm"):
        t, c = time.perf_counter(), time.process_time()
        page = client.get(f"/study/{sid}")
        init = client.get(f"/api/study/{sid}/init")
        table = client.get(f"/api/study/{sid}/trials?page=0&size=50&sort=number&desc=1")
        timings[label] = time.perf_counter() - t
        out[f"server_{label}_cpu_s"] = time.process_time() - c
        assert page.status_code == init.status_code == table.status_code == 200
        out[f"init_kb_{label}"] = len(init.data) / 1e3
    out["server_cold_s"], out["server_warm_s"] = timings["cold"], timings["warm"]
    t = time.perf_counter()
    sorted_page = client.get(f"/api/study/{sid}/trials?page=10&size=50&sort=value")
    out["sort_by_value_s"] = time.perf_counter() - t
    assert sorted_page.status_code == 200

    # page ready in Chromium, over a real server started as `tunelab dashboard` starts it (trials preloaded)
    if browser and shutil.which("chromium"):
        from playwright.sync_api import sync_playwright

        from tunelab.dashboard import preload

        live = create_app(url, refresh_seconds=1.0)
        t = time.perf_counter()
        preload(live).join()
        out["preload_s"] = time.perf_counter() - t
        server = make_server("127.0.0.1", 0, live, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            for label in ("first", "second"):
                page = b.new_page(viewport={"width": 1280, "height": 900})
                t = time.perf_counter()
                page.goto(f"{base}/study/{sid}")
                page.wait_for_selector("body[data-ready='1']", timeout=120_000)
                out[f"browser_{label}_s"] = time.perf_counter() - t
                out["history_points"] = page.evaluate("document.getElementById('history').data[0].x.length")
                page.close()
            b.close()
        server.shutdown()

    # bytes per refresh while trials arrive: a writer adds ~10 trials/s, the page polls once a second
    stop, writing = threading.Event(), threading.Event()

    def writer() -> None:
        study = tunelab.load_study("big", url, sampler="random")  # reads the 100,000 trials first
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--report-trials", type=int, default=10_000)
    ap.add_argument("--dashboard-trials", type=int, default=100_000)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--optuna", action="store_true", help="also time Optuna's figures on the report's trials")
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tunelab-dash-bench-"))
    try:
        rep = bench_report(tmp, args.report_trials)
        peer = bench_optuna_figures(tmp) if args.optuna else None
        dash = None if args.report_only else bench_dashboard(tmp, args.dashboard_trials, browser=not args.no_browser)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"# {datetime.now():%Y-%m-%d %H:%M}, {platform.node()}, {os.cpu_count()} CPUs visible, "
          f"python {platform.python_version()}")
    print("\n| what | result |\n|---|---|")
    print(f"| report, {rep['trials']:,} trials: build time (trials already loaded: {rep['load_s']:.1f} s to load "
          f"from SQLite): wall (CPU) | {rep['build_s']:.1f} s ({rep['build_cpu_s']:.1f} s) |")
    print(f"| report size ({rep['plotlyjs_mb']:.1f} MB of it is plotly.js) | {rep['size_mb']:.1f} MB |")
    if peer:
        print(f"| Optuna 5 figures (history, importances by fANOVA, parallel, slice, intermediate) on the same "
              f"trials: wall (CPU); ratio of CPU Optuna/tunelab | {peer['build_s']:.1f} s ({peer['build_cpu_s']:.1f} s); "
              f"{peer['build_cpu_s'] / rep['build_cpu_s']:.1f}x |")
        print(f"| Optuna's 5 figures in one HTML with plotly.js once | {peer['size_mb']:.1f} MB |")
    if dash is None:
        return
    print(f"| dashboard, {dash['trials']:,} trials: study page + first data + first table page, server, "
          f"cold (fresh server, nothing preloaded): wall (CPU) | {dash['server_cold_s']:.2f} s "
          f"({dash['server_cold_cpu_s']:.2f} s) |")
    print(f"| the same, warm (trials in the storage's cache) | {dash['server_warm_s']:.2f} s "
          f"({dash['server_warm_cpu_s']:.2f} s) |")
    print(f"| first data response (decimated history, counts, best) | {dash['init_kb_warm']:.0f} kB |")
    if "browser_first_s" in dash:
        print(f"| server start: trials preloaded in the background | {dash['preload_s']:.1f} s |")
        print(f"| then page ready in headless Chromium (goto to data-ready), first / second visit | "
              f"{dash['browser_first_s']:.2f} s / {dash['browser_second_s']:.2f} s "
              f"({dash['history_points']:,} history points) |")
    print(f"| table page sorted by value (server) | {dash['sort_by_value_s']:.2f} s |")
    print(f"| bytes per refresh while ~10 trials/s arrive (updates + table page) | "
          f"{dash['refresh_bytes_mean'] / 1e3:.1f} kB ({dash['refresh_trials_mean']:.1f} trials each) |")
    print(f"| of which the updates answer (new and changed trials, counts, best) | "
          f"{dash['update_bytes_mean'] / 1e3:.1f} kB; every trial's row would be {dash['full_resend_mb']:.1f} MB |")
    print(f"| bytes per refresh with nothing new | {dash['idle_refresh_bytes']} B |")


if __name__ == "__main__":
    main()
