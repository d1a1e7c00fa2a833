"""`tunelab run` exit codes and early stop, `tunelab show --trial`, and `tunelab worker` joining a study."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import tunelab
from tunelab.cli import FAIL_FAST, main
from tunelab.trial import TrialState

MODULE = """
def good(trial):
    return trial.suggest_float("x", 0, 1)

def always_fails(trial):
    trial.suggest_float("x", 0, 1)
    raise ValueError("boom")

def fails_differently(trial):
    trial.suggest_float("x", 0, 1)
    raise ValueError(f"boom {trial.number}")

def first_two_fail(trial):
    x = trial.suggest_float("x", 0, 1)
    if trial.number < 2:
        raise RuntimeError("warming up")
    return x
"""


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "runmod.py").write_text(MODULE)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "runmod", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _spec(folder: Path, function: str, n_trials: int, name: str = "s") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(textwrap.dedent(f"""
        [study]
        name = "{name}"
        sampler = "random"
        n_trials = {n_trials}
        [objective]
        function = "runmod:{function}"
    """))
    return path


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_run_stops_early_when_the_first_trials_fail_alike_and_exits_1(workdir):
    result = _run("run", str(_spec(workdir, "always_fails", 20)), "--no-progress")
    assert result.exit_code == 1, result.output
    assert f"stopped early: the first {FAIL_FAST} trials all failed with the same error: ValueError: boom" \
        in result.output
    trials = tunelab.load_study("s", "sqlite:///tunelab.db").trials
    assert len(trials) == FAIL_FAST and {t.state for t in trials} == {TrialState.FAIL}


def test_run_exits_1_when_no_trial_completed(workdir):
    result = _run("run", str(_spec(workdir, "fails_differently", 7)), "--no-progress")
    assert result.exit_code == 1, result.output
    assert "no trial completed (7 of 7 failed; the first with: ValueError: boom 0)" in result.output
    assert len(tunelab.load_study("s", "sqlite:///tunelab.db").trials) == 7


def test_run_exits_0_when_some_trials_completed(workdir):
    result = _run("run", str(_spec(workdir, "first_two_fail", 6)), "--no-progress")
    assert result.exit_code == 0, result.output
    states = [t.state for t in tunelab.load_study("s", "sqlite:///tunelab.db").trials]
    assert states == [TrialState.FAIL] * 2 + [TrialState.COMPLETE] * 4


def test_show_trial_prints_one_trial_and_its_failure(workdir):
    _run("run", str(_spec(workdir, "first_two_fail", 3)), "--no-progress")
    result = _run("show", "s", "--trial", "0")
    assert result.exit_code == 0, result.output
    assert "trial #0: fail" in result.output and "fail_reason = RuntimeError: warming up" in result.output
    assert "x = " in result.output
    assert _run("show", "s", "--trial", "2").output.startswith("trial #2: complete\n  values: ")
    missing = _run("show", "s", "--trial", "9")
    assert missing.exit_code == 2 and "has no trial #9 (it has 3 trials" in missing.output


def test_worker_joins_with_the_recorded_spec_or_module(workdir, tmp_path_factory, monkeypatch):
    url = f"sqlite:///{workdir / 'tunelab.db'}"
    assert _run("run", str(_spec(workdir, "good", 3)), "--no-progress").exit_code == 0
    elsewhere = tmp_path_factory.mktemp("machine2")
    monkeypatch.chdir(elsewhere)  # another machine: the spec's path still exists (a shared folder)
    result = _run("worker", "--storage", url, "--study", "s", "--n-trials", "2")
    assert result.exit_code == 0, result.output
    assert "worker joined study 's'" in result.output
    (workdir / "s.toml").unlink()  # now only the module: it is imported from the current folder
    monkeypatch.delitem(sys.modules, "runmod")  # as in a fresh process on that machine
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(workdir)])
    no_module = _run("worker", "--storage", url, "--study", "s", "--n-trials", "1")
    assert no_module.exit_code == 2 and "cannot import module 'runmod'" in no_module.output
    shutil.copy(workdir / "runmod.py", elsewhere / "runmod.py")
    assert _run("worker", "--storage", url, "--study", "s", "--n-trials", "2").exit_code == 0
    trials = tunelab.load_study("s", url).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 7


def test_worker_needs_an_objective_for_studies_not_started_by_run(workdir):
    url = "sqlite:///tunelab.db"
    tunelab.create_study(study_name="py", storage=url)
    result = _run("worker", "--storage", url, "--study", "py", "--n-trials", "1")
    assert result.exit_code == 2 and "records no objective" in result.output
    result = _run("worker", "--storage", url, "--study", "py", "--n-trials", "2", "--objective", "runmod:good")
    assert result.exit_code == 0, result.output
    assert len(tunelab.load_study("py", url).trials) == 2
    missing = _run("worker", "--storage", url, "--study", "nope")
    assert missing.exit_code == 2 and "no study named 'nope'" in missing.output


def test_run_stops_early_with_worker_processes_too(workdir):
    spec = _spec(workdir, "always_fails", 40)
    result = _run("run", str(spec), "--no-progress", "--n-jobs", "2")
    assert result.exit_code == 1, result.output
    assert "stopped early: the first 5 trials all failed with the same error: ValueError: boom" in result.output
    trials = tunelab.load_study("s", "sqlite:///tunelab.db").trials
    assert FAIL_FAST <= len(trials) <= FAIL_FAST + 2  # each worker stops after its own trial in flight


def test_a_slow_first_trial_does_not_keep_the_other_workers_going(workdir):
    """The verdict counts trials in the order they finished: trial 0 still running does not hold it off."""
    (workdir / "runmod.py").write_text(MODULE + textwrap.dedent("""
        import time
        def slow_first(trial):
            trial.suggest_float("x", 0, 1)
            if trial.number == 0:
                time.sleep(3)
            raise ValueError("boom")
    """))
    result = _run("run", str(_spec(workdir, "slow_first", 40)), "--no-progress", "--n-jobs", "2")
    assert result.exit_code == 1, result.output
    trials = tunelab.load_study("s", "sqlite:///tunelab.db").trials
    assert FAIL_FAST + 1 <= len(trials) <= FAIL_FAST + 2, [t.number for t in trials]
    assert trials[0].state == TrialState.FAIL  # the slow trial ran to its end
    assert "--trial 1`" in result.output  # the first trial to finish is named, not the slow one


GRID_MODULE = """
def value(params):
    return params["x"]
