"""The read path of big studies: the bulk read, the records it builds, and opening a study without reading it.

Every test runs on each SQL backend (and memory where the contract is shared), so the
bulk queries (three child queries in key order) and the one-query read give the same
records everywhere.
"""

from __future__ import annotations

import json
import math
from datetime import datetime

import pytest

import tunelab
from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.storage import StudyNotFoundError
from tunelab.storage import sql as sql_module
from tunelab.storage import sql_records
from tunelab.trial import StudyDirection, TrialState

MIN = StudyDirection.MINIMIZE
X = FloatDistribution(0.0, 1.0)
N = IntDistribution(1, 9, log=True)
C = CategoricalDistribution(("sgd", "adam", None, 3))


def _fill(storage, sid: int) -> None:
    """Trials of every state with params in a non-alphabetical suggestion order, steps and attrs."""
    for i in range(12):
        tid, _ = storage.create_trial(sid, user_attrs={"u": {"i": i}} if i % 3 == 0 else None)
        storage.set_trial_param(tid, "z_first", X, i / 12)
        if i % 2:
            storage.set_trial_param(tid, "n", N, 1 + i % 9)
        storage.set_trial_param(tid, "a_last", C, C.choices[i % 4])
        for step in (0, 3, 10):
            storage.set_trial_intermediate_value(tid, step, float(i * step) if step else -math.inf)
        storage.set_trial_system_attr(tid, "s", [i, "x"])
        if i % 4 == 0:
            continue  # stays RUNNING
        state = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)[i % 3]
        values = [float(i) if i != 9 else math.nan] if state == TrialState.COMPLETE else None
        storage.finish_trial(tid, state, values)
    storage.create_trial(sid, TrialState.WAITING, fixed_params={"z_first": 0.5})


def _as_data(t) -> tuple:
    return (t.number, t.trial_id, t.state, json.dumps(t.values), list(t.params.items()),
            list(t.distributions.items()), t.intermediate_values, t.user_attrs, t.system_attrs,
            t.datetime_start, t.datetime_complete)


def test_the_bulk_read_builds_the_same_records_as_the_small_read(sql_backend, monkeypatch):
    writer = sql_backend.open()
    sid = writer.create_study("bulk", [MIN])
    _fill(writer, sid)
    small = sql_backend.open().get_all_trials(sid)
    monkeypatch.setattr(sql_module, "_SPLIT_READ", 3)  # so that 13 trials take the three-query path
    bulk = sql_backend.open().get_all_trials(sid)
    assert len(bulk) == 13
    assert [_as_data(t) for t in bulk] == [_as_data(t) for t in small]
    # suggestion order survives, states and values decoded, datetimes are datetimes
    assert list(bulk[1].params) == ["z_first", "n", "a_last"] and bulk[1].params["a_last"] == "adam"
    assert bulk[3].params["a_last"] == 3 and bulk[2].params["a_last"] is None
    assert bulk[0].state == TrialState.RUNNING and bulk[12].state == TrialState.WAITING
    assert math.isnan(bulk[9].values[0]) and bulk[1].values is None and bulk[3].values == [3.0]
    assert bulk[7].intermediate_values == {0: -math.inf, 3: 21.0, 10: 70.0}
    assert bulk[3].user_attrs == {"u": {"i": 3}} and bulk[3].system_attrs == {"s": [3, "x"]}
    assert bulk[12].system_attrs == {"fixed_params": {"z_first": 0.5}}
    assert isinstance(bulk[3].datetime_start, datetime) and isinstance(bulk[3].datetime_complete, datetime)
    assert bulk[1].distributions["n"] == N and bulk[1].distributions["a_last"] == C


def test_after_a_bulk_read_only_new_and_unfinished_trials_are_read(sql_backend, monkeypatch):
    writer = sql_backend.open()
    sid = writer.create_study("incremental", [MIN])
    _fill(writer, sid)
    monkeypatch.setattr(sql_module, "_SPLIT_READ", 3)
    reader = sql_backend.open()
    first = reader.get_all_trials(sid)
    monkeypatch.setattr(sql_module, "_SPLIT_READ", 2000)  # the small reads after it take the counted path
    running = [t.trial_id for t in first if not t.state.is_finished()]
    writer.finish_trial(running[0], TrialState.COMPLETE, [0.5])
    tid, _ = writer.create_trial(sid)
    fetched: list[int] = []
    real = sql_module.build_trials
    monkeypatch.setattr(sql_module, "build_trials", lambda rows, children: fetched.append(len(rows)) or
                        real(rows, children))
    again = reader.get_all_trials(sid)
    assert fetched == [len(running) + 1]  # the 4 unfinished ones (now 3 + 1 finished) and the new one
    assert [t.number for t in again] == list(range(14))
    assert again[0].state == TrialState.COMPLETE and again[0].values == [0.5] and again[13].trial_id == tid
    assert all(a is b for a, b in zip(first, again) if a.state.is_finished())


