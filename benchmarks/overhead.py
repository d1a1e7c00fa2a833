"""Overhead per trial: ask + tell with a random sampler, 2 float params, a trivial objective.

tunelab and Optuna in the same run, in memory and on a SQLite file in a temp dir,
at 1,000 and 10,000 trials.  Wall and CPU milliseconds per trial are printed, with
the Optuna/tunelab ratio.  Optuna on SQLite is slow (each trial commits several
times with a full fsync), so at sizes above ``--optuna-sqlite-sample`` its study is
first filled (untimed, with add_trials and fsync off) and only the last trials are
timed; the tunelab column of that row is then the same last-trials window.

    nice -n 10 python benchmarks/overhead.py                # full run (several minutes)
    python benchmarks/overhead.py --sizes 300 --quick       # smoke run
    nice -n 10 python benchmarks/overhead.py --only extra   # only the issue-17 rows below, with targets
    python benchmarks/overhead.py --only extra --optimize-trials 100 --big 5000 --sampler-big 2000  # smoke run

Extra rows (``--only extra`` runs just these):

* ``optimize()`` against an ask + tell loop, per trial, on SQLite (target: within 1.2x);
* a 100,000-trial SQLite study (filled in bulk with plain SQL, untimed): ``load_study``,
  then the first and the next asks with TPE (target: load under 1 s, first ask no dearer
  than the next), and a cold read of every trial by a new storage object (a dashboard's
  first view of the study);
* sampler ask time (ask + suggests + tell, 6 float parameters, in memory) at 100 and 500
  trials for ``auto`` (its GP phase at 100, CMA-ES at 500) and ``tpe``, TPE at 10,000 (the study filled by random
  trials first; once more on a discrete space, 5 ints of 21 values and a choice of 3), next to Optuna's TPE and GP (GP at 100 only: its asks take seconds at 500
  on a loaded machine).  CPU milliseconds first (other jobs on the machine stretch them less),
  wall milliseconds in brackets; each row says whether its target is met.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from typing import Callable

TARGETS = {"memory": 0.1, "sqlite": 2.0}  # ms per trial
SPEEDUP_TARGET = 5.0  # tunelab vs Optuna on SQLite


@dataclass
class Timing:
    wall_ms: float  # mean over the timed trials
    cpu_ms: float
    timed: int  # how many trials were timed
    of: int  # the size of the study at the end


def _objective_values(x: float, y: float) -> float:
    return (x - 1.0) ** 2 + (y + 0.5) ** 2


def _timed_loop(step: Callable[[], None], n: int) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        step()
    return Timing((time.perf_counter() - wall) / n * 1e3, (time.process_time() - cpu) / n * 1e3, n, n)


def run_tunelab(n: int, url: str | None, window: int) -> tuple[Timing, Timing]:
    """(all n trials, the last ``window`` trials)."""
    import tunelab
    from tunelab.samplers.random import RandomSampler

    gc.collect()  # no collection of an earlier run's garbage lands in this one (each library's run starts so)
    study = tunelab.create_study(storage=url, sampler=RandomSampler(seed=0))

    def step() -> None:
        trial = study.ask()
        study.tell(trial, _objective_values(trial.suggest_float("x", -5, 5), trial.suggest_float("y", -5, 5)))

    head = _timed_loop(step, n - window)
    tail = _timed_loop(step, window)
    whole = Timing((head.wall_ms * head.timed + tail.wall_ms * window) / n,
                   (head.cpu_ms * head.timed + tail.cpu_ms * window) / n, n, n)
    assert len(study.trials) == n
    return whole, Timing(tail.wall_ms, tail.cpu_ms, window, n)


def _optuna_step(study) -> Callable[[], None]:
    def step() -> None:
        trial = study.ask()
        study.tell(trial, _objective_values(trial.suggest_float("x", -5, 5), trial.suggest_float("y", -5, 5)))
    return step


def run_optuna(n: int, url: str | None, sample: int, wal: bool = False) -> Timing:
    import optuna

    gc.collect()
    sampler = optuna.samplers.RandomSampler(seed=0)
    if url is None:
        study = optuna.create_study(sampler=sampler)
        return _timed_loop(_optuna_step(study), n)
    timed = min(n, sample)
    if n > timed:
        _prefill_optuna(url, n - timed)
    storage = optuna.storages.RDBStorage(url)
    if wal:
        _sqlite_pragmas(storage.engine, "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")
    study = optuna.create_study(study_name="bench", storage=storage, sampler=sampler, load_if_exists=True)
    result = _timed_loop(_optuna_step(study), timed)
    assert len(study.trials) == n
    return Timing(result.wall_ms, result.cpu_ms, timed, n)


def _sqlite_pragmas(engine, *pragmas: str) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _set(dbapi_conn, record) -> None:
        for pragma in pragmas:
            dbapi_conn.execute(pragma)
    engine.dispose()


def _prefill_optuna(url: str, n: int) -> None:
    """n finished random trials, written fast (fsync off: this part is not timed)."""
    import numpy as np
    import optuna
    from optuna.distributions import FloatDistribution

    storage = optuna.storages.RDBStorage(url)
    _sqlite_pragmas(storage.engine, "PRAGMA synchronous=OFF")
    study = optuna.create_study(study_name="bench", storage=storage)
    rng = np.random.default_rng(1)
    dist = {"x": FloatDistribution(-5, 5), "y": FloatDistribution(-5, 5)}
    batch = []
    for x, y in rng.uniform(-5, 5, size=(n, 2)):
        batch.append(optuna.trial.create_trial(params={"x": float(x), "y": float(y)}, distributions=dist,
                                               value=_objective_values(x, y)))
    study.add_trials(batch)
    storage.engine.dispose()


# ------------------------------------------------------------------ extra rows (issue 17)


def optimize_vs_ask_tell(n: int, tmp: str) -> tuple[Timing, Timing]:
    """(ask + tell loop, optimize) per trial on SQLite, random sampler, the same trivial objective."""
    import tunelab
    from tunelab.samplers.random import RandomSampler

    def objective(trial) -> float:
        return _objective_values(trial.suggest_float("x", -5, 5), trial.suggest_float("y", -5, 5))

    loop = tunelab.create_study(storage=f"sqlite:///{tmp}/loop.db", sampler=RandomSampler(seed=0))

    def step() -> None:
        trial = loop.ask()
        loop.tell(trial, objective(trial))

    asktell = _timed_loop(step, n)
    opt = tunelab.create_study(storage=f"sqlite:///{tmp}/opt.db", sampler=RandomSampler(seed=0))
    wall, cpu = time.perf_counter(), time.process_time()
    opt.optimize(objective, n_trials=n)
    optimized = Timing((time.perf_counter() - wall) / n * 1e3, (time.process_time() - cpu) / n * 1e3, n, n)
    assert len(opt.trials) == n
    return asktell, optimized


def fill_sqlite_study(url: str, path: str, n: int, name: str = "big") -> None:
    """A tunelab SQLite study of ``n`` complete 2-parameter trials, written with plain SQL (fast, untimed)."""
    import json
    import random
    import sqlite3

    import tunelab

    study = tunelab.create_study(name=name, storage=url, sampler="random")
    trial = study.ask()
    study.tell(trial, _objective_values(trial.suggest_float("x", -5, 5), trial.suggest_float("y", -5, 5)))
    study.storage.close() if hasattr(study.storage, "close") else None
    con = sqlite3.connect(path)
    (study_id, start, end), = con.execute("SELECT study_id, datetime_start, datetime_complete FROM tunelab_trials")
    dists = dict(con.execute("SELECT param_name, distribution_json FROM tunelab_trial_params"))
    rng = random.Random(0)
    trials, params = [], []
    for number in range(1, n):
        x, y = rng.uniform(-5, 5), rng.uniform(-5, 5)
        trials.append((number + 1, study_id, number, 2, json.dumps([_objective_values(x, y)]), start, end))
        params += [(number + 1, "x", dists["x"], json.dumps(x)), (number + 1, "y", dists["y"], json.dumps(y))]
    con.executemany("INSERT INTO tunelab_trials (trial_id, study_id, number, state, values_json, datetime_start, "
                    "datetime_complete) VALUES (?, ?, ?, ?, ?, ?, ?)", trials)
    con.executemany("INSERT INTO tunelab_trial_params (trial_id, param_name, distribution_json, value_json) "
                    "VALUES (?, ?, ?, ?)", params)
    con.execute("UPDATE tunelab_studies SET next_number = ? WHERE study_id = ?", (n, study_id))
    con.commit()
    con.close()


def big_study_rows(n: int, tmp: str) -> list[tuple[str, float, float]]:
    """(what, wall ms, CPU ms): load_study of an n-trial SQLite study, then its first three asks with TPE."""
    import tunelab

    path = f"{tmp}/big.db"
    url = f"sqlite:///{path}"
    fill_sqlite_study(url, path, n)
    rows = []
    wall, cpu = time.perf_counter(), time.process_time()
    study = tunelab.load_study(name="big", storage=url, sampler="tpe")
    rows.append((f"load_study ({n:,} trials)", (time.perf_counter() - wall) * 1e3, (time.process_time() - cpu) * 1e3))
    for which in ("first", "second", "third"):
        wall, cpu = time.perf_counter(), time.process_time()
        trial = study.ask()
        study.tell(trial, _objective_values(trial.suggest_float("x", -5, 5), trial.suggest_float("y", -5, 5)))
        rows.append((f"{which} ask + tell, TPE", (time.perf_counter() - wall) * 1e3, (time.process_time() - cpu) * 1e3))
    # the two one-time parts of the first ask, apart: a new TPE sampler's first look at trials the storage
    # holds already, then (below) a cold read
    study.sampler = tunelab.samplers.load_sampler_class("tpe")(seed=1)
    wall, cpu = time.perf_counter(), time.process_time()
    trial = study.ask()
    study.tell(trial, _objective_values(trial.suggest_float("x", -5, 5), trial.suggest_float("y", -5, 5)))
    rows.append(("ask + tell, a new TPE sampler (trials read already)", (time.perf_counter() - wall) * 1e3,
                 (time.process_time() - cpu) * 1e3))
    # what a dashboard's cold start pays: every trial read by a storage object that has read nothing yet
    from tunelab.storage.sql import SQLStorage

    fresh = SQLStorage(url)
    wall, cpu = time.perf_counter(), time.process_time()
    n_read = len(fresh.get_all_trials(study.study_id))
    rows.append((f"read all {n_read:,} trials, cold (get_all_trials)", (time.perf_counter() - wall) * 1e3,
                 (time.process_time() - cpu) * 1e3))
    fresh.close()
    return rows


def _ask_ms(ask_tell: Callable[[], None], n: int, at: list[int]) -> dict[int, tuple[float, float]]:
    """(CPU ms, wall ms) of one ask + tell, the mean of the 5 asks up to each size in ``at``."""
    cpu_times, wall_times = [], []
    for _ in range(n):
        wall, cpu = time.perf_counter(), time.process_time()
        ask_tell()
        cpu_times.append(time.process_time() - cpu)
        wall_times.append(time.perf_counter() - wall)
    return {c: (1e3 * sum(cpu_times[c - 5:c]) / 5, 1e3 * sum(wall_times[c - 5:c]) / 5) for c in at if c <= n}


SAMPLER_TARGETS = {("tunelab auto", 100): 20.0, ("tunelab auto", 500): 50.0, ("tunelab tpe", 10000): 50.0,
                   ("tunelab tpe, discrete space", 10000): 50.0}


def sampler_ask_rows(d: int = 6, show: Callable[[str, dict[int, tuple[float, float]]], None] | None = None,
                     big: int = 10000) -> list[tuple[str, dict[int, tuple[float, float]]]]:
    import optuna

    import tunelab
    from tunelab.samplers.random import RandomSampler

    def step_of(study, discrete: bool = False) -> Callable[[], None]:  # the same objective for both libraries
        def step() -> None:
            trial = study.ask()
            if discrete:  # d - 1 ints of 21 values and a choice of 3: every parameter discrete
                value = sum((trial.suggest_int(f"k{j}", 0, 20) - 6) ** 2 for j in range(d - 1))
                value += ["a", "b", "c"].index(trial.suggest_categorical("c", ["a", "b", "c"]))
            else:
                value = sum(trial.suggest_float(f"x{j}", -5, 5) ** 2 for j in range(d))
            study.tell(trial, value)
        return step

    rows = []
    for name in ("auto", "tpe"):
        study = tunelab.create_study(sampler=name, seed=0)
        rows.append((f"tunelab {name}", _ask_ms(step_of(study), 500, [100, 500])))
        show and show(*rows[-1])
    for name, cls, n in (("TPE", optuna.samplers.TPESampler, 500), ("GP", optuna.samplers.GPSampler, 100)):
        study = optuna.create_study(sampler=cls(seed=0))
        rows.append((f"Optuna {name}", _ask_ms(step_of(study), n, [100, 500])))
        show and show(*rows[-1])
    # a big study: filled by random trials, then the sampler takes over for 10 asks; on floats, then on a
    # discrete space (where TPE integrates each grid cell and skips configurations already tried)
    for discrete, label in ((False, ""), (True, ", discrete space")):
        study = tunelab.create_study(sampler=RandomSampler(seed=0), seed=0)
        fill = step_of(study, discrete)
        for _ in range(big - 10):
            fill()
        study.sampler = tunelab.samplers.load_sampler_class("tpe")(seed=0)
        rows.append((f"tunelab tpe{label}", {big: _ask_ms(step_of(study, discrete), 10, [10])[10]}))
        show and show(*rows[-1])
        op = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
        fill = step_of(op, discrete)
        for _ in range(big - 10):
            fill()
        op.sampler = optuna.samplers.TPESampler(seed=0)
        rows.append((f"Optuna TPE{label}", {big: _ask_ms(step_of(op, discrete), 10, [10])[10]}))
        show and show(*rows[-1])
    return rows


def extra_rows(args: argparse.Namespace) -> None:
    if not args.samplers_only:
        with tempfile.TemporaryDirectory() as tmp:
            asktell, optimized = optimize_vs_ask_tell(args.optimize_trials, tmp)
        print(f"\n| {args.optimize_trials:,} trials, SQLite | ms/trial (wall / CPU) | optimize / ask+tell (wall) | target |")
        print("|---|---|---|---|")
        print(f"| ask + tell loop | {asktell.wall_ms:.3f} / {asktell.cpu_ms:.3f} | | |")
        ratio = optimized.wall_ms / asktell.wall_ms
        print(f"| optimize() | {optimized.wall_ms:.3f} / {optimized.cpu_ms:.3f} | {ratio:.2f}x | <= 1.2x: "
              f"{'met' if ratio <= 1.2 else 'MISSED'} |", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            rows = big_study_rows(args.big, tmp)
        print(f"\n| {args.big:,}-trial SQLite study, TPE | CPU ms | wall ms | target |")
        print("|---|---|---|---|")
        first = rows[1][2]
        for i, (what, wall, cpu) in enumerate(rows):
            if i == 0:
                target = f"< 1,000: {'met' if cpu < 1000 else 'MISSED'} (CPU), {'met' if wall < 1000 else 'MISSED'} (wall)"
            elif i == 1:
                nxt = rows[2][2]
                target = f"no dearer than the next: {'met' if first <= nxt else 'MISSED'} ({first / nxt:.2f}x, CPU)"
            else:
                target = ""
            print(f"| {what} | {cpu:.0f} | {wall:.0f} | {target} |", flush=True)
    print(f"\n| sampler: CPU ms (wall ms) per ask + tell, 6-D, in memory | at 100 | at 500 | at {args.sampler_big:,} "
          "| target |")
    print("|---|---|---|---|---|")

    def show(name: str, by_size: dict[int, tuple[float, float]]) -> None:
        cells = [f"{by_size[c][0]:.1f} ({by_size[c][1]:.1f})" if c in by_size else "-"
                 for c in (100, 500, args.sampler_big)]
        targets = []
        for (who, size), limit in SAMPLER_TARGETS.items():
            size = args.sampler_big if size == 10000 else size
            if who == name and size in by_size:
                cpu, wall = by_size[size]
                targets.append(f"<= {limit:.0f} at {size:,}: {'met' if cpu <= limit else 'MISSED'} (CPU), "
                               f"{'met' if wall <= limit else 'MISSED'} (wall)")
        print(f"| {name} | " + " | ".join(cells) + f" | {'; '.join(targets)} |", flush=True)

    sampler_ask_rows(show=show, big=args.sampler_big)


def _versions() -> str:
    import numpy
    import optuna
    import sqlalchemy

    import tunelab

    return (f"Python {platform.python_version()}, tunelab {tunelab.__version__}, optuna {optuna.__version__}, "
            f"SQLAlchemy {sqlalchemy.__version__}, numpy {numpy.__version__}, SQLite {__import__('sqlite3').sqlite_version}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--optuna-sqlite-sample", type=int, default=1000,
                        help="at larger sizes, time only this many last Optuna SQLite trials (after an untimed fill)")
    parser.add_argument("--window", type=int, default=500, help="the last-trials window reported for tunelab")
    parser.add_argument("--quick", action="store_true", help="skip the Optuna WAL row")
    parser.add_argument("--only", choices=["all", "extra"], default="all", help="'extra': only the issue-17 rows")
    parser.add_argument("--optimize-trials", type=int, default=1000)
    parser.add_argument("--big", type=int, default=100_000, help="trials in the study that load_study opens")
    parser.add_argument("--samplers-only", action="store_true", help="with --only extra: only the sampler ask rows")
    parser.add_argument("--sampler-big", type=int, default=10_000, help="the big in-memory study of the sampler rows")
    args = parser.parse_args(argv)
    import optuna

    optuna.logging.set_verbosity(logging.WARNING)
    logging.getLogger("tunelab").setLevel(logging.WARNING)

    print(f"# overhead per trial, {date.today()}, {platform.node()} ({os.cpu_count()} CPUs), {_versions()}")
    print(f"# command: {' '.join([os.path.basename(sys.executable)] + sys.argv)}")
    print(f"# load average at start: {os.getloadavg()[0]:.2f} (wall times stretch when other jobs share the CPUs; "
          "CPU times much less)")
    if args.only == "extra":
        extra_rows(args)
        print(f"# load average at end: {os.getloadavg()[0]:.2f}")
        return 0
    header = ("| trials | storage | tunelab ms/trial (wall / CPU) | Optuna ms/trial (wall / CPU) | "
              "Optuna / tunelab (wall) | tunelab target |")
    print(header)
    print("|" + "---|" * 6)
    # one-time costs (lazy imports, the first engine and schema) are not per-trial overhead:
    # a short untimed run of each library, in memory and on SQLite, before anything is timed
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("memory", "sqlite"):
            run_tunelab(50, None if kind == "memory" else f"sqlite:///{tmp}/warm-tunelab.db", 10)
            run_optuna(50, None if kind == "memory" else f"sqlite:///{tmp}/warm-optuna.db", 50)
    failures = []
    for n in args.sizes:
        window = min(args.window, n // 2)
        for kind in ("memory", "sqlite"):
            with tempfile.TemporaryDirectory() as tmp:
                tl_url = None if kind == "memory" else f"sqlite:///{tmp}/tunelab.db"
                op_url = None if kind == "memory" else f"sqlite:///{tmp}/optuna.db"
                whole, tail = run_tunelab(n, tl_url, window)
                theirs = run_optuna(n, op_url, args.optuna_sqlite_sample)
            ours = whole if theirs.timed == n else Timing(tail.wall_ms, tail.cpu_ms, theirs.timed, n)
            note = "" if theirs.timed == n else f" (last {theirs.timed} of {n})"
            ratio = theirs.wall_ms / ours.wall_ms
            ok = whole.wall_ms <= TARGETS[kind] and (kind == "memory" or ratio >= SPEEDUP_TARGET)
            if not ok:
                failures.append(f"{kind} at {n}")
            target = f"<= {TARGETS[kind]} ms" + (f", >= {SPEEDUP_TARGET:.0f}x Optuna" if kind == "sqlite" else "")
            print(f"| {n:,} | {kind}{note} | {ours.wall_ms:.3f} / {ours.cpu_ms:.3f} | "
                  f"{theirs.wall_ms:.3f} / {theirs.cpu_ms:.3f} | {ratio:.1f}x | {target}: "
                  f"{'met' if ok else 'MISSED'} (all {n}: {whole.wall_ms:.3f}) |", flush=True)
    if not args.quick:
        n = min(args.sizes)
        with tempfile.TemporaryDirectory() as tmp:
            wal = run_optuna(n, f"sqlite:///{tmp}/optuna-wal.db", n, wal=True)
            whole, _ = run_tunelab(n, f"sqlite:///{tmp}/tunelab.db", min(args.window, n // 2))
        print(f"| {n:,} | sqlite, Optuna also in WAL + synchronous=NORMAL | {whole.wall_ms:.3f} / {whole.cpu_ms:.3f} "
              f"| {wal.wall_ms:.3f} / {wal.cpu_ms:.3f} | {wal.wall_ms / whole.wall_ms:.1f}x | (same settings) |")
    extra_rows(args)
    print(f"# load average at end: {os.getloadavg()[0]:.2f}")
    if failures:
        print(f"# targets missed: {', '.join(failures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
