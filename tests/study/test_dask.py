"""A study run on a real Dask cluster (local worker processes) through optimize(executor=client)."""

from __future__ import annotations

import os

import tunelab
from executor_helpers import objective, require
from tunelab.storage.sql import SQLStorage
from tunelab.trial import TrialState

require("distributed", "dask")
from distributed import Client, LocalCluster  # noqa: E402


def test_dask_workers_share_one_study(sqlite_url, unique_name):
    storage = SQLStorage(sqlite_url)
    study = tunelab.create_study(name=unique_name, storage=storage, seed=0, sampler="tpe")
    study.enqueue_trial({"x": 1.0})
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        study.optimize(objective, n_trials=12, n_jobs=2, executor=client)
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(12))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert os.getpid() not in {t.user_attrs["pid"] for t in trials}  # ran in the cluster's processes
    assert study.best_value == 0.0 and study.best_params == {"x": 1.0}  # the enqueued point was run
