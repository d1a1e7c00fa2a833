"""Nothing computed is lost, failures show: late results after a stale sweep, dead workers' trials,
sweeps when a study is opened, tracebacks; and input that used to be accepted silently."""

from __future__ import annotations

import logging
import os
import re
import signal
import time

import pytest
from click.testing import CliRunner

import tunelab
from tunelab.cli import main
from tunelab.samplers.random import RandomSampler
from tunelab.storage import STALE_ATTR
from tunelab.storage.sql import SQLStorage
from tunelab.trial import TrialState


def test_a_result_arriving_after_a_stale_sweep_is_kept(sql_backend, caplog):
    storage = sql_backend.open(heartbeat_interval=0.05, stale_after=0.3)
    study = tunelab.create_study(study_name="late", storage=storage, sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + 1.0, n_trials=2)
    trial = study.ask()  # a worker whose laptop is suspended: the heartbeat stops
    x = trial.suggest_float("x", 0, 1)
    trial.report(0.5, 0)
    trial.set_user_attr("u", 1)
    storage.record_heartbeat(trial.trial_id)
    time.sleep(0.5)
    other = tunelab.load_study(study_name="late", storage=sql_backend.open(heartbeat_interval=0.05,
                                                                             stale_after=0.3))
    swept = other.trials[2]  # opening the study swept it
    assert swept.state == TrialState.FAIL and swept.system_attrs[STALE_ATTR] is True
    with caplog.at_level(logging.WARNING, logger="tunelab"):
        kept = study.tell(trial, x - 5.0)  # the best value of the study
    assert kept.state == TrialState.COMPLETE and kept.values == [x - 5.0]
    assert kept.params == {"x": x} and kept.intermediate_values == {0: 0.5} and kept.user_attrs == {"u": 1}
    assert kept.system_attrs["late_result_of"] == 2 and kept.number == 3
    assert "arrived later: kept as trial 3" in caplog.text
    assert other.best_value == x - 5.0


def test_a_late_result_is_kept_in_memory_too():
    storage = tunelab.storage.InMemoryStorage()
    study = tunelab.create_study(study_name="m", storage=storage)
    trial = study.ask()
    storage.record_heartbeat(trial.trial_id)
    time.sleep(0.05)
    assert storage.fail_stale_trials(study.study_id, 0.01) == [trial.trial_id]
    assert study.tell(trial, 2.0).system_attrs["late_result_of"] == 0
    assert study.best_value == 2.0


def _killed_at_3(trial: tunelab.Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    if trial.number == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.05)
    return x


def test_the_parent_fails_the_trial_of_a_killed_worker_at_once(sql_backend):
    storage = sql_backend.open()  # stale_after 120 s: the sweep could not have done it
    study = tunelab.create_study(study_name="killed", storage=storage, sampler=RandomSampler(seed=0))
    with pytest.raises(RuntimeError, match="exited with code -9"):
        study.optimize(_killed_at_3, n_trials=8, n_jobs=2)
    dead = [t for t in study.trials if t.number == 3][0]
    assert dead.state == TrialState.FAIL
    assert dead.system_attrs["fail_reason"] == "worker process tunelab-worker-0 died (signal 9)" or \
        dead.system_attrs["fail_reason"] == "worker process tunelab-worker-1 died (signal 9)"
    assert not study.get_trials([TrialState.RUNNING])


def test_opening_a_study_sweeps_long_dead_trials(sqlite_url):
    storage = SQLStorage(sqlite_url, heartbeat_interval=0.05, stale_after=0.2)
    study = tunelab.create_study(study_name="o", storage=storage)
    trial = study.ask()
    storage.record_heartbeat(trial.trial_id)
    time.sleep(0.3)
    reopened = tunelab.load_study(study_name="o", storage=SQLStorage(sqlite_url, heartbeat_interval=0.05,
                                                                     stale_after=0.2))
    assert reopened.trials[0].state == TrialState.FAIL
    assert "no heartbeat" in reopened.trials[0].system_attrs["fail_reason"]


def _fails(trial: tunelab.Trial) -> float:
    trial.suggest_float("x", 0, 1)
    return {}["missing key"]


def test_the_traceback_is_stored_and_shown(sqlite_url):
    study = tunelab.create_study(study_name="tb", storage=sqlite_url)
    with pytest.raises(KeyError):
        study.optimize(_fails, n_trials=1)
    trace = study.trials[0].system_attrs["traceback"]
    assert "in _fails" in trace and "KeyError: 'missing key'" in trace
    result = CliRunner().invoke(main, ["show", "tb", "--trial", "0", "--storage", sqlite_url])
    assert result.exit_code == 0, result.output
    assert "traceback:" in result.output and "KeyError: 'missing key'" in result.output
    assert "fail_reason = KeyError: 'missing key'" in result.output


