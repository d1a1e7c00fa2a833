"""JournalStorage over a Redis list (the local server at 127.0.0.1:6379): the contract and worker processes."""

from __future__ import annotations

import os
import pickle
import uuid

import pytest
import redis  # the dev extra

import tunelab
from tunelab.storage import get_storage
from tunelab.storages import JournalRedisBackend, JournalStorage
from tunelab.testing import Backend, StorageSuite
from tunelab.trial import StudyDirection, TrialState

REDIS_URL = os.environ.get("TUNELAB_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_prefix():
    """A prefix of this test's own (its list is deleted afterwards); skip on a laptop without Redis, fail in CI."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis at {REDIS_URL} is not reachable ({exc})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — CI=true, so this fails instead of skipping")
        pytest.skip(message)
    prefix = f"tunelab-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    client.delete(f"{prefix}tunelab:journal")
    client.close()


class TestJournalRedisContract(StorageSuite):
    @pytest.fixture
    def backend(self, redis_prefix):
        backend = Backend(lambda: JournalStorage(JournalRedisBackend(REDIS_URL, prefix=redis_prefix)))
        yield backend
        backend.close()


def _objective(trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


def test_worker_processes_on_one_redis_journal(redis_prefix):
    storage = JournalStorage(JournalRedisBackend(REDIS_URL, prefix=redis_prefix))
    study = tunelab.create_study(study_name="r", storage=storage, sampler="random", seed=0)
    study.optimize(_objective, n_trials=16, n_jobs=2)
    fresh = JournalStorage(JournalRedisBackend(REDIS_URL, prefix=redis_prefix))
    trials = fresh.get_all_trials(fresh.get_study_id("r"))
    assert [t.number for t in trials] == list(range(16)) and all(t.state == TrialState.COMPLETE for t in trials)
    ops = redis.Redis.from_url(REDIS_URL).lrange(f"{redis_prefix}tunelab:journal", 0, -1)
    assert sum(b'"op":"finish_trial"' in op for op in ops) == 16  # each trial finished once in the log


def test_pickles_as_its_settings_and_opens_by_url(redis_prefix):
    backend = JournalRedisBackend(REDIS_URL, prefix=redis_prefix)
    store = JournalStorage(backend)
    sid = store.create_study("s", [StudyDirection.MAXIMIZE])
    copy = pickle.loads(pickle.dumps(store))
    assert copy.get_study_directions(sid) == [StudyDirection.MAXIMIZE]
    assert copy.backend.key == f"{redis_prefix}tunelab:journal"
    other = get_storage("journal+redis://127.0.0.1:6379/0")
    assert isinstance(other.backend, JournalRedisBackend) and other.backend.key == "tunelab:journal"
    with pytest.raises(ValueError, match="'url'"):
        JournalRedisBackend("127.0.0.1:6379")
