"""The ``[trainer]`` and ``[data]`` tables of a spec file, turned into an objective.

``build_objective(trainer_table, data_table) -> (objective, space_or_None, direction)``
is what ``tunelab run`` calls for a spec with a ``[trainer]`` table: importing this
module registers the section with the spec loader (tunelab.spec.register_section).  The space
is None: the objective suggests its own parameters (define-by-run).  The
direction follows the metric (rmse/mae minimize, the others maximize).
"""

from __future__ import annotations

import os
from typing import Any, Callable

from tunelab.nn.data import BUNDLED, load_dataset
from tunelab.nn.metrics import METRICS, metric_direction
from tunelab.nn.objective import NNObjective
from tunelab.nn.search_space import OPTIMIZERS, SCHEDULES, SpaceOptions
from tunelab.spec import register_section

TRAINER_KEYS = {
    "model": "'mlp' or 'cnn'",
    "epochs": "an int, or [low, high] to tune it",
    "metric": f"one of {', '.join(METRICS)}",
    "repeats": "an int >= 1 (seeds per configuration)",
    "seed": "an int >= 0",
    "device": "'auto', 'cpu', 'cuda' or 'cuda:N'",
    "patience": "an int >= 1 (early stopping on validation loss), or 0 to turn it off",
    "threads": "an int >= 1 (torch threads per trial)",
    "optimizers": f"a list from {list(OPTIMIZERS)}",
    "schedules": f"a list from {list(SCHEDULES)}",
    "lr": "'auto' (learning-rate range test) or a table {sgd = [low, high], adam = [low, high]}",
    "batch_sizes": "a list of ints",
    "max_layers": "an int >= 1",
    "width": "[low, high]",
    "out": "a directory for the best model, relative to the current directory (default: <study name>-best)",
    "baselines": "a list from ['constant', 'linear', 'hgb'] scored on the test rows next to the network",
}
DATA_KEYS = {
    "dataset": f"one of {', '.join(BUNDLED)}",
    "path": "a CSV or Parquet file",
    "target": "the target column",
    "task": "'classification' or 'regression'",
    "val_size": "a fraction in (0, 1)",
    "test_size": "a fraction in [0, 1)",
    "seed": "an int >= 0 (the split)",
    "drop": "a list of columns to ignore",
    "keep": "a list of columns to use even though they look like row ids",
}


