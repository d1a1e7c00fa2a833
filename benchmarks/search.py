"""Search-efficiency benchmark: tunelab's samplers and the peers on the same tasks, in one run.

    nice -n 10 python benchmarks/search.py                  # full run, all but skopt (see docs/benchmarks.md)
    nice -n 10 python benchmarks/search.py --methods skopt-gp --budgets 30   # skopt apart: 0.3-1 s per ask
    nice -n 10 python benchmarks/search.py --quick          # smoke run: 4 tasks, 3 seeds, 30 trials
    python benchmarks/search.py --tasks branin,svc --methods auto,optuna-tpe --budgets 30 --seeds 5
    python benchmarks/search.py --report benchmarks/results/search-*.jsonl   # rebuild the tables only
    python benchmarks/search.py --latency                   # ask time of tunelab's samplers vs trials

Score per (task, budget): 100 * (R - best) / (R - optimum), averaged over seeds,
where ``best`` is a method's best loss within the budget, ``optimum`` is the known
minimum (synthetic) or the best loss any method reached in the loaded results
(ML tasks), and ``R`` is the mean best loss of uniform random search at that
budget, computed exactly from 2000 random draws (the order-statistics formula)
rather than from a few random runs.  So 100 = the optimum, 0 = random search.

Every method is run once per (task, seed) to the largest budget; the smaller
budgets read the same run's prefix.  That is exact for every method here: none
of them is told the budget in advance.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import glob
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread per worker: 2 workers on 2 cores

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from search_methods import METHODS, PEERS, available, method_runner  # noqa: E402
from search_tasks import QUICK_TASKS, TASKS, get_task  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
N_REFERENCE = 2000
TIE_TOLERANCE = 1.0  # score points: "at least as good as the best peer" allows this much


# ------------------------------------------------------------------ running


def _init_worker() -> None:
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


def run_job(job: tuple[str, int, list[str], int]) -> list[dict[str, Any]]:
    """All requested methods on one (task, seed); one record per method."""
    task_name, seed, methods, n = job
    task = get_task(task_name)
    records = []
    for method in methods:
        start = time.time()
        record: dict[str, Any] = {"task": task_name, "method": method, "seed": seed, "n": n}
        try:
            run = method_runner(method)(task, seed, n)
            record.update(losses=[float(f"{v:.7g}") for v in run.losses], overhead_s=round(run.overhead_s, 4))
        except Exception as exc:  # one broken method must not lose the others' results
            record.update(losses=[], overhead_s=0.0, error=f"{type(exc).__name__}: {exc}")
        record["wall_s"] = round(time.time() - start, 3)
        records.append(record)
    return records


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for mod in ("tunelab", "numpy", "scipy", "sklearn", "optuna", "hyperopt", "skopt", "cmaes", "torch"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:
            out[mod] = "-"
    return out


def run_benchmark(tasks: list[str], methods: list[str], seeds: list[int], n: int, workers: int,
                  out: Path) -> list[dict[str, Any]]:
    from multiprocessing import get_context

    meta = {"meta": {"date": _dt.datetime.now().isoformat(timespec="seconds"), "argv": sys.argv[1:],
                     "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.processor() or '-'}",
                     "workers": workers, "versions": _versions(), "tasks": tasks, "methods": methods,
                     "seeds": seeds, "n_trials": n}}
    out.parent.mkdir(parents=True, exist_ok=True)
    jobs = [(t, s, methods, n) for s in seeds for t in tasks]
    records: list[dict[str, Any]] = []
    start = time.time()
    with out.open("w") as fh:
        fh.write(json.dumps(meta) + "\n")
        with get_context("spawn").Pool(workers, initializer=_init_worker) as pool:
            for i, batch in enumerate(pool.imap_unordered(run_job, jobs), 1):
                for rec in batch:
                    fh.write(json.dumps(rec) + "\n")
                    if rec.get("error"):
                        print(f"  ! {rec['task']}/{rec['method']}/seed {rec['seed']}: {rec['error']}", file=sys.stderr)
                fh.flush()
                records.extend(batch)
                took = {r["method"]: r["wall_s"] for r in batch}
                print(f"[{i}/{len(jobs)} {time.time() - start:.0f}s] {batch[0]['task']} seed {batch[0]['seed']}: "
                      + " ".join(f"{m}={s:.1f}s" for m, s in took.items()), flush=True)
    return records


# ------------------------------------------------------------------ scoring


def load_records(paths: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Records of several runs; a later file's (task, method, seed) replaces an earlier one's (reruns)."""
    records: dict[tuple, dict[str, Any]] = {}
    metas = []
    for pattern in paths:
        for path in sorted(glob.glob(pattern)) or [pattern]:
            for line in Path(path).read_text().splitlines():
                item = json.loads(line)
                if "meta" in item:
                    metas.append(item["meta"])
                else:
                    records[(item["task"], item["method"], item["seed"])] = item
    return list(records.values()), metas


