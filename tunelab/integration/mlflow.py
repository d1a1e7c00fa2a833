"""MLflow logging: one MLflow run per trial, nested under one run for the study.

``study.optimize(objective, callbacks=[MLflowCallback(tracking_uri=..., metric_name="accuracy")])``.
The experiment is named after the study; its first trial creates the study's
run (tagged ``tunelab.study``), and every finished trial becomes a child run
(``mlflow.parentRunId``) with the trial's parameters, its value(s) as metrics,
its intermediate values as the metric's history, and its number, state and
(optionally) user attributes as tags.  The callback talks to MLflow through
``MlflowClient`` with explicit run ids, so parallel workers do not share
MLflow's process-global "active run".
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

_STATUS = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}


class MLflowCallback:
    """Log each finished trial to MLflow as a run nested under the study's run."""

    def __init__(self, tracking_uri: str | None = None, metric_name: str | Sequence[str] = "value",
                 create_experiment: bool = True, mlflow_kwargs: dict[str, Any] | None = None,
                 tag_study_user_attrs: bool = False, tag_trial_user_attrs: bool = True):
        import mlflow  # noqa: F401  (fail here, with the import error, rather than after the first trial)

        self._tracking_uri = tracking_uri
        self._metric_name = metric_name
        self._create_experiment = create_experiment
        self._kwargs = dict(mlflow_kwargs or {})
        self._tag_study = tag_study_user_attrs
        self._tag_trial = tag_trial_user_attrs
        self._lock = threading.Lock()
        self._parents: dict[str, tuple[str, str]] = {}  # study name -> (experiment id, parent run id)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _client(self) -> Any:
        import mlflow

        return mlflow.MlflowClient(tracking_uri=self._tracking_uri)

    def _metric_names(self, n: int) -> list[str]:
        names = [self._metric_name] if isinstance(self._metric_name, str) else list(self._metric_name)
        if len(names) == n:
            return names
        if len(names) == 1:
            return [f"{names[0]}_{i}" for i in range(n)] if n > 1 else names
        raise ValueError(f"MLflowCallback: {len(names)} metric names for a study with {n} objective(s)")

    def _parent(self, client: Any, study: Any) -> tuple[str, str]:
        name = study.study_name
        with self._lock:
            if name in self._parents:
                return self._parents[name]
            experiment = client.get_experiment_by_name(name)
            if experiment is None:
                if not self._create_experiment:
                    raise ValueError(f"MLflowCallback: no MLflow experiment named {name!r} and "
                                     "create_experiment=False")
                experiment_id = client.create_experiment(name)
            else:
                experiment_id = experiment.experiment_id
            found = client.search_runs([experiment_id], filter_string=f"tags.`tunelab.study` = '{name}'",
                                       max_results=1, order_by=["attributes.start_time ASC"])
            if found:
                run_id = found[0].info.run_id
            else:
                tags = {"tunelab.study": name, "direction": ",".join(d.name for d in study.directions)}
                if self._tag_study:
                    tags.update({k: str(v) for k, v in study.user_attrs.items()})
                run_id = client.create_run(experiment_id, run_name=name, tags=tags).info.run_id
            self._parents[name] = (experiment_id, run_id)
            return experiment_id, run_id

    def __call__(self, study: Any, trial: Any) -> None:
        from mlflow.entities import Metric, Param, RunTag

        client = self._client()
        experiment_id, parent = self._parent(client, study)
        tags = {"mlflow.parentRunId": parent, "tunelab.study": study.study_name,
                "tunelab.trial_number": str(trial.number), "state": trial.state.name,
                **{k: str(v) for k, v in self._kwargs.get("tags", {}).items()}}
        if self._tag_trial:
            tags.update({k: str(v)[:5000] for k, v in trial.user_attrs.items()})
        run = client.create_run(experiment_id, run_name=f"trial-{trial.number}", tags=tags)
        start = int(trial.datetime_start.timestamp() * 1000) if trial.datetime_start else 0
        metrics: list[Any] = []
        if trial.values is not None:
            for name, value in zip(self._metric_names(len(trial.values)), trial.values):
                metrics.append(Metric(name, float(value), start, len(trial.intermediate_values)))
        first = self._metric_names(len(study.directions))[0]
        for step, value in sorted(trial.intermediate_values.items()):
            metrics.append(Metric(f"{first}_intermediate", float(value), start, int(step)))
        params = [Param(k, str(v)[:6000]) for k, v in trial.params.items()]
        dist_tags = [RunTag(f"distribution.{k}", str(d)[:5000]) for k, d in trial.distributions.items()]
        for i in range(0, max(len(metrics), 1), 1000):  # MLflow takes at most 1000 metrics a batch
            client.log_batch(run.info.run_id, metrics=metrics[i:i + 1000], params=params if i == 0 else [],
                             tags=dist_tags if i == 0 else [])
        client.set_terminated(run.info.run_id, status=_STATUS.get(trial.state.name, "FINISHED"))
