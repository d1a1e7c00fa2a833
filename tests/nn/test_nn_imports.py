"""`import tunelab` never loads tunelab.nn or torch; `import tunelab.nn` and the spec/CLI modules stay torch-free."""

from __future__ import annotations

import subprocess
import sys


def _loaded(code: str) -> str:
    probe = code + "; import sys; print(','.join(m for m in ('torch', 'tunelab.nn', 'pandas') if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()


def test_import_tunelab_loads_neither_nn_nor_torch():
    assert _loaded("import tunelab") == ""


def test_nn_package_spec_and_cli_do_not_import_torch():
    assert _loaded("import tunelab.nn, tunelab.nn.spec, tunelab.nn.cli, tunelab.nn.hooks") == "tunelab.nn"