# ------------------------------------------------------------------ input that was accepted silently

def test_suggest_categorical_refuses_a_string_of_choices():
    study = tunelab.create_study()
    with pytest.raises(ValueError, match=r"'choices' must be a list of values; got the string 'abc'"):
        study.ask().suggest_categorical("c", "abc")


def test_tell_with_the_wrong_number_of_values_raises_and_keeps_the_trial_running():
    study = tunelab.create_study(directions=["minimize", "maximize"])
    trial = study.ask()
    with pytest.raises(ValueError, match=r"returned 1 value\(s\) but the study has 2 objective\(s\)"):
        study.tell(trial, 1.0)
    assert study.trials[0].state == TrialState.RUNNING
    assert study.tell(trial, [1.0, 2.0]).values == [1.0, 2.0]


def test_an_objective_returning_the_wrong_count_fails_its_trial_in_optimize():
    study = tunelab.create_study(directions=["minimize", "maximize"])
    study.optimize(lambda t: 1.0, n_trials=1)
    assert study.trials[0].state == TrialState.FAIL
    assert "returned 1 value(s) but the study has 2" in study.trials[0].system_attrs["fail_reason"]


def test_a_study_cannot_tell_another_studys_trial(storage):
    a = tunelab.create_study(study_name="A", storage=storage)
    b = tunelab.create_study(study_name="B", storage=storage)
    b.ask()
    trial = a.ask()
    for handle in (trial, a.trials[1] if len(a.trials) > 1 else a.trials[0]):
        with pytest.raises(ValueError, match="belongs to another study, not to 'B'"):
            b.tell(handle, 1.0)
    assert a.tell(trial, 1.0).state == TrialState.COMPLETE
    assert b.trials[0].state == TrialState.RUNNING


def test_an_empty_study_name_is_refused(storage):
    with pytest.raises(ValueError, match="'study_name' must be a non-empty name"):
        tunelab.create_study(study_name="", storage=storage)
    with pytest.raises(ValueError, match="'study_name' must be a non-empty name"):
        tunelab.create_study("  ", storage=storage)


def test_enqueued_parameters_never_suggested_are_warned_about():
    study = tunelab.create_study()
    study.enqueue_trial({"x": 0.5, "lr_typo": 0.1})
    with pytest.warns(UserWarning, match=r"enqueue_trial fixed \['lr_typo'\], which the objective never suggested"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[0].params == {"x": 0.5}


def test_a_non_json_attribute_fails_in_memory_as_on_sql(storage):
    study = tunelab.create_study(study_name="j", storage=storage)
    trial = study.ask()
    with pytest.raises(TypeError, match="attr 'obj' must be JSON-serializable"):
        trial.set_user_attr("obj", object())
    with pytest.raises(TypeError, match="must be JSON-serializable"):
        study.set_user_attr("obj", {1, 2})


def test_the_tell_state_error_lists_only_what_tell_accepts():
    study = tunelab.create_study()
    for bad in ("running", "waiting", "nope"):
        with pytest.raises(ValueError) as info:
            study.tell(study.ask(), state=bad)
        assert "'complete', 'pruned' or 'fail'" in str(info.value)
        assert "waiting'" not in str(info.value).split(";")[0] and "running'" not in str(info.value).split(";")[0]


def test_show_marks_trials_that_look_abandoned(sqlite_url):
    import sqlalchemy as sa

    storage = SQLStorage(sqlite_url)  # the defaults `tunelab show` uses: beats every 20 s, lost after 120 s
    study = tunelab.create_study(study_name="ab", storage=storage)
    quiet, fine = study.ask(), study.ask()
    for trial, age in ((quiet, 65), (fine, 1)):
        storage.record_heartbeat(trial.trial_id)
        with storage._engine.begin() as conn:
            conn.execute(sa.text("UPDATE tunelab_trials SET heartbeat = :t WHERE trial_id = :i"),
                         {"t": time.time() - age, "i": trial.trial_id})
    result = CliRunner().invoke(main, ["show", "ab", "--storage", sqlite_url])
    assert result.exit_code == 0, result.output
    assert re.search(r"trial #0 looks abandoned: running, but no heartbeat for 6\d s", result.output)
    assert "trial #1 looks abandoned" not in result.output
