"""The SQL schema of tunelab: one set of tables for SQLite, PostgreSQL and MySQL/MariaDB.

Values (parameters, attributes, objective values, intermediate values) are JSON
text, so NaN/inf and any JSON value round-trip on every backend.  Table names
carry the ``tunelab_`` prefix so they can share a database with other tools.
Bump :data:`SCHEMA_VERSION` on any change to these tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

SCHEMA_VERSION = 2
"""Written to ``tunelab_meta`` on creation; a database with another version is upgraded or refused.

Versions: 1 the first; 2 makes names and keys compare exactly (byte for byte) on MySQL/MariaDB, whose
default collations ignore case, accents and trailing spaces (SQLite and PostgreSQL compared exactly
already, so their step only rewrites the version row).  See :func:`tunelab.storage.sql_engine.upgrade_schema`.
"""

MYSQL_CHARSET = "utf8mb4"
MYSQL_COLLATION = "utf8mb4_bin"
# Binary and NO PAD, so 'lr' != 'LR', 'café' != 'cafe' and 'a' != 'a ': the first one the server has
# (MariaDB >= 10.2, MySQL >= 8.0); plain utf8mb4_bin (older servers) still ignores trailing spaces.
MYSQL_EXACT_COLLATIONS = ("utf8mb4_nopad_bin", "utf8mb4_0900_bin", MYSQL_COLLATION)

MAX_STUDY_NAME = 512
MAX_KEY = 255  # parameter names and attribute keys

_MYSQL = ("mysql", "mariadb")

# MySQL's DATETIME drops fractions of a second and TEXT stops at 64 KiB: widen both there.
DateTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), *_MYSQL)
JSONText = sa.Text().with_variant(mysql.LONGTEXT(), *_MYSQL)

metadata = sa.MetaData()

# every table, on MySQL/MariaDB: binary collation, so unique names and keys are distinct when their bytes are
_OPTS = {"mysql_charset": MYSQL_CHARSET, "mysql_collate": MYSQL_COLLATION}

meta = sa.Table(
    "tunelab_meta", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
    **_OPTS,
)

studies = sa.Table(
    "tunelab_studies", metadata,
    sa.Column("study_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(MAX_STUDY_NAME), nullable=False, unique=True),
    sa.Column("directions", sa.String(255), nullable=False),  # JSON list of "minimize"/"maximize"
    sa.Column("next_number", sa.Integer, nullable=False, default=0),  # the trial-number counter
    sa.Column("datetime_created", DateTime, nullable=True),
    sqlite_autoincrement=True,  # never reuse the id of a deleted study (caches are keyed by id)
    **_OPTS,
)

study_attrs = sa.Table(
    "tunelab_study_attrs", metadata,
    sa.Column("study_id", sa.Integer, sa.ForeignKey("tunelab_studies.study_id"), primary_key=True),
    sa.Column("is_system", sa.Boolean, primary_key=True),
    sa.Column("attr_key", sa.String(MAX_KEY), primary_key=True),
    sa.Column("value_json", JSONText, nullable=False),
    **_OPTS,
)

trials = sa.Table(
    "tunelab_trials", metadata,
    sa.Column("trial_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("study_id", sa.Integer, sa.ForeignKey("tunelab_studies.study_id"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("state", sa.SmallInteger, nullable=False),
    sa.Column("values_json", JSONText, nullable=True),
    sa.Column("datetime_start", DateTime, nullable=True),
    sa.Column("datetime_complete", DateTime, nullable=True),
    sa.Column("heartbeat", sa.Double, nullable=True),  # time.time() of the last heartbeat
    sa.UniqueConstraint("study_id", "number", name="uq_tunelab_trials_study_number"),
    sa.Index("ix_tunelab_trials_study_state", "study_id", "state", "number"),  # oldest WAITING, RUNNING sweeps
    sqlite_autoincrement=True,
    **_OPTS,
)

trial_params = sa.Table(
    "tunelab_trial_params", metadata,
    sa.Column("param_id", sa.Integer, primary_key=True, autoincrement=True),  # keeps suggestion order
    sa.Column("trial_id", sa.Integer, sa.ForeignKey("tunelab_trials.trial_id"), nullable=False),
    sa.Column("param_name", sa.String(MAX_KEY), nullable=False),
    sa.Column("distribution_json", sa.Text, nullable=False),
    sa.Column("value_json", JSONText, nullable=False),
    sa.UniqueConstraint("trial_id", "param_name", name="uq_tunelab_params_trial_name"),
    **_OPTS,
)

trial_intermediate = sa.Table(
    "tunelab_trial_intermediate", metadata,
    sa.Column("trial_id", sa.Integer, sa.ForeignKey("tunelab_trials.trial_id"), primary_key=True),
    sa.Column("step", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("value_json", sa.String(64), nullable=False),
    **_OPTS,
)

trial_attrs = sa.Table(
    "tunelab_trial_attrs", metadata,
    sa.Column("trial_id", sa.Integer, sa.ForeignKey("tunelab_trials.trial_id"), primary_key=True),
    sa.Column("is_system", sa.Boolean, primary_key=True),
    sa.Column("attr_key", sa.String(MAX_KEY), primary_key=True),
    sa.Column("value_json", JSONText, nullable=False),
    **_OPTS,
)

claims = sa.Table(
    "tunelab_claims", metadata,
    sa.Column("study_id", sa.Integer, sa.ForeignKey("tunelab_studies.study_id"), primary_key=True),
    sa.Column("key_hash", sa.String(64), primary_key=True),  # sha256 of the key: keys may be long
    sa.Column("claim_key", sa.Text, nullable=False),
    **_OPTS,
)


_by_collation: dict[str, sa.MetaData] = {}


def mysql_metadata(collation: str) -> sa.MetaData:
    """The tables with another MySQL/MariaDB collation (the server's best exact one, see ``exact_collation``)."""
    if collation == MYSQL_COLLATION:
        return metadata
    if collation not in _by_collation:
        copy = sa.MetaData()
        for table in metadata.sorted_tables:
            table.to_metadata(copy).dialect_options["mysql"]["collate"] = collation
        _by_collation[collation] = copy
    return _by_collation[collation]


def exact_collation(conn: sa.engine.Connection) -> str:
    """The first of :data:`MYSQL_EXACT_COLLATIONS` this MySQL/MariaDB server knows."""
    names = ", ".join(f"'{c}'" for c in MYSQL_EXACT_COLLATIONS)
    have = {row[0] for row in conn.exec_driver_sql(f"SHOW COLLATION WHERE Collation IN ({names})")}
    return next(c for c in MYSQL_EXACT_COLLATIONS if c in have or c == MYSQL_COLLATION)
