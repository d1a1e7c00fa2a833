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
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
def tune(data: str, target: str | None, metric: str | None, trials: int | None, time_limit: str | None,
         storage: str, study_name: str | None, out_dir: str | None, auto_range: bool, repeats: int, seed: int,
         n_jobs: int, epochs: int, model: str, drop: tuple[str, ...], device: str, no_progress: bool) -> None:
    """Tune a neural network on DATA: a CSV/Parquet file, or digits, breast_cancer, wine, iris, diabetes."""
    from tunelab.nn.data import BUNDLED, load_dataset
    from tunelab.nn.errors import DataError
    from tunelab.nn.objective import NNObjective
    from tunelab.nn.search_space import SpaceOptions

    timeout = _duration(time_limit) if time_limit is not None else None
    n_trials = trials if trials is not None or timeout is not None else 30
    if n_jobs == 0 or n_jobs < -1:
        raise click.BadParameter(f"expected an int >= 1 or -1; got {n_jobs}", param_hint="--n-jobs")
    is_bundled = data in BUNDLED and not os.path.exists(data)
    if not is_bundled and target is None:
        _fail(f"--target is required for a data file ({data}); bundled data sets are: {', '.join(BUNDLED)}")
    try:
        dataset = load_dataset(data, target, metric=metric, seed=seed, drop=drop)
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
    budget = " and ".join(x for x in (f"{n_trials} trials" if n_trials else "", time_limit or "") if x)
    click.echo(f"tuning {model} for {objective.metric} ({objective.direction}) on {dataset.name}: {budget}, "
               f"pruner={_pruner_name()}, study {study.study_name!r} in {storage}")
    started = time.time()
    try:
        study.optimize(objective, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs,
                       show_progress_bar=not no_progress, catch=(Exception,))
    except KeyboardInterrupt:
        click.echo("\ninterrupted: finished trials are kept; saving the best so far", err=True)
    _report(study, objective, out_dir or f"{study.study_name}-best", time.time() - started)


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
        _fail(f"cannot open study {name!r} in {storage}: {exc}")


def _report(study: Any, objective: Any, out_dir: str, seconds: float) -> None:
    from tunelab.analysis.noise import select_best, summary_table, value_stats
    from tunelab.nn.export import save_best
    from tunelab.trial import TrialState

    states = [t.state for t in study.trials]
    counts = ", ".join(f"{states.count(s)} {s.name.lower()}" for s in TrialState if states.count(s))
    click.echo(f"trials: {counts} ({seconds:.0f} s)")
    complete = study.get_trials([TrialState.COMPLETE])
    if not complete:
        _fail("no trial completed, so there is no best configuration to save")
    best = select_best(complete, objective.direction, by="mean")
    stats = value_stats(best)
    click.echo(f"best trial #{best.number}: {objective.metric} = {stats.text()}")
    for key, value in best.params.items():
        click.echo(f"  {key} = {value:.4g}" if isinstance(value, float) else f"  {key} = {value}")
    if len(complete) > 1:
        click.echo("top trials (mean ± std over seeds):")
        for row in summary_table(complete, objective.direction, top=5):
            click.echo(f"  #{row['number']}: {row['text']}")
    result = objective.retrain(best.params)
    info = {"study": study.study_name, "trial": best.number, "params": best.params,
            "config": objective.config(_fixed(best.params)), "value": stats.mean, "std": stats.std,
            "repeat_values": stats.values, "retrained_value": result.value, "seed": objective.seed,
            "data_report": objective.data.report.summary()}
    model_path, config_path = save_best(out_dir, result, objective.data, info)
    click.echo(f"saved the best model to {model_path} and its configuration to {config_path}")


def _fixed(params: dict[str, Any]) -> Any:
    from tunelab.trial import FixedTrial

    return FixedTrial(params)
