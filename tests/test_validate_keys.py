"""tunelab._validation.validate runs every check it declares: a declared argument left out is an error."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tunelab._validation import Interval, validate

PACKAGE = Path(__file__).resolve().parents[1] / "tunelab"


def test_a_declared_argument_that_is_not_passed_is_an_error():
    constraints = {"n_trials": [Interval(int, 1, None), None], "seed": [Interval(int, 0, None), None]}
    validate(constraints, {"n_trials": 3, "seed": None}, "f")
    with pytest.raises(TypeError, match=r"f: validate\(\) got no value for the declared argument\(s\) \['seed'\]"):
        validate(constraints, {"n_trials": 3}, "f")
    with pytest.raises(ValueError, match="f: argument 'seed' must be an int in \\[0, inf\\] or None; got -1"):
        validate(constraints, {"n_trials": 3, "seed": -1}, "f")


def _module_dicts(tree: ast.Module) -> dict[str, set]:
    return {node.targets[0].id: {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
            for node in tree.body if isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Dict)}


def test_every_call_in_the_package_passes_every_declared_argument():
    """Read statically: validate(NAME or {...}, {...} or dict(...)) with the constraints' keys all given."""
    checked, gaps = 0, []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        declared_in_module = _module_dicts(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "validate" and len(node.args) >= 2):
                continue
            constraints, arguments = node.args[0], node.args[1]
            if isinstance(constraints, ast.Name) and constraints.id in declared_in_module:
                declared = declared_in_module[constraints.id]
            elif isinstance(constraints, ast.Dict):
                declared = {k.value for k in constraints.keys if isinstance(k, ast.Constant)}
            else:
                continue  # built at run time (the spec loader picks the study's checks by name)
            if isinstance(arguments, ast.Dict):
                given = {k.value for k in arguments.keys if isinstance(k, ast.Constant)}
            elif isinstance(arguments, ast.Call) and getattr(arguments.func, "id", None) == "dict":
                given = {k.arg for k in arguments.keywords}
            else:
                continue
            checked += 1
            if declared - given:
                gaps.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {sorted(declared - given)}")
    assert checked >= 15
    assert not gaps, gaps
