"""A ready objective: the default space + the trainer, for ``study.optimize``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from tunelab._validation import Check, Interval, Options, validate
from tunelab.nn.metrics import METRICS, metric_direction
from tunelab.nn.search_space import SpaceOptions, default_space

SpaceFn = Callable[[Any], dict]


@dataclass
class NNObjective:
    """Call with a trial: suggests a configuration, trains it ``repeats`` times, returns the mean metric.

    data: a :class:`~tunelab.nn.data.Dataset`.  space: a function trial -> config
    (default: :func:`~tunelab.nn.search_space.default_space` with ``options``).
    Each trial trains with seeds seed..seed+repeats-1, so two trials of the same
    configuration give the same numbers (common random numbers make comparisons fair).
    """

    data: Any
    options: SpaceOptions = field(default_factory=SpaceOptions)
    metric: str | None = None
    repeats: int = 1
    seed: int = 0
    device: str = "auto"
    patience: int | None = 5
    threads: int | None = 1
    space: SpaceFn | None = None
    notes: list[str] = field(default_factory=list)  # what loading and range tests said, for printing
    out: str | None = None  # where finish() saves the best model (default: <study name>-best)
    baselines: tuple[str, ...] = ("constant", "linear")  # scored next to the network on the test rows

    def __post_init__(self) -> None:
        validate(_CONSTRAINTS, {"metric": self.metric, "repeats": self.repeats, "seed": self.seed,
                                "device": self.device, "patience": self.patience, "threads": self.threads,
                                "space": self.space}, "NNObjective")
        self.metric = self.metric or self.data.default_metric

    @property
    def direction(self) -> str:
        return metric_direction(self.metric)

    def config(self, trial: Any) -> dict[str, Any]:
        """The training configuration a trial (or a FixedTrial of stored params) stands for."""
        return self.space(trial) if self.space is not None else default_space(trial, self.options)

    def __call__(self, trial: Any) -> float:
        from tunelab.nn.devices import pick_device
        from tunelab.nn.trainer import train

        cfg = self.config(trial)
        device = pick_device(self.device, trial_number=getattr(trial, "number", None))
        trial.set_user_attr("device", device)  # shows which GPU each parallel trial used
        result = train(cfg, self.data, metric=self.metric, seed=self.seed, repeats=self.repeats, device=device,
                       patience=self.patience, threads=self.threads, trial=trial)
        return result.value

    def retrain(self, params: dict[str, Any], repeats: int = 1, data: Any = None) -> Any:
        """Train a stored configuration again (same seeds, so the same model on CPU); returns the TrainResult.

        data: another split of the same table (e.g. a cross-validation fold) instead of ``self.data``.
        """
        from tunelab.nn.devices import pick_device
        from tunelab.nn.trainer import train
        from tunelab.trial import FixedTrial

        cfg = self.config(FixedTrial(params))
        return train(cfg, data if data is not None else self.data, metric=self.metric, seed=self.seed, repeats=repeats,
                     device=pick_device(self.device, trial_number=0), patience=self.patience, threads=self.threads)


    def finish(self, study: Any, echo: Callable[[str], None] = print) -> dict[str, Any] | None:
        """After ``study.optimize``: score the best configuration on the test rows, save it, print what it did."""
        from tunelab.nn.finish import finish

        return finish(study, self, self.out or f"{study.study_name}-best", echo, self.baselines)


_CONSTRAINTS = {
    "metric": [Options(METRICS), None],
    "repeats": [Interval(int, 1, None)],
    "seed": [Interval(int, 0, None)],
    "device": [Check(lambda v: isinstance(v, str) and (v in ("auto", "cpu", "cuda", "mps") or v.startswith("cuda:")),
                     "'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'")],
    "patience": [Interval(int, 1, None), None],
    "threads": [Interval(int, 1, None), None],
    "space": [Check(callable, "a function trial -> config dict"), None],
}
