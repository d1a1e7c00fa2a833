"""docs/plugins.md's examples run: its files are written out and a few checks of each suite run on them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def test_the_examples_in_plugins_md_run_through_the_suites(tmp_path):
    blocks = re.findall(r"```python\n# (\w+\.py)\n(.*?)```", DOC.read_text(), flags=re.S)
    names = [name for name, _ in blocks]
    assert names == ["my_sampler.py", "test_my_sampler.py", "my_pruner.py", "test_my_pruner.py", "my_storage.py",
                     "test_my_storage.py"]
    for name, code in blocks:
        (tmp_path / name).write_text(code)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    picked = "sampler_builds or single_value or same_seed or pickles or no_report or create_and_find or claim"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", picked,
                             "test_my_sampler.py", "test_my_pruner.py", "test_my_storage.py"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"\b7 passed\b", result.stdout), result.stdout[-500:]
