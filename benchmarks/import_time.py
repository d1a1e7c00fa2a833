"""How long `import tunelab` takes, next to `import optuna`, each in a fresh interpreter.

    python benchmarks/import_time.py [--runs 15]

Reads the cumulative time of the top-level module from ``python -X importtime``;
prints the median and the minimum over runs, and which heavy modules got imported.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

HEAVY = ("numpy", "scipy", "pandas", "sklearn", "sqlalchemy", "torch", "plotly", "dask", "ray")


def import_ms(module: str) -> float:
    """Cumulative import time of ``module`` in ms, in a new interpreter."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                         text=True, check=True).stderr
    for line in reversed(err.splitlines()):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1000
    raise RuntimeError(f"no importtime line for {module}")


def heavy_imports(module: str) -> list[str]:
    code = f"import sys, {module}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print("| module | median ms | min ms | heavy modules imported |")
    print("|---|---:|---:|---|")
    for module in ("tunelab", "optuna"):
        try:
            times = [import_ms(module) for _ in range(args.runs)]
        except subprocess.CalledProcessError:
            print(f"| {module} | - | - | not installed |")
            continue
        print(f"| {module} | {statistics.median(times):.0f} | {min(times):.0f} | "
              f"{', '.join(heavy_imports(module)) or 'none'} |")


if __name__ == "__main__":
    main()
