"""Parallel throughput: trials per second with 1 and 2 workers on a CPU-bound objective of 1 s trials.

Everything runs in one invocation, so the rows share the machine's state:

- ``multiprocessing``: a plain ``multiprocessing.Pool`` running the same function (the limit);
- tunelab in memory (1 worker in this process), on SQLite and on PostgreSQL (``optimize(n_jobs=k)``,
  k processes), and on a Dask ``LocalCluster`` (k single-threaded worker processes, PostgreSQL storage)
  two ways: ``optimize(executor=client, n_jobs=k)`` (the documented way; tunelab sends the tasks) and
  k tasks that each ``load_study`` and ``optimize`` their share (what a user's own task code does);
- Optuna with k processes, each ``load_study`` + ``optimize`` on one SQLite file (Optuna's own
  ``n_jobs`` runs threads, which a CPU-bound objective cannot use).

A trial spins the CPU for ``--seconds`` of its own CPU time, so on a loaded machine its wall time
stretches for every row alike.  tunelab's share of wall time is ``1 - (objective time) / (workers x wall)``,
where the objective time is summed from inside the objective: everything else (process start,
storage, sampler) counts as overhead.

    python benchmarks/parallel.py [--seconds 1.0] [--trials-per-worker 15] [--postgres URL] [--repeats 3]

With ``--repeats N`` every row runs N times (all rows of a worker count, then again), and a last
table gives each row's median: one busy moment on a shared machine then moves one repeat, not the figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import tempfile
import time
import uuid
from typing import Any, Callable

SECONDS = 1.0
_SPENT = None  # a shared counter of objective seconds, set in each run


def spin(seconds: float) -> float:
    """Burn ``seconds`` of this process's CPU time; returns the wall time it took."""
    start_wall, start = time.perf_counter(), time.process_time()
    x = 0
    while time.process_time() - start < seconds:
        for i in range(2000):
            x += i * i
    return time.perf_counter() - start_wall


def objective(trial: Any) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    took = spin(SECONDS)
    if _SPENT is not None:
        with _SPENT.get_lock():
            _SPENT.value += took
    return x


def _plain(n: int) -> float:
    return spin(SECONDS)


def run_multiprocessing(k: int, n: int) -> dict:
    start = time.perf_counter()
    with mp.get_context("fork").Pool(k) as pool:
        spent = sum(pool.map(_plain, range(n), chunksize=1))
    return {"wall": time.perf_counter() - start, "spent": spent}


def _timed(run: Callable[[], None]) -> dict:
    global _SPENT
    _SPENT = mp.get_context("fork").Value("d", 0.0)
    start = time.perf_counter()
    run()
    wall = time.perf_counter() - start
    spent, _SPENT = _SPENT.value, None
    return {"wall": wall, "spent": spent}


def run_tunelab(storage: str | None, k: int, n: int) -> dict:
    import tunelab

    study = tunelab.create_study(study_name=f"par-{uuid.uuid4().hex[:8]}", storage=storage, sampler="random")
    result = _timed(lambda: study.optimize(objective, n_trials=n, n_jobs=k))
    assert sum(t.state.name == "COMPLETE" for t in study.trials) == n
    return result


def _dask_task(url: str, name: str, n: int, seconds: float) -> float:
    import tunelab

    global SECONDS
    SECONDS = seconds
    study = tunelab.load_study(study_name=name, storage=url, sampler="random")
    spent = 0.0

    def timed(trial: Any) -> float:
        nonlocal spent
        x = trial.suggest_float("x", 0.0, 1.0)
        spent += spin(seconds)
        return x

    study.optimize(timed, n_trials=n)
    return spent


def _warm_up(url: str) -> None:
    """Import what a Dask task will use (tunelab, SQLAlchemy, the database driver) once per worker process."""
    import tunelab

    tunelab.storage.get_storage(url).close()


def run_dask(client: Any, url: str, k: int, n: int) -> dict:
    """k tasks on k single-threaded Dask worker processes, each running its share of trials."""
    import tunelab

    name = f"dask-{uuid.uuid4().hex[:8]}"
    tunelab.create_study(study_name=name, storage=url)
    shares = [n // k + (1 if i < n % k else 0) for i in range(k)]
    start = time.perf_counter()
    futures = [client.submit(_dask_task, url, name, share, SECONDS, pure=False) for share in shares]
    spent = sum(client.gather(futures))
    wall = time.perf_counter() - start
    assert tunelab.load_study(study_name=name, storage=url).get_trials(["complete"]).__len__() == n
    return {"wall": wall, "spent": spent}


def timed_objective(trial: Any) -> float:
    """The objective for executor workers in other processes: its value is its own wall time.

    Run as a script, Dask sends it by value with the ``SECONDS`` of the moment."""
    trial.suggest_float("x", 0.0, 1.0)
    return spin(SECONDS)


def run_dask_executor(client: Any, url: str, k: int, n: int) -> dict:
    """``optimize(executor=client, n_jobs=k)``, the documented way: tunelab sends the k tasks itself."""
    import tunelab

    study = tunelab.create_study(study_name=f"daskx-{uuid.uuid4().hex[:8]}", storage=url, sampler="random")
    start = time.perf_counter()
    study.optimize(timed_objective, n_trials=n, n_jobs=k, executor=client)
    wall = time.perf_counter() - start
    complete = study.get_trials(["complete"])
    assert len(complete) == n
    return {"wall": wall, "spent": sum(t.value for t in complete)}


def _optuna_proc(url: str, name: str, n: int, out: Any) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=name, storage=url, sampler=optuna.samplers.RandomSampler())
    spent = 0.0

    def timed(trial: Any) -> float:
        nonlocal spent
        x = trial.suggest_float("x", 0.0, 1.0)
        spent += spin(SECONDS)
        return x

    study.optimize(timed, n_trials=n)
    out.put(spent)


