"""Analysis benchmarks: importance time and stability next to Optuna; report and dashboard timings.

Importance time: ``get_param_importances`` on in-memory studies of 1,000 and
10,000 complete trials x 8 and 32 parameters (a quarter each log-float, float,
int and categorical), tunelab's PED-ANOVA (the default) and fANOVA against
Optuna's PedAnovaImportanceEvaluator and FanovaImportanceEvaluator, in the same
process on the same trials.  Each timing includes reading the trials from the
study, as a user's call does.

Stability: the rank agreement (mean pairwise Spearman correlation of the
importance vectors) over 10 seeds, two ways: (a) the same study (1,000 trials x 8
parameters; ``--stability-trials``) with
the evaluator's seed varied, (b) 10 studies sampled with different seeds; and the
mean Kendall tau against the true order (the function is additive: the variance of
each parameter's term is its true importance).

    nice -n 10 python benchmarks/analysis.py                   # full run (many minutes: Optuna's fANOVA)
    python benchmarks/analysis.py --quick                      # smoke run (small sizes)
    python benchmarks/analysis.py --skip-optuna-fanova-above 40000 --stability-trials 300   # what fits an hour
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from datetime import date
from itertools import combinations
from typing import Any, Callable, Sequence

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DEFAULT_TARGET_S = 1.0  # 10,000 x 32 with the default evaluator
FANOVA_SPEEDUP_TARGET = 20.0  # the default against Optuna's fANOVA


# ----------------------------------------------------------------------------- the synthetic space


def make_rows(n: int, d: int, seed: int) -> tuple[list[dict[str, Any]], np.ndarray, list[tuple[str, str, Any]]]:
    """n configurations over d parameters and their values: y = sum_j 0.75**j g_j(x_j) + small noise.

    The function is additive, so parameter j's true importance is the variance of its term;
    ``specs[j][2]`` holds it (estimated on 200,000 uniform draws).
    """
    rng = np.random.default_rng(seed)
    kinds = [("logfloat", "float", "int", "cat")[j % 4] for j in range(d)]
    draws = np.random.default_rng(7).random(200_000)
    specs = [(f"p{j:02d}", kinds[j], float(np.var(0.75 ** j * _term(kinds[j], draws)[1]))) for j in range(d)]
    rows: list[dict[str, Any]] = [{} for _ in range(n)]
    y = np.zeros(n)
    for j, (name, kind, _) in enumerate(specs):
        vals, g = _term(kind, rng.random(n))
        y += 0.75 ** j * g
        for i in range(n):
            rows[i][name] = float(vals[i]) if kind in ("logfloat", "float") else (
                int(vals[i]) if kind == "int" else "abcd"[int(vals[i])])
    y += rng.normal(0, 0.01, n)
    return rows, y, specs


def _term(kind: str, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A parameter's values from uniform draws u, and its term g of the objective."""
    if kind == "logfloat":
        return 10 ** (-5 + 4 * u), (u - 0.3) ** 2 * 12
    if kind == "float":
        return u, (u - 0.7) ** 2 * 12
    if kind == "int":
        vals = np.floor(u * 16).astype(int) + 1
        return vals, ((vals - 1) / 15 - 0.5) ** 2 * 12
    vals = np.floor(u * 4).astype(int)
    return vals, np.array([0.0, 1.0, 2.0, 1.5])[vals] * 1.2


def _tl_dists(specs):
    from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution

    out = {}
    for name, kind, _ in specs:
        out[name] = {"logfloat": FloatDistribution(1e-5, 1e-1, log=True), "float": FloatDistribution(0.0, 1.0),
                     "int": IntDistribution(1, 16), "cat": CategoricalDistribution(tuple("abcd"))}[kind]
    return out


def tunelab_study(rows, y, specs):
    """An in-memory tunelab Study holding the rows as complete trials (written through the storage API)."""
    import tunelab
    from tunelab.trial import TrialState

    study = tunelab.create_study(sampler="random")
    storage, sid = study.storage, study.study_id
    dists = _tl_dists(specs)
    for row, value in zip(rows, y):
        tid, _ = storage.create_trial(sid)
        for name, v in row.items():
            storage.set_trial_param(tid, name, dists[name], v)
        storage.finish_trial(tid, TrialState.COMPLETE, [float(value)])
    return study