"""


def _grid_spec(folder: Path, name: str) -> Path:
    (folder / "gridmod.py").write_text(GRID_MODULE)
    path = folder / f"{name}.toml"
    path.write_text(textwrap.dedent(f"""
        [study]
        name = "{name}"
        sampler = "grid"
        n_trials = 1
        seed = 3
        [objective]
        function = "gridmod:value"
        [space]
        x = [1, 2, 3, 4]
    """))
    return path


@pytest.mark.parametrize("spec_here", [True, False])
def test_worker_builds_the_specs_sampler_with_its_space_and_seed(workdir, monkeypatch, spec_here):
    import tunelab.study
    from tunelab.samplers.grid import GridSampler

    monkeypatch.delitem(sys.modules, "gridmod", raising=False)
    name = f"g{int(spec_here)}"
    spec = _grid_spec(workdir, name)
    assert _run("run", str(spec), "--no-progress").exit_code == 0
    if not spec_here:  # another machine: only the module, from the current folder
        spec.unlink()
    opened = []

    class Recorded(tunelab.study.Study):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            opened.append(self)

    monkeypatch.setattr(tunelab.study, "Study", Recorded)
    result = _run("worker", "--storage", "sqlite:///tunelab.db", "--study", name, "--n-trials", "3")
    assert result.exit_code == 0, result.output
    assert isinstance(opened[0].sampler, GridSampler) and opened[0].seed == 3
    trials = tunelab.load_study(name, "sqlite:///tunelab.db").trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    assert sorted(t.params["x"] for t in trials) == [1, 2, 3, 4]
    assert sorted(t.value for t in trials) == [1, 2, 3, 4]


def test_bad_cli_inputs_give_one_line_not_a_traceback(workdir):
    blank = workdir / "blank.toml"
    blank.write_text('[study]\nname = " "\nn_trials = 1\n[objective]\nfunction = "runmod:good"\n')
    result = _run("run", str(blank), "--no-progress")
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert result.output.strip().splitlines() == [
        f"error: {blank}: [study]: argument 'name' must be a non-empty text; got ' '"]
    assert _run("run", str(_spec(workdir, "good", 1)), "--no-progress").exit_code == 0
    zero = _run("worker", "--storage", "sqlite:///tunelab.db", "--study", "s", "--n-trials", "0")
    assert zero.exit_code == 2 and isinstance(zero.exception, SystemExit)
    assert "Invalid value for '--n-trials': 0 is not in the range x>=1" in zero.output
    # a ValueError from the library (here: the study exists with another direction) is one line too
    flipped = workdir / "flipped.toml"
    flipped.write_text('[study]\nname = "s"\ndirection = "maximize"\nsampler = "random"\nn_trials = 1\n'
                       '[objective]\nfunction = "runmod:good"\n')
    result = _run("run", str(flipped), "--no-progress")
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert result.output.strip().splitlines() == [
        "error: study 's' exists with directions ['minimize'], not ['maximize']"]


def test_the_traceback_attr_is_defined_once():
    import ast

    import tunelab.cli
    import tunelab.study._worker

    tree = ast.parse(Path(tunelab.cli.__file__).read_text())
    assigned = [n for n in ast.walk(tree) if isinstance(n, ast.Assign)
                and any(getattr(t, "id", None) == "TRACEBACK_ATTR" for t in n.targets)]
    assert assigned == []  # cli.py imports the worker's name
    assert tunelab.cli.TRACEBACK_ATTR == tunelab.study._worker.TRACEBACK_ATTR == "traceback"


def test_workers_joining_at_the_same_trial_count_draw_their_own_points(workdir, monkeypatch):
    import tunelab.cli
    import tunelab.study

    spec = workdir / "seeded.toml"
    spec.write_text('[study]\nname = "seeded"\nsampler = "tpe"\nseed = 3\nn_trials = 1\n'
                    '[objective]\nfunction = "runmod:good"\n')
    assert _run("run", str(spec), "--no-progress").exit_code == 0
    opened = []

    class Recorded(tunelab.study.Study):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            opened.append(self)

    monkeypatch.setattr(tunelab.study, "Study", Recorded)
    monkeypatch.setattr(tunelab.cli, "_optimize_and_exit", lambda *args, **kwargs: None)
    for _ in range(2):  # two machines, both joining while the study has 1 trial
        assert _run("worker", "--storage", "sqlite:///tunelab.db", "--study", "seeded").exit_code == 0
    draws = [study.sampler._rng.random() for study in opened]
    assert opened[0].seed == opened[1].seed == 3 and draws[0] != draws[1]
