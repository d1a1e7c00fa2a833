"""DaskStorage: a storage on the Dask scheduler, shared by the client and every worker's tasks."""

from __future__ import annotations

import os
import pickle
import sys
import threading
import unittest.mock

import distributed  # the dask extra, installed in CI
import pytest

import tunelab
from tunelab.storage import StudyNotFoundError
from tunelab.testing import Backend, StorageSuite
from tunelab.trial import StudyDirection, TrialState

from tunelab.integration.dask import DaskStorage

MIN = StudyDirection.MINIMIZE


@pytest.fixture(scope="module")
def client():
    """One in-process cluster for the module (threads as workers: quick to start)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False, dashboard_address=None) \
            as cluster, distributed.Client(cluster) as client:
        yield client


class TestDaskStorageContract(StorageSuite):
    """Every handle is a new DaskStorage joining one storage (by name) on the scheduler.

    The whole suite applies: the storage on the scheduler is the in-memory one, and every call,
    from any thread, is one message answered there.
    """

    @pytest.fixture
    def backend(self, client):
        name = f"suite-{os.urandom(6).hex()}"
        backend = Backend(lambda: DaskStorage(name=name, client=client))
        yield backend
        backend.close()


def _objective(trial) -> float:
    x = trial.suggest_float("x", -3.0, 3.0)
    trial.report(x, 0)
    trial.set_user_attr("thread", threading.get_ident())
    trial.set_user_attr("pid", os.getpid())
    return (x - 1.0) ** 2


def test_optimize_over_dask_workers_runs_exactly_n_trials(client):
    storage = DaskStorage(client=client)
    study = tunelab.create_study(study_name="dask", storage=storage, sampler="random", seed=1)
    study.enqueue_trial({"x": 1.0})
    study.optimize(_objective, n_trials=17, n_jobs=4, executor=client)
    trials = study.trials
    assert [t.number for t in trials] == list(range(17))
    assert all(t.state == TrialState.COMPLETE and t.intermediate_values == {0: t.params["x"]} for t in trials)
    assert study.best_params == {"x": 1.0} and study.best_value == 0.0  # the enqueued point ran
    assert threading.get_ident() not in {t.user_attrs["thread"] for t in trials}  # ran in Dask's worker threads
    # the state is on the scheduler: a new handle by name sees the same study
    again = tunelab.load_study(study_name="dask", storage=DaskStorage(name=storage.name, client=client))
    assert [t.values for t in again.trials] == [t.values for t in trials]


def test_optuna_style_tasks_each_optimizing_the_study(client):
    """Optuna's Dask example: each task opens the study by name on the shared storage and optimizes it."""
    storage = DaskStorage(client=client)
    tunelab.create_study(study_name="tasks", storage=storage)

    def task(n: int) -> int:
        study = tunelab.load_study(study_name="tasks", storage=storage, sampler="random")
        study.optimize(_objective, n_trials=n)
        return len(study.trials)

    futures = [client.submit(task, n, pure=False) for n in (3, 4, 5)]
    distributed.wait(futures)
    assert all(f.status == "finished" for f in futures)
    trials = tunelab.load_study(study_name="tasks", storage=storage).trials
    assert [t.number for t in trials] == list(range(12))
    assert all(t.state == TrialState.COMPLETE for t in trials)


def test_pickled_handle_reaches_the_same_storage(client):
    storage = DaskStorage(client=client)
    sid = storage.create_study("s", [MIN])
    copy = pickle.loads(pickle.dumps(storage))
    assert copy.name == storage.name and copy.shareable
    assert client.submit(lambda s: s.create_trial(sid), copy, pure=False).result() == (0, 0)
    assert storage.get_trial(0).state == TrialState.RUNNING
    with pytest.raises(StudyNotFoundError, match="nope"):  # errors raised on the scheduler arrive as themselves
        copy.get_study_id("nope")


def test_a_database_storage_on_the_scheduler(client, tmp_path):
    url = f"sqlite:///{tmp_path / 'dask.db'}"
    storage = DaskStorage(url, client=client)
    study = tunelab.create_study(study_name="db", storage=storage, sampler="random")
    study.optimize(_objective, n_trials=6, n_jobs=2, executor=client)
    on_disk = tunelab.load_study(study_name="db", storage=url)  # the scheduler wrote the database
    assert [t.number for t in on_disk.trials] == list(range(6))


def test_bad_arguments_name_the_field(client):
    with pytest.raises(ValueError, match="in memory on the scheduler"):
        DaskStorage(tunelab.storage.InMemoryStorage(), client=client)
    with pytest.raises(TypeError, match="'storage'"):
        DaskStorage(42, client=client)
    with pytest.raises(ValueError, match="'name'"):
        DaskStorage(name="", client=client)
    with pytest.raises(TypeError, match="'client'"):
        DaskStorage(client="tcp://127.0.0.1:8786")
    with unittest.mock.patch.object(distributed, "get_client", side_effect=ValueError("No global client found")):
        with pytest.raises(ValueError, match="no Dask client here"):
            DaskStorage()
    lost = DaskStorage(client=client)
    lost.name = "never-registered"
    with pytest.raises(KeyError, match="no storage named 'never-registered'"):
        lost.get_study_id("x")


def test_worker_processes_share_the_scheduler_storage():
    """Real worker processes: each task unpickles the handle and talks to the scheduler through its worker."""
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) \
            as cluster, distributed.Client(cluster) as client:
        storage = DaskStorage(client=client)
        study = tunelab.create_study(study_name="procs", storage=storage, sampler="random", seed=2)
        study.optimize(_objective, n_trials=8, n_jobs=2, executor=client)
        # Optuna's documented way: the Study itself is sent to each task (it pickles as how to reopen it)
        futures = [client.submit(study.optimize, _objective, n_trials=3, pure=False) for _ in range(2)]
        for future in futures:
            future.result()
        trials = study.trials
    assert [t.number for t in trials] == list(range(14))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert os.getpid() not in {t.user_attrs["pid"] for t in trials}
