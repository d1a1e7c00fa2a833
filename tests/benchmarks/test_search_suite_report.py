"""The search suite's report reads several result files: a later file's row replaces an earlier one
with the same (task, method, seed), so that a rerun is not averaged with the run it replaces."""

from __future__ import annotations

import importlib
import json
import os
import statistics
import sys
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture(scope="module")
def search_suite() -> ModuleType:
    """benchmarks/search_suite.py, imported without leaving its thread settings or sys.path entry behind."""
    env, path = dict(os.environ), list(sys.path)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    try:
        return importlib.import_module("search_suite")
    finally:
        os.environ.clear()
        os.environ.update(env)
        sys.path[:] = path


def _write(path: Path, rows: list[dict]) -> str:
    meta = {"meta": {"argv": []}}
    path.write_text("\n".join(json.dumps(r) for r in [meta, *rows]) + "\n")
    return str(path)


def _row(task: str, method: str, seed: int, losses: list[float]) -> dict:
    return {"task": task, "method": method, "seed": seed, "n": len(losses), "losses": losses, "overhead_s": 0.0}


def test_later_file_replaces_same_task_method_seed(search_suite: ModuleType, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    old = _write(tmp_path / "old.jsonl", [_row("bbob-f01", "auto", 0, [3.0, 2.0]), _row("bbob-f01", "auto", 1, [5.0]),
                                          _row("bbob-f01", "tpe", 0, [4.0])])
    new = _write(tmp_path / "new.jsonl", [_row("bbob-f01", "auto", 0, [1.0, 0.5]), _row("bbob-f02", "auto", 0, [7.0])])

    rows = {(r["task"], r["method"], r["seed"]): r["losses"] for r in search_suite.load_records([old, new])}

    assert rows == {("bbob-f01", "auto", 0): [1.0, 0.5], ("bbob-f01", "auto", 1): [5.0],
                    ("bbob-f01", "tpe", 0): [4.0], ("bbob-f02", "auto", 0): [7.0]}
    assert "1 rows replaced" in capsys.readouterr().err
    # the order of the arguments decides: the other way round, the old row wins
    rows = {(r["task"], r["method"], r["seed"]): r["losses"] for r in search_suite.load_records([new, old])}
    assert rows[("bbob-f01", "auto", 0)] == [3.0, 2.0]


def test_no_duplicates_no_note(search_suite: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "a.jsonl", [_row("bbob-f01", "auto", 0, [1.0]), _row("bbob-f01", "auto", 1, [2.0])])
    assert len(search_suite.load_records([path])) == 2
    assert capsys.readouterr().err == ""


def test_select_records_by_problem_pattern_and_seed(search_suite: ModuleType) -> None:
    rows = [_row("ml-dt-iris", "auto", 0, [1.0]), _row("ml-dt-iris", "hebo", 1, [1.0]),
            _row("ml-knn-iris", "auto", 0, [1.0]), _row("ml-dt-wine", "auto", 2, [1.0])]
    picked = search_suite.select_records(rows, "ml-dt-*", "0,2")
    assert [(r["task"], r["seed"]) for r in picked] == [("ml-dt-iris", 0), ("ml-dt-wine", 2)]
    assert search_suite.select_records(rows, None, None) == rows


def test_a_run_counts_the_trials_that_repeat_an_earlier_configuration(search_suite: ModuleType) -> None:
    import search_methods
    from search_tasks import Task

    from tunelab.space import Categorical, Int, SearchSpace

    space = SearchSpace.from_mapping({"k": Int(1, 2), "w": Categorical(["a", "b"])})
    task = Task("tiny", "synthetic", space, lambda p: float(p["k"]))
    run = search_methods.tunelab_runner("random")(task, 0, 12)  # 4 points, 12 trials: at least 8 repeats
    assert run.repeats is not None and run.repeats >= 8
    assert search_methods.count_repeats([{"k": 1, "w": "a"}, {"w": "a", "k": 1}, {"k": 1, "w": "b"}]) == 1
    assert search_methods.count_repeats([{"x": 1.0}, {"x": 1}]) == 0  # told apart by repr, as the runs log them


def test_paired_difference_uses_only_the_runs_both_methods_have(search_suite: ModuleType) -> None:
    runs = {(15, "p1", "a"): {0: 10.0, 1: 20.0, 2: 30.0}, (15, "p1", "b"): {0: 4.0, 1: 18.0},  # seed 2: a only
            (15, "p2", "a"): {0: 50.0}, (15, "p2", "b"): {0: 53.0},
            (15, "p3", "a"): {0: 1.0}}  # no b run at all: left out
    table = {"tasks": ["p1", "p2", "p3"], "budgets": [15], "runs": runs}

    p = search_suite.paired_difference(table, 15, "a", "b")

    assert (p.n_runs, p.n_problems) == (3, 2)
    assert p.mean == pytest.approx((6.0 + 2.0 - 3.0) / 3)
    assert p.problem_mean == pytest.approx((4.0 - 3.0) / 2)  # p1's mean difference 4, p2's -3
    assert (p.ahead, p.behind) == (1, 1)
    assert p.se == pytest.approx(statistics.stdev([6.0, 2.0, -3.0]) / 3 ** 0.5)
    assert search_suite.paired_difference(table, 15, "a", "c") is None
    assert "| a - b | 15 | 3 | +1.7 ± 2.6 | 2 | +0.5 ± 3.5 | 1 / 1 |" in search_suite.format_paired(table, [("a", "b")])


def test_paired_option_must_name_two_methods(search_suite: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        search_suite.main(["--report", "none.jsonl", "--paired", "auto"])
    assert "--paired expects two method names joined by a comma" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # a run, not a report: nothing to pair
        search_suite.main(["--family", "bbob", "--paired", "auto,hebo"])
    assert "--paired compares result files: give them with --report" in capsys.readouterr().err