def test_param_distributions_come_from_one_row_per_name(backend):
    storage = backend.open()
    sid = storage.create_study("dists", [MIN])
    other = storage.create_study("other", [MIN])
    assert storage.get_param_distributions(sid) == {}
    _fill(storage, sid)
    tid, _ = storage.create_trial(other)
    storage.set_trial_param(tid, "only_other", X, 0.1)
    assert storage.get_param_distributions(sid) == {"z_first": X, "n": N, "a_last": C}
    assert storage.get_param_distributions(other) == {"only_other": X}
    wider = FloatDistribution(0.0, 2.0)  # a later trial stored the name with another range: the newest wins
    tid, _ = storage.create_trial(sid)
    storage.set_trial_param(tid, "z_first", wider, 1.5)
    assert storage.get_param_distributions(sid)["z_first"] == wider
    with pytest.raises(StudyNotFoundError):
        storage.get_param_distributions(other + 100)


def test_load_study_reads_no_trial_and_still_knows_each_names_range(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'load.db'}"
    study = tunelab.create_study("s", storage=url, sampler="random")
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("k", 1, 5), n_trials=5)
    reads: list[int] = []
    real = sql_module.SQLStorage.get_all_trials
    monkeypatch.setattr(sql_module.SQLStorage, "get_all_trials", lambda self, *a, **k: reads.append(1) or
                        real(self, *a, **k))
    loaded = tunelab.load_study("s", url, sampler="random")
    assert reads == []
    trial = loaded.ask()
    with pytest.raises(ValueError, match="earlier trials of this study used .*: int now, float before"):
        trial.suggest_int("x", 0, 2)
    assert 1 <= trial.suggest_int("k", 1, 5) <= 5
    assert len(loaded.trials) == 6


@pytest.mark.parametrize("text", ["0.1", "-1e-300", "NaN", "Infinity", "-Infinity", "[1.5, 2.0]", '"a\\u00e9"',
                                  "null", "true", '{"a": [1, {"b": null}]}', " 3 ", "3\n", "12345678901234567890"])
def test_fast_loads_is_json_loads(text):
    assert json.dumps(sql_records.fast_loads(text)) == json.dumps(json.loads(text))


@pytest.mark.parametrize("text", ["", "[1,", "nan", "1 2"])
def test_fast_loads_refuses_what_json_refuses(text):
    with pytest.raises(json.JSONDecodeError):
        sql_records.fast_loads(text)


def test_datetimes_parse_as_sqlalchemy_parses_them():
    from sqlalchemy.dialects import sqlite

    parse = sqlite.DATETIME().result_processor(sqlite.dialect(), None)
    for text in ("2026-11-30 14:55:20.123456", "2026-11-30 14:55:20", "2026-01-02 03:04:05.000001"):
        assert sql_records._datetime(text) == parse(text)
    when = datetime(2026, 1, 2, 3, 4, 5)
    assert sql_records._datetime(when) is when and sql_records._datetime(None) is None


@pytest.mark.parametrize("enabled", [True, False])
def test_a_first_read_leaves_the_garbage_collector_as_it_found_it(sqlite_url, monkeypatch, enabled):
    import gc

    storage = sql_module.SQLStorage(sqlite_url)
    sid = storage.create_study("gc", [MIN])
    _fill(storage, sid)
    seen: list[bool] = []
    real = sql_records.build_trials_split
    monkeypatch.setattr(sql_module, "build_trials_split", lambda *a: seen.append(gc.isenabled()) or real(*a))
    monkeypatch.setattr(sql_module, "_SPLIT_READ", 3)
    (gc.enable if enabled else gc.disable)()
    try:
        assert len(sql_module.SQLStorage(sqlite_url).get_all_trials(sid)) == 13
        assert seen == [False] and gc.isenabled() == enabled
    finally:
        gc.enable()
