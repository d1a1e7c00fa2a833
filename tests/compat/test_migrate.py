"""tunelab migrate: studies written by Optuna itself (RDB and journal) copy over whole and then continue."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

optuna = pytest.importorskip("optuna")

import tunelab  # noqa: E402
from tunelab.distributions import distribution_to_json  # noqa: E402
from tunelab.migrate import migrate, read_source  # noqa: E402

N_TRIALS = 250


def _objective(trial: Any) -> float:
    x = trial.suggest_float("x", -5, 5)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    q = trial.suggest_float("q", 0.0, 1.0, step=0.25)
    n = trial.suggest_int("n", 1, 64, log=True)
    k = trial.suggest_int("k", 0, 10, step=2)
    act = trial.suggest_categorical("act", ["relu", "tanh", None, 3])
    if act == "relu":
        trial.suggest_float("slope", 0.0, 0.5)  # conditional
    trial.set_user_attr("tag", {"n": trial.number, "act": act})
    trial.storage.set_trial_system_attr(trial._trial_id, "sys", [trial.number, "s"])
    for step in range(3):
        value = x * x + step
        if trial.number % 50 == 7 and step == 1:
            value = float("nan") if trial.number % 100 == 7 else float("inf")
        trial.report(value, step)
    if trial.number % 9 == 4:
        raise optuna.TrialPruned()
    if trial.number % 13 == 5:
        raise ValueError("a failing trial")
    return x * x + math.log(lr) * 0.01 + q + n * 0.001 + k


def _write_optuna_study(storage: Any) -> Any:
    """A 250-trial study by Optuna (in memory, fast), copied by Optuna into ``storage``; plus a 2-objective one."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="src", sampler=optuna.samplers.RandomSampler(seed=0))
    study.set_user_attr("owner", "optuna-user")
    study.optimize(_objective, n_trials=N_TRIALS, catch=(ValueError,))
    study.enqueue_trial({"x": 1.5, "act": "tanh"})  # waits: tunelab must run it next
    optuna.copy_study(from_study_name="src", from_storage=study._storage, to_storage=storage)
    multi = optuna.create_study(study_name="multi", storage=storage, directions=["minimize", "maximize"],
                                sampler=optuna.samplers.RandomSampler(seed=1))
    multi.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_int("b", 0, 3)), n_trials=5)
    return optuna.load_study(study_name="src", storage=storage)


def _same_trials(src: Any, dst: tunelab.Study) -> None:
    ours = dst.get_trials()
    theirs = src.get_trials(deepcopy=False)
    assert len(ours) == len(theirs) == N_TRIALS + 1
    for a, b in zip(theirs, ours):
        assert b.number == a.number
        assert b.state.name == a.state.name
        assert b.params == a.params
        assert {k: json.loads(distribution_to_json(d)) for k, d in b.distributions.items()} == \
            {k: json.loads(optuna.distributions.distribution_to_json(d)) for k, d in a.distributions.items()}
        assert (b.values is None) == (a.values is None)
        if a.values is not None:
            assert b.values == pytest.approx(a.values)
        assert set(b.intermediate_values) == set(a.intermediate_values)
        for step, v in a.intermediate_values.items():
            w = b.intermediate_values[step]
            assert (math.isnan(v) and math.isnan(w)) or v == w
        assert b.user_attrs == a.user_attrs
        for key, value in a.system_attrs.items():
            assert b.system_attrs[key] == value
        for when in ("datetime_start", "datetime_complete"):
            x, y = getattr(a, when), getattr(b, when)
            assert (x is None) == (y is None)
            if x is not None:
                assert abs((x - y).total_seconds()) < 1e-3


def _check_round_trip(source: str, target: str, optuna_study: Any) -> None:
    done = migrate(source, target)
    assert {m.name: m.n_trials for m in done} == {"src": N_TRIALS + 1, "multi": 5}
    src = next(m for m in done if m.name == "src")
    states = {t.state.name.lower() for t in optuna_study.get_trials(deepcopy=False)}
    assert {"complete", "pruned", "fail", "waiting"} <= states
    assert sum(src.states.values()) == N_TRIALS + 1 and src.states["pruned"] > 20 and src.states["fail"] > 10

    study = tunelab.load_study("src", storage=target, sampler="tpe", seed=0)
    _same_trials(optuna_study, study)
    assert study.user_attrs == {"owner": "optuna-user"}
    assert study.best_value == pytest.approx(optuna_study.best_value)
    multi = tunelab.load_study("multi", storage=target)
    assert [d.name for d in multi.directions] == ["MINIMIZE", "MAXIMIZE"]
    assert len(multi.best_trials) >= 1

    def objective(trial: tunelab.Trial) -> float:
        x = trial.suggest_float("x", -5, 5)
        trial.suggest_categorical("act", ["relu", "tanh", None, 3])
        return x * x

    study.optimize(objective, n_trials=4)
    trials = study.get_trials()
    assert [t.number for t in trials] == list(range(N_TRIALS + 4))
    waited = trials[N_TRIALS]  # Optuna's enqueued trial ran first, with its fixed values
    assert waited.state == tunelab.TrialState.COMPLETE and waited.params == {"x": 1.5, "act": "tanh"}
    assert all(t.state == tunelab.TrialState.COMPLETE for t in trials[-4:])


