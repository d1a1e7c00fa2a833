"""`tunelab tune`: end to end on a tiny CSV through the real `tunelab` command group."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import tunelab
from tunelab.cli import main


@pytest.fixture
def runner():
    return CliRunner()


def test_tune_a_csv_end_to_end(runner, tmp_path, mixed_csv):
    storage = f"sqlite:///{tmp_path / 'tune.db'}"
    out = tmp_path / "best"
    result = runner.invoke(main, ["tune", str(mixed_csv), "--target", "label", "--trials", "3", "--epochs", "3",
                                  "--storage", storage, "--study", "mixed", "--out", str(out), "--repeats", "2",
                                  "--seed", "1", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "missing values filled (column (count)): x2 (3), color (2)" in result.output
    assert "pruner=asha" in result.output
    study = tunelab.load_study("mixed", storage)
    assert len(study.trials) == 3
    best = study.best_trial
    assert f"best trial #{best.number}: accuracy = " in result.output and "(2 seeds)" in result.output
    meta = json.loads((out / "best_config.json").read_text())
    assert meta["params"] == best.params and meta["trial"] == best.number
    assert meta["value"] == pytest.approx(best.value)
    assert meta["retrained_value"] == pytest.approx(best.user_attrs["repeat_values"][0])  # deterministic retrain
    assert meta["classes"] == ["no", "yes"] and meta["metric"] == "accuracy"

    import pandas as pd

    from tunelab.nn.export import load_best, predict

    model, _ = load_best(str(out))
    assert sum(p.numel() for p in model.parameters()) > 0
    frame = pd.read_csv(mixed_csv)
    predicted = predict(str(out), frame.drop(columns=["label"]))
    assert set(predicted) <= {"no", "yes"} and (predicted == frame["label"].to_numpy()).mean() > 0.6


def test_tune_a_bundled_set_with_auto_range_and_a_time_limit(runner, tmp_path):
    result = runner.invoke(main, ["tune", "iris", "--trials", "2", "--time", "60s", "--epochs", "2",
                                  "--auto-range", "--storage", "memory", "--out", str(tmp_path / "o"),
                                  "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "learning-rate range test:" in result.output and "adam: lr swept" in result.output
    assert "sgd: lr swept" in result.output
    assert (tmp_path / "o" / "best_model.pt").exists()


@pytest.mark.parametrize("args,pattern", [
    (["tune", "{csv}"], "--target is required for a data file"),
    (["tune", "{csv}", "--target", "lable"], "target column 'lable' not found (did you mean 'label'?)"),
    (["tune", "{csv}", "--target", "label", "--metric", "rmse"], "metric 'rmse' is for regression"),
    (["tune", "iris", "--time", "soon"], "expected seconds > 0 or a duration"),
    (["tune", "wine", "--model", "cnn"], "--model cnn needs image data"),
    (["tune", "iris", "--metric", "precision"], "Invalid value for '--metric'"),
])
def test_bad_input_gets_a_clear_error(runner, mixed_csv, args, pattern):
    result = runner.invoke(main, [a.replace("{csv}", str(mixed_csv)) for a in args])
    assert result.exit_code == 2
    assert pattern in result.output
