"""The statements of the SQL storage, built once with bind parameters.

Building a SQLAlchemy statement costs more than running it on SQLite, so the
hot ones (one trial's life: create, set params, finish, read back) are built
here at import and only executed by :mod:`tunelab.storage.sql`.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa

from tunelab.storage import sql_schema as S
from tunelab.trial import TrialState

WAITING, RUNNING, COMPLETE = int(TrialState.WAITING), int(TrialState.RUNNING), int(TrialState.COMPLETE)
UNFINISHED = (WAITING, RUNNING)

_tid = sa.bindparam("p_trial_id", type_=sa.Integer)
_sid = sa.bindparam("p_study_id", type_=sa.Integer)
_now = sa.bindparam("p_now", type_=S.DateTime)
T, P, I, A = S.trials.c, S.trial_params.c, S.trial_intermediate.c, S.trial_attrs.c

# ------------------------------------------------------------------ studies
study_exists = sa.select(S.studies.c.study_id).where(S.studies.c.study_id == _sid)
# writers that add rows under a study take its row shared; delete_study takes it exclusively first
study_shared = study_exists.with_for_update(read=True)
study_exclusive = study_exists.with_for_update()
study_row = sa.select(S.studies).where(S.studies.c.study_id == _sid)
# the study's row with one attribute's value (NULL when unset): no row means no such study
study_attr_value = sa.select(S.studies.c.study_id, S.study_attrs.c.value_json).select_from(
    S.studies.outerjoin(S.study_attrs, sa.and_(
        S.study_attrs.c.study_id == S.studies.c.study_id,
        S.study_attrs.c.is_system == sa.bindparam("p_system", type_=sa.Boolean),
        S.study_attrs.c.attr_key == sa.bindparam("p_key")))).where(S.studies.c.study_id == _sid)
study_by_name = sa.select(S.studies.c.study_id).where(S.studies.c.name == sa.bindparam("p_name"))
bump_number = S.studies.update().where(S.studies.c.study_id == _sid).values(next_number=S.studies.c.next_number + 1)
bump_number_returning = bump_number.returning(S.studies.c.next_number)
read_number = sa.select(S.studies.c.next_number).where(S.studies.c.study_id == _sid)

# ------------------------------------------------------------------ trials
TRIAL_COLUMNS = (T.trial_id, T.number, T.state, T.values_json, T.datetime_start, T.datetime_complete)
# the same for bulk reads: datetimes as the driver gives them (SQLite: text, parsed by sql_records with
# datetime.fromisoformat, much faster than SQLAlchemy's per-value processor), states as plain ints
READ_COLUMNS = (T.trial_id, T.number, sa.type_coerce(T.state, sa.Integer).label("state"), T.values_json,
                sa.type_coerce(T.datetime_start, sa.String).label("datetime_start"),
                sa.type_coerce(T.datetime_complete, sa.String).label("datetime_complete"))
trial_by_id = sa.select(*TRIAL_COLUMNS).where(T.trial_id == _tid)
study_trials_exclusive = sa.select(T.trial_id).where(T.study_id == _sid).with_for_update()
trial_state = sa.select(T.state, T.number).where(T.trial_id == _tid)
trial_count = sa.select(sa.func.count()).select_from(S.trials).where(T.study_id == _sid)
trial_id_by_number = sa.select(T.trial_id).where(T.study_id == _sid, T.number == sa.bindparam("p_number"))
insert_trial = S.trials.insert()
# PostgreSQL: take the study's next number and insert the trial in one statement (atomic without a transaction)
_numbered = (S.studies.update().where(S.studies.c.study_id == _sid)
             .values(next_number=S.studies.c.next_number + 1)
             .returning((S.studies.c.next_number - 1).label("number")).cte("numbered"))
insert_trial_numbered = (
    S.trials.insert()
    .from_select(["study_id", "number", "state", "datetime_start", "heartbeat"],
                 sa.select(_sid, _numbered.c.number, sa.bindparam("p_state", type_=sa.SmallInteger),
                           sa.bindparam("p_start", type_=S.DateTime), sa.bindparam("p_beat", type_=sa.Double)))
    .returning(T.trial_id, T.number)
    .add_cte(_numbered, nest_here=True))
oldest_waiting = (sa.select(S.studies.c.study_id, T.trial_id, T.number)
                  .select_from(S.studies.outerjoin(S.trials, sa.and_(T.study_id == S.studies.c.study_id,
                                                                     T.state == WAITING)))
                  .where(S.studies.c.study_id == _sid).order_by(T.number).limit(1))
take_waiting = (S.trials.update().where(T.trial_id == _tid, T.state == WAITING)
                .values(state=RUNNING, datetime_start=_now, heartbeat=sa.bindparam("p_beat", type_=sa.Double)))
# PostgreSQL: start a trial in one statement: take the oldest WAITING trial (skipping one that another
# worker is taking), else number and insert a new RUNNING one.  Columns: trial_id, number, popped.
_start = sa.bindparam("p_start", type_=S.DateTime)
_beat = sa.bindparam("p_beat", type_=sa.Double)
_oldest = (sa.select(T.trial_id).where(T.study_id == _sid, T.state == WAITING).order_by(T.number).limit(1)
           .with_for_update(skip_locked=True, key_share=True).cte("oldest"))
_taken = (S.trials.update().where(T.trial_id.in_(sa.select(_oldest.c.trial_id)), T.state == WAITING)
          .values(state=RUNNING, datetime_start=_start, heartbeat=_beat)
          .returning(T.trial_id, T.number).cte("taken"))
_next = (S.studies.update().where(S.studies.c.study_id == _sid, ~sa.exists(sa.select(_taken.c.trial_id)))
         .values(next_number=S.studies.c.next_number + 1)
         .returning((S.studies.c.next_number - 1).label("number")).cte("next"))
_created = (S.trials.insert()
            .from_select(["study_id", "number", "state", "datetime_start", "heartbeat"],
                         sa.select(_sid, _next.c.number, sa.literal(RUNNING, sa.SmallInteger), _start, _beat))
            .returning(T.trial_id, T.number).cte("created"))
start_trial = sa.union_all(sa.select(_taken.c.trial_id, _taken.c.number, sa.true().label("popped")),
                           sa.select(_created.c.trial_id, _created.c.number, sa.false()))
_unfinished = sa.or_(T.state == WAITING, T.state == RUNNING)  # not IN (...): no expanding parameter to process
finish = (S.trials.update().where(T.trial_id == _tid, _unfinished)
          .values(state=sa.bindparam("p_state"), values_json=sa.bindparam("p_values"), datetime_complete=_now,
                  heartbeat=None))
heartbeat = (S.trials.update().where(T.trial_id == _tid, T.state == RUNNING)
             .values(heartbeat=sa.bindparam("p_time", type_=sa.Double)))
_stale = sa.and_(T.state == RUNNING, T.heartbeat < sa.bindparam("p_cutoff", type_=sa.Double))
stale_trials = sa.select(T.trial_id, T.heartbeat).where(T.study_id == _sid, _stale)
fail_stale = (S.trials.update().where(T.trial_id == _tid, _stale)
              .values(state=int(TrialState.FAIL), datetime_complete=_now, heartbeat=None))


def children(where: Any, from_trials: bool) -> sa.CompoundSelect:
    """Params, intermediate values and attrs of some trials, as one UNION ALL ordered by trial.

    Columns: trial_id, kind (0 param, 1 intermediate, 2 user attr, 3 system attr),
    seq (ordering within a kind), name, aux (distribution JSON), value_json.
    ``where(table)`` selects the rows; with ``from_trials`` it may test trial columns (a join).
    """
    def part(table: sa.Table, *columns: Any) -> sa.Select:
        source = table.join(S.trials) if from_trials else table
        return sa.select(table.c.trial_id.label("trial_id"), *columns).select_from(source).where(where(table))

    def text(column: Any) -> Any:
        return sa.cast(column, sa.Text)

    none = sa.cast(sa.null(), sa.Text)
    union = sa.union_all(
        part(S.trial_params, sa.literal_column("0", sa.Integer).label("kind"),
             sa.cast(P.param_id, sa.BigInteger).label("seq"), text(P.param_name).label("name"),
             text(P.distribution_json).label("aux"), text(P.value_json).label("value_json")),
        part(S.trial_intermediate, sa.literal_column("1", sa.Integer), sa.cast(I.step, sa.BigInteger),
             none, none, text(I.value_json)),
        part(S.trial_attrs, sa.case((A.is_system, sa.literal_column("3", sa.Integer)),
                                    else_=sa.literal_column("2", sa.Integer)),
             sa.cast(sa.literal_column("0"), sa.BigInteger), text(A.attr_key), none, text(A.value_json)),
    )
    cols = union.selected_columns
    return union.order_by(cols.trial_id, cols.kind, cols.seq)


def split_children(where: Any) -> tuple[sa.Select, sa.Select, sa.Select]:
    """Params, intermediate values and attrs of the trials matching ``where`` (a condition on trial
    columns), as three queries ordered by trial number and then as each table's key is, so that
    the database walks the (study, number) index and needs no sort of the whole result
    (params: only each trial's few rows, by param_id).

    Columns: params (trial_id, name, distribution JSON, value JSON) in each trial's suggestion
    order; steps (trial_id, step, value JSON); attrs (trial_id, is_system, key, value JSON).
    For bulk reads; :func:`children` is one round trip for small ones.
    """
    def part(table: sa.Table, *columns: Any) -> sa.Select:
        return sa.select(*columns).select_from(table.join(S.trials)).where(where)

    return (part(S.trial_params, P.trial_id, P.param_name, P.distribution_json, P.value_json)
            .order_by(T.number, P.param_id),
            part(S.trial_intermediate, I.trial_id, I.step, I.value_json).order_by(T.number, I.step),
            part(S.trial_attrs, A.trial_id, A.is_system, A.attr_key, A.value_json)
            .order_by(T.number, A.is_system, A.attr_key))


# the distribution each parameter name of a study was last stored with: the newest row per name, then its JSON
last_param_rows = (sa.select(sa.func.max(P.param_id)).select_from(S.trial_params.join(S.trials))
                   .where(T.study_id == _sid).group_by(P.param_name))
param_distributions = (sa.select(P.param_name, P.distribution_json)
                       .where(P.param_id.in_(sa.bindparam("p_param_ids", expanding=True))))

children_by_id = children(lambda table: table.c.trial_id == _tid, from_trials=False)
finish_returning = finish.returning(*TRIAL_COLUMNS)


@functools.cache
def make_upserts(dialect: str) -> dict[str, Any]:
    """INSERT ... ON CONFLICT / ON DUPLICATE KEY UPDATE statements for one dialect (built once per process)."""
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.mysql import insert

    def upsert(table: sa.Table, keys: list[str], update: list[str], stmt: Any = None) -> Any:
        stmt = insert(table) if stmt is None else stmt
        if dialect in ("mysql", "mariadb"):
            return stmt.on_duplicate_key_update({c: stmt.inserted[c] for c in update})
        return stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in update})

    def of_unfinished_trial(table: sa.Table, keys: list[str], update: list[str]) -> Any:
        """The upsert as INSERT ... SELECT from the trial's row, which must be unfinished and is locked
        (shared) until commit: one statement writes the row or, with rowcount 0, nothing."""
        columns = [c.name for c in table.c if c.name not in ("param_id",)]
        values = [T.trial_id if c == "trial_id" else sa.bindparam(c, type_=table.c[c].type) for c in columns]
        source = sa.select(*values).where(T.trial_id == sa.bindparam("trial_id"), _unfinished)
        stmt = upsert(table, keys, update, insert(table).from_select(columns, source.with_for_update(read=True)))
        # the drivers' rowcount of INSERT ... SELECT is -1 through SQLAlchemy on PostgreSQL: ask for the row
        return stmt if dialect in ("mysql", "mariadb") else stmt.returning(table.c.trial_id)

    return {
        "trial_attr": upsert(S.trial_attrs, ["trial_id", "is_system", "attr_key"], ["value_json"]),
        "study_attr": upsert(S.study_attrs, ["study_id", "is_system", "attr_key"], ["value_json"]),
        "param_of_unfinished": of_unfinished_trial(S.trial_params, ["trial_id", "param_name"],
                                                   ["distribution_json", "value_json"]),
        "intermediate_of_unfinished": of_unfinished_trial(S.trial_intermediate, ["trial_id", "step"], ["value_json"]),
        "trial_attr_of_unfinished": of_unfinished_trial(S.trial_attrs, ["trial_id", "is_system", "attr_key"],
                                                        ["value_json"]),
    }