def run_optuna(url: str, k: int, n: int) -> dict:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    name = f"optuna-{uuid.uuid4().hex[:8]}"
    optuna.create_study(study_name=name, storage=url)
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    shares = [n // k + (1 if i < n % k else 0) for i in range(k)]
    start = time.perf_counter()
    procs = [ctx.Process(target=_optuna_proc, args=(url, name, share, out)) for share in shares]
    for p in procs:
        p.start()
    spent = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return {"wall": time.perf_counter() - start, "spent": spent}


def median_table(rows: list[dict]) -> str:
    """A markdown table of each (workers, run)'s median over its repeats, in the order the rows ran."""
    import statistics

    groups: dict[tuple[int, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["workers"], row["run"]), []).append(row)
    lines = ["| workers | runner | repeats | median vs multiprocessing | median share outside the objective "
             "| shares, each repeat |", "|---|---|---|---|---|---|"]
    for (k, label), group in groups.items():
        shares = [g["overhead_share"] for g in group]
        ratio = statistics.median(g["vs_multiprocessing"] for g in group)
        lines.append(f"| {k} | {label} | {len(group)} | {ratio:.3f} | {100 * statistics.median(shares):.2f} % "
                     f"| {', '.join(f'{100 * s:.2f}' for s in shares)} |")
    return "\n".join(lines)


def main() -> None:
    global SECONDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU seconds per trial")
    parser.add_argument("--trials-per-worker", type=int, default=15)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--repeats", type=int, default=1, help="run every row this many times; report medians")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    SECONDS = args.seconds
    tmp = tempfile.mkdtemp(prefix="tunelab-parallel-")
    client = None
    rows = []
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} {platform.node()} {os.cpu_count()} cores, load {os.getloadavg()}")
    for k in args.workers:
        n = k * args.trials_per_worker
        runs: list[tuple[str, Callable[[], dict]]] = [
            ("multiprocessing", lambda: run_multiprocessing(k, n)),
            ("tunelab SQLite", lambda: run_tunelab(f"sqlite:///{tmp}/t{k}.db", k, n)),
            ("tunelab PostgreSQL", lambda: run_tunelab(args.postgres, k, n)),
            ("Optuna SQLite (processes)", lambda: run_optuna(f"sqlite:///{tmp}/o{k}.db", k, n)),
        ]
        if k == 1:
            runs.insert(1, ("tunelab memory", lambda: run_tunelab(None, 1, n)))
        if not args.no_dask:
            if client is None:
                from dask.distributed import Client, LocalCluster

                cluster = LocalCluster(n_workers=max(args.workers), threads_per_worker=1, processes=True,
                                       dashboard_address=None)
                client = Client(cluster)
                client.run(_warm_up, args.postgres)  # imports are not part of a trial's cost
            runs.append(("tunelab Dask executor (PostgreSQL)", lambda: run_dask_executor(client, args.postgres, k, n)))
            runs.append(("tunelab Dask tasks (PostgreSQL)", lambda: run_dask(client, args.postgres, k, n)))
        for repeat in range(args.repeats):
            limit = None
            for label, run in runs:
                r = run()
                rate = n / r["wall"]
                if label == "multiprocessing":
                    limit = rate
                share = max(0.0, 1 - r["spent"] / (k * r["wall"]))
                row = {"workers": k, "trials": n, "run": label, "repeat": repeat, "wall_s": round(r["wall"], 3),
                       "trials_per_s": round(rate, 4), "vs_multiprocessing": round(rate / limit, 3),
                       "overhead_share": round(share, 4)}
                rows.append(row)
                print(f"{k}  {n:3d}  {label:34s} wall {r['wall']:7.2f} s  {rate:6.3f} trials/s  "
                      f"x{rate / limit:5.3f} of multiprocessing  overhead {100 * share:5.2f} %", flush=True)
    print(f"# load at the end {os.getloadavg()}")
    if args.repeats > 1:
        print(median_table(rows))
    if client is not None:
        client.close()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