def optuna_study(rows, y, specs):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    D = optuna.distributions
    dists = {name: {"logfloat": D.FloatDistribution(1e-5, 1e-1, log=True), "float": D.FloatDistribution(0.0, 1.0),
                    "int": D.IntDistribution(1, 16), "cat": D.CategoricalDistribution(tuple("abcd"))}[kind]
             for name, kind, _ in specs}
    study = optuna.create_study()
    study.add_trials([optuna.trial.create_trial(params=row, distributions=dists, value=float(v))
                      for row, v in zip(rows, y)])
    return study


# ----------------------------------------------------------------------------- timing


class LoadSampler:
    """The 1-minute load average, sampled every ``every`` seconds in a background thread while a run lasts.

    On a shared machine the figures mean little without the load they ran under; this gives its range.
    """

    def __init__(self, every: float = 15.0):
        import threading

        self.samples: list[float] = [os.getloadavg()[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._thread.start()

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.samples.append(os.getloadavg()[0])

    def stop(self) -> dict[str, float]:
        """Stop sampling; the min, mean and max of the samples."""
        self._stop.set()
        self.samples.append(os.getloadavg()[0])
        return {"load_min": min(self.samples), "load_mean": float(np.mean(self.samples)),
                "load_max": max(self.samples)}


def timed(fn: Callable[[], Any], repeats: int = 1) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds of this process, result): the best of ``repeats`` runs.

    On a shared machine the CPU time is the steadier measure; both are recorded.
    """
    best_wall, best_cpu, out = math.inf, math.inf, None
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best_wall, best_cpu, out


def importance_times(sizes, dims, skip_optuna_fanova_above: int, repeats: int) -> list[dict[str, Any]]:
    import optuna.importance as oi

    from tunelab.importance import FanovaImportanceEvaluator, get_param_importances

    results = []
    # warm the imports so the first row does not pay for them
    rows, y, specs = make_rows(50, 4, 0)
    get_param_importances(tunelab_study(rows, y, specs))
    get_param_importances(tunelab_study(rows, y, specs), evaluator=FanovaImportanceEvaluator(n_trees=2))
    oi.get_param_importances(optuna_study(rows, y, specs), evaluator=oi.PedAnovaImportanceEvaluator())
    for n in sizes:
        for d in dims:
            rows, y, specs = make_rows(n, d, 0)
            tl, op = tunelab_study(rows, y, specs), optuna_study(rows, y, specs)
            row: dict[str, Any] = {"trials": n, "params": d}
            load = LoadSampler()
            row["tunelab_ped_anova_s"], row["tunelab_ped_anova_cpu"], imp = timed(lambda: get_param_importances(tl),
                                                                                  repeats)
            row["tunelab_top3"] = list(imp)[:3]
            row["tunelab_fanova_s"], row["tunelab_fanova_cpu"], _ = timed(
                lambda: get_param_importances(tl, evaluator=FanovaImportanceEvaluator()))
            row["optuna_ped_anova_s"], row["optuna_ped_anova_cpu"], imp_o = timed(
                lambda: oi.get_param_importances(op, evaluator=oi.PedAnovaImportanceEvaluator()), repeats)
            row["optuna_top3"] = list(imp_o)[:3]
            row["optuna_fanova_s"] = row["optuna_fanova_cpu"] = None
            if n * d <= skip_optuna_fanova_above:
                # the row so far, in case Optuna's fANOVA (minutes to hours at 10,000 trials) is stopped
                print("# before Optuna fANOVA: " + json.dumps(row) +
                      f" load {os.getloadavg()[0]:.1f} at {time.strftime('%H:%M:%S', time.gmtime())} UTC", flush=True)
                row["optuna_fanova_s"], row["optuna_fanova_cpu"], _ = timed(
                    lambda: oi.get_param_importances(op, evaluator=oi.FanovaImportanceEvaluator(seed=0)))
            row.update(load.stop())
            row["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            print(json.dumps(row), flush=True)
            results.append(row)
    return results


# ----------------------------------------------------------------------------- stability


def _spearman(a: dict[str, float], b: dict[str, float]) -> float:
    from scipy.stats import spearmanr

    names = sorted(a)
    return float(spearmanr([a[k] for k in names], [b.get(k, 0.0) for k in names]).statistic)


def _kendall_vs_truth(imp: dict[str, float], specs) -> float:
    """Kendall's tau between the importances and the true variance of each parameter's term."""
    from scipy.stats import kendalltau

    truth = {name: var for name, _, var in specs}
    names = sorted(truth)
    return float(kendalltau([truth[k] for k in names], [imp.get(k, 0.0) for k in names]).statistic)


def _mean_pairwise(imps: list[dict[str, float]]) -> float:
    return float(np.mean([_spearman(a, b) for a, b in combinations(imps, 2)]))


def stability(n: int, d: int, seeds: int, skip: Sequence[str] = ()) -> list[dict[str, Any]]:
    import optuna.importance as oi

    from tunelab.importance import FanovaImportanceEvaluator, PedAnovaImportanceEvaluator, get_param_importances

    out = []
    rows, y, specs = make_rows(n, d, 0)
    tl, op = tunelab_study(rows, y, specs), optuna_study(rows, y, specs)
    methods = {
        "tunelab PED-ANOVA": lambda s: get_param_importances(tl, evaluator=PedAnovaImportanceEvaluator()),
        "tunelab fANOVA": lambda s: get_param_importances(tl, evaluator=FanovaImportanceEvaluator(seed=s)),
        "Optuna PED-ANOVA": lambda s: oi.get_param_importances(op, evaluator=oi.PedAnovaImportanceEvaluator()),
        "Optuna fANOVA": lambda s: oi.get_param_importances(op, evaluator=oi.FanovaImportanceEvaluator(seed=s)),
    }
    for name, fn in methods.items():
        if name in skip:
            continue
        imps = [dict(fn(s)) for s in range(seeds)]
        out.append({"protocol": "same trials, evaluator seed varies", "method": name, "trials": n,
                    "mean_spearman": _mean_pairwise(imps), "kendall_vs_truth": float(np.mean(
                        [_kendall_vs_truth(i, specs) for i in imps]))})
        print(json.dumps(out[-1]), flush=True)
    studies = [make_rows(n, d, 100 + s) for s in range(seeds)]
    tls = [tunelab_study(*s) for s in studies]
    ops = [optuna_study(*s) for s in studies]
    methods2 = {
        "tunelab PED-ANOVA": lambda i: get_param_importances(tls[i]),
        "tunelab fANOVA": lambda i: get_param_importances(tls[i], evaluator=FanovaImportanceEvaluator()),
        "Optuna PED-ANOVA": lambda i: oi.get_param_importances(ops[i], evaluator=oi.PedAnovaImportanceEvaluator()),
        "Optuna fANOVA": lambda i: oi.get_param_importances(ops[i], evaluator=oi.FanovaImportanceEvaluator(seed=0)),
    }
    for name, fn in methods2.items():
        if name in skip:
            continue
        imps = [dict(fn(i)) for i in range(seeds)]
        out.append({"protocol": "10 studies sampled with different seeds", "method": name, "trials": n,
                    "mean_spearman": _mean_pairwise(imps),
                    "kendall_vs_truth": float(np.mean([_kendall_vs_truth(i, studies[k][2])
                                                       for k, i in enumerate(imps)]))})
        print(json.dumps(out[-1]), flush=True)
    return out


# ----------------------------------------------------------------------------- report and dashboard
# ============================================================================
# REPORT AND DASHBOARD TIMINGS: this section belongs to the report/dashboard work
# (helper "dash"). Fill in report_and_dashboard() so that it returns rows such as
#   {"what": "report, 10,000 trials", "seconds": ..., "bytes": ...}
#   {"what": "dashboard first full render, 100,000 trials", "seconds": ...}
#   {"what": "dashboard bytes per refresh while running", "bytes": ...}
# They are printed and stored with the importance results.  tunelab_study() above
# builds an in-memory study of any size quickly.
# ============================================================================


def report_and_dashboard(quick: bool) -> list[dict[str, Any]]:
    """Report size/build time and dashboard render/refresh timings, measured by benchmarks/dashboard.py
    (run that file for the full table with wall and CPU times and the Chromium numbers)."""
    import shutil
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import dashboard as dash_bench

    tmp = Path(tempfile.mkdtemp(prefix="tunelab-analysis-dash-"))
    try:
        rep = dash_bench.bench_report(tmp, 1_000 if quick else 10_000)
        n = 5_000 if quick else 100_000
        dash = dash_bench.bench_dashboard(dash_bench.ensure_study(tmp / "dash.db", n), n)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [
        {"what": f"report, {rep['trials']:,} trials (CPU s)", "seconds": round(rep["build_cpu_s"], 2),
         "bytes": int(rep["size_mb"] * 1e6)},
        {"what": f"dashboard study page with its first-render images and verdict, {dash['trials']:,} trials, "
                 "server, trials cached (CPU s; `python benchmarks/dashboard.py --render-only` for Chromium)",
         "seconds": round(dash["server_warm_cpu_s"], 3)},
        {"what": "dashboard bytes per refresh while running (updates + table page)",
         "bytes": int(dash["refresh_bytes_mean"])},
    ]


# ----------------------------------------------------------------------------- main


def markdown(times, stab, extra) -> str:
    lines = ["CPU seconds of this process (wall seconds in brackets):", "",
             "| trials x params | tunelab PED-ANOVA (default) | tunelab fANOVA | Optuna PED-ANOVA | Optuna fANOVA | "
             "Optuna fANOVA / tunelab default | Optuna PED-ANOVA / tunelab default | load average (min-max) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in times:
        of = r["optuna_fanova_cpu"]
        base = r["tunelab_ped_anova_cpu"]
        of_text = "not run" if of is None else f"{of:.2f} ({r['optuna_fanova_s']:.1f})"
        ratio = "-" if of is None else f"{of / base:.0f}x"
        lines.append(f"| {r['trials']:,} x {r['params']} | {base:.3f} ({r['tunelab_ped_anova_s']:.3f}) | "
                     f"{r['tunelab_fanova_cpu']:.2f} ({r['tunelab_fanova_s']:.1f}) | "
                     f"{r['optuna_ped_anova_cpu']:.3f} ({r['optuna_ped_anova_s']:.3f}) | {of_text} | {ratio} | "
                     f"{r['optuna_ped_anova_cpu'] / base:.1f}x | {r['load_min']:.1f}-{r['load_max']:.1f} |")
    lines += ["", "| protocol | method | mean pairwise Spearman | mean Kendall tau vs true variance order |",
              "|---|---|---|---|"]
    for r in stab:
        lines.append(f"| {r['protocol']} | {r['method']} | {r['mean_spearman']:.3f} | {r['kendall_vs_truth']:.3f} |")
    for r in extra:
        lines.append(f"- {r}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, 3 seeds")
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000], help="trial counts (none: stability only)")
    ap.add_argument("--dims", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3, help="best of this many for the fast evaluators")
    ap.add_argument("--skip-optuna-fanova-above", type=int, default=10**9,
                    help="leave Optuna's fANOVA out above this many trials x params (it is slow)")
    ap.add_argument("--skip-stability", action="store_true")
    ap.add_argument("--stability-skip", nargs="*", default=[], metavar="METHOD",
                    help='methods left out of the stability runs, e.g. "Optuna fANOVA"')
    ap.add_argument("--stability-trials", type=int, default=1000,
                    help="trials per study in the stability runs (Optuna's fANOVA takes ~45 CPU s at 1,000 x 8)")
    ap.add_argument("--skip-report-dashboard", action="store_true",
                    help="leave out the report and dashboard timings (benchmarks/dashboard.py has the full table)")
    ap.add_argument("--out", default="benchmarks/results/analysis.json")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.dims, args.seeds = [300], [8], 3
    import optuna
    import sklearn

    import tunelab

    print(f"# {date.today()} {platform.node()} python {platform.python_version()} tunelab {tunelab.__version__} "
          f"optuna {optuna.__version__} scikit-learn {sklearn.__version__} numpy {np.__version__} "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    times = importance_times(args.sizes, args.dims, args.skip_optuna_fanova_above, args.repeats)
    stab = [] if args.skip_stability else stability(args.stability_trials if not args.quick else 300, 8, args.seeds,
                                                      args.stability_skip)
    extra = [] if args.skip_report_dashboard else report_and_dashboard(args.quick)
    print(f"# load at the end {os.getloadavg()[0]:.1f}")
    print(markdown(times, stab, extra))
    big = [r for r in times if r["trials"] == 10000 and r["params"] == 32]
    if big:
        r = big[0]
        cpu = r["tunelab_ped_anova_cpu"]
        print(f"target 10,000 x 32 default under {DEFAULT_TARGET_S} s: {'met' if cpu < DEFAULT_TARGET_S else 'missed'} "
              f"({cpu:.3f} s CPU, {r['tunelab_ped_anova_s']:.3f} s wall)")
        if r["optuna_fanova_cpu"]:
            ratio = r["optuna_fanova_cpu"] / cpu
            print(f"target >= {FANOVA_SPEEDUP_TARGET:.0f}x Optuna's fANOVA: "
                  f"{'met' if ratio >= FANOVA_SPEEDUP_TARGET else 'missed'} ({ratio:.0f}x CPU)")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump({"date": str(date.today()), "importance": times, "stability": stab, "report_dashboard": extra},
                  fh, indent=1)


if __name__ == "__main__":
    main()
