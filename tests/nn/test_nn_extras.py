"""Optional dependencies: the torch extra brings what `tune` needs, and a missing one fails fast in one line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tunelab.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def _requirement_names(requirements: list[str]) -> set[str]:
    import re

    return {re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_the_torch_extra_brings_pandas():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert {"torch", "pandas"} <= _requirement_names(extras["torch"])


@pytest.fixture
def no_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError


@pytest.mark.parametrize("command", ["tune", "predict"])
def test_a_missing_torch_is_one_line_naming_the_extra(no_torch, tmp_path, mixed_csv, command):
    args = ["tune", str(mixed_csv), "--target", "label"] if command == "tune" else ["predict", str(tmp_path),
                                                                                     str(mixed_csv)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.output.startswith(f"error: tunelab {command} needs PyTorch: pip install 'tunelab[torch]'")
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_a_trainer_spec_without_torch_fails_before_any_trial(no_torch, tmp_path, mixed_csv):
    spec = tmp_path / "s.toml"
    spec.write_text(f'[study]\nn_trials = 3\nstorage = "sqlite:///{tmp_path / "r.db"}"\n'
                    f'[trainer]\nepochs = 1\n[data]\npath = "{mixed_csv}"\ntarget = "label"\n')
    result = CliRunner().invoke(main, ["run", str(spec), "--no-progress"])
    assert result.exit_code == 2
    assert "tunelab run with a [trainer] table needs PyTorch: pip install 'tunelab[torch]'" in result.output
    assert "trials:" not in result.output and "ModuleNotFoundError" not in result.output


@pytest.mark.parametrize("module,url,extra", [("psycopg", "postgresql://u@127.0.0.1:1/db", "postgres"),
                                              ("pymysql", "mysql://u@127.0.0.1:1/db", "mysql")])
def test_a_missing_database_driver_names_its_extra(monkeypatch, module, url, extra):
    from tunelab.storage import StorageError, get_storage

    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(StorageError, match=rf"needs the database driver '{module}'; install it with: "
                                           rf"pip install 'tunelab\[{extra}\]'"):
        get_storage(url)
