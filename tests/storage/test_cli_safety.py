"""The CLI keeps secrets and terminals safe: passwords masked everywhere, control characters escaped,
and a spec's folder never shadows installed packages."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import tunelab
from tunelab.cli import main
from tunelab.storage import mask_url

SECRET = "S3cr3tPw"

OBJECTIVE = """
def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    return (x - 1) ** 2

def interrupted(trial):
    trial.suggest_float("x", -5, 5)
    raise KeyboardInterrupt
"""


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "relobj.py").write_text(OBJECTIVE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _spec(folder: Path, function: str, name: str = "sec") -> Path:
    path = folder / "spec.toml"
    path.write_text(textwrap.dedent(f"""
        [study]
        name = "{name}"
        sampler = "random"
        n_trials = 2
        [objective]
        function = "{function}"
    """))
    return path


@pytest.fixture
def pg_password_url(pg_db_url: str) -> str:
    """The test database with a password in its URL (the server trusts local users, so any password works)."""
    return sa.engine.make_url(pg_db_url).set(password=SECRET).render_as_string(hide_password=False)


def _invoke(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert SECRET not in result.output, result.output
    return result


def test_mask_url_hides_only_the_password():
    assert mask_url(f"postgresql://me:{SECRET}@db:5432/x") == "postgresql://me:***@db:5432/x"
    assert mask_url("sqlite:///tunelab.db") == "sqlite:///tunelab.db"
    assert SECRET not in mask_url(f"me:{SECRET}@not a url")


def test_mask_url_hides_passwords_in_the_query_string():
    assert mask_url(f"postgresql://u@h/db?password={SECRET}") == "postgresql://u@h/db?password=***"
    shown = mask_url(f"postgresql://u:{SECRET}@h/db?PassWord={SECRET}&sslmode=require&sslpassword={SECRET}"
                     f"&pwd={SECRET}&passwd={SECRET}")
    assert SECRET not in shown
    assert shown == ("postgresql://u:***@h/db?PassWord=***&passwd=***&pwd=***&sslmode=require"
                     "&sslpassword=***")
    assert mask_url("mysql://u@h/db?charset=utf8mb4") == "mysql://u@h/db?charset=utf8mb4"
    assert SECRET not in mask_url(f"password={SECRET} not a url")


def test_cli_lines_mask_a_query_string_password(workdir):
    url = f"postgresql://me@127.0.0.1:1/nowhere?password={SECRET}"
    result = _invoke("ls", "--storage", url)
    assert result.exit_code == 2 and "password=***" in result.output, result.output


@pytest.mark.postgres
def test_run_show_ls_delete_never_print_the_password(workdir, pg_password_url):
    spec = _spec(workdir, "relobj:objective", name=f"sec-{workdir.name}")
    result = _invoke("run", str(spec), "--storage", pg_password_url, "--no-progress")
    assert result.exit_code == 0, result.output
    assert ":***@" in result.output
    assert _invoke("ls", "--storage", pg_password_url).exit_code == 0
    missing = _invoke("show", "no-such-study", "--storage", pg_password_url)
    assert missing.exit_code == 2 and ":***@" in missing.output
    assert _invoke("delete", "no-such-study", "--yes", "--storage", pg_password_url).exit_code == 2


@pytest.mark.postgres
def test_the_interrupt_message_masks_the_password(workdir, pg_password_url):
    spec = _spec(workdir, "relobj:interrupted", name=f"int-{workdir.name}")
    result = _invoke("run", str(spec), "--storage", pg_password_url, "--no-progress")
    assert result.exit_code == 130
    assert "interrupted: 1 new trials are kept in" in result.output and ":***@" in result.output


def test_error_lines_of_unreachable_servers_mask_the_password(workdir):
    url = f"postgresql://me:{SECRET}@127.0.0.1:1/nowhere"
    for args in (["ls"], ["show", "x"], ["delete", "x", "--yes"]):
        result = _invoke(*args, "--storage", url)
        assert result.exit_code == 2 and "me:***@127.0.0.1:1" in result.output, result.output
    result = _invoke("run", str(_spec(workdir, "relobj:objective")), "--storage", url, "--no-progress")
    assert result.exit_code == 2 and "me:***@" in result.output


def test_no_studies_line_masks_the_password(workdir, tmp_path):
    result = _invoke("ls", "--storage", f"sqlite:///{tmp_path / 'empty.db'}")
    assert "no studies in sqlite:///" in result.output


def test_control_characters_in_names_are_escaped(workdir):
    url = "sqlite:///names.db"
    evil = "\x1b[31mred\nfake line\x07"
    study = tunelab.create_study(study_name=evil, storage=url, sampler="random")
    study.optimize(lambda t: t.suggest_categorical("k\x1b[2J", ["v\r\nx"]) and 1.0, n_trials=1)
    for args in (["ls"], ["show", evil], ["delete", evil, "--yes"]):
        result = CliRunner().invoke(main, [*args, "--storage", url])
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\r" not in result.output and "\x07" not in result.output
        if args[0] != "show":
            assert "\\x1b[31mred\\nfake line" in result.output
        else:
            assert "k\\x1b[2J = v\\r\\nx" in result.output
        assert not any(line.startswith("fake line") for line in result.output.splitlines())


def test_a_module_beside_the_spec_does_not_replace_an_installed_package(workdir, monkeypatch):
    (workdir / "sqlalchemy.py").write_text("raise RuntimeError('the fake sqlalchemy was imported')\n")
    (workdir / "helper.py").write_text("FACTOR = 2\n")
    (workdir / "besideobj.py").write_text(
        "import sqlalchemy\nimport helper\n\n"
        "def objective(trial):\n    return helper.FACTOR * trial.suggest_float('x', 0, 1)\n")
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in ("besideobj", "helper"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    spec = _spec(workdir, "besideobj:objective", name="beside")
    result = CliRunner().invoke(main, ["run", str(spec), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert sys.path.index(str(workdir)) > sys.path.index(str(Path(sa.__file__).parents[1]))
    assert sys.modules["sqlalchemy"].__file__ == sa.__file__
    assert len(tunelab.load_study("beside", "sqlite:///tunelab.db").trials) == 2
