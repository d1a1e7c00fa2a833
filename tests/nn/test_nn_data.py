"""Data loading: bundled sets, CSVs with text and missing values, and clear errors for bad files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nn_helpers import mixed_frame
from tunelab.nn.data import BUNDLED, load_dataset
from tunelab.nn.errors import DataError


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_sets_load_with_the_right_task(name):
    ds = load_dataset(name)
    assert ds.task == ("regression" if name == "diabetes" else "classification")
    assert ds.X_train.dtype == np.float32 and not np.isnan(ds.X_train).any()
    assert len(ds.X_train) + len(ds.X_val) == ds.report.n_rows
    assert ds.default_metric == ("rmse" if name == "diabetes" else "accuracy")
    assert ds.image_shape == ((1, 8, 8) if name == "digits" else None)


def test_csv_with_text_and_missing_values_is_encoded_and_reported(mixed_csv):
    ds = load_dataset(mixed_csv, "label", seed=1)
    rep = ds.report
    assert rep.imputed == {"x2": 3, "color": 2}
    assert rep.one_hot == {"color": 3}
    assert ds.preprocessor.feature_names == ["x1", "x2", "color=blue", "color=green", "color=red", "flag"]
    assert ds.n_features == 6
    assert not np.isnan(ds.X_train).any() and not np.isnan(ds.X_val).any()
    one_hot = np.vstack([ds.X_train, ds.X_val])[:, 2:5]
    assert np.all(one_hot.sum(axis=1) == 1)  # missing colors filled with the most frequent, not left blank
    assert ds.classes == ["no", "yes"]
    assert "x2 (3)" in rep.summary() and "color (2)" in rep.summary()
    # standardised with training statistics only
    assert abs(float(ds.X_train[:, 0].mean())) < 1e-5


def test_split_is_stratified(mixed_csv):
    ds = load_dataset(mixed_csv, "label", val_size=0.25)
    full = np.mean(np.concatenate([ds.y_train, ds.y_val]))
    assert abs(ds.y_val.mean() - full) < 0.03
    assert len(ds.y_val) == 30


def test_rows_without_target_are_dropped_and_reported(tmp_path):
    df = mixed_frame()
    df.loc[[4, 20], "label"] = np.nan
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    ds = load_dataset(path, "label")
    assert ds.report.dropped_rows == [5, 21]
    assert ds.report.n_rows == 118
    assert "dropped 2 row(s) with no target: 5, 21" in ds.report.summary()


def test_imbalanced_classes_get_weights_and_a_balanced_metric(tmp_path):
    rng = np.random.default_rng(0)
    y = np.array(["a"] * 90 + ["b"] * 10)
    df = pd.DataFrame({"x": rng.normal(size=100), "y": y})
    ds = load_dataset(df, "y")
    assert ds.report.imbalanced
    assert ds.default_metric == "balanced_accuracy"
    np.testing.assert_allclose(ds.class_weights, [100 / (2 * 90), 100 / (2 * 10)], rtol=1e-6)
    assert "imbalanced" in ds.report.summary()
    assert load_dataset(df, "y", metric="accuracy").class_weights is not None  # the loss is weighted either way


def test_regression_is_inferred_from_a_float_target():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=50), "y": rng.normal(size=50) * 10 + 3})
    ds = load_dataset(df, "y")
    assert ds.task == "regression" and ds.default_metric == "rmse"
    assert ds.target_std > 1


def _write(tmp_path, text, name="bad.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_missing_target_column_names_it_and_suggests(mixed_csv):
    with pytest.raises(DataError, match=r"target column 'lable' not found \(did you mean 'label'\?\).*x1, x2"):
        load_dataset(mixed_csv, "lable")


def test_target_all_empty(tmp_path):
    path = _write(tmp_path, "x,label\n" + "".join(f"{i},\n" for i in range(20)))
    with pytest.raises(DataError, match="target column 'label' is empty in all 20 rows"):
        load_dataset(path, "label")


@pytest.mark.parametrize("text,pattern", [
    ("", "is empty"),
    ("a,b\n1,2\n3,4,5,6\n", r"cannot read .* as CSV: .*line 3"),
    ("a,b\n", "has no data rows"),
])
def test_unreadable_files(tmp_path, text, pattern):
    with pytest.raises(DataError, match=pattern):
        load_dataset(_write(tmp_path, text), "b")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match=r"does not exist"):
        load_dataset(tmp_path / "nope.csv", "y")
    with pytest.raises(DataError, match="is a directory"):
        load_dataset(tmp_path, "y")


def test_free_text_unique_in_every_row_is_dropped_as_a_row_id():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"note": [f"comment number {i}" for i in range(60)], "x": rng.normal(size=60),
                       "y": [0, 1] * 30})
    ds = load_dataset(df, "y")
    assert ds.report.dropped_columns == {"note": "looks like a row id: a different text in every row"}
    assert ds.preprocessor.input_columns == ["x"]
    with pytest.raises(DataError, match="no usable input column"):  # dropping x too leaves nothing to learn from
        load_dataset(df, "y", drop=["x"])


def test_a_bad_value_in_a_numeric_column_names_its_row(tmp_path):
    rows = "".join(f"{i},{i % 2}\n" for i in range(30))
    rows = rows.replace("17,1\n", "17?,1\n")
    with pytest.raises(DataError, match=r"column 'x' holds numbers except at row 18 \('17\?'"):
        load_dataset(_write(tmp_path, "x,y\n" + rows), "y")


def test_too_few_rows_in_a_class_for_a_stratified_split():
    df = pd.DataFrame({"x": range(21), "y": ["a"] * 10 + ["b"] * 10 + ["c"]})
    with pytest.raises(DataError, match=r"class 'c' of target 'y' has only 1 row\(s\) \(row 21\).*at least 2"):
        load_dataset(df, "y")


def test_single_class_and_too_few_rows():
    with pytest.raises(DataError, match="single class"):
        load_dataset(pd.DataFrame({"x": range(20), "y": ["a"] * 20}), "y")
    with pytest.raises(DataError, match="only 5 rows have a target; at least 10"):
        load_dataset(pd.DataFrame({"x": range(5), "y": [0, 1, 0, 1, 0]}), "y")


def test_durations_and_non_numeric_regression_target():
    df = pd.DataFrame({"took": pd.to_timedelta(range(20), unit="s"), "y": [0, 1] * 10})
    with pytest.raises(DataError, match="column 'took' holds durations"):
        load_dataset(df, "y")
    df = pd.DataFrame({"x": [1.5 * i for i in range(20)], "y": [str(i) for i in range(19)] + ["oops"]})
    with pytest.raises(DataError, match=r"target 'y' must be numeric for regression, but row 20 holds 'oops'"):
        load_dataset(df, "y", task="regression")


def test_bad_arguments_name_the_argument(mixed_csv):
    with pytest.raises(ValueError, match="argument 'val_size'"):
        load_dataset(mixed_csv, "label", val_size=1.5)
    with pytest.raises(ValueError, match="argument 'metric'"):
        load_dataset(mixed_csv, "label", metric="precision")
    with pytest.raises(ValueError, match="metric 'rmse' does not fit|metric 'rmse' is for regression"):
        load_dataset(mixed_csv, "label", metric="rmse", task="classification")
    with pytest.raises(DataError, match="cannot drop column 'nope'"):
        load_dataset(mixed_csv, "label", drop=["nope"])


def test_parquet_round_trip_or_clear_error(tmp_path):
    path = tmp_path / "d.parquet"
    try:
        mixed_frame().to_parquet(path)
    except ImportError:
        path.write_bytes(b"PAR1 not really")
        with pytest.raises(DataError, match=r"cannot read .*d\.parquet' as Parquet"):
            load_dataset(path, "label")
        return
    assert load_dataset(path, "label").report.imputed == {"x2": 3, "color": 2}