def expected_best_of(values: np.ndarray, n: int) -> float:
    """E[min of n i.i.d. draws] from the empirical distribution of ``values``."""
    v = np.sort(values)
    m = len(v)
    k = np.arange(m)
    p_ge = ((m - k) / m) ** n  # P(min >= v[k])
    p_gt = ((m - k - 1) / m) ** n
    return float(np.sum(v * (p_ge - p_gt)))


def random_reference(task_name: str) -> np.ndarray:
    """Losses of N_REFERENCE uniform random configurations (fixed seed; cached)."""
    path = RESULTS / "cache" / f"random-{task_name}.json"
    if path.exists():
        return np.array(json.loads(path.read_text()))
    task = get_task(task_name)
    rng = np.random.default_rng(20240601)
    losses = [task(task.random_params(rng)) for _ in range(N_REFERENCE)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(losses))
    return np.array(losses)


def score_table(records: list[dict[str, Any]], budgets: list[int]) -> dict[str, Any]:
    """Per (budget, task, method): mean score, its standard error and the seeds it rests on."""
    ok = [r for r in records if not r.get("error") and r["losses"]]
    tasks = sorted({r["task"] for r in ok}, key=list(TASKS).index)
    methods = list(dict.fromkeys(sorted((r["method"] for r in ok), key=_method_order)))
    out: dict[str, Any] = {"tasks": tasks, "methods": methods, "budgets": budgets, "scores": {}, "optimum": {},
                           "random": {}, "ask_ms": {}}
    for task_name in tasks:
        rows = [r for r in ok if r["task"] == task_name]
        known = get_task(task_name).optimum
        ref = random_reference(task_name)
        best_seen = min(min(r["losses"]) for r in rows)
        optimum = known if known is not None else min(best_seen, float(ref.min()))
        out["optimum"][task_name] = optimum
        for b in budgets:
            rand = expected_best_of(ref, b)
            out["random"][(task_name, b)] = rand
            for method in methods:
                bests = [min(r["losses"][:b]) for r in rows if r["method"] == method and len(r["losses"]) >= b]
                if not bests:
                    continue
                per_seed = 100 * (rand - np.array(bests)) / (rand - optimum)
                se = float(per_seed.std(ddof=1) / np.sqrt(len(per_seed))) if len(per_seed) > 1 else 0.0
                out["scores"][(b, task_name, method)] = (float(per_seed.mean()), se, len(per_seed))
    for method in methods:
        rows = [r for r in ok if r["method"] == method]
        out["ask_ms"][method] = 1000 * sum(r["overhead_s"] for r in rows) / max(1, sum(len(r["losses"]) for r in rows))
    return out


def _method_order(method: str) -> tuple[int, str]:
    names = list(METHODS)
    base = method.split(":")[0]
    return (names.index(base) if base in names else len(names), method)


