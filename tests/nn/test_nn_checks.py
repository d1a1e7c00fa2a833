"""Data checks: row ids dropped, leakage flagged, missing-value indicators, target encoding, dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nn_helpers import messy_frame
from tunelab.nn.checks import id_columns
from tunelab.nn.data import load_dataset
from tunelab.nn.errors import DataError


@pytest.fixture(scope="module")
def messy():
    return load_dataset(messy_frame(), "y", test_size=0.2, seed=0)


def test_row_ids_are_dropped_with_a_note(messy):
    rep = messy.report
    assert rep.dropped_columns == {"rownames": "looks like a row id: named like a row index",
                                   "customer": "looks like a row id: a different text in every row"}
    assert "dropped columns: rownames (looks like a row id" in rep.summary() and "--keep COL" in rep.summary()
    assert "rownames" not in messy.preprocessor.input_columns


def test_id_rules_by_name_and_content():
    n = 30
    df = pd.DataFrame({"Unnamed: 0": range(n), "ID": np.arange(n) * 7, "seq": np.arange(n)[::-1] + 100,
                       "gaps": np.arange(n) * 2, "measure": np.linspace(0, 1, n), "code": ["a", "b"] * 15})
    assert id_columns(df) == {"Unnamed: 0": "named like a row index", "ID": "named like a row index",
                              "seq": "a different whole number in every row, counting up"}
    assert "seq" not in id_columns(df, keep={"seq"})


def test_keep_overrides_the_id_rule():
    ds = load_dataset(messy_frame(), "y", keep=["rownames"], drop=["customer", "refund_issued"])
    assert "rownames" in ds.preprocessor.input_columns and ds.report.kept == ["rownames"]
    assert "rownames" not in ds.report.dropped_columns
    assert "kept on request: rownames" in ds.report.summary()
    # kept, it leaks the target (the file is sorted by it), and that is flagged but not acted upon
    assert "rownames" not in ds.report.leaks  # a kept column is the user's call: no warning


def test_a_leaking_column_is_flagged_not_dropped(messy):
    rep = messy.report
    assert list(rep.leaks) == ["refund_issued"] and rep.leaks["refund_issued"] >= 0.98
    assert "refund_issued" in messy.preprocessor.input_columns
    assert ("warning: column 'refund_issued' alone predicts 'y' almost perfectly" in rep.summary()
            and "--drop refund_issued" in rep.summary())
    dropped = load_dataset(messy_frame(), "y", drop=["refund_issued"])
    assert dropped.report.leaks == {} and "refund_issued" not in dropped.preprocessor.input_columns


def test_heavy_missingness_gets_an_indicator(messy):
    assert messy.report.missing_indicators == ["income"]
    names = messy.preprocessor.feature_names
    col = names.index("income_missing")
    frame = messy_frame()
    assert set(np.unique(messy.X_train[:, col])) == {0.0, 1.0}
    assert 0.25 < messy.X_train[:, col].mean() < 0.55
    assert "missing-value indicators added (> 5 % missing): income_missing" in messy.report.summary()
    assert frame["x1"].notna().all() and "x1_missing" not in names  # only columns with many gaps


def test_a_51_value_text_column_is_target_encoded_cross_fitted(messy):
    assert list(messy.report.target_encoded) == ["state"]
    assert 45 <= messy.report.target_encoded["state"] <= 51  # the categories seen in the training rows
    assert "state_te" in messy.preprocessor.feature_names and not any(n.startswith("state=") for n in
                                                                      messy.preprocessor.feature_names)
    plan = next(p for p in messy.preprocessor.columns if p.name == "state")
    assert plan.kind == "target" and len(plan.categories) == messy.report.target_encoded["state"]
    col = messy.preprocessor.feature_names.index("state_te")
    # training rows carry cross-fitted values, which differ from the full-data mapping for the same rows
    frame = messy_frame()
    train_mapping = messy.preprocessor.transform(frame)[:, col]
    assert not np.allclose(np.sort(messy.X_train[:, col]), np.sort(train_mapping[:len(messy.X_train)]))
    assert "target-encoded (too many values to one-hot; cross-fitted TargetEncoder): state (" in \
        messy.report.summary()


def test_multiclass_and_regression_targets_encode_too():
    frame = messy_frame()
    frame["y3"] = np.where(frame["x1"] > 0.5, "hi", np.where(frame["x1"] < -0.5, "lo", "mid"))
    ds = load_dataset(frame.drop(columns=["y", "refund_issued"]), "y3")
    assert [n for n in ds.preprocessor.feature_names if n.startswith("state_te")] == \
        ["state_te=0", "state_te=1", "state_te=2"]
    reg = load_dataset(frame.drop(columns=["y", "y3", "refund_issued"]), "x1")
    assert reg.task == "regression" and list(reg.report.target_encoded) == ["state"]


def test_dates_are_split_into_parts(messy):
    assert messy.report.dates == ["signup"]
    names = messy.preprocessor.feature_names
    assert [n for n in names if n.startswith("signup")] == ["signup_year", "signup_month", "signup_day",
                                                            "signup_dayofweek"]
    frame = pd.DataFrame({"signup": ["2021-03-04", "not a date"]})
    plan = next(p for p in messy.preprocessor.columns if p.name == "signup")
    from tunelab.nn.preprocess import Preprocessor

    X = Preprocessor([plan]).transform(frame)
    year = X[0, 0] * plan.stds[0] + plan.means[0]
    assert year == pytest.approx(2021) and X[0, 3] * plan.stds[3] + plan.means[3] == pytest.approx(3)  # Thursday
    np.testing.assert_allclose(X[1] * np.asarray(plan.stds) + np.asarray(plan.means), plan.fills, rtol=1e-5)


def test_a_datetime_column_is_split_too():
    df = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=40, freq="7D"), "y": [0.5 * i for i in range(40)]})
    ds = load_dataset(df, "y")
    assert ds.report.dates == ["when"] and ds.n_features == 4


def test_keep_and_drop_of_unknown_columns_are_clear_errors():
    with pytest.raises(DataError, match=r"cannot keep column 'rowname': no such column \(did you mean 'rownames'"):
        load_dataset(messy_frame(), "y", keep=["rowname"])
    with pytest.raises(ValueError, match="argument 'keep'"):
        load_dataset(messy_frame(), "y", keep="rownames")
