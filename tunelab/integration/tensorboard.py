"""TensorBoard logging: every trial as an HParams run (parameters, objective value, intermediate values).

``study.optimize(objective, callbacks=[TensorBoardCallback("runs/", metric_name="accuracy")])``
writes ``<dirname>/trial-<number>`` per finished trial: its parameters and value
in the HParams dashboard (categorical parameters with their choices as the
domain), and its intermediate values as the scalar ``<metric_name>/intermediate``.
Written through PyTorch's ``SummaryWriter`` (needs ``torch`` and ``tensorboard``).
"""

from __future__ import annotations

import math
import os
from typing import Any

from tunelab.space import CategoricalDistribution


class TensorBoardCallback:
    """Write each finished trial into ``dirname`` as a TensorBoard HParams run."""

    def __init__(self, dirname: str, metric_name: str):
        if not isinstance(dirname, (str, os.PathLike)) or not str(dirname):
            raise ValueError(f"TensorBoardCallback: 'dirname' must be a directory path; got {dirname!r}")
        try:
            from torch.utils.tensorboard import SummaryWriter  # noqa: F401
        except ImportError as exc:
            raise ImportError("TensorBoardCallback writes through torch.utils.tensorboard: "
                              f"pip install 'tunelab[torch,tensorboard]' ({exc})") from None
        self._dirname = str(dirname)
        self._metric_name = metric_name

    def __call__(self, study: Any, trial: Any) -> None:
        from torch.utils.tensorboard import SummaryWriter

        hparams: dict[str, Any] = {}
        domains: dict[str, list] = {}
        for name, value in trial.params.items():
            dist = trial.distributions.get(name)
            if isinstance(dist, CategoricalDistribution):
                hparams[name] = str(value) if not isinstance(value, (int, float, bool)) else value
                domains[name] = [str(c) if not isinstance(c, (int, float, bool)) else c for c in dist.choices]
            else:
                hparams[name] = value
        value = trial.values[0] if trial.values else math.nan
        log_dir = os.path.join(self._dirname, f"trial-{trial.number}")
        with SummaryWriter(log_dir=log_dir) as writer:
            for step, v in sorted(trial.intermediate_values.items()):
                writer.add_scalar(f"{self._metric_name}/intermediate", v, global_step=step)
            writer.add_hparams(hparams, {self._metric_name: value}, hparam_domain_discrete=domains or None,
                               run_name=".")
            writer.add_text("state", trial.state.name)
