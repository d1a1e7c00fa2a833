"""The PostgreSQL server restarts while 4 worker processes run: they reconnect and the study ends exact.

Needs root (CI runs as root) to run `pg_ctlcluster`; marked ``server_restart``.  The outage is one restart
(about a second); other tests using the server at that moment see it too, and retry the same way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time

import pytest

import tunelab
from tunelab.samplers.random import RandomSampler
from tunelab.storage.sql import SQLStorage
from tunelab.trial import TrialState

N_TRIALS = 48


def _objective(trial: tunelab.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.set_user_attr("half", x / 2)
    time.sleep(0.1)
    trial.report(x, 0)
    return x


def _cluster() -> list[str]:
    out = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True).stdout
    version, name = out.split()[:2]
    return [version, name]


def _restart_postgres() -> None:
    subprocess.run(["pg_ctlcluster", *_cluster(), "restart", "-m", "fast"], check=True, capture_output=True,
                   timeout=60)


@pytest.mark.server_restart
@pytest.mark.postgres
def test_workers_survive_a_postgres_restart(pg_db_url, unique_name):
    if shutil.which("pg_ctlcluster") is None or os.geteuid() != 0:
        pytest.fail("restarting PostgreSQL needs pg_ctlcluster and root (as in CI)")
    storage = SQLStorage(pg_db_url, heartbeat_interval=0.5, stale_after=60.0)
    study = tunelab.create_study(study_name=unique_name, storage=storage, sampler=RandomSampler(seed=0))
    watcher = SQLStorage(pg_db_url)
    restarted = threading.Event()

    def restart_when_running() -> None:
        deadline = time.time() + 60
        while watcher.get_n_trials(study.study_id, [TrialState.COMPLETE]) < 8 and time.time() < deadline:
            time.sleep(0.05)
        _restart_postgres()
        restarted.set()

    thread = threading.Thread(target=restart_when_running, daemon=True)
    thread.start()
    study.optimize(_objective, n_trials=N_TRIALS, n_jobs=4)
    thread.join(timeout=90)
    assert restarted.is_set(), "the restart did not happen while the workers ran"

    trials = SQLStorage(pg_db_url).get_all_trials(study.study_id)
    assert [t.number for t in trials] == list(range(N_TRIALS))
    assert [t.state for t in trials] == [TrialState.COMPLETE] * N_TRIALS
    assert all(t.values == [t.params["x"]] and t.user_attrs == {"half": t.params["x"] / 2}
               and t.intermediate_values == {0: t.params["x"]} for t in trials)
