"""Claims in the docs that once disagreed with the code: each is checked against the code it describes."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

import tunelab
from tunelab.analysis.noise import scores
from tunelab.cli import main
from tunelab.trial import FrozenTrial, TrialState

ROOT = Path(__file__).resolve().parents[1]


def _text(name: str) -> str:
    return (ROOT / name).read_text()


def test_the_readme_status_table_lists_the_commands_that_exist():
    commands = set(main.list_commands(None))
    assert {"report", "dashboard", "worker", "migrate", "upgrade-schema"} <= commands
    rows = [line for line in _text("README.md").splitlines() if line.startswith("| ")]
    assert not any("report" in row.lower() and "not yet" in row for row in rows)
    cli_row = next(row for row in rows if row.startswith("| CLI:"))
    for name in commands - {"tune", "predict"}:  # each command the CLI has is in the row
        assert re.search(rf"\b{re.escape(name)}\b", cli_row), name
    assert CliRunner().invoke(main, ["report", "--help"]).exit_code == 0


def test_distributed_docs_say_callbacks_run_with_an_executor():
    text = _text("docs/distributed.md")
    assert "refused with an executor" not in text  # tests/study/test_worker_recipe.py runs them on Dask
    assert "Callbacks run in the task that ran the trial" in text


def test_migrating_docs_name_the_brute_force_counterpart():
    text = " ".join(_text("docs/migrating.md").split())
    assert "`BruteForceSampler` has one" in text
    assert tunelab.samplers.BruteForceSampler.__name__ == "BruteForceSampler"


def test_max_and_min_rank_the_highest_and_lowest_seed_whatever_the_direction():
    t = FrozenTrial(0, 0, TrialState.COMPLETE, [2.0], user_attrs={"repeat_values": [1.0, 2.0, 3.0]})
    for direction in ("maximize", "minimize"):
        sign = 1 if direction == "maximize" else -1
        assert scores([t], direction, by="max")[0][0] == sign * 3.0
        assert scores([t], direction, by="min")[0][0] == sign * 1.0
    doc = " ".join(scores.__doc__.split())
    assert "the luckiest / unluckiest one when maximizing, the reverse when minimizing" in doc
