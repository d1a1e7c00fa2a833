import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import tunelab
from tunelab.cli import main
from tunelab.spec import SpecError, load_spec, parse_duration

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

OBJECTIVE_MODULE = """
def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    return (x - 1) ** 2

def from_params(params, trial):
    trial.set_user_attr("seen", True)
    return (params["x"] - 1) ** 2 + params.get("bonus", 0)
"""


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "myobj.py").write_text(OBJECTIVE_MODULE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def test_run_creates_the_default_sqlite_file_and_show_ls_delete(workdir):
    write(workdir / "spec.toml", """
        [study]
        name = "quad"
        sampler = "random"
        n_trials = 12
        seed = 1
        [objective]
        function = "myobj:objective"
    """)
    runner = CliRunner()
    result = runner.invoke(main, ["run", "spec.toml", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "best trial #" in result.output
    assert (workdir / "tunelab.db").exists()
    study = tunelab.load_study("quad", "sqlite:///tunelab.db")
    assert len(study.trials) == 12

    # running again continues the same study
    result = runner.invoke(main, ["run", "spec.toml", "--no-progress", "--n-trials", "3"])
    assert result.exit_code == 0, result.output
    assert "(12 trials so far)" in result.output
    assert len(tunelab.load_study("quad", "sqlite:///tunelab.db").trials) == 15

    result = runner.invoke(main, ["ls"])
    assert result.exit_code == 0 and "quad" in result.output and "15" in result.output

    result = runner.invoke(main, ["show", "quad", "--top", "3"])
    assert result.exit_code == 0, result.output
    assert f"value={study.best_value:.6g}" in result.output or "best trial" in result.output
    assert "... 12 more" in result.output

    result = runner.invoke(main, ["show", "nope"])
    assert result.exit_code == 2 and "no study named 'nope'" in result.output and "quad" in result.output

    result = runner.invoke(main, ["delete", "quad", "--yes"])
    assert result.exit_code == 0 and "deleted study 'quad' (15 trials)" in result.output
    assert "no studies" in runner.invoke(main, ["ls"]).output


def test_run_with_a_declared_space_and_yaml(workdir):
    write(workdir / "spec.yaml", """
        study:
          name: declared
          sampler: grid
          n_trials: 100
          storage: sqlite:///other.db
        objective:
          function: myobj:from_params
        space:
          x: {type: float, low: 0, high: 2, step: 0.5}
          bonus: [0, 1]
    """)
    result = CliRunner().invoke(main, ["run", "spec.yaml", "--no-progress"])
    assert result.exit_code == 0, result.output
    study = tunelab.load_study("declared", "sqlite:///other.db")
    assert len(study.trials) == 10  # the whole grid, then it stops
    assert study.best_params == {"x": 1.0, "bonus": 0}
    assert study.best_trial.user_attrs == {"seen": True}


@pytest.mark.parametrize(
    "body, message",
    [
        ("[study]\nn_trials = 'ten'\n[objective]\nfunction='myobj:objective'\n",
         "spec.toml: [study]: argument 'n_trials' must be an int in [1, inf] or None; got 'ten'"),
        ("[study]\nn_trials = 3\nsampler = 'magic'\n[objective]\nfunction='myobj:objective'\n",
         "spec.toml: [study] sampler: unknown sampler 'magic'; expected one of"),
        ("[study]\nn_trials = 3\n", "spec.toml: missing [objective]"),
        ("[study]\nn_trials = 3\n[objective]\nfunction='myobj'\n",
         "spec.toml: [objective] function: expected 'module:function'"),
        ("[study]\nn_trials = 3\n[objective]\nfunction='nosuchmod:f'\n",
         "spec.toml: [objective] function: cannot import module 'nosuchmod'"),
        ("[study]\nn_trials = 3\n[objective]\nfunction='myobj:nothing'\n",
         "spec.toml: [objective] function: module 'myobj' has no function 'nothing'"),
        ("[study]\n[objective]\nfunction='myobj:objective'\n", "spec.toml: [study] needs n_trials or timeout"),
        ("[study]\ntimeout='soon'\n[objective]\nfunction='myobj:objective'\n", "spec.toml: [study] timeout: expected"),
        ("[study]\nn_trials=2\ndirection='up'\n[objective]\nfunction='myobj:objective'\n",
         "spec.toml: [study]: argument 'direction' must be 'minimize' or 'maximize' or None; got 'up'"),
        ("[study]\nn_trials=2\ntrials=3\n[objective]\nfunction='myobj:objective'\n",
         "spec.toml: [study] unknown key(s) ['trials']"),
        ("[study]\nn_trials=2\n[objective]\nfunction='myobj:objective'\n[space]\nx={type='float', low=1}\n",
         "spec.toml: [space] parameter 'x': a float parameter needs 'high'"),
        ("[study\nn_trials=2\n", "spec.toml: not valid TOML"),
        ("[study]\nn_trials=2\n[objective]\nfunction='myobj:objective'\n[extras]\n",
         "spec.toml: unknown table(s) ['extras']"),
    ],
)
def test_bad_spec_gets_one_clear_line(workdir, body, message):
    (workdir / "spec.toml").write_text(body)
    result = CliRunner().invoke(main, ["run", "spec.toml", "--no-progress"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert message in lines[0]


def test_missing_spec_file(workdir):
    result = CliRunner().invoke(main, ["run", "absent.toml"])
    assert result.exit_code == 2 and "absent.toml: no such file" in result.output


def test_unreachable_database_is_one_line(workdir):
    result = CliRunner().invoke(main, ["ls", "--storage", "postgresql://nobody@127.0.0.1:1/none"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "127.0.0.1:1" in result.output


def test_parse_duration():
    assert parse_duration("90s") == 90 and parse_duration("10m") == 600 and parse_duration(2) == 2.0
    assert parse_duration("1.5h") == 5400
    with pytest.raises(ValueError):
        parse_duration("-3m")


def test_example_specs_load(tmp_path):
    spec = load_spec(EXAMPLES / "ridge_space.toml")
    assert spec.n_trials == 16 and spec.directions == ["maximize"]
    assert type(spec.sampler).__name__ == "QMCSampler"
    with pytest.raises(SpecError):
        load_spec(tmp_path / "x.json")


def test_show_ranks_noise_aware_and_prints_mean_and_spread(workdir):
    storage = f"sqlite:///{workdir / 'noisy.db'}"
    study = tunelab.create_study(name="noisy", storage=storage, direction="maximize")
    # trial 0: one lucky seed, wide spread; trial 1: slightly lower mean, tight spread
    for seeds in ([0.99, 0.70, 0.72], [0.80, 0.81, 0.79]):
        trial = study.ask()
        trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        trial.set_user_attr("repeat_values", seeds)
        study.tell(trial, sum(seeds) / 3)
    runner = CliRunner()
    by_value = runner.invoke(main, ["show", "noisy", "--storage", storage])
    assert by_value.exit_code == 0, by_value.output
    assert "0.8033 ± 0.16 (3 seeds)" in by_value.output
    conservative = runner.invoke(main, ["show", "noisy", "--storage", storage, "--by", "conservative"])
    assert conservative.exit_code == 0, conservative.output
    assert "best trial #0: value = 0.8033" in by_value.output  # by value the lucky seed wins
    assert "best trial by conservative: #1: value = 0.8" in conservative.output  # the summary ranks too
    table = conservative.output.split("\n#")[1].splitlines()
    assert table[2].split()[0] == "1" and table[3].split()[0] == "0"  # header, rule, then #1 before #0


def test_spec_run_with_spawned_worker_processes(workdir, monkeypatch):
    """Where workers are spawned (macOS, Windows, after CUDA use) the spec's objective travels pickled."""
    monkeypatch.setenv("TUNELAB_START_METHOD", "spawn")
    write(workdir / "spec.toml", """
        [study]
        name = "spawned"
        sampler = "random"
        n_trials = 6
        n_jobs = 2
        seed = 2
        [objective]
        function = "myobj:from_params"
        kwargs = {}
        [space]
        x = { type = "float", low = -5, high = 5 }
    """)
    result = CliRunner().invoke(main, ["run", "spec.toml", "--no-progress"])
    assert result.exit_code == 0, result.output
    trials = tunelab.load_study("spawned", "sqlite:///tunelab.db").trials
    assert len(trials) == 6 and all(t.state == tunelab.TrialState.COMPLETE for t in trials)
    assert all(t.user_attrs["seen"] for t in trials)
    assert all(t.value == pytest.approx((t.params["x"] - 1) ** 2) for t in trials)


def curve_objective(trial):
    level = trial.suggest_float("level", 0, 1)
    for step in range(10):
        trial.report(level * step / 9, step)
        if trial.should_prune():
            raise tunelab.TrialPruned()
    return level


def test_show_marks_pruned_trials_and_how_far_they_got(tmp_path):
    storage = f"sqlite:///{tmp_path / 'p.db'}"
    study = tunelab.create_study(name="pruned", storage=storage, direction="maximize", sampler="random",
                                 pruner=tunelab.pruners.MedianPruner(n_startup_trials=2))
    for level in (0.5, 0.6, 0.1, 0.9):
        study.enqueue_trial({"level": level})
    study.optimize(curve_objective, n_trials=4)
    result = CliRunner().invoke(main, ["show", "pruned", "--storage", storage])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "trials: 3 complete, 1 pruned" in result.output
    assert "best trial #3: value = 0.9" in result.output
    start = next(i for i, line in enumerate(lines) if line.startswith("#"))
    assert lines[start].split() == ["#", "state", "value", "last", "step", "level"]
    rows = {line.split()[0]: line.split() for line in lines[start + 2:]}
    assert rows["2"][1:4] == ["pruned", "0.0111111", "1"]  # its last report, at step 1
    assert rows["3"][1:4] == ["complete", "0.9", "9"]
