"""Schema versions: upgrade steps, refusal of damaged databases, one-line errors (all three servers)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tunelab.cli import main
from tunelab.storage import StorageError
from tunelab.storage import sql_schema as S
from tunelab.storage.sql import SQLStorage
from tunelab.storage.sql_engine import normalize_url, upgrade_schema
from tunelab.trial import StudyDirection, TrialState

MIN = StudyDirection.MINIMIZE
KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres),
         pytest.param("mysql", marks=pytest.mark.mysql)]
_VERSION = S.meta.c.name == "schema_version"


@pytest.fixture(params=KINDS)
def db_url(request, tmp_path) -> str:
    """A new empty database of each kind (not shared: these tests damage it)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'schema.db'}"
    server = request.getfixturevalue("postgres_url" if request.param == "postgres" else "mysql_url")
    return request.getfixturevalue("fresh_server_db")(server)


def _with_data(url: str) -> int:
    storage = SQLStorage(url)
    sid = storage.create_study("kept", [MIN])
    tid, _ = storage.create_trial(sid)
    storage.set_trial_user_attr(tid, "k", 1)
    storage.finish_trial(tid, TrialState.COMPLETE, [0.5])
    storage.close()
    return sid


def _sql(url: str, *statements: str) -> None:
    engine = sa.create_engine(normalize_url(url))
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _assert_kept(url: str, sid: int) -> None:
    storage = SQLStorage(url)
    [trial] = storage.get_all_trials(storage.get_study_id("kept"))
    assert storage.get_study_id("kept") == sid
    assert trial.values == [0.5] and trial.user_attrs == {"k": 1}
    storage.close()


def test_a_deleted_version_row_is_refused_not_stamped_again(db_url):
    sid = _with_data(db_url)
    _sql(db_url, "DELETE FROM tunelab_meta")
    with pytest.raises(StorageError, match="tunelab tables but no schema version .*'schema_version' row was deleted"):
        SQLStorage(db_url)
    _sql(db_url, f"INSERT INTO tunelab_meta (name, value) VALUES ('schema_version', '{S.SCHEMA_VERSION}')")
    _assert_kept(db_url, sid)


def test_a_deleted_meta_table_is_refused_not_created_again(db_url):
    sid = _with_data(db_url)
    _sql(db_url, "DROP TABLE tunelab_meta")
    with pytest.raises(StorageError, match="tunelab tables but no schema version"):
        SQLStorage(db_url)
    engine = sa.create_engine(normalize_url(db_url))
    assert not sa.inspect(engine).has_table("tunelab_meta")  # nothing was created behind the user's back
    engine.dispose()
    S.meta.create(sa.create_engine(normalize_url(db_url)))
    _sql(db_url, f"INSERT INTO tunelab_meta (name, value) VALUES ('schema_version', '{S.SCHEMA_VERSION}')")
    _assert_kept(db_url, sid)


def test_a_dropped_column_gives_one_clear_line(db_url):
    _with_data(db_url)
    _sql(db_url, "ALTER TABLE tunelab_trials DROP COLUMN heartbeat")
    with pytest.raises(StorageError) as info:
        SQLStorage(db_url)
    message = str(info.value)
    assert "lacks the column(s) heartbeat of the table 'tunelab_trials'" in message
    assert "\n" not in message and "SELECT" not in message


def test_a_dropped_table_is_named(db_url):
    _with_data(db_url)
    _sql(db_url, "DROP TABLE tunelab_claims")
    with pytest.raises(StorageError, match="lacks the table 'tunelab_claims'"):
        SQLStorage(db_url)


def _make_version_1(url: str) -> None:
    """What tunelab with schema version 1 left: on MySQL/MariaDB the server's default, case-blind collation."""
    if url.startswith("mysql"):
        _sql(url, *[f"ALTER TABLE `{t.name}` CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
                    for t in S.metadata.sorted_tables])
    _sql(url, "UPDATE tunelab_meta SET value = '1' WHERE name = 'schema_version'")


def _version(url: str) -> str:
    engine = sa.create_engine(normalize_url(url))
    with engine.connect() as conn:
        value = conn.execute(sa.select(S.meta.c.value).where(_VERSION)).scalar_one()
    engine.dispose()
    return value


def test_version_1_is_upgraded_or_refused_with_the_command(db_url):
    sid = _with_data(db_url)
    _make_version_1(db_url)
    if db_url.startswith("mysql"):
        with pytest.raises(StorageError) as info:
            SQLStorage(db_url)
        assert "schema version 1" in str(info.value) and "tunelab upgrade-schema --storage" in str(info.value)
        assert _version(db_url) == "1"
        result = CliRunner().invoke(main, ["upgrade-schema", "--storage", db_url])
        assert result.exit_code == 0, result.output
        assert f"from version 1 to {S.SCHEMA_VERSION}" in result.output
    _assert_kept(db_url, sid)  # SQLite and PostgreSQL: their tables need no change, only the version row
    assert _version(db_url) == str(S.SCHEMA_VERSION)
    storage = SQLStorage(db_url)
    sid2 = storage.create_study("KEPT", [MIN])  # case-blind under version 1 on MySQL/MariaDB
    assert sid2 != sid and storage.get_study_id("KEPT") == sid2 and storage.get_study_id("kept") == sid
    assert "nothing to do" in upgrade_schema(db_url)