def _with_best_peer(table: dict[str, Any], b: int, method: str) -> list[tuple[tuple, tuple]]:
    """Per task scored for ``method`` and some other peer: (its (mean, se, n), the best other peer's)."""
    pairs = []
    for task_name in table["tasks"]:
        mine = table["scores"].get((b, task_name, method))
        peers = [table["scores"][(b, task_name, p)] for p in PEERS
                 if p != method and (b, task_name, p) in table["scores"]]
        if mine is not None and peers:
            pairs.append((mine, max(peers, key=lambda v: v[0])))
    return pairs


def beats_best_peer(table: dict[str, Any], b: int, method: str) -> tuple[int, int]:
    """(tasks where ``method`` scores >= the best other peer - TIE_TOLERANCE, tasks compared)."""
    pairs = _with_best_peer(table, b, method)
    return sum(mine[0] >= best[0] - TIE_TOLERANCE for mine, best in pairs), len(pairs)


def against_best_peer(table: dict[str, Any], b: int, method: str, level: float = 0.95) -> tuple[int, int]:
    """(tasks where ``method`` is significantly behind the best other peer, tasks where it is significantly
    ahead), one-sided 5 % each: the gap of the means against Student's t (df = fewer seeds - 1) times its
    standard error.  The best peer is the best of several noisy means, so "behind" is slightly generous."""
    from scipy.stats import t as student_t

    behind = ahead = 0
    for mine, best in _with_best_peer(table, b, method):
        gap, se = mine[0] - best[0], float(np.hypot(mine[1], best[1]))
        z = float(student_t.ppf(level, max(1, min(mine[2], best[2]) - 1)))
        behind += gap < -z * se
        ahead += gap > z * se
    return behind, ahead