def test_migrate_sqlite_round_trip_then_continue(tmp_path: Any) -> None:
    source = f"sqlite:///{tmp_path / 'optuna.db'}"
    optuna_study = _write_optuna_study(source)
    _check_round_trip(source, f"sqlite:///{tmp_path / 'tunelab.db'}", optuna_study)


@pytest.mark.postgres
def test_migrate_postgres_round_trip_then_continue(fresh_database: Any) -> None:
    source, target = fresh_database("postgres"), fresh_database("postgres")
    optuna_study = _write_optuna_study(source)
    _check_round_trip(source, target, optuna_study)


@pytest.mark.mysql
def test_migrate_mysql_source_reads_every_trial(fresh_database: Any, tmp_path: Any) -> None:
    source = fresh_database("mysql")
    optuna_study = _write_optuna_study(source)
    _check_round_trip(source, f"sqlite:///{tmp_path / 'tunelab.db'}", optuna_study)


def test_migrate_journal_file_round_trip_then_continue(tmp_path: Any) -> None:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    path = str(tmp_path / "optuna.log")
    optuna_study = _write_optuna_study(JournalStorage(JournalFileBackend(path)))
    _check_round_trip(path, f"sqlite:///{tmp_path / 'tunelab.db'}", optuna_study)


def test_migrate_command_line_one_study_and_clear_errors(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from tunelab.cli import main

    source = f"sqlite:///{tmp_path / 'optuna.db'}"
    target = f"sqlite:///{tmp_path / 'tunelab.db'}"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    s = optuna.create_study(study_name="one", storage=source)
    s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    optuna.create_study(study_name="two", storage=source)
    result = CliRunner().invoke(main, ["migrate", "--from", source, "--to", target, "--study", "one"])
    assert result.exit_code == 0, result.output
    assert "copied 'one': 3 trials (3 complete)" in result.output
    assert [s.name for s in tunelab.storage.get_storage(target).list_studies()] == ["one"]
    again = CliRunner().invoke(main, ["migrate", "--from", source, "--to", target, "--study", "one"])
    assert again.exit_code == 2 and "holds a study named 'one' already" in again.output
    missing = CliRunner().invoke(main, ["migrate", "--from", source, "--to", target, "--study", "nope"])
    assert missing.exit_code == 2 and "no study named 'nope'" in missing.output
    with pytest.raises(ValueError, match="not an Optuna database"):
        read_source(target)  # a tunelab database is not an Optuna one


def test_migrate_never_prints_a_password() -> None:
    with pytest.raises(ValueError) as err:
        read_source("postgresql+psycopg://user:s3cret@127.0.0.1:1/none")
    assert "s3cret" not in str(err.value) and "***" in str(err.value)


def test_migrate_masks_a_query_string_password() -> None:
    import tunelab.migrate as m

    assert not hasattr(m, "_safe_url")  # one masking helper: tunelab.storage.mask_url
    with pytest.raises(ValueError) as err:
        read_source("postgresql+psycopg://user@127.0.0.1:1/none?password=s3cret")
    assert "s3cret" not in str(err.value) and "password=***" in str(err.value)


@pytest.mark.parametrize("kind", ["rdb", "journal"])
def test_migrate_copies_running_trials_as_failed(tmp_path: Any, kind: str) -> None:
    from tunelab.migrate import RUNNING_FAIL_REASON

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if kind == "rdb":
        source = storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    else:
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        source = str(tmp_path / "optuna.log")
        storage = JournalStorage(JournalFileBackend(source))
    s = optuna.create_study(study_name="r", storage=storage)
    s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    running = s.ask()  # a worker still busy with this one at migration time
    running.suggest_float("x", 0, 1)
    running.report(0.5, 0)
    for target in (f"sqlite:///{tmp_path / 'tunelab.db'}", tunelab.storage.get_storage(None)):
        done = migrate(source, target)
        assert done[0].states == {"complete": 2, "fail": 1}
        store = tunelab.storage.get_storage(target)
        trials = store.get_all_trials(store.get_study_id("r"))
        assert [t.state for t in trials] == [tunelab.TrialState.COMPLETE] * 2 + [tunelab.TrialState.FAIL]
        copied = trials[2]
        assert copied.system_attrs["fail_reason"] == RUNNING_FAIL_REASON == "running in the source at migration"
        assert copied.values is None and copied.datetime_complete is not None
        assert copied.intermediate_values == {0: 0.5} and "x" in copied.params
