"""tunelab.nn.spec.build_objective: the [trainer]/[data] tables of a spec file, and the digits demo spec."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import tunelab
from tunelab.nn.errors import DataError
from tunelab.nn.objective import NNObjective
from tunelab.nn.spec import build_objective

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits_mlp.toml"


def test_digits_trainer_table_builds_a_working_objective():
    objective, space, direction = build_objective({"model": "mlp", "epochs": 2, "repeats": 2, "width": [16, 32],
                                                   "batch_sizes": [128]},
                                                  {"dataset": "digits"})
    assert isinstance(objective, NNObjective) and space is None and direction == "maximize"
    assert objective.repeats == 2 and objective.options.max_epochs == 2
    assert "digits: 1797 rows" in objective.notes[0]
    study = tunelab.create_study(direction=direction, sampler="random", seed=0)
    study.optimize(objective, n_trials=2)
    assert all(t.state == tunelab.TrialState.COMPLETE for t in study.trials)
    assert all(len(t.user_attrs["repeat_values"]) == 2 for t in study.trials)


def test_example_spec_loads_through_the_spec_loader():
    from tunelab.spec import load_spec

    table = tomllib.loads(EXAMPLE.read_text())
    assert table["trainer"]["model"] == "mlp" and table["data"]["dataset"] == "digits"
    spec = load_spec(EXAMPLE, {"n_trials": 2})
    assert isinstance(spec.objective, NNObjective)
    assert spec.directions == ["maximize"] and type(spec.pruner).__name__ == "SuccessiveHalvingPruner" and spec.n_trials == 2


def test_metric_sets_the_direction_and_csv_paths_resolve_against_base_dir(tmp_path, mixed_csv):
    _, _, direction = build_objective({"metric": "mae", "epochs": 1}, {"dataset": "diabetes"})
    assert direction == "minimize"
    objective, _, direction = build_objective({"metric": "f1"}, {"path": mixed_csv.name, "target": "label"},
                                              base_dir=str(mixed_csv.parent))
    assert direction == "maximize" and objective.data.report.imputed == {"x2": 3, "color": 2}


def test_lr_auto_runs_the_range_test_and_says_why(iris):
    objective, _, _ = build_objective({"lr": "auto", "optimizers": ["adam"], "epochs": 2}, {"dataset": "iris"})
    low, high = objective.options.lr["adam"]
    assert (low, high) != (1e-4, 3e-2) and high / low >= 10 - 1e-9
    assert any(note.startswith("adam: lr swept") for note in objective.notes)


@pytest.mark.parametrize("trainer,data,pattern", [
    ({"modle": "mlp"}, {"dataset": "digits"}, r"\[trainer\]: unknown key\(s\) \['modle'\]"),
    ({}, {"dataset": "digits", "path": "x.csv"}, "give exactly one of 'dataset'"),
    ({}, {}, "give exactly one of 'dataset'"),
    ({}, {"dataset": "mnist"}, r"\[data\] dataset: expected one of digits"),
    ({"model": "cnn"}, {"dataset": "wine"}, "'cnn' needs image data"),
    ({"metric": "precision"}, {"dataset": "iris"}, r"\[trainer\] metric: expected one of"),
    ({"epochs": "ten"}, {"dataset": "iris"}, r"\[trainer\] epochs: expected an int, or \[low, high\]"),
    ({"repeats": 0}, {"dataset": "iris"}, "argument 'repeats'"),
    ({"lr": {"adam": [0.1, 0.01]}}, {"dataset": "iris"}, "lr range for 'adam'"),
    ({"lr": 0.01}, {"dataset": "iris"}, r"\[trainer\] lr: expected 'auto'"),
])
def test_bad_tables_name_the_key(trainer, data, pattern):
    with pytest.raises(ValueError, match=pattern):
        build_objective(trainer, data)


def test_bad_data_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        build_objective({}, {"path": str(tmp_path / "none.csv"), "target": "y"})


def test_run_command_finds_a_csv_beside_the_spec_and_prints_the_data_report(tmp_path, mixed_csv, monkeypatch):
    from click.testing import CliRunner

    from tunelab.cli import main

    spec = mixed_csv.parent / "csv_spec.toml"
    spec.write_text('[study]\nn_trials = 1\nsampler = "random"\nseed = 0\n'
                    f'storage = "sqlite:///{tmp_path / "runs.db"}"\n'
                    '[trainer]\nepochs = 1\n[data]\npath = "mixed.csv"\ntarget = "label"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = CliRunner().invoke(main, ["run", str(spec), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "mixed.csv: 120 rows" in result.output and "missing values filled" in result.output
    assert "1 complete" in result.output


def test_run_with_a_trainer_scores_the_test_split_and_saves_the_model(tmp_path, monkeypatch):
    import json

    import pandas as pd
    from click.testing import CliRunner

    from nn_helpers import messy_frame
    from tunelab.cli import main

    messy_frame(260, seed=2).to_csv(tmp_path / "messy.csv", index=False)
    spec = tmp_path / "spec.toml"
    spec.write_text('[study]\nname = "messy-run"\nn_trials = 1\nsampler = "random"\nseed = 0\n'
                    f'storage = "sqlite:///{tmp_path / "runs.db"}"\n'
                    '[trainer]\nepochs = 2\nout = "saved"\nbaselines = ["constant", "linear", "hgb"]\n'
                    '[data]\npath = "messy.csv"\ntarget = "y"\ntest_size = 0.25\ndrop = ["refund_issued"]\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["run", str(spec), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "accuracy on 65 held-out test rows that tuning never saw" in result.output
    assert "HistGradientBoosting" in result.output and "(validation)" in result.output
    assert "predict with: tunelab predict saved new_rows.csv" in result.output
    meta = json.loads((tmp_path / "saved" / "best_config.json").read_text())
    assert meta["evaluation"]["mode"] == "test" and meta["evaluation"]["n_test"] == 65
    assert tunelab.load_study("messy-run", f"sqlite:///{tmp_path / 'runs.db'}").user_attrs["metric"] == "accuracy"
    from tunelab.nn import load_model

    new = pd.read_csv(tmp_path / "messy.csv").head(5)
    assert len(load_model(str(tmp_path / "saved")).predict(new)) == 5


def test_bad_out_and_baselines_keys():
    with pytest.raises(ValueError, match=r"\[trainer\] baselines: expected a list from"):
        build_objective({"baselines": ["xgb"]}, {"dataset": "iris"})
    with pytest.raises(ValueError, match=r"\[trainer\] out: expected a directory"):
        build_objective({"out": 3}, {"dataset": "iris"})