def format_report(table: dict[str, Any]) -> str:
    lines = []
    methods, tasks = table["methods"], table["tasks"]
    for b in table["budgets"]:
        lines.append(f"\n### {b} trials: normalised score (100 = optimum, 0 = random search), mean over seeds\n")
        lines.append("| task | " + " | ".join(methods) + " |")
        lines.append("|---" * (len(methods) + 1) + "|")
        for t in tasks:
            cells = []
            row = {m: table["scores"].get((b, t, m)) for m in methods}
            top = max(v[0] for v in row.values() if v)
            for m in methods:
                v = row[m]
                cell = "-" if v is None else f"{v[0]:.1f}"
                cells.append(f"**{cell}**" if v and v[0] >= top - TIE_TOLERANCE else cell)
            lines.append(f"| {t} | " + " | ".join(cells) + " |")
        means, ses, fracs, tests = [], [], [], []
        for m in methods:
            vals = [table["scores"][(b, t, m)][0] for t in tasks if (b, t, m) in table["scores"]]
            errs = [table["scores"][(b, t, m)][1] for t in tasks if (b, t, m) in table["scores"]]
            complete = len(vals) == len(tasks)
            means.append(f"{np.mean(vals):.1f}" + ("" if complete else f" ({len(vals)} tasks)") if vals else "-")
            ses.append(f"{np.sqrt(np.sum(np.square(errs))) / len(errs):.1f}" if errs else "-")
            w, n = beats_best_peer(table, b, m)
            fracs.append(f"{w}/{n}" if n else "-")
            behind, ahead = against_best_peer(table, b, m)
            tests.append(f"{behind} / {ahead}" if n else "-")
        lines.append("| **mean** | " + " | ".join(means) + " |")
        lines.append("| (standard error of the mean, over seeds) | " + " | ".join(ses) + " |")
        lines.append(f"| >= best other peer (-{TIE_TOLERANCE:g}) | " + " | ".join(fracs) + " |")
        lines.append("| significantly behind / ahead of the best other peer (one-sided 5 %, t) | " + " | ".join(tests)
                     + " |")
    lines.append("\n### Mean time per ask (ms; ask + suggest + tell, objective excluded, whole run)\n")
    lines.append("| " + " | ".join(methods) + " |")
    lines.append("|---" * len(methods) + "|")
    lines.append("| " + " | ".join(f"{table['ask_ms'][m]:.1f}" for m in methods) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------------ ask latency


def latency(samplers: list[str], checkpoints: list[int], d: int = 6) -> str:
    """Time of one ask (ask + suggests + tell) of tunelab samplers at given study sizes, on a d-D quadratic."""
    import tunelab

    lines = ["| sampler | " + " | ".join(f"ms/ask at {c}" for c in checkpoints) + " |",
             "|---" * (len(checkpoints) + 1) + "|"]
    for name in samplers:
        if available(name):
            continue
        study = tunelab.create_study(sampler=name, seed=0)
        times = []
        for _ in range(max(checkpoints)):
            t0 = time.perf_counter()
            trial = study.ask()
            x = [trial.suggest_float(f"x{j}", -5, 5) for j in range(d)]
            study.tell(trial, float(sum(v * v for v in x)))
            times.append(time.perf_counter() - t0)
        # the mean of the 5 asks up to each checkpoint
        lines.append(f"| {name} | " + " | ".join(f"{1000 * np.mean(times[c - 5:c]):.1f}" for c in checkpoints) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------------ command line


def _csv(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _seeds(text: str) -> list[int]:
    if "-" in text:
        first, last = (int(x) for x in text.split("-"))
        return list(range(first, last + 1))
    return list(range(int(text)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 4 tasks, 3 seeds, 30 trials")
    parser.add_argument("--tasks", type=_csv, help=f"comma-separated; default all of {list(TASKS)}")
    parser.add_argument("--methods", type=_csv, help=f"comma-separated, from {list(METHODS)}; default all but "
                        "skopt-gp (0.3-1 s per ask: run it apart with --budgets 30); auto:KEY=VALUE,... runs "
                        "AutoSampler with options, e.g. auto:n_startup=5")
    parser.add_argument("--budgets", type=lambda s: [int(x) for x in _csv(s)], help="default 30,100")
    parser.add_argument("--seeds", type=_seeds, help="N (seeds 0..N-1) or A-B (seeds A..B); default 10")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="raw results (JSON lines); default benchmarks/results/search-DATE.jsonl")
    parser.add_argument("--report", nargs="+", metavar="JSONL", help="rebuild the tables from raw results; run nothing")
    parser.add_argument("--latency", action="store_true", help="time tunelab's asks at 100/300/500 trials")
    args = parser.parse_args(argv)

    if args.latency:
        print(latency(["random", "tpe", "cmaes", "gp", "auto"], [100, 300, 500]))
        return
    budgets = args.budgets or ([30] if args.quick else [30, 100])
    if args.report:
        records, metas = load_records(args.report)
        for meta in metas:
            print(f"# run {meta['date']} on {meta['machine']}, {meta['workers']} workers; {meta['versions']}")
        print(format_report(score_table(records, budgets)))
        return
    tasks = args.tasks or (QUICK_TASKS if args.quick else list(TASKS))
    for t in tasks:
        if t not in TASKS:
            parser.error(f"--tasks: unknown task {t!r}; expected names from {list(TASKS)}")
    methods = args.methods or [m for m in METHODS if m != "skopt-gp"]
    for m in list(methods):
        if m.split(":")[0] not in METHODS:
            parser.error(f"--methods: unknown method {m!r}; expected names from {list(METHODS)}")
        why = available(m)
        if why:
            print(f"skipping {m}: {why}", file=sys.stderr)
            methods.remove(m)
    seeds = args.seeds or list(range(3 if args.quick else 10))
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or RESULTS / f"search-{stamp}.jsonl"
    for t in tasks:
        get_task(t)  # build the surrogates' real-evaluation caches up front, in parallel
        random_reference(t)
    records = run_benchmark(tasks, methods, seeds, max(budgets), args.workers, out)
    report = format_report(score_table(records, budgets))
    print(report)
    out.with_suffix(".md").write_text(report + "\n")
    print(f"\nraw results: {out}\nrebuild: python benchmarks/search.py --report {out}")


if __name__ == "__main__":
    main()
