"""The storage contract as a test class: subclass it and give it a ``backend`` fixture.

``backend`` is any object whose ``open()`` returns a storage handle on one shared,
initially empty database; each call should give a new handle, as another process
would have (for an in-memory storage, the same object each time).
:class:`Backend` builds one from a factory and closes what it opened::

    import pytest
    from tunelab.testing import Backend, StorageSuite

    class TestMyStorage(StorageSuite):
        @pytest.fixture
        def backend(self, tmp_path):
            backend = Backend(lambda: MyStorage(tmp_path / "db"))
            yield backend
            backend.close()

What it checks: studies (create, find, duplicates, attributes, summaries, delete),
trials (dense numbers, records, parameters and values round-trip, finish once and
atomically), reads that see other handles' writes, waiting trials popped once,
claims taken once, and stale running trials failed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

import pytest

from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.storage import BaseStorage, DuplicatedStudyError, StudyNotFoundError, TrialFinishedError
from tunelab.trial import StudyDirection, TrialState

MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE
FLOAT = FloatDistribution(-5.0, 5.0)
LOG = FloatDistribution(1e-5, 1e-1, log=True)
INT = IntDistribution(1, 9, step=2)
CAT = CategoricalDistribution(("sgd", None, True, 3, 2.5))


@dataclass
class Backend:
    """One database: ``open()`` calls ``factory`` (``shared=True``: once, then returns that same object)."""

    factory: Callable[[], BaseStorage]
    shared: bool = False
    opened: list[BaseStorage] = field(default_factory=list)

    def open(self, **kwargs: Any) -> BaseStorage:
        if self.shared and self.opened:
            return self.opened[0]
        storage = self.factory(**kwargs) if kwargs else self.factory()
        self.opened.append(storage)
        return storage

    def close(self) -> None:
        for storage in self.opened:
            storage.close()


class StorageSuite:
    """The contract every storage keeps; needs a ``backend`` fixture (see the module's docstring)."""

    @pytest.fixture
    def storage(self, backend: Any) -> BaseStorage:
        return backend.open()

    # ------------------------------------------------------------------ studies

    def test_create_and_find_studies(self, storage):
        a = storage.create_study("a", [MIN])
        b = storage.create_study("b", [MAX, MIN])
        assert a != b
        assert storage.get_study_id("a") == a and storage.get_study_id("b") == b
        assert storage.get_study_name(b) == "b"
        assert storage.get_study_directions(a) == [MIN]
        assert storage.get_study_directions(b) == [MAX, MIN]

    def test_duplicate_and_missing_studies(self, storage):
        sid = storage.create_study("dup", [MIN])
        with pytest.raises(DuplicatedStudyError, match="dup"):
            storage.create_study("dup", [MAX])
        assert storage.get_study_directions(sid) == [MIN]  # the first one is untouched
        with pytest.raises(StudyNotFoundError, match="nope"):
            storage.get_study_id("nope")
        with pytest.raises(KeyError):  # StudyNotFoundError is also a KeyError
            storage.get_study_name(sid + 1000)
        for call in (lambda: storage.get_study_directions(sid + 1000), lambda: storage.create_trial(sid + 1000),
                     lambda: storage.get_all_trials(sid + 1000), lambda: storage.pop_waiting_trial(sid + 1000),
                     lambda: storage.set_study_attr(sid + 1000, "k", 1), lambda: storage.claim(sid + 1000, "k"),
                     lambda: storage.delete_study(sid + 1000)):
            with pytest.raises(StudyNotFoundError):
                call()

    def test_study_attrs_user_and_system_are_separate(self, storage):
        sid = storage.create_study("s", [MIN])
        storage.set_study_attr(sid, "note", {"a": [1, 2.5, None]})
        storage.set_study_attr(sid, "note", "overwritten")
        storage.set_study_attr(sid, "seed", 7, system=True)
        assert storage.get_study_attrs(sid) == {"note": "overwritten"}
        assert storage.get_study_attrs(sid, system=True) == {"seed": 7}

    def test_get_study_attr_reads_one_value(self, storage):
        sid = storage.create_study("s", [MIN])
        other = storage.create_study("t", [MIN])
        storage.set_study_attr(sid, "k", {"a": [1, 2.5]})
        storage.set_study_attr(sid, "k", "system value", system=True)
        storage.set_study_attr(other, "k", "other study")
        assert storage.get_study_attr(sid, "k") == {"a": [1, 2.5]}
        assert storage.get_study_attr(sid, "k", system=True) == "system value"
        assert storage.get_study_attr(sid, "missing") is None
        assert storage.get_study_attr(other, "k", system=True) is None
        storage.set_study_attr(sid, "k", 3)
        assert storage.get_study_attr(sid, "k") == 3
        with pytest.raises(StudyNotFoundError):
            storage.get_study_attr(sid + 1000, "k")

    def test_list_studies_summaries(self, storage):
        low = storage.create_study("low", [MIN])
        high = storage.create_study("high", [MAX])
        multi = storage.create_study("multi", [MIN, MAX])
        storage.set_study_attr(low, "owner", "ana")
        for sid, values in ((low, [3.0, 1.0, 2.0]), (high, [3.0, 5.0]), (multi, [1.0])):
            for v in values:
                tid, _ = storage.create_trial(sid)
                storage.finish_trial(tid, TrialState.COMPLETE, [v] if sid != multi else [v, v])
        pruned, _ = storage.create_trial(low)
        storage.finish_trial(pruned, TrialState.PRUNED, [0.5])  # pruned values never count as best
        storage.create_trial(low)  # still running
        summaries = {s.name: s for s in storage.list_studies()}
        assert set(summaries) == {"low", "high", "multi"}
        assert (summaries["low"].n_trials, summaries["low"].n_complete, summaries["low"].best_values) == (5, 3, [1.0])
        assert summaries["high"].best_values == [5.0]
        assert summaries["multi"].best_values is None and summaries["multi"].directions == [MIN, MAX]
        assert summaries["low"].user_attrs == {"owner": "ana"} and summaries["high"].user_attrs == {}
        assert summaries["low"].study_id == low
        assert isinstance(summaries["low"].datetime_start, datetime)

    def test_delete_study_removes_everything_of_it(self, storage):
        gone = storage.create_study("gone", [MIN])
        kept = storage.create_study("kept", [MIN])
        for sid in (gone, kept):
            tid, _ = storage.create_trial(sid, user_attrs={"u": 1})
            storage.set_trial_param(tid, "x", FLOAT, 1.0)
            storage.set_trial_intermediate_value(tid, 0, 0.5)
            storage.claim(sid, "grid-0")
            storage.set_study_attr(sid, "a", 1)
        gone_trial = storage.get_all_trials(gone)[0].trial_id
        storage.delete_study(gone)
        with pytest.raises(StudyNotFoundError):
            storage.get_study_id("gone")
        with pytest.raises(KeyError):
            storage.get_trial(gone_trial)
        assert [s.name for s in storage.list_studies()] == ["kept"]
        assert storage.get_all_trials(kept)[0].params == {"x": 1.0}
        again = storage.create_study("gone", [MAX])  # the name is free again, with nothing left behind
        assert storage.get_all_trials(again) == [] and storage.get_study_attrs(again) == {}
        assert storage.claim(again, "grid-0") is True

    # ------------------------------------------------------------------ trials

    def test_trial_numbers_are_dense_per_study(self, storage):
        a = storage.create_study("a", [MIN])
        b = storage.create_study("b", [MIN])
        numbers_a = [storage.create_trial(a)[1] for _ in range(3)]
        numbers_b = [storage.create_trial(b)[1] for _ in range(2)]
        numbers_a.append(storage.create_trial(a, TrialState.WAITING)[1])
        assert numbers_a == [0, 1, 2, 3] and numbers_b == [0, 1]
        assert [t.number for t in storage.get_all_trials(a)] == [0, 1, 2, 3]
        assert storage.get_n_trials(a) == 4 and storage.get_n_trials(b) == 2
        assert storage.get_n_trials(a, [TrialState.WAITING]) == 1

    def test_create_trial_records(self, storage):
        sid = storage.create_study("s", [MIN])
        before = datetime.now()
        running, _ = storage.create_trial(sid)
        after = datetime.now()
        waiting, _ = storage.create_trial(sid, TrialState.WAITING, fixed_params={"x": 1.5, "c": "sgd"},
                                          user_attrs={"origin": "manual"})
        r, w = storage.get_trial(running), storage.get_trial(waiting)
        assert r.state == TrialState.RUNNING and before <= r.datetime_start <= after  # microseconds kept
        assert r.datetime_complete is None and r.values is None and r.params == {}
        assert w.state == TrialState.WAITING and w.datetime_start is None
        assert w.system_attrs == {"fixed_params": {"x": 1.5, "c": "sgd"}} and w.user_attrs == {"origin": "manual"}
        with pytest.raises(ValueError, match="RUNNING or WAITING"):
            storage.create_trial(sid, TrialState.COMPLETE)
        with pytest.raises(KeyError):
            storage.get_trial(running + 10_000)

    def test_params_intermediates_and_attrs_round_trip(self, storage):
        sid = storage.create_study("s", [MIN])
        tid, _ = storage.create_trial(sid)
        storage.set_trial_param(tid, "lr", LOG, 0.001)
        storage.set_trial_param(tid, "x", FLOAT, -2.5)
        storage.set_trial_param(tid, "layers", INT, 3)
        storage.set_trial_param(tid, "opt", CAT, None)
        storage.set_trial_param(tid, "flag", CAT, True)
        storage.set_trial_intermediate_value(tid, 0, 0.25)
        storage.set_trial_intermediate_value(tid, 10, float("nan"))
        storage.set_trial_intermediate_value(tid, 0, 0.5)  # a step written twice keeps the last value
        storage.set_trial_user_attr(tid, "curve", [0.1, 0.2])
        storage.set_trial_user_attr(tid, "curve", [0.3])
        storage.set_trial_system_attr(tid, "seed", 11)
        t = storage.get_trial(tid)
        assert t.params == {"lr": 0.001, "x": -2.5, "layers": 3, "opt": None, "flag": True}
        assert list(t.params) == ["lr", "x", "layers", "opt", "flag"]  # suggestion order
        assert type(t.params["layers"]) is int and type(t.params["x"]) is float and t.params["flag"] is True
        assert t.distributions == {"lr": LOG, "x": FLOAT, "layers": INT, "opt": CAT, "flag": CAT}
        assert t.intermediate_values[0] == 0.5 and t.intermediate_values[10] != t.intermediate_values[10]  # NaN kept
        assert sorted(t.intermediate_values) == [0, 10]
        assert t.user_attrs == {"curve": [0.3]} and t.system_attrs == {"seed": 11}
        with pytest.raises(KeyError):
            storage.set_trial_param(tid + 10_000, "x", FLOAT, 1.0)

    def test_finish_trial_once(self, storage):
        sid = storage.create_study("s", [MIN, MAX])
        tid, _ = storage.create_trial(sid)
        storage.set_trial_param(tid, "x", FLOAT, 1.0)
        with pytest.raises(ValueError, match="finished state"):
            storage.finish_trial(tid, TrialState.RUNNING)
        storage.finish_trial(tid, TrialState.COMPLETE, [0.5, 2.0])
        t = storage.get_trial(tid)
        assert t.state == TrialState.COMPLETE and t.values == [0.5, 2.0]
        assert t.datetime_complete is not None and t.datetime_complete >= t.datetime_start
        with pytest.raises(TrialFinishedError):
            storage.finish_trial(tid, TrialState.FAIL)
        for write in (lambda: storage.set_trial_param(tid, "y", FLOAT, 0.0),
                      lambda: storage.set_trial_param(tid, "x", FLOAT, 2.0),
                      lambda: storage.set_trial_intermediate_value(tid, 1, 0.1),
                      lambda: storage.set_trial_user_attr(tid, "k", 1),
                      lambda: storage.set_trial_system_attr(tid, "k", 1)):
            with pytest.raises(TrialFinishedError):
                write()
        after = storage.get_trial(tid)
        assert after.params == {"x": 1.0} and after.values == [0.5, 2.0] and after.user_attrs == {}
        assert after.state == TrialState.COMPLETE
        failed, _ = storage.create_trial(sid)
        storage.finish_trial(failed, TrialState.FAIL)
        assert storage.get_trial(failed).values is None
        with pytest.raises(KeyError):
            storage.finish_trial(tid + 10_000, TrialState.COMPLETE, [1.0, 1.0])

    def test_finish_is_atomic_between_racing_threads(self, backend):
        storage = backend.open()
        sid = storage.create_study("s", [MIN])
        tid, _ = storage.create_trial(sid)
        stores = [backend.open() for _ in range(4)]
        outcomes: list[str] = []

        def finish(store, value: float) -> None:
            try:
                store.finish_trial(tid, TrialState.COMPLETE, [value])
                outcomes.append(f"won {value}")
            except TrialFinishedError:
                outcomes.append("lost")

        threads = [threading.Thread(target=finish, args=(s, float(i))) for i, s in enumerate(stores)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [o for o in outcomes if o.startswith("won")]
        assert len(winners) == 1 and outcomes.count("lost") == 3
        assert storage.get_trial(tid).values == [float(winners[0].split()[1])]

    def test_get_all_trials_order_and_state_filter(self, storage):
        sid = storage.create_study("s", [MIN])
        ids = [storage.create_trial(sid)[0] for _ in range(5)]
        storage.finish_trial(ids[1], TrialState.COMPLETE, [1.0])
        storage.finish_trial(ids[3], TrialState.PRUNED)
        storage.finish_trial(ids[4], TrialState.FAIL)
        trials = storage.get_all_trials(sid)
        assert [t.number for t in trials] == [0, 1, 2, 3, 4]
        assert [t.state for t in trials] == [TrialState.RUNNING, TrialState.COMPLETE, TrialState.RUNNING,
                                             TrialState.PRUNED, TrialState.FAIL]
        assert [t.number for t in storage.get_all_trials(sid, [TrialState.RUNNING])] == [0, 2]
        assert [t.number for t in storage.get_all_trials(sid, [TrialState.COMPLETE, TrialState.FAIL])] == [1, 4]
        assert storage.get_trial_id_from_number(sid, 3) == ids[3]
        with pytest.raises(KeyError):
            storage.get_trial_id_from_number(sid, 5)

    def test_reader_sees_a_running_trial_finish(self, backend):
        """Cache correctness: RUNNING at one read, finished later -> finished (with its data) at the next read."""
        writer, reader = backend.open(), backend.open()
        sid = writer.create_study("s", [MIN])
        done, _ = writer.create_trial(sid)
        writer.finish_trial(done, TrialState.COMPLETE, [3.0])
        live, _ = writer.create_trial(sid)
        writer.set_trial_param(live, "x", FLOAT, 1.0)
        first = reader.get_all_trials(sid)
        assert [t.state for t in first] == [TrialState.COMPLETE, TrialState.RUNNING]
        assert first[1].params == {"x": 1.0} and first[1].intermediate_values == {}
        writer.set_trial_param(live, "y", FLOAT, 2.0)
        writer.set_trial_intermediate_value(live, 0, 0.7)
        writer.set_trial_user_attr(live, "k", "v")
        writer.finish_trial(live, TrialState.COMPLETE, [1.5])
        newer, _ = writer.create_trial(sid)
        second = reader.get_all_trials(sid)
        assert [t.state for t in second] == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.RUNNING]
        t = second[1]
        assert (t.values, t.params, t.intermediate_values, t.user_attrs) == ([1.5], {"x": 1.0, "y": 2.0}, {0: 0.7},
                                                                             {"k": "v"})
        assert reader.get_trial(live).values == [1.5]
        assert second[0] == first[0]
        writer.finish_trial(newer, TrialState.PRUNED)
        assert [t.state for t in reader.get_all_trials(sid)][-1] == TrialState.PRUNED
        assert reader.get_all_trials(sid, [TrialState.COMPLETE])[1].values == [1.5]

    # ------------------------------------------------------------------ waiting trials and claims

    def test_pop_waiting_trial_fifo(self, storage):
        sid = storage.create_study("s", [MIN])
        assert storage.pop_waiting_trial(sid) is None
        storage.create_trial(sid)  # running: never popped
        first = storage.create_trial(sid, TrialState.WAITING, fixed_params={"x": 1})
        second = storage.create_trial(sid, TrialState.WAITING, fixed_params={"x": 2})
        assert storage.pop_waiting_trial(sid) == first
        t = storage.get_trial(first[0])
        assert t.state == TrialState.RUNNING and t.datetime_start is not None
        assert storage.pop_waiting_trial(sid) == second
        assert storage.pop_waiting_trial(sid) is None

    def test_pop_waiting_trial_is_atomic(self, backend):
        storage = backend.open()
        sid = storage.create_study("s", [MIN])
        waiting = {storage.create_trial(sid, TrialState.WAITING)[0] for _ in range(24)}
        popped: list[int] = []
        lock = threading.Lock()

        def worker() -> None:
            store = backend.open()  # its own connections, as another process would have
            while (got := store.pop_waiting_trial(sid)) is not None:
                with lock:
                    popped.append(got[0])

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(popped) == sorted(waiting)  # each exactly once
        assert storage.get_n_trials(sid, [TrialState.RUNNING]) == 24

    def test_start_trial_takes_the_queue_first_then_creates(self, storage):
        sid = storage.create_study("s", [MIN])
        storage.create_trial(sid)  # running: never taken
        first = storage.create_trial(sid, TrialState.WAITING, fixed_params={"x": 1})
        second = storage.create_trial(sid, TrialState.WAITING, fixed_params={"x": 2})
        assert storage.start_trial(sid) == (*first, True)
        assert storage.start_trial(sid, heartbeat=True) == (*second, True)
        trial_id, number, was_waiting = storage.start_trial(sid)
        assert (number, was_waiting) == (3, False)
        t = storage.get_trial(trial_id)
        assert t.state == TrialState.RUNNING and t.datetime_start is not None and not t.params
        assert [t.state for t in storage.get_all_trials(sid)] == [TrialState.RUNNING] * 4
        with pytest.raises(StudyNotFoundError):
            storage.start_trial(sid + 1000)

    def test_start_trial_is_atomic(self, backend):
        """Workers starting trials while some wait: each waiting trial runs once, numbers stay dense."""
        storage = backend.open()
        sid = storage.create_study("s", [MIN])
        waiting = {storage.create_trial(sid, TrialState.WAITING)[0] for _ in range(12)}
        started: list[tuple[int, int, bool]] = []
        lock = threading.Lock()

        def worker() -> None:
            store = backend.open()  # its own connections, as another process would have
            for _ in range(9):
                got = store.start_trial(sid)
                with lock:
                    started.append(got)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len({trial_id for trial_id, _, _ in started}) == 36  # no trial started twice
        assert {trial_id for trial_id, _, was_waiting in started if was_waiting} == waiting
        trials = storage.get_all_trials(sid)
        assert [t.number for t in trials] == list(range(36))
        assert all(t.state == TrialState.RUNNING for t in trials)

    def test_claim_is_taken_once_per_study(self, backend):
        storage = backend.open()
        a = storage.create_study("a", [MIN])
        b = storage.create_study("b", [MIN])
        long_key = "grid:" + "x" * 2000
        assert storage.claim(a, long_key) is True
        assert storage.claim(a, long_key) is False
        assert storage.claim(a, long_key[:-1]) is True
        assert storage.claim(b, long_key) is True  # per study
        results: list[bool] = []
        stores = [backend.open() for _ in range(4)]
        threads = [threading.Thread(target=lambda s=s: results.append(s.claim(a, "race"))) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [False, False, False, True]

    # ------------------------------------------------------------------ heartbeats

    def test_stale_running_trials_fail(self, storage):
        sid = storage.create_study("s", [MIN])
        beating, _ = storage.create_trial(sid)
        silent, _ = storage.create_trial(sid)  # never beat: not judged
        done, _ = storage.create_trial(sid)
        storage.record_heartbeat(beating)
        storage.record_heartbeat(done)
        storage.finish_trial(done, TrialState.COMPLETE, [1.0])
        assert storage.fail_stale_trials(sid, grace_seconds=60) == []
        time.sleep(0.3)
        fresh, _ = storage.create_trial(sid)
        storage.record_heartbeat(fresh)
        assert storage.fail_stale_trials(sid, grace_seconds=0.2) == [beating]
        t = storage.get_trial(beating)
        assert t.state == TrialState.FAIL and "no heartbeat" in t.system_attrs["fail_reason"]
        assert t.datetime_complete is not None
        assert storage.get_trial(silent).state == TrialState.RUNNING
        assert storage.get_trial(fresh).state == TrialState.RUNNING
        assert storage.get_trial(done).state == TrialState.COMPLETE
        assert storage.fail_stale_trials(sid, grace_seconds=0.2) == []  # failed once only
        with pytest.raises(TrialFinishedError):
            storage.finish_trial(beating, TrialState.COMPLETE, [1.0])  # the lost worker's late tell is refused

    def test_a_trial_can_start_with_its_first_heartbeat(self, storage):
        """``heartbeat=True`` writes the first beat with the trial (a worker's trial: judged by the sweep
        from its start); without it a trial has none until one is recorded."""
        sid = storage.create_study("s", [MIN])
        stamped, _ = storage.create_trial(sid, heartbeat=True)
        plain, _ = storage.create_trial(sid)
        queued, _ = storage.create_trial(sid, TrialState.WAITING, heartbeat=True)  # WAITING: no beat yet
        assert set(storage.get_heartbeats(sid)) == {stamped}
        assert storage.pop_waiting_trial(sid, heartbeat=True) == (queued, 2)
        assert set(storage.get_heartbeats(sid)) == {stamped, queued}
        time.sleep(0.3)
        assert sorted(storage.fail_stale_trials(sid, grace_seconds=0.2)) == sorted([stamped, queued])
        assert storage.get_trial(plain).state == TrialState.RUNNING
