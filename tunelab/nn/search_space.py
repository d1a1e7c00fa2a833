"""The default search space of the built-in trainer, define-by-run.

The optimizer is a parameter with conditional children: ``sgd_*`` parameters
exist only in SGD trials, ``adam_*`` only in Adam/AdamW trials (AdamW shares
Adam's ranges; its weight decay is decoupled).  ``step_gamma`` exists only with
the step schedule.  Optimizer families get their own learning-rate names
because their good ranges differ by orders of magnitude, and a name keeps one
range within a study.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("none", "cosine", "step")
DEFAULT_LR = {"sgd": (1e-3, 0.5), "adam": (1e-4, 3e-2)}


def lr_family(optimizer: str) -> str:
    """'sgd' or 'adam' (AdamW shares Adam's learning-rate range)."""
    return "sgd" if optimizer == "sgd" else "adam"


@dataclass
class SpaceOptions:
    """What the default space spans; the defaults suit small tables and 8x8 images."""

    model: str = "mlp"
    epochs: int | tuple[int, int] = 20  # an int is fixed; (low, high) makes it a parameter
    optimizers: tuple[str, ...] = OPTIMIZERS
    lr: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_LR))
    batch_sizes: tuple[int, ...] = (32, 64, 128, 256)
    max_layers: int = 3
    width: tuple[int, int] = (32, 512)
    schedules: tuple[str, ...] = SCHEDULES

    def __post_init__(self) -> None:
        if self.model not in ("mlp", "cnn"):
            raise ValueError(f"SpaceOptions: 'model' must be 'mlp' or 'cnn'; got {self.model!r}")
        bad = [o for o in self.optimizers if o not in OPTIMIZERS]
        if bad or not self.optimizers:
            raise ValueError(f"SpaceOptions: 'optimizers' must be a non-empty subset of {OPTIMIZERS}; got "
                             f"{self.optimizers!r}")
        bad = [s for s in self.schedules if s not in SCHEDULES]
        if bad or not self.schedules:
            raise ValueError(f"SpaceOptions: 'schedules' must be a non-empty subset of {SCHEDULES}; got "
                             f"{self.schedules!r}")
        lr = dict(DEFAULT_LR)
        for key, rng in dict(self.lr).items():
            if key not in DEFAULT_LR:
                raise ValueError(f"SpaceOptions: 'lr' keys must be 'sgd' or 'adam'; got {key!r}")
            if len(rng) != 2 or not 0 < float(rng[0]) < float(rng[1]):
                raise ValueError(f"SpaceOptions: lr range for {key!r} must be (low, high) with 0 < low < high; "
                                 f"got {rng!r}")
            lr[key] = (float(rng[0]), float(rng[1]))
        self.lr = lr
        if isinstance(self.epochs, (list, tuple)):
            lo, hi = self.epochs
            if not 1 <= int(lo) <= int(hi):
                raise ValueError(f"SpaceOptions: 'epochs' range must be (low, high) with 1 <= low <= high; "
                                 f"got {self.epochs!r}")
            self.epochs = (int(lo), int(hi))
        elif isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 1:
            raise ValueError(f"SpaceOptions: 'epochs' must be an int >= 1 or a (low, high) pair; got {self.epochs!r}")

    @property
    def max_epochs(self) -> int:
        return self.epochs[1] if isinstance(self.epochs, tuple) else self.epochs


def default_space(trial: Any, options: SpaceOptions | None = None) -> dict[str, Any]:
    """Suggest one training configuration through ``trial.suggest_*``; returns the config dict."""
    o = options or SpaceOptions()
    cfg: dict[str, Any] = {"model": o.model}
    if o.model == "mlp":
        cfg["layers"] = trial.suggest_int("layers", 1, o.max_layers)
    else:
        cfg["conv_layers"] = trial.suggest_int("conv_layers", 1, 2)
        cfg["channels"] = trial.suggest_int("channels", 8, 64, log=True)
    cfg["width"] = trial.suggest_int("width", o.width[0], o.width[1], log=True)
    cfg["activation"] = trial.suggest_categorical("activation", ["relu", "gelu", "tanh", "silu"])
    cfg["dropout"] = trial.suggest_float("dropout", 0.0, 0.5)
    cfg["batch_norm"] = trial.suggest_categorical("batch_norm", [False, True])

    opt = trial.suggest_categorical("optimizer", list(o.optimizers))
    cfg["optimizer"] = opt
    lo, hi = o.lr[lr_family(opt)]
    if opt == "sgd":
        cfg["lr"] = trial.suggest_float("sgd_lr", lo, hi, log=True)
        cfg["momentum"] = trial.suggest_float("sgd_momentum", 0.0, 0.99)
        cfg["nesterov"] = trial.suggest_categorical("sgd_nesterov", [False, True])
        cfg["weight_decay"] = trial.suggest_float("sgd_weight_decay", 1e-6, 1e-2, log=True)
    else:
        cfg["lr"] = trial.suggest_float("adam_lr", lo, hi, log=True)
        cfg["betas"] = (trial.suggest_float("adam_beta1", 0.8, 0.95),
                        trial.suggest_float("adam_beta2", 0.9, 0.9999))
        cfg["eps"] = trial.suggest_float("adam_eps", 1e-9, 1e-6, log=True)
        cfg["weight_decay"] = trial.suggest_float("adam_weight_decay", 1e-6, 1e-2, log=True)

    cfg["batch_size"] = trial.suggest_categorical("batch_size", list(o.batch_sizes))
    if isinstance(o.epochs, tuple):
        cfg["epochs"] = trial.suggest_int("epochs", o.epochs[0], o.epochs[1])
    else:
        cfg["epochs"] = o.epochs
    cfg["schedule"] = trial.suggest_categorical("schedule", list(o.schedules))
    if cfg["schedule"] == "step":
        cfg["step_gamma"] = trial.suggest_float("step_gamma", 0.1, 0.5)
    return cfg
