"""XGBoost pruning: report an evaluation metric after each boosting round, stop rounds of a bad trial.

``xgb.train(params, dtrain, evals=[(dvalid, "validation")],
callbacks=[XGBoostPruningCallback(trial, "validation-logloss")])``:
``observation_key`` is ``"<evals name>-<metric>"``; its value is reported at
step = the round, and ``TrialPruned`` is raised out of ``xgb.train`` when the
study's pruner says so.
"""

from __future__ import annotations

from typing import Any

import xgboost

from tunelab.trial import TrialPruned


class XGBoostPruningCallback(xgboost.callback.TrainingCallback):
    """An XGBoost training callback reporting ``observation_key`` ("<data>-<metric>") to ``trial``."""

    def __init__(self, trial: Any, observation_key: str):
        super().__init__()
        data, sep, metric = observation_key.partition("-")
        if not sep or not data or not metric:
            raise ValueError(f"XGBoostPruningCallback: 'observation_key' must be '<evals name>-<metric>', such as "
                             f"'validation-logloss'; got {observation_key!r}")
        self._trial = trial
        self._key = observation_key
        self._data, self._metric = data, metric

    def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
        try:
            history = evals_log[self._data][self._metric]
        except KeyError:
            seen = sorted(f"{d}-{m}" for d, metrics in evals_log.items() for m in metrics)
            raise ValueError(f"XGBoostPruningCallback: XGBoost logged no {self._key!r}; it logged {seen}") from None
        last = history[-1]
        value = float(last[0] if isinstance(last, tuple) else last)  # xgb.cv logs (mean, std)
        self._trial.report(value, step=epoch)
        if self._trial.should_prune():
            raise TrialPruned(f"trial was pruned at boosting round {epoch}")
        return False