def _check_keys(table: dict[str, Any], allowed: dict[str, str], where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _get(table: dict[str, Any], key: str, kinds: type | tuple, where: str, allowed: dict[str, str],
         default: Any = None) -> Any:
    value = table.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
        raise ValueError(f"{where} {key}: expected {allowed[key]}; got {value!r}")
    if not isinstance(value, kinds):
        raise ValueError(f"{where} {key}: expected {allowed[key]}; got {value!r}")
    return value


def load_data_table(data_table: dict[str, Any], metric: str | None = None, base_dir: str | None = None) -> Any:
    """The Dataset a ``[data]`` table describes (``dataset = "digits"`` or ``path = "x.csv"`` + ``target``)."""
    _check_keys(data_table, DATA_KEYS, "[data]")
    dataset = _get(data_table, "dataset", str, "[data]", DATA_KEYS)
    path = _get(data_table, "path", str, "[data]", DATA_KEYS)
    if (dataset is None) == (path is None):
        raise ValueError("[data]: give exactly one of 'dataset' (a bundled set: "
                         f"{', '.join(BUNDLED)}) or 'path' (a CSV/Parquet file)")
    if dataset is not None and dataset not in BUNDLED:
        raise ValueError(f"[data] dataset: expected one of {', '.join(BUNDLED)}; got {dataset!r}")
    if path is not None and base_dir is not None and not os.path.isabs(path):
        path = os.path.join(base_dir, path)
    drop = _get(data_table, "drop", list, "[data]", DATA_KEYS, [])
    keep = _get(data_table, "keep", list, "[data]", DATA_KEYS, [])
    return load_dataset(dataset or path, _get(data_table, "target", str, "[data]", DATA_KEYS),
                        task=_get(data_table, "task", str, "[data]", DATA_KEYS), metric=metric,
                        val_size=float(_get(data_table, "val_size", (int, float), "[data]", DATA_KEYS, 0.2)),
                        test_size=float(_get(data_table, "test_size", (int, float), "[data]", DATA_KEYS, 0.0)),
                        seed=_get(data_table, "seed", int, "[data]", DATA_KEYS, 0), drop=drop, keep=keep)


def space_options(trainer_table: dict[str, Any], data: Any) -> SpaceOptions:
    """SpaceOptions from a ``[trainer]`` table (the ``lr = "auto"`` case is resolved by the caller)."""
    w = "[trainer]"
    epochs = _get(trainer_table, "epochs", (int, list), w, TRAINER_KEYS, 20)
    kwargs: dict[str, Any] = {"model": _get(trainer_table, "model", str, w, TRAINER_KEYS, "mlp"),
                              "epochs": tuple(epochs) if isinstance(epochs, list) else epochs}
    for key in ("optimizers", "schedules", "batch_sizes"):
        if key in trainer_table:
            kwargs[key] = tuple(_get(trainer_table, key, list, w, TRAINER_KEYS))
    if "max_layers" in trainer_table:
        kwargs["max_layers"] = _get(trainer_table, "max_layers", int, w, TRAINER_KEYS)
    if "width" in trainer_table:
        kwargs["width"] = tuple(_get(trainer_table, "width", list, w, TRAINER_KEYS))
    lr = trainer_table.get("lr")
    if isinstance(lr, dict):
        kwargs["lr"] = {k: tuple(v) for k, v in lr.items()}
    elif lr is not None and lr != "auto":
        raise ValueError(f"{w} lr: expected {TRAINER_KEYS['lr']}; got {lr!r}")
    if kwargs["model"] == "cnn" and data.image_shape is None:
        raise ValueError(f"{w} model: 'cnn' needs image data (dataset = 'digits'); {data.name} has no image shape")
    try:
        return SpaceOptions(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{w}: {exc}") from None


def auto_lr_ranges(data: Any, options: SpaceOptions, seed: int = 0, device: str = "cpu") -> tuple[dict, list[str]]:
    """Learning-rate ranges from a range test for each optimizer family in the space, with the reasons."""
    from tunelab.nn.lr_range import lr_range_test
    from tunelab.nn.search_space import lr_family

    ranges, notes = {}, []
    for family in sorted({lr_family(o) for o in options.optimizers}):
        found = lr_range_test(data, family, {"model": options.model}, seed=seed, device=device)
        ranges[family] = (found.low, found.high)
        notes.append(found.reason)
    return ranges, notes


def build_objective(trainer_table: dict[str, Any], data_table: dict[str, Any], *,
                    base_dir: str | None = None) -> tuple[Callable, None, str]:
    """(objective, None, direction) for a spec's ``[trainer]`` and ``[data]`` tables.

    Raises ValueError (DataError for data problems) naming the bad key or column.
    ``base_dir``: where a relative ``path`` is looked up (default: the current directory).
    The objective's ``notes`` hold the data report and, with ``lr = "auto"``, the range test's reasons.
    """
    from tunelab._extras import MissingExtra, require

    try:  # fail before any trial rather than in every one
        require("torch", "tunelab run with a [trainer] table", "torch", "PyTorch")
        require("pandas", "tunelab run with a [trainer] table", "torch", "pandas")
    except MissingExtra as exc:
        raise ValueError(str(exc)) from None
    _check_keys(trainer_table, TRAINER_KEYS, "[trainer]")
    w = "[trainer]"
    metric = _get(trainer_table, "metric", str, w, TRAINER_KEYS)
    if metric is not None and metric not in METRICS:
        raise ValueError(f"{w} metric: expected {TRAINER_KEYS['metric']}; got {metric!r}")
    data = load_data_table(data_table, metric, base_dir)
    options = space_options(trainer_table, data)
    seed = _get(trainer_table, "seed", int, w, TRAINER_KEYS, 0)
    device = _get(trainer_table, "device", str, w, TRAINER_KEYS, "auto")
    notes = [data.report.summary()]
    if trainer_table.get("lr") == "auto":
        from tunelab.nn.devices import pick_device

        options.lr, reasons = auto_lr_ranges(data, options, seed, pick_device(device))
        notes.extend(reasons)
    patience = _get(trainer_table, "patience", int, w, TRAINER_KEYS, 5)
    try:
        objective = NNObjective(data, options, metric=metric,
                                repeats=_get(trainer_table, "repeats", int, w, TRAINER_KEYS, 1), seed=seed,
                                device=device, patience=patience or None,
                                threads=_get(trainer_table, "threads", int, w, TRAINER_KEYS, 1))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{w}: {exc}") from None
    objective.notes = notes
    objective.out = _get(trainer_table, "out", str, w, TRAINER_KEYS)
    baselines = _get(trainer_table, "baselines", list, w, TRAINER_KEYS, ["constant", "linear"])
    from tunelab.nn.evaluate import BASELINES

    if not set(baselines) <= set(BASELINES):
        raise ValueError(f"{w} baselines: expected {TRAINER_KEYS['baselines']}; got {baselines!r}")
    objective.baselines = tuple(baselines)
    return objective, None, metric_direction(objective.metric)


def _build_section(tables: dict[str, dict[str, Any]], base_dir: str) -> tuple[Callable, None, str]:
    return build_objective(tables["trainer"], tables["data"], base_dir=base_dir)


register_section(("trainer", "data"), _build_section)
