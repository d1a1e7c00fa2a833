"""Overhead per trial: ask + tell with a random sampler, 2 float params, a trivial objective.

tunelab and Optuna in the same run, in memory and on a SQLite file in a temp dir,
at 1,000 and 10,000 trials.  Wall and CPU milliseconds per trial are printed, with
the Optuna/tunelab ratio.  Optuna on SQLite is slow (each trial commits several
times with a full fsync), so at sizes above ``--optuna-sqlite-sample`` its study is
first filled (untimed, with add_trials and fsync off) and only the last trials are
timed; the tunelab column of that row is then the same last-trials window.

    nice -n 10 python benchmarks/overhead.py                # full run (several minutes)
    python benchmarks/overhead.py --sizes 300 --quick       # smoke run
"""

from __future__ import annotations

import argparse
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
    args = parser.parse_args(argv)
    import optuna

    optuna.logging.set_verbosity(logging.WARNING)
    logging.getLogger("tunelab").setLevel(logging.WARNING)

    print(f"# overhead per trial, {date.today()}, {platform.node()} ({os.cpu_count()} CPUs), {_versions()}")
    print(f"# command: {' '.join([os.path.basename(sys.executable)] + sys.argv)}")
    print(f"# load average at start: {os.getloadavg()[0]:.2f} (wall times stretch when other jobs share the CPUs; "
          "CPU times much less)")
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
    print(f"# load average at end: {os.getloadavg()[0]:.2f}")
    if failures:
        print(f"# targets missed: {', '.join(failures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
