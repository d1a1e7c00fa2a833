"""``tunelab tune DATA --target COL``: tune a network on a table in one command.

Registered lazily in the ``tunelab`` group (``tunelab/cli.py``), so torch loads
only when ``tune`` runs.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import click

from tunelab.nn.metrics import METRICS
from tunelab.storage import mask_url

DEFAULT_STORAGE = "sqlite:///tunelab.db"


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _pruner_name() -> str | None:
    """ASHA when the pruner registry has it, else no pruning."""
    from tunelab.pruners import PRUNERS

    return "asha" if "asha" in PRUNERS else None


def _duration(text: str) -> float:
    from tunelab.spec import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--time") from None


@click.command(name="tune")
@click.argument("data")
@click.option("--target", default=None, help="Target column (not needed for a bundled data set).")
@click.option("--metric", type=click.Choice(METRICS), default=None,
              help="Validation metric [default: accuracy, or balanced_accuracy for imbalanced classes; rmse].")
@click.option("--trials", type=click.IntRange(min=1), default=None,
              help="Number of trials [default: 30 without --time].")
@click.option("--time", "time_limit", default=None, help="Time budget: seconds or 90s, 10m, 1h.")
@click.option("--storage", default=DEFAULT_STORAGE, show_default=True, help="Where the study is saved.")
@click.option("--study", "study_name", default=None, help="Study name (an existing study is continued).")
@click.option("--out", "out_dir", default=None, help="Directory for best_model.pt and best_config.json "
              "[default: <study>-best].")
@click.option("--auto-range", is_flag=True, help="Choose learning-rate ranges with a range test first.")
@click.option("--repeats", type=click.IntRange(min=1), default=1, show_default=True,
              help="Seeds per configuration; results are their mean.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--n-jobs", type=int, default=1, show_default=True, help="Parallel trials.")
@click.option("--epochs", type=click.IntRange(min=1), default=20, show_default=True, help="Epochs per trial at most.")
@click.option("--model", type=click.Choice(["mlp", "cnn"]), default="mlp", show_default=True)
@click.option("--drop", multiple=True, help="A column to ignore (repeatable).")
@click.option("--keep", multiple=True, help="A column to use even though it looks like a row id (repeatable).")
@click.option("--test-size", type=click.FloatRange(0, 0.5, max_open=True), default=None,
              help="Fraction of rows held out as a test set tuning never sees [default: 0.2; tables under "
                   "200 rows are cross-validated instead; 0: no test].")
@click.option("--baselines", "extra_baselines", default="",
              help="More baselines scored on the same test rows, besides the constant and linear ones: hgb "
                   "(scikit-learn's HistGradientBoosting).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
def tune(data: str, target: str | None, metric: str | None, trials: int | None, time_limit: str | None,
         storage: str, study_name: str | None, out_dir: str | None, auto_range: bool, repeats: int, seed: int,
         n_jobs: int, epochs: int, model: str, drop: tuple[str, ...], keep: tuple[str, ...], test_size: float | None,
         extra_baselines: str, device: str, no_progress: bool) -> None:
    """Tune a neural network on DATA: a CSV/Parquet file, or digits, breast_cancer, wine, iris, diabetes.

    A test set (20 % of the rows, stratified for classes) is held out before tuning; at the end the best
    configuration is scored on it next to a constant and a linear baseline, saved, and the command to
    predict with it is printed.
    """
    from tunelab._extras import MissingExtra, require

    try:
        require("torch", "tunelab tune", "torch", "PyTorch")
        require("pandas", "tunelab tune", "torch", "pandas")
    except MissingExtra as exc:
        _fail(str(exc))
    from tunelab.nn.data import BUNDLED, load_dataset
    from tunelab.nn.errors import DataError
    from tunelab.nn.evaluate import BASELINES, SMALL_TABLE
    from tunelab.nn.objective import NNObjective
    from tunelab.nn.search_space import SpaceOptions

    extra = [b.strip() for b in extra_baselines.split(",") if b.strip()]
    if set(extra) - set(BASELINES):
        raise click.BadParameter(f"expected a comma-separated list from {', '.join(BASELINES)}; got "
                                 f"{extra_baselines!r}", param_hint="--baselines")
    baselines = [b for b in BASELINES if b in ("constant", "linear") or b in extra]
    timeout = _duration(time_limit) if time_limit is not None else None
    n_trials = trials if trials is not None or timeout is not None else 30
    if n_jobs == 0 or n_jobs < -1:
        raise click.BadParameter(f"expected an int >= 1 or -1; got {n_jobs}", param_hint="--n-jobs")
    is_bundled = data in BUNDLED and not os.path.exists(data)
    if not is_bundled and target is None:
        _fail(f"--target is required for a data file ({data}); bundled data sets are: {', '.join(BUNDLED)}")
    cv = False
    try:
        dataset = load_dataset(data, target, metric=metric, seed=seed, drop=drop, keep=keep,
                               test_size=0.2 if test_size is None else test_size)
        if test_size is None and dataset.report.n_rows < SMALL_TABLE:
            cv = True  # too few rows to hold some out: tune on all, then cross-validate the best
            dataset = load_dataset(data, target, metric=metric, seed=seed, drop=drop, keep=keep, test_size=0.0)
            dataset.report.notes.append(f"{dataset.report.n_rows} rows (< {SMALL_TABLE}): no test rows are held "
                                        "out; the best configuration is cross-validated at the end instead")
        options = SpaceOptions(model=model, epochs=epochs)
        if model == "cnn" and dataset.image_shape is None:
            raise ValueError(f"--model cnn needs image data (digits); {dataset.name} has no image shape")
    except (DataError, ValueError) as exc:
        _fail(str(exc))
    click.echo(dataset.report.summary())
    if auto_range:
        from tunelab.nn.devices import pick_device
        from tunelab.nn.spec import auto_lr_ranges

        options.lr, reasons = auto_lr_ranges(dataset, options, seed, pick_device(device))
        click.echo("learning-rate range test:")
        for reason in reasons:
            click.echo(f"  {reason}")
    try:
        objective = NNObjective(dataset, options, metric=metric, repeats=repeats, seed=seed, device=device)
    except ValueError as exc:
        _fail(str(exc))
    study = _open_study(study_name or _default_name(data), storage, objective.direction, seed)
    _record_metric(study, objective.metric)
    budget = " and ".join(x for x in (f"{n_trials} trials" if n_trials else "", time_limit or "") if x)
    click.echo(f"tuning {model} for {objective.metric} ({objective.direction}) on {dataset.name}: {budget}, "
               f"pruner={_pruner_name()}, study {study.study_name!r} in {mask_url(storage)}")
    started = time.time()
    try:
        study.optimize(objective, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs,
                       show_progress_bar=not no_progress, catch=(Exception,))
    except KeyboardInterrupt:
        click.echo("\ninterrupted: finished trials are kept; saving the best so far", err=True)
    from tunelab.nn.finish import finish

    info = finish(study, objective, out_dir or f"{study.study_name}-best", click.echo, baselines, cv,
                  time.time() - started)
    if info is None:
        _fail("no trial completed, so there is no best configuration to save")


def _record_metric(study: Any, metric: str) -> None:
    """Name the metric in the study, so that `tunelab ls` and `show` can print it."""
    from tunelab.nn.finish import METRIC_ATTR

    if study.user_attrs.get(METRIC_ATTR) not in (None, metric):
        _fail(f"study {study.study_name!r} was tuned on {study.user_attrs[METRIC_ATTR]}, not {metric}; "
              "pass --metric to match it or use another --study name")
    study.set_user_attr(METRIC_ATTR, metric)


def _default_name(data: str) -> str:
    stem = os.path.splitext(os.path.basename(data))[0] or "data"
    return f"tune-{stem}-{time.strftime('%Y%m%d-%H%M%S')}"


def _open_study(name: str, storage: str, direction: str, seed: int) -> Any:
    from tunelab.storage import StorageError
    from tunelab.study import create_study

    try:
        return create_study(name, storage, direction=direction, sampler="auto", pruner=_pruner_name(), seed=seed,
                            load_if_exists=True)
    except (StorageError, ValueError, TypeError) as exc:
        _fail(f"cannot open study {name!r} in {mask_url(storage)}: {exc}")


@click.command(name="predict")
@click.argument("model_dir", type=click.Path(file_okay=False))
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("-o", "--output", default=None, help="CSV file for the predictions [default: print them].")
@click.option("--proba", is_flag=True, help="Also write each class's probability (classification).")
def predict(model_dir: str, data: str, output: str | None, proba: bool) -> None:
    """Predict the rows of DATA (CSV/Parquet) with the model that `tunelab tune` saved in MODEL_DIR.

    DATA needs the columns the model was trained on; the target column may be absent. Row-id columns the
    model ignored are copied to the output, so predictions can be joined back.
    """
    import warnings

    from tunelab._extras import MissingExtra, require

    try:
        require("torch", "tunelab predict", "torch", "PyTorch")
        require("pandas", "tunelab predict", "torch", "pandas")
    except MissingExtra as exc:
        _fail(str(exc))
    import pandas as pd

    from tunelab.nn.data import read_table
    from tunelab.nn.errors import DataError
    from tunelab.nn.export import UnknownCategoryWarning, load_model

    try:
        model = load_model(model_dir)
        frame = read_table(data)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UnknownCategoryWarning)
            labels = model.predict(frame)
            probabilities = model.predict_proba(frame) if proba and model.task == "classification" else None
    except (DataError, FileNotFoundError) as exc:
        _fail(str(exc))
    for w in {str(w.message) for w in caught if issubclass(w.category, UnknownCategoryWarning)}:
        click.echo(f"warning: {w}", err=True)
    if proba and probabilities is None:
        click.echo("warning: --proba ignored: the model is a regression model", err=True)
    out = pd.DataFrame({c: frame[c] for c in model.meta.get("id_columns", []) if c in frame.columns})
    out[f"predicted_{model.target}"] = labels
    if probabilities is not None:
        for i, cls in enumerate(model.classes):
            out[f"proba_{cls}"] = probabilities[:, i]
    if output is None:
        click.echo(out.to_csv(index=False), nl=False)
    else:
        out.to_csv(output, index=False)
        click.echo(f"wrote {len(out)} predictions of {model.target!r} to {output}", err=True)
