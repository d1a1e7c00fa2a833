"""The end of `tunelab tune`: test score next to baselines, the saved model, `tunelab predict` and load_model."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import tunelab
from nn_helpers import messy_frame
from tunelab.cli import main
from tunelab.nn import load_model
from tunelab.nn.errors import DataError
from tunelab.nn.export import UnknownCategoryWarning


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """`tunelab tune` on a 300-row table with ids, a leak, a 51-value text column, gaps and dates."""
    folder = tmp_path_factory.mktemp("tuned")
    frame = messy_frame(300, seed=1)
    path = folder / "messy.csv"
    frame.to_csv(path, index=False)
    storage = f"sqlite:///{folder / 't.db'}"
    out = folder / "model"
    result = CliRunner().invoke(main, ["tune", str(path), "--target", "y", "--trials", "2", "--epochs", "2",
                                       "--storage", storage, "--study", "messy", "--out", str(out),
                                       "--test-size", "0.25", "--baselines", "hgb", "--no-progress"])
    assert result.exit_code == 0, result.output
    return {"output": result.output, "out": out, "storage": storage, "frame": frame, "folder": folder}


def test_tune_reports_validation_and_test_apart(tuned):
    out = tuned["output"]
    study = tunelab.load_study("messy", tuned["storage"])
    meta = json.loads((tuned["out"] / "best_config.json").read_text())
    ev = meta["evaluation"]
    assert ev["mode"] == "test" and ev["n_test"] == 75 and ev["metric"] == "accuracy"
    assert ev["validation"] == pytest.approx(study.best_value)
    assert f"best trial #{study.best_trial.number}: accuracy = {study.best_value:.4g} (validation)" in out
    assert "accuracy on 75 held-out test rows that tuning never saw (the same rows for every model):" in out
    rows = {m.group(1).strip(): (m.group(2), m.group(3)) for m in
            re.finditer(r"^  (network \(best configuration\)|constant \(class priors\)|logistic regression|"
                        r"HistGradientBoosting)\s+(\S+)\s+(\S+)$", out, re.M)}
    assert set(rows) == {"network (best configuration)", "constant (class priors)", "logistic regression",
                         "HistGradientBoosting"}
    assert rows["network (best configuration)"] == (f"{study.best_value:.4g}",
                                                    f"{ev['scores']['network (best configuration)']:.4g}")
    assert all(v[0] == "-" for k, v in rows.items() if not k.startswith("network"))  # baselines: test only
    assert 0.3 < ev["scores"]["constant (class priors)"] < 0.7
    assert ev["scores"]["logistic regression"] > 0.9  # the leaking column makes this table easy
    assert "best configuration: an MLP with" in out and "trained with" in out
    assert f"model saved in {tuned['out']}/" in out
    assert f"predict with: tunelab predict {tuned['out']} new_rows.csv -o predictions.csv [--proba]" in out
    assert study.user_attrs["metric"] == "accuracy"
    # the data summary names every check
    assert "dropped columns: rownames (looks like a row id" in out
    assert "warning: column 'refund_issued' alone predicts 'y' almost perfectly" in out


def test_load_model_predicts_new_rows_as_in_process(tuned):
    from tunelab.nn.data import load_dataset
    from tunelab.nn.evaluate import network_outputs
    from tunelab.nn.objective import NNObjective
    from tunelab.nn.search_space import SpaceOptions

    model = load_model(str(tuned["out"]))
    assert model.task == "classification" and model.classes == ["no", "yes"] and model.target == "y"
    assert model.input_columns == ["x1", "state", "income", "refund_issued", "signup"]
    new = messy_frame(50, seed=9).drop(columns=["y"])
    new = new[new["state"].isin(model.meta["preprocessing"]["columns"][1]["categories"])]
    labels = model.predict(new)
    proba = model.predict_proba(new)
    assert proba.shape == (len(new), 2) and np.allclose(proba.sum(axis=1), 1)
    assert list(labels) == [model.classes[i] for i in proba.argmax(axis=1)]
    # in-process: the same split and seed, the best configuration retrained -> the same numbers
    data = load_dataset(tuned["frame"], "y", test_size=0.25, seed=0)
    objective = NNObjective(data, SpaceOptions(epochs=2), seed=0, device="cpu")
    result = objective.retrain(model.meta["params"])
    logits = network_outputs(result.model, data, data.preprocessor.transform(new))
    np.testing.assert_allclose(model.outputs(new), logits, rtol=1e-5, atol=1e-6)
    # the saved preprocessing is the fitted one, column for column (test rows may hold unseen states)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownCategoryWarning)
        saved = load_model(str(tuned["out"])).outputs(tuned["frame"].drop(columns=["y"]))
    np.testing.assert_allclose(saved, network_outputs(result.model, data, data.preprocessor.transform(tuned["frame"])),
                               rtol=1e-5, atol=1e-6)


def test_predict_command_round_trip(tuned):
    new = messy_frame(40, seed=3).drop(columns=["y"])
    new.loc[0, "state"] = "Atlantis"
    new_path = tuned["folder"] / "new.csv"
    new.to_csv(new_path, index=False)
    out_csv = tuned["folder"] / "pred.csv"
    result = CliRunner().invoke(main, ["predict", str(tuned["out"]), str(new_path), "-o", str(out_csv), "--proba"])
    assert result.exit_code == 0, result.output
    assert "warning: column 'state' holds categories never seen in training ('Atlantis'" in result.output
    assert f"wrote 40 predictions of 'y' to {out_csv}" in result.output
    written = pd.read_csv(out_csv)
    assert list(written.columns) == ["rownames", "customer", "predicted_y", "proba_no", "proba_yes"]  # ids carried
    assert list(written["rownames"]) == list(new["rownames"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownCategoryWarning)
        expected = load_model(str(tuned["out"])).predict(new)
    assert list(written["predicted_y"]) == list(expected)
    printed = CliRunner().invoke(main, ["predict", str(tuned["out"]), str(new_path)])
    assert printed.exit_code == 0 and printed.output.splitlines()[-40:][0].startswith(("no", "yes", "1"))


def test_wrong_columns_and_new_categories_are_clear(tuned):
    model = load_model(str(tuned["out"]))
    new = messy_frame(30, seed=4).drop(columns=["y"])
    with pytest.raises(DataError, match=r"column\(s\) 'income', 'signup' missing from the data; the model was "
                                        r"trained on: x1, state, income, refund_issued, signup"):
        model.predict(new.drop(columns=["income", "signup"]))
    shifted = new.assign(state="Nowhere")
    with pytest.warns(UnknownCategoryWarning, match=r"column 'state' holds categories never seen in training "
                                                    r"\('Nowhere'\); they are treated as unknown"):
        assert len(model.predict(shifted)) == 30
    bad = tuned["folder"] / "bad.csv"
    new.drop(columns=["x1"]).to_csv(bad, index=False)
    result = CliRunner().invoke(main, ["predict", str(tuned["out"]), str(bad)])
    assert result.exit_code == 2 and "error: column(s) 'x1' missing from the data" in result.output
    result = CliRunner().invoke(main, ["predict", str(tuned["folder"]), str(bad)])
    assert result.exit_code == 2 and "no saved model in" in result.output and "best_model.pt is missing" in \
        result.output


def test_ls_and_show_name_the_metric(tuned):
    study = tunelab.load_study("messy", tuned["storage"])
    listed = CliRunner().invoke(main, ["ls", "--storage", tuned["storage"]])
    assert listed.exit_code == 0 and f"accuracy = {study.best_value:.4g}" in listed.output
    shown = CliRunner().invoke(main, ["show", "messy", "--storage", tuned["storage"]])
    assert shown.exit_code == 0, shown.output
    assert f"best trial #{study.best_trial.number}: accuracy = {study.best_value:.4g}" in shown.output
    header = next(line for line in shown.output.splitlines() if line.lstrip().startswith("#"))
    assert "accuracy" in header.split() and "value" not in header.split()


def test_small_tables_are_cross_validated_and_say_so(tmp_path, mixed_csv):
    result = CliRunner().invoke(main, ["tune", str(mixed_csv), "--target", "label", "--trials", "1", "--epochs", "2",
                                       "--storage", "memory", "--out", str(tmp_path / "m"), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "120 rows (< 200): no test rows are held out" in result.output
    assert "accuracy by 5-fold cross-validation (too few rows to hold out a test set" in result.output
    assert re.search(r"^  network \(best configuration\)\s+\S+\s+\S+ ± \S+$", result.output, re.M)
    assert "held-out test rows" not in result.output
    meta = json.loads((tmp_path / "m" / "best_config.json").read_text())
    assert meta["evaluation"]["mode"] == "cv" and meta["evaluation"]["folds"] == 5
    assert set(meta["evaluation"]["std"]) == set(meta["evaluation"]["scores"])


def test_test_size_zero_says_there_is_no_test_score(tmp_path, mixed_csv):
    result = CliRunner().invoke(main, ["tune", str(mixed_csv), "--target", "label", "--trials", "1", "--epochs", "1",
                                       "--storage", "memory", "--out", str(tmp_path / "m"), "--test-size", "0",
                                       "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "on validation rows (no test rows, test size 0: this is the figure tuning chose on, not a test score)" \
        in result.output
    assert "--baselines" not in result.output


def test_bad_baselines_and_test_size(mixed_csv):
    result = CliRunner().invoke(main, ["tune", str(mixed_csv), "--target", "label", "--baselines", "xgb"])
    assert result.exit_code == 2 and "expected a comma-separated list from constant, linear, hgb" in result.output
    result = CliRunner().invoke(main, ["tune", str(mixed_csv), "--target", "label", "--test-size", "0.7"])
    assert result.exit_code == 2 and "--test-size" in result.output


def test_a_small_table_with_a_rare_class_says_why_it_has_no_cv_score(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60),
                          "y": ["x"] * 30 + ["z"] * 24 + ["rare"] * 6})
    frame.to_csv(tmp_path / "rare.csv", index=False)
    result = CliRunner().invoke(main, ["tune", str(tmp_path / "rare.csv"), "--target", "y", "--trials", "1",
                                       "--epochs", "1", "--storage", "memory", "--out", str(tmp_path / "m"),
                                       "--no-progress"])
    assert result.exit_code == 0, result.output
    assert ("on validation rows (no cross-validation: a class has fewer than 10 rows, too few for 5 stratified "
            "folds with a validation split in each: this is the figure tuning chose on, not a test score)") \
        in result.output


def test_continuing_a_study_with_another_metric_is_refused(tmp_path, mixed_csv):
    storage = f"sqlite:///{tmp_path / 'c.db'}"
    base = ["tune", str(mixed_csv), "--target", "label", "--trials", "1", "--epochs", "1", "--storage", storage,
            "--study", "same", "--out", str(tmp_path / "m"), "--test-size", "0", "--no-progress"]
    assert CliRunner().invoke(main, base).exit_code == 0
    result = CliRunner().invoke(main, [*base, "--metric", "f1"])
    assert result.exit_code == 2
    assert "study 'same' was tuned on accuracy, not f1; pass --metric to match it or use another --study name" in \
        result.output
    assert len(tunelab.load_study("same", storage).trials) == 1


def test_describe_puts_a_configuration_in_plain_words():
    from tunelab.nn.evaluate import describe

    text = describe({"model": "mlp", "layers": 1, "width": 64, "activation": "relu", "dropout": 0.0,
                     "batch_norm": True, "optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True,
                     "weight_decay": 1e-4, "batch_size": 128, "schedule": "cosine", "epochs": 1}, best_epoch=1)
    assert text == ("an MLP with 1 hidden layer of 64 units (relu, batch norm), trained with SGD (learning rate "
                    "0.05, momentum 0.9 Nesterov, weight decay 1.0e-04), batch size 128, cosine decay of the "
                    "learning rate, up to 1 epoch (best validation score at epoch 1)")
