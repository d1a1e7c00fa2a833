"""The spec loader: samplers and pruners from the registries with the study's seed and space, plug-in sections."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tunelab
from tunelab.spec import SpecError, load_spec, register_section

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def spec_dir(tmp_path, monkeypatch):
    (tmp_path / "specobj.py").write_text("def objective(trial):\n    return (trial.suggest_float('x', -2, 2) - 1) ** 2\n"
                                         "def from_params(params):\n    return params['x'] ** 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def write(folder: Path, body: str) -> Path:
    path = folder / "spec.toml"
    path.write_text(textwrap.dedent(body))
    return path


def proposals(spec) -> list[dict]:
    study = tunelab.create_study(sampler=spec.sampler, pruner=spec.pruner, directions=spec.directions)
    study.optimize(spec.objective, n_trials=spec.n_trials)
    return [t.params for t in study.trials]


def test_a_table_form_sampler_takes_the_study_seed(spec_dir):
    path = write(spec_dir, """
        [study]
        n_trials = 8
        seed = 7
        sampler = {name = "tpe", n_startup_trials = 3}
        [objective]
        function = "specobj:objective"
        """)
    first, again = load_spec(path), load_spec(path)
    assert type(first.sampler).__name__ == "TPESampler" and first.sampler.n_startup_trials == 3
    assert proposals(first) == proposals(again)  # seeded: the same proposals from two loads
    path.write_text(path.read_text().replace("seed = 7", "seed = 8"))
    assert proposals(load_spec(path)) != proposals(first)


def test_a_table_form_pruner_gets_its_options_and_bad_options_name_the_key(spec_dir):
    spec = load_spec(write(spec_dir, """
        [study]
        n_trials = 2
        pruner = {name = "median", n_startup_trials = 2}
        [objective]
        function = "specobj:objective"
        """))
    assert type(spec.pruner).__name__ == "MedianPruner" and spec.pruner.n_startup_trials == 2
    with pytest.raises(SpecError, match=r"\[study\] sampler \('tpe' with its options\): .*n_startup"):
        load_spec(write(spec_dir, """
            [study]
            n_trials = 2
            sampler = {name = "tpe", n_startup = 3}
            [objective]
            function = "specobj:objective"
            """))


@pytest.mark.parametrize("name, kind, size", [("grid", "GridSampler", 5), ("qmc", "QMCSampler", None),
                                              ("sobol", "QMCSampler", None)])
def test_samplers_built_from_the_space_get_it_from_the_registry(spec_dir, name, kind, size):
    spec = load_spec(write(spec_dir, f"""
        [study]
        n_trials = 5
        seed = 3
        sampler = "{name}"
        [space]
        x = {{type = "float", low = 0.0, high = 1.0, step = 0.25}}
        [objective]
        function = "specobj:from_params"
        """))
    assert type(spec.sampler).__name__ == kind
    distinct = {p["x"] for p in proposals(spec)}
    if size is not None:  # the whole grid, each point once
        assert len(spec.sampler) == size and distinct == {0.0, 0.25, 0.5, 0.75, 1.0}
    else:  # Sobol points spread over the declared space
        assert len(distinct) >= 3 and distinct <= {0.0, 0.25, 0.5, 0.75, 1.0}


def test_a_registered_section_supplies_the_objective(spec_dir):
    def build(tables, base_dir):
        scale = tables["toy"].get("scale", 1.0)
        if not isinstance(scale, float):
            raise ValueError(f"scale: expected a number; got {scale!r}")
        return (lambda trial: scale * trial.suggest_float("x", 0, 1)), None, "maximize"

    register_section(("toy",), build)
    spec = load_spec(write(spec_dir, """
        [study]
        n_trials = 3
        [toy]
        scale = 2.0
        """))
    assert spec.directions == ["maximize"] and 0 <= spec.objective(tunelab.FixedTrial({"x": 0.25})) == 0.5
    with pytest.raises(SpecError, match=r"spec.toml: \[toy\]: scale: expected a number; got 'big'"):
        load_spec(write(spec_dir, "[study]\nn_trials = 3\n[toy]\nscale = 'big'\n"))
    with pytest.raises(SpecError, match=r"give one objective: \[objective\] or \[toy\]"):
        load_spec(write(spec_dir, "[study]\nn_trials = 3\n[toy]\n[objective]\nfunction = 'specobj:objective'\n"))
    with pytest.raises(ValueError, match="must be new names"):
        register_section(("study",), build)


def test_the_spec_loader_imports_no_plug_in_and_names_the_missing_one(spec_dir):
    tree = ast.parse((ROOT / "tunelab" / "spec.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | \
        {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and m.startswith("tunelab.nn") for m in imported)
    path = write(spec_dir, "[study]\nn_trials = 1\n[trainer]\nepochs = 1\n[data]\ndataset = 'iris'\n")
    code = f"from tunelab.spec import load_spec\nload_spec({str(path)!r})"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "unknown table(s) ['data', 'trainer']" in result.stderr and "import tunelab.nn.spec" in result.stderr
    code = "import tunelab.nn.spec\n" + code.replace("load_spec(", "s = load_spec(") + "\nprint(s.directions)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and "['maximize']" in result.stdout, result.stderr[-800:]


@pytest.mark.parametrize("line, message", [
    ("n_jobs = 0", "argument 'n_jobs' must be an int in [1, inf] or -1 (one per CPU)"),
    ("seed = -1", "argument 'seed' must be an int in [0, inf] or None"),
    ("timeout = 0", "[study] timeout: expected seconds > 0"),
    ("directions = ['maximize', 'sideways']", "argument 'directions' must be a non-empty list"),
    ("name = ' '", "[study]: argument 'name' must be a non-empty text; got ' '"),
    ("name = 3", "[study]: argument 'name' must be a non-empty text; got 3"),
])
def test_study_values_get_the_studys_own_checks(spec_dir, line, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        load_spec(write(spec_dir, f"[study]\nn_trials = 2\n{line}\n[objective]\nfunction = 'specobj:objective'\n"))


def test_tunelab_run_records_the_specs_own_sampler_for_workers(spec_dir, monkeypatch):
    from click.testing import CliRunner

    from tunelab.cli import OBJECTIVE_ATTR, main

    monkeypatch.chdir(spec_dir)
    path = write(spec_dir, """
        [study]
        name = "recorded"
        n_trials = 2
        storage = "sqlite:///recorded.db"
        sampler = {name = "tpe", n_startup_trials = 3}
        pruner = "median"
        [objective]
        function = "specobj:objective"
        """)
    result = CliRunner().invoke(main, ["run", str(path), "--no-progress"])
    assert result.exit_code == 0, result.output
    study = tunelab.load_study("recorded", "sqlite:///recorded.db")
    record = study.storage.get_study_attrs(study.study_id, system=True)[OBJECTIVE_ATTR]
    assert record["sampler"] == {"name": "tpe", "n_startup_trials": 3} and record["pruner"] == "median"
    worker_study = tunelab.load_study("recorded", "sqlite:///recorded.db", sampler=record["sampler"],
                                      pruner=record["pruner"])
    assert type(worker_study.sampler).__name__ == "TPESampler" and worker_study.sampler.n_startup_trials == 3
