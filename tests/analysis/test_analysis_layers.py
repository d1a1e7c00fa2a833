"""analysis/ reads trial records only; visualization/ reads analysis/: no import runs up a layer."""

from __future__ import annotations

import ast
import pathlib

import tunelab

ROOT = pathlib.Path(tunelab.__file__).parent
ALLOWED = {
    "analysis": ("tunelab._validation", "tunelab.space", "tunelab.trial", "tunelab.analysis"),
    # tunelab.terminator: Optuna's evaluators, which plot_terminator_improvement takes and defaults to
    "visualization": ("tunelab._validation", "tunelab._extras", "tunelab.space", "tunelab.trial", "tunelab.pareto",
                      "tunelab.analysis", "tunelab.terminator", "tunelab.visualization"),
}


def _tunelab_imports(path: pathlib.Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tunelab"):
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("tunelab"))
    return out


def test_imports_only_run_down():
    for package, allowed in ALLOWED.items():
        files = sorted((ROOT / package).glob("*.py"))
        assert files
        for path in files:
            for module in _tunelab_imports(path):
                assert module.startswith(allowed), f"{path.name} imports {module}"


def test_importance_module_reads_analysis_only():
    assert _tunelab_imports(ROOT / "importance.py") == {"tunelab.analysis.importance"}
