"""LightGBM pruning: report a validation metric after each boosting round, stop rounds of a bad trial.

``lgb.train(params, dtrain, valid_sets=[dvalid],
callbacks=[LightGBMPruningCallback(trial, "auc")])``: the metric of
``valid_name`` (``"valid_0"`` unless the validation set was named; ``"valid"``
in ``lgb.cv``) is reported at step = the boosting round, and the trial is
pruned (``TrialPruned`` raised out of ``lgb.train``) when the study's pruner
says so.
"""

from __future__ import annotations

from typing import Any

from tunelab.trial import TrialPruned


class LightGBMPruningCallback:
    """A LightGBM callback that reports ``metric`` on ``valid_name`` to ``trial`` every ``report_interval`` rounds."""

    order = 30  # after LightGBM's own recording callbacks
    before_iteration = False

    def __init__(self, trial: Any, metric: str, valid_name: str = "valid_0", report_interval: int = 1):
        if isinstance(report_interval, bool) or not isinstance(report_interval, int) or report_interval < 1:
            raise ValueError(f"LightGBMPruningCallback: 'report_interval' must be an int >= 1; got {report_interval!r}")
        self._trial = trial
        self._metric = metric
        self._valid_name = valid_name
        self._interval = report_interval

    def _entry(self, results: list) -> tuple:
        names = {self._valid_name} | ({"valid", "cv_agg"} if results and len(results[0]) == 5 else set())
        for entry in results:
            if entry[0] in names and entry[1] == self._metric:
                return entry
        seen = sorted({f"{e[0]}:{e[1]}" for e in results})
        raise ValueError(f"LightGBMPruningCallback: no metric {self._metric!r} on the validation set "
                         f"{self._valid_name!r}; LightGBM evaluated {seen}")

    def _check_direction(self, higher_is_better: bool) -> None:
        study = getattr(self._trial, "study", None)
        directions = getattr(study, "directions", None)
        if not directions:
            return
        maximize = directions[0].name == "MAXIMIZE"
        if maximize != bool(higher_is_better):
            raise ValueError(f"LightGBMPruningCallback: the study {'maximizes' if maximize else 'minimizes'} but "
                             f"LightGBM's {self._metric!r} is better when {'higher' if higher_is_better else 'lower'}")

    def __call__(self, env: Any) -> None:
        if (env.iteration + 1) % self._interval:
            return
        entry = self._entry(env.evaluation_result_list or [])
        self._check_direction(entry[3])
        self._trial.report(float(entry[2]), step=env.iteration)
        if self._trial.should_prune():
            raise TrialPruned(f"trial was pruned at boosting round {env.iteration}")
