"""benchmarks/parallel.py's median table: one row per (workers, runner), medians over the repeats."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "parallel.py"


def _module():
    spec = importlib.util.spec_from_file_location("parallel_bench", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_median_table_takes_each_rows_middle_repeat():
    rows = [{"workers": 1, "run": run, "vs_multiprocessing": ratio, "overhead_share": share}
            for run, ratio, share in [("multiprocessing", 1.0, 0.002), ("tunelab PostgreSQL", 0.99, 0.011),
                                      ("multiprocessing", 1.0, 0.001), ("tunelab PostgreSQL", 0.995, 0.006),
                                      ("multiprocessing", 1.0, 0.003), ("tunelab PostgreSQL", 0.98, 0.007)]]
    lines = _module().median_table(rows).splitlines()
    assert len(lines) == 4 and lines[2].startswith("| 1 | multiprocessing | 3 | 1.000 | 0.20 % |")
    assert lines[3] == "| 1 | tunelab PostgreSQL | 3 | 0.990 | 0.70 % | 1.10, 0.60, 0.70 |"
