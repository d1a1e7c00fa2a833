"""JournalStorage over a file: the storage contract, several processes on one file, torn last lines, pickling."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from click.testing import CliRunner

import tunelab
from tunelab.cli import main
from tunelab.space import FloatDistribution
from tunelab.storage import StorageError, TrialFinishedError, get_storage
from tunelab.storages import JournalFileBackend, JournalFileOpenLock, JournalFileSymlinkLock, JournalStorage
from tunelab.storages.journal import JournalFileFlock
from tunelab.testing import Backend, StorageSuite
from tunelab.trial import StudyDirection, TrialState

MIN = StudyDirection.MINIMIZE
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(tunelab.__file__)))  # this tunelab, for child processes
LOCKS = {"flock": JournalFileFlock, "symlink": JournalFileSymlinkLock, "open": JournalFileOpenLock}


class TestJournalFileContract(StorageSuite):
    """Every handle is a new JournalStorage on the same file, as another process would open it."""

    @pytest.fixture(params=sorted(LOCKS))
    def backend(self, request, tmp_path):
        path = str(tmp_path / "journal.log")
        lock = LOCKS[request.param]
        backend = Backend(lambda: JournalStorage(JournalFileBackend(path, lock_obj=lock(path))))
        yield backend
        backend.close()


def _journal(path) -> JournalStorage:
    return JournalStorage(JournalFileBackend(str(path)))


def _lines(path) -> list[dict]:
    with open(path, "rb") as f:
        return [json.loads(line) for line in f.read().splitlines()]


# ---------------------------------------------------------------------- torn writes


def test_a_half_written_last_line_is_ignored_by_readers_and_cut_by_the_next_writer(tmp_path):
    path = tmp_path / "journal.log"
    writer = _journal(path)
    sid = writer.create_study("s", [MIN])
    tid, _ = writer.create_trial(sid)
    writer.finish_trial(tid, TrialState.COMPLETE, [1.0])
    whole = path.read_bytes()
    with open(path, "ab") as f:  # what a process killed in the middle of a write leaves
        f.write(b'{"op":"create_trial","study":0,"state":"RUN')
    reader = _journal(path)  # replays the whole lines, stops before the torn one
    assert [(t.number, t.state, t.values) for t in reader.get_all_trials(sid)] == [(0, TrialState.COMPLETE, [1.0])]
    second, number = reader.create_trial(sid)  # the next writer cuts the torn tail, then appends
    assert number == 1
    data = path.read_bytes()
    assert data.startswith(whole) and data.endswith(b"\n") and b'"RUN\n' not in data and b'RUN{' not in data
    assert [op["op"] for op in _lines(path)][-1] == "create_trial"  # every line parses again
    assert [t.number for t in writer.get_all_trials(sid)] == [0, 1]  # the first handle reads on past the cut
    assert _journal(path).get_trial(second).state == TrialState.RUNNING


def test_a_writer_killed_mid_write_does_not_break_the_journal(tmp_path):
    """A real process holds the lock, writes half an operation and dies; others go on."""
    path = tmp_path / "journal.log"
    store = _journal(path)
    sid = store.create_study("s", [MIN])
    store.create_trial(sid)
    script = textwrap.dedent(f"""
        import os
        from tunelab.storage.journal_file import JournalFileFlock
        lock = JournalFileFlock({str(path)!r})
        lock.acquire()
        fd = os.open({str(path)!r}, os.O_WRONLY | os.O_APPEND)
        os.write(fd, b'{{"op":"finish_trial","trial":0,"sta')
        os._exit(9)  # killed mid-write: no newline, no release (the OS drops the flock)
    """)
    result = subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": ROOT},
                            timeout=60)
    assert result.returncode == 9
    assert not path.read_bytes().endswith(b"\n")
    other = _journal(path)
    assert other.get_trial(0).state == TrialState.RUNNING  # the half operation never happened
    other.finish_trial(0, TrialState.COMPLETE, [2.0])  # the lock is free and the tail is cut
    assert store.get_trial(0).values == [2.0]
    assert len(_lines(path)) == 3


def test_a_garbled_complete_line_is_skipped_with_a_warning(tmp_path, caplog):
    path = tmp_path / "journal.log"
    store = _journal(path)
    sid = store.create_study("s", [MIN])
    with open(path, "ab") as f:
        f.write(b"not json\n")
    store.create_trial(sid)
    with caplog.at_level("WARNING", logger="tunelab"):
        assert [t.number for t in _journal(path).get_all_trials(sid)] == [0]
    assert "not a JSON object" in caplog.text


def test_lines_that_are_json_but_not_one_object_are_skipped_and_the_rest_replayed(tmp_path, caplog):
    """Whole chunks are decoded in one call; a chunk with a bad line falls back to line by line."""
    path = tmp_path / "journal.log"
    store = _journal(path)
    sid = store.create_study("s", [MIN])
    store.create_trial(sid)
    with open(path, "ab") as f:
        f.write(b'42\n{"a": 1},{"b": 2}\n\n')
    store.create_trial(sid)  # the writer replays past the bad lines too
    caplog.clear()
    with caplog.at_level("WARNING", logger="tunelab"):
        assert [t.number for t in _journal(path).get_all_trials(sid)] == [0, 1]
    assert caplog.text.count("not a JSON object") == 2  # the blank line is skipped quietly


# ---------------------------------------------------------------------- several processes


def _hammer(path: str, worker: int, n: int) -> None:
    store = JournalStorage(JournalFileBackend(path))
    sid = store.get_study_id("s")
    for i in range(n):
        tid, _ = store.create_trial(sid)
        store.set_trial_param(tid, "x", FloatDistribution(0.0, 100.0), float(worker))
        store.set_trial_user_attr(tid, "i", i)
        store.finish_trial(tid, TrialState.COMPLETE, [float(worker * 1000 + i)])
        store.claim(sid, f"key-{i}")


def test_processes_writing_at_once_lose_no_update(tmp_path):
    path = str(tmp_path / "journal.log")
    sid = _journal(path).create_study("s", [MIN])
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_hammer, args=(path, w, 40)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    trials = _journal(path).get_all_trials(sid)
    assert [t.number for t in trials] == list(range(160))  # dense, no number twice
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert sorted(t.values[0] for t in trials) == sorted(float(w * 1000 + i) for w in range(4) for i in range(40))
    assert all(t.params["x"] * 1000 + t.user_attrs["i"] == t.values[0] for t in trials)
    claims = [op for op in _lines(path) if op["op"] == "claim"]
    store = _journal(path)
    assert all(store.claim(sid, f"key-{i}") is False for i in range(40))  # each key was taken
    assert len(claims) >= 40


def _objective(trial) -> float:
    x = trial.suggest_float("x", -3.0, 3.0)
    trial.report(x, 0)
    return (x - 1.0) ** 2


def test_optimize_with_worker_processes_on_one_journal(tmp_path):
    storage = JournalStorage(JournalFileBackend(str(tmp_path / "journal.log")))
    assert storage.shareable
    study = tunelab.create_study(study_name="j", storage=storage, sampler="random", seed=3)
    study.optimize(_objective, n_trials=24, n_jobs=2)
    again = tunelab.load_study(study_name="j", storage=_journal(tmp_path / "journal.log"))
    trials = again.trials
    assert [t.number for t in trials] == list(range(24))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert all(t.intermediate_values == {0: t.params["x"]} for t in trials)
    assert again.best_value == min(t.values[0] for t in trials)
    assert all(t.datetime_start is not None and t.datetime_complete >= t.datetime_start for t in trials)


def test_tunelab_workers_share_one_journal_file(tmp_path):
    """Two `tunelab worker` commands on a journal URL run one study together."""
    path = tmp_path / "journal.log"
    (tmp_path / "objmod.py").write_text("def f(trial):\n    return trial.suggest_float('x', 0, 1)\n")
    url = f"journal://{path}"
    tunelab.create_study(study_name="w", storage=url)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    cmd = [sys.executable, "-c", "from tunelab.cli import main; main()", "worker", "--storage", url, "--study", "w",
           "--n-trials", "7", "--objective", "objmod:f"]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for _ in range(2)]
    outs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    trials = get_storage(url).get_all_trials(0)
    assert [t.number for t in trials] == list(range(14))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    listed = CliRunner().invoke(main, ["ls", "--storage", url])
    assert listed.exit_code == 0 and "w" in listed.output and "14" in listed.output, listed.output


# ---------------------------------------------------------------------- settings, pickling, errors


def test_pickles_as_its_settings_and_reopens_on_the_same_file(tmp_path):
    path = tmp_path / "journal.log"
    store = JournalStorage(JournalFileBackend(str(path), lock_obj=JournalFileSymlinkLock(str(path), grace_period=5)),
                           heartbeat_interval=2)
    sid = store.create_study("s", [MIN])
    tid, _ = store.create_trial(sid)
    copy = pickle.loads(pickle.dumps(store))
    assert (copy.heartbeat_interval, copy.stale_after) == (2.0, 4.0)
    assert isinstance(copy.backend._lock, JournalFileSymlinkLock) and copy.backend._lock.grace_period == 5
    copy.finish_trial(tid, TrialState.PRUNED)
    assert store.get_trial(tid).state == TrialState.PRUNED
    assert store.reopen().get_study_name(sid) == "s"
    with pytest.raises(TrialFinishedError):
        store.finish_trial(tid, TrialState.COMPLETE, [1.0])


def test_journal_urls_open_journal_storages(tmp_path, monkeypatch):
    store = get_storage(f"journal://{tmp_path / 'a.log'}")  # journal:///abs/path
    assert isinstance(store, JournalStorage) and store.backend.file_path == str(tmp_path / "a.log")
    monkeypatch.chdir(tmp_path)
    assert get_storage("journal:b.log").backend.file_path == str(tmp_path / "b.log")  # absolute, for workers
    with pytest.raises(ValueError, match="journal:///path/to/file.log"):
        get_storage("journal:")


def test_bad_arguments_name_the_field(tmp_path):
    with pytest.raises(TypeError, match="log_storage"):
        JournalStorage(str(tmp_path / "x.log"))  # Optuna takes a backend, not a path
    with pytest.raises(ValueError, match="grace_period"):
        JournalStorage(JournalFileBackend(str(tmp_path / "x.log")), grace_period=10)
    with pytest.raises(ValueError, match="heartbeat_interval"):
        JournalStorage(JournalFileBackend(str(tmp_path / "x.log")), heartbeat_interval=0)
    with pytest.raises(TypeError, match="lock_obj"):
        JournalFileBackend(str(tmp_path / "x.log"), lock_obj="flock")
    with pytest.raises(ValueError, match="grace_period"):
        JournalFileSymlinkLock(str(tmp_path / "x.log"), grace_period=0)
    with pytest.raises(ValueError, match="cannot open"):
        JournalFileBackend(str(tmp_path / "missing-dir" / "x.log"))
    store = _journal(tmp_path / "y.log")
    sid = store.create_study("s", [MIN])
    tid, _ = store.create_trial(sid)
    with pytest.raises(TypeError, match="attr 'k'"):
        store.set_trial_user_attr(tid, "k", object())
    assert len(_lines(tmp_path / "y.log")) == 2  # nothing written for the refused value


def test_an_optuna_journal_is_refused_with_the_migrate_command(tmp_path):
    import optuna
    from optuna.storages.journal import JournalFileBackend as OptunaBackend

    path = str(tmp_path / "optuna.log")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    theirs = optuna.create_study(study_name="o", storage=optuna.storages.JournalStorage(OptunaBackend(path)))
    theirs.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=3)
    with pytest.raises(StorageError, match="tunelab migrate"):
        _journal(path)
    from tunelab.migrate import migrate

    url = f"journal://{tmp_path / 'tunelab.log'}"
    migrate(path, url)  # the command the error names, into a tunelab journal
    ours = tunelab.load_study(study_name="o", storage=url)
    assert [t.params for t in ours.trials] == [t.params for t in theirs.trials]
    ours.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2)
    assert [t.number for t in tunelab.load_study(study_name="o", storage=url).trials] == [0, 1, 2, 3, 4]


def test_a_stale_lock_file_is_broken_after_its_grace_period(tmp_path):
    path = str(tmp_path / "journal.log")
    os.symlink("dead-process", path + ".lock")  # a symlink lock whose holder died
    old = os.path.getmtime(tmp_path) - 100
    os.utime(path + ".lock", (old, old), follow_symlinks=False)
    with open(path + ".lock.break", "w"):  # and a breaker that died while breaking it
        pass
    os.utime(path + ".lock.break", (old, old))
    store = JournalStorage(JournalFileBackend(path, lock_obj=JournalFileSymlinkLock(path, grace_period=1)))
    assert store.create_study("s", [MIN]) == 0
    assert not os.path.lexists(path + ".lock") and not os.path.lexists(path + ".lock.break")


def test_a_fresh_lock_file_is_waited_for_not_broken(tmp_path):
    path = str(tmp_path / "journal.log")
    holder = JournalFileOpenLock(path, grace_period=30)
    holder.acquire()
    other = JournalStorage(JournalFileBackend(path, lock_obj=JournalFileOpenLock(path, grace_period=30)))
    done = threading.Event()
    writer = threading.Thread(target=lambda: (other.create_study("s", [MIN]), done.set()))
    writer.start()
    assert not done.wait(0.5)  # blocked by the live lock
    holder.release()
    assert done.wait(30)
    writer.join()
    assert other.get_study_id("s") == 0


def test_add_trial_keeps_the_whole_record_and_its_datetimes(tmp_path):
    from tunelab.trial import create_trial

    store = _journal(tmp_path / "j.log")
    sid = store.create_study("s", [MIN])
    record = create_trial(state=TrialState.COMPLETE, value=2.5, params={"x": 1.5},
                          distributions={"x": FloatDistribution(0.0, 2.0)}, user_attrs={"u": [1]},
                          system_attrs={"s": "v"}, intermediate_values={3: 0.5})
    tid, number = store.add_trial(sid, record)
    got = _journal(tmp_path / "j.log").get_trial(tid)
    assert number == 0 and got.values == [2.5] and got.params == {"x": 1.5}
    assert got.distributions == {"x": FloatDistribution(0.0, 2.0)} and got.intermediate_values == {3: 0.5}
    assert (got.user_attrs, got.system_attrs) == ({"u": [1]}, {"s": "v"})
    assert (got.datetime_start, got.datetime_complete) == (record.datetime_start, record.datetime_complete)


def test_racing_sweepers_fail_a_stale_trial_once(tmp_path, monkeypatch):
    path = tmp_path / "journal.log"
    first = _journal(path)
    sid = first.create_study("s", [MIN])
    tid, _ = first.create_trial(sid)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 100)
    first.record_heartbeat(tid)
    monkeypatch.undo()
    sweepers = [_journal(path) for _ in range(4)]
    results: list[list[int]] = []
    threads = [threading.Thread(target=lambda s=s: results.append(s.fail_stale_trials(sid, 10))) for s in sweepers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(tuple, results)) == [(), (), (), (tid,)]
    assert first.get_trial(tid).system_attrs["stale"] is True


def test_a_beat_that_lands_before_the_sweep_keeps_the_trial_running(tmp_path):
    """The sweep is written with the beat it judged; a newer beat in between makes replay reject it."""
    path = tmp_path / "journal.log"
    sweeper, worker = _journal(path), _journal(path)
    sid = sweeper.create_study("s", [MIN])
    tid, _ = worker.create_trial(sid)
    worker.record_heartbeat(tid)
    judged = sweeper.get_heartbeats(sid)[tid]
    time.sleep(0.01)
    worker.record_heartbeat(tid)  # the worker is alive after all
    op = {"op": "fail_stale", "trial": tid, "beat": judged, "reason": "lost", "at": "2026-01-01T00:00:00"}
    assert sweeper._write(op) is False
    assert worker.get_trial(tid).state == TrialState.RUNNING


def test_a_study_pickles_with_its_journal_and_a_memory_study_refuses(tmp_path):
    study = tunelab.create_study(study_name="p", storage=_journal(tmp_path / "j.log"), sampler="random", seed=4)
    study.optimize(_objective, n_trials=2)
    copy = pickle.loads(pickle.dumps(study))  # what Dask's client.submit(study.optimize, ...) sends
    assert (copy.study_name, copy.study_id, copy.seed) == ("p", study.study_id, 4)
    copy.optimize(_objective, n_trials=3)
    assert [t.number for t in study.trials] == [0, 1, 2, 3, 4]
    with pytest.raises(TypeError, match="InMemoryStorage lives in this process"):
        pickle.dumps(tunelab.create_study())


def _dies_on_trial_3(trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.report(x, 0)
    if trial.number == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # a worker process killed mid-trial (out of memory, say)
    return x


def test_a_worker_process_killed_mid_trial_loses_nothing_else(tmp_path):
    path = tmp_path / "journal.log"
    study = tunelab.create_study(study_name="k", storage=_journal(path), sampler="random", seed=0)
    with pytest.raises(RuntimeError, match="exited with code -9"):
        study.optimize(_dies_on_trial_3, n_trials=10, n_jobs=2)
    trials = _journal(path).get_all_trials(study.study_id)
    assert [t.number for t in trials] == list(range(10))  # the other worker ran the rest of the budget
    killed = trials[3]
    assert killed.state == TrialState.FAIL and "died (signal 9)" in killed.system_attrs["fail_reason"]
    assert killed.intermediate_values == {0: killed.params["x"]}  # what it wrote before dying is kept
    assert all(t.state == TrialState.COMPLETE for t in trials if t.number != 3)
    assert all(isinstance(op, dict) for op in _lines(path))  # every line whole


def test_an_unknown_operation_stops_the_replay_instead_of_skipping_it(tmp_path):
    path = tmp_path / "journal.log"
    store = _journal(path)
    store.create_study("s", [MIN])
    with open(path, "ab") as f:
        f.write(b'{"op":"compact","by":"x","seq":0}\n')
    with pytest.raises(StorageError, match="'compact', which this tunelab does not know"):
        _journal(path)
    with pytest.raises(StorageError, match="operation 1 of the journal"):
        store.get_study_id("s")  # the open handle stops there too, every time
    with pytest.raises(StorageError, match="operation 1 of the journal"):
        store.get_study_id("s")
