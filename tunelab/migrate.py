"""Copy studies out of Optuna's storages into tunelab's: ``tunelab migrate --from URL --to URL``.

Sources: an Optuna RDB database (SQLite, PostgreSQL, MySQL/MariaDB; the
schemas of Optuna 3.x to 5.x, read with SQLAlchemy by reflection, so Optuna
itself need not be installed) or an Optuna journal file (``JournalFileBackend``,
one JSON operation a line).  Every trial keeps its number, state, parameters
with their distributions, values, intermediate values, user and system
attributes and datetimes; study attributes come along.  Optuna's enqueued
(WAITING) trials keep their ``fixed_params``, which tunelab runs next.  A trial
RUNNING in the source is copied as FAIL (``fail_reason`` "running in the source at
migration"): its worker writes to the source, so nothing would ever finish the copy.
"""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterable, Sequence

from tunelab.distributions import json_to_distribution
from tunelab.space import CategoricalDistribution, Distribution, IntDistribution
from tunelab.storage import mask_url
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

__all__ = ["MigratedStudy", "SourceStudy", "migrate", "read_optuna_journal", "read_optuna_rdb", "read_source"]

# Optuna's enums by name (RDB) and by number (journal); its numbering differs from tunelab's
_STATES = {"RUNNING": TrialState.RUNNING, "COMPLETE": TrialState.COMPLETE, "PRUNED": TrialState.PRUNED,
           "FAIL": TrialState.FAIL, "WAITING": TrialState.WAITING}
_STATE_NUMBERS = {0: TrialState.RUNNING, 1: TrialState.COMPLETE, 2: TrialState.PRUNED, 3: TrialState.FAIL,
                  4: TrialState.WAITING}
_DIRECTIONS = {"MINIMIZE": StudyDirection.MINIMIZE, "MAXIMIZE": StudyDirection.MAXIMIZE,
               "NOT_SET": StudyDirection.MINIMIZE}
_DIRECTION_NUMBERS = {0: StudyDirection.MINIMIZE, 1: StudyDirection.MINIMIZE, 2: StudyDirection.MAXIMIZE}
_SPECIAL = {"INF_POS": math.inf, "INF_NEG": -math.inf, "NAN": math.nan}


@dataclass
class SourceStudy:
    """One study as read from the source, ready to be written into a tunelab storage."""

    name: str
    directions: list[StudyDirection]
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    trials: list[FrozenTrial] = field(default_factory=list)


@dataclass
class MigratedStudy:
    """What one study's copy did: its name in the target and how many trials of each state it holds."""

    name: str
    target_name: str
    n_trials: int
    states: dict[str, int]


def external_value(dist: Distribution, internal: float) -> Any:
    """A parameter as Optuna stores it (a float; a categorical's index) -> the value the objective saw."""
    if isinstance(dist, CategoricalDistribution):
        return dist.choices[int(internal)]
    if isinstance(dist, IntDistribution):
        return int(round(internal))
    return float(internal)


def _driver_url(url: str) -> str:
    """Plain "postgresql://" and "mysql://" URLs get the drivers tunelab installs (psycopg 3, PyMySQL)."""
    import importlib.util

    if url.startswith("postgresql://") and importlib.util.find_spec("psycopg2") is None:
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("mysql://") and importlib.util.find_spec("MySQLdb") is None:
        return "mysql+pymysql://" + url[len("mysql://"):]
    return url


def _json(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) else text


def _number(value: Any, kind: Any) -> float:
    name = getattr(kind, "name", kind)
    if name in _SPECIAL:
        return _SPECIAL[name]
    return float(value)


def read_optuna_rdb(url: str, study_names: Sequence[str] | None = None) -> list[SourceStudy]:
    """Every study (or the named ones) of an Optuna RDB database."""
    import sqlalchemy as sa

    engine = sa.create_engine(_driver_url(url))
    try:
        meta = sa.MetaData()
        try:
            meta.reflect(engine)
        except sa.exc.SQLAlchemyError as exc:
            raise ValueError(f"migrate: cannot read the database {mask_url(url)}: {type(exc).__name__}") from None
        needed = {"studies", "trials", "trial_params", "trial_values"}
        if not needed <= set(meta.tables):
            raise ValueError(f"migrate: {mask_url(url)} is not an Optuna database (tables missing: "
                             f"{sorted(needed - set(meta.tables))})")
        t = meta.tables
        for table in t.values():  # reflected DOUBLE/FLOAT columns would come back as 10-digit Decimals
            for column in table.columns:
                if isinstance(column.type, (sa.Float, sa.Numeric)) and not isinstance(column.type, sa.Integer):
                    column.type = sa.Double()
        with engine.connect() as conn:
            return _read_rdb(conn, t, study_names)
    finally:
        engine.dispose()


def _rows(conn: Any, table: Any, *where: Any) -> list[Any]:
    import sqlalchemy as sa

    return list(conn.execute(sa.select(table).where(*where)))


def _read_rdb(conn: Any, t: dict[str, Any], study_names: Sequence[str] | None) -> list[SourceStudy]:
    studies = _rows(conn, t["studies"])
    if study_names is not None:
        known = {r.study_name for r in studies}
        missing = [n for n in study_names if n not in known]
        if missing:
            raise ValueError(f"migrate: no study named {missing[0]!r} in the source; it holds {sorted(known)}")
        studies = [r for r in studies if r.study_name in set(study_names)]
    out: list[SourceStudy] = []
    for s in sorted(studies, key=lambda r: r.study_id):
        sid = s.study_id
        if "study_directions" in t:
            rows = sorted(_rows(conn, t["study_directions"], t["study_directions"].c.study_id == sid),
                          key=lambda r: r.objective)
            directions = [_DIRECTIONS[getattr(r.direction, "name", r.direction)] for r in rows]
        else:  # Optuna before 2.4 kept one direction on the study row
            directions = [_DIRECTIONS[getattr(s.direction, "name", s.direction)]]
        study = SourceStudy(s.study_name, directions or [StudyDirection.MINIMIZE])
        for table, attrs in (("study_user_attributes", study.user_attrs),
                             ("study_system_attributes", study.system_attrs)):
            if table in t:
                for r in _rows(conn, t[table], t[table].c.study_id == sid):
                    attrs[r.key] = _json(r.value_json)
        study.trials = _read_rdb_trials(conn, t, sid)
        out.append(study)
    return out


def _read_rdb_trials(conn: Any, t: dict[str, Any], study_id: int) -> list[FrozenTrial]:
    import sqlalchemy as sa

    trial_rows = sorted(_rows(conn, t["trials"], t["trials"].c.study_id == study_id), key=lambda r: r.number)
    ids = sa.select(t["trials"].c.trial_id).where(t["trials"].c.study_id == study_id).scalar_subquery()

    def children(name: str) -> dict[int, list[Any]]:
        grouped: dict[int, list[Any]] = defaultdict(list)
        if name in t:
            for r in _rows(conn, t[name], t[name].c.trial_id.in_(ids)):
                grouped[r.trial_id].append(r)
        return grouped

    params, values, inter = children("trial_params"), children("trial_values"), children("trial_intermediate_values")
    user, system = children("trial_user_attributes"), children("trial_system_attributes")
    trials = []
    for r in trial_rows:
        tid = r.trial_id
        trial = FrozenTrial(number=r.number, trial_id=tid, state=_STATES[getattr(r.state, "name", r.state)],
                            datetime_start=r.datetime_start, datetime_complete=r.datetime_complete)
        for p in params[tid]:
            dist = json_to_distribution(p.distribution_json)
            trial.distributions[p.param_name] = dist
            trial.params[p.param_name] = external_value(dist, p.param_value)
        rows = sorted(values[tid], key=lambda v: v.objective)
        if rows:
            trial.values = [_number(v.value, getattr(v, "value_type", None)) for v in rows]
        for v in inter[tid]:
            trial.intermediate_values[int(v.step)] = _number(v.intermediate_value,
                                                             getattr(v, "intermediate_value_type", None))
        for a in user[tid]:
            trial.user_attrs[a.key] = _json(a.value_json)
        for a in system[tid]:
            trial.system_attrs[a.key] = _json(a.value_json)
        trials.append(trial)
    return trials


def _journal_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text).astimezone().replace(tzinfo=None)


def read_optuna_journal(path: str, study_names: Sequence[str] | None = None) -> list[SourceStudy]:
    """Every study (or the named ones) of an Optuna journal file, by replaying its operations."""
    if not os.path.isfile(path):
        raise ValueError(f"migrate: no journal file at {path!r}")
    studies: dict[int, SourceStudy] = {}
    trial_study: dict[int, int] = {}
    trials: dict[int, FrozenTrial] = {}
    next_study_id = 0
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            op = json.loads(line)
        except ValueError:
            if lineno == len(lines):
                break  # a last line cut short by a crash: Optuna ignores it too
            raise ValueError(f"migrate: {path}:{lineno} is not a JSON journal line") from None
        code = op.get("op_code")
        if code == 0:  # create study
            if any(s.name == op["study_name"] for s in studies.values()):
                continue
            studies[next_study_id] = SourceStudy(op["study_name"],
                                                 [_DIRECTION_NUMBERS[int(d)] for d in op["directions"]])
            next_study_id += 1
        elif code == 1:
            studies.pop(op["study_id"], None)
        elif code in (2, 3):
            study = studies.get(op["study_id"])
            if study is not None:
                (study.user_attrs if code == 2 else study.system_attrs).update(
                    op["user_attr"] if code == 2 else op["system_attr"])
        elif code == 4:
            _journal_create_trial(op, studies, trials, trial_study)
        elif code in (5, 6, 7, 8, 9):
            trial = trials.get(op["trial_id"])
            if trial is None or trial.state.is_finished():
                continue
            _journal_update(code, op, trial)
    out = []
    for sid, study in studies.items():
        if study_names is not None and study.name not in study_names:
            continue
        study.trials = sorted((trials[tid] for tid, s in trial_study.items() if s == sid), key=lambda t: t.number)
        out.append(study)
    if study_names is not None:
        missing = [n for n in study_names if n not in {s.name for s in out}]
        if missing:
            raise ValueError(f"migrate: no study named {missing[0]!r} in the journal {path!r}")
    return out


def _journal_create_trial(op: dict, studies: dict[int, SourceStudy], trials: dict[int, FrozenTrial],
                          trial_study: dict[int, int]) -> None:
    sid = op["study_id"]
    if sid not in studies:
        return
    tid = len(trials)
    number = sum(1 for s in trial_study.values() if s == sid)
    dists = {k: json_to_distribution(v) for k, v in (op.get("distributions") or {}).items()}
    trial = FrozenTrial(number=number, trial_id=tid, state=_STATE_NUMBERS[int(op.get("state", 0))],
                        distributions=dists,
                        params={k: external_value(dists[k], v) for k, v in (op.get("params") or {}).items()},
                        user_attrs=dict(op.get("user_attrs") or {}), system_attrs=dict(op.get("system_attrs") or {}),
                        intermediate_values={int(k): v for k, v in (op.get("intermediate_values") or {}).items()},
                        datetime_start=_journal_time(op.get("datetime_start")),
                        datetime_complete=_journal_time(op.get("datetime_complete")))
    if op.get("values") is not None:
        trial.values = [float(v) for v in op["values"]]
    elif op.get("value") is not None:
        trial.values = [float(op["value"])]
    trials[tid] = trial
    trial_study[tid] = sid


def _journal_update(code: int, op: dict, trial: FrozenTrial) -> None:
    if code == 5:
        dist = json_to_distribution(op["distribution"])
        trial.distributions[op["param_name"]] = dist
        trial.params[op["param_name"]] = external_value(dist, op["param_value_internal"])
    elif code == 6:
        state = _STATE_NUMBERS[int(op["state"])]
        if state == TrialState.RUNNING:
            if trial.state == TrialState.RUNNING:
                return  # another worker popped it first
            trial.datetime_start = _journal_time(op.get("datetime_start"))
        if state.is_finished():
            trial.datetime_complete = _journal_time(op.get("datetime_complete"))
        trial.state = state
        if op.get("values") is not None:
            trial.values = [float(v) for v in op["values"]]
    elif code == 7:
        trial.intermediate_values[int(op["step"])] = float(op["intermediate_value"])
    elif code == 8:
        trial.user_attrs.update(op["user_attr"])
    elif code == 9:
        trial.system_attrs.update(op["system_attr"])


def read_source(source: str, study_names: Sequence[str] | None = None) -> list[SourceStudy]:
    """An Optuna database URL ("sqlite:///optuna.db", "postgresql://...") or a journal file path."""
    if not isinstance(source, str) or not source:
        raise ValueError(f"migrate: '--from' must be an Optuna database URL or a journal file path; got {source!r}")
    if source.startswith("journal:"):
        return read_optuna_journal(source[len("journal:"):], study_names)
    if "://" in source:
        return read_optuna_rdb(source, study_names)
    return read_optuna_journal(source, study_names)


RUNNING_FAIL_REASON = "running in the source at migration"
"""The ``fail_reason`` of a trial that was RUNNING in the source: it is copied as FAIL."""


def _as_copied(trial: FrozenTrial) -> FrozenTrial:
    """The record to write: a RUNNING trial becomes FAIL (no worker of the target will ever finish it)."""
    if trial.state != TrialState.RUNNING:
        return trial
    return replace(trial, state=TrialState.FAIL, values=None,
                   system_attrs={**trial.system_attrs, "fail_reason": RUNNING_FAIL_REASON},
                   datetime_complete=trial.datetime_complete or datetime.now())


def _write_trial(storage: Any, study_id: int, trial: FrozenTrial) -> None:
    trial = _as_copied(trial)
    add = getattr(storage, "add_trial", None)
    if add is not None:
        add(study_id, trial)
        return
    # a storage without the whole-trial write: the events one by one (datetimes become now)
    fixed = trial.system_attrs.get("fixed_params") if trial.state == TrialState.WAITING else None
    trial_id, _ = storage.create_trial(study_id, TrialState.WAITING if trial.state == TrialState.WAITING
                                       else TrialState.RUNNING, fixed_params=fixed)
    for name, value in trial.params.items():
        storage.set_trial_param(trial_id, name, trial.distributions[name], value)
    for step, value in trial.intermediate_values.items():
        storage.set_trial_intermediate_value(trial_id, step, value)
    for key, value in trial.user_attrs.items():
        storage.set_trial_user_attr(trial_id, key, value)
    for key, value in trial.system_attrs.items():
        if key != "fixed_params" or fixed is None:
            storage.set_trial_system_attr(trial_id, key, value)
    if trial.state.is_finished():
        storage.finish_trial(trial_id, trial.state, trial.values)


def write_study(study: SourceStudy, storage: Any, target_name: str | None = None) -> MigratedStudy:
    """Create ``study`` in a tunelab storage (its name must be free there) with every trial."""
    name = target_name or study.name
    study_id = storage.create_study(name, study.directions)
    for key, value in study.user_attrs.items():
        storage.set_study_attr(study_id, key, value)
    for key, value in study.system_attrs.items():
        storage.set_study_attr(study_id, key, value, system=True)
    states: dict[str, int] = defaultdict(int)
    for trial in sorted(study.trials, key=lambda t: t.number):
        _write_trial(storage, study_id, trial)
        states[_as_copied(trial).state.name.lower()] += 1
    return MigratedStudy(study.name, name, len(study.trials), dict(states))


def migrate(source: str, target: Any, study_names: Iterable[str] | None = None) -> list[MigratedStudy]:
    """Copy the studies of an Optuna storage (all, or ``study_names``) into the tunelab storage ``target``.

    Names already taken in the target are refused before anything is written.
    """
    from tunelab.storage import get_storage

    names = None if study_names is None else list(study_names)
    studies = read_source(source, names)
    storage = get_storage(target)
    taken = {s.name for s in storage.list_studies()}
    clash = [s.name for s in studies if s.name in taken]
    if clash:
        raise ValueError(f"migrate: the target holds a study named {clash[0]!r} already; delete it or migrate "
                         "the others with --study")
    return [write_study(s, storage) for s in studies]


def _command() -> Any:
    import click

    @click.command(name="migrate", help="Copy studies from an Optuna database URL or journal file into a tunelab "
                                        "storage, with every trial, value, report, attribute and datetime.")
    @click.option("--from", "source", required=True, metavar="URL",
                  help="Optuna storage: sqlite:///optuna.db, postgresql://user@host/db, mysql://..., "
                       "or a journal file path.")
    @click.option("--to", "target", required=True, metavar="URL", help="tunelab storage URL.")
    @click.option("--study", "studies", multiple=True, metavar="NAME",
                  help="Copy only this study (repeatable); default: every study.")
    def migrate_command(source: str, target: str, studies: tuple[str, ...]) -> None:
        try:
            done = migrate(source, target, studies or None)
        except ValueError as exc:
            click.echo(f"error: {exc}", err=True)
            raise SystemExit(2) from None
        if not done:
            click.echo("no study to copy")
        for m in done:
            states = ", ".join(f"{n} {s}" for s, n in sorted(m.states.items()))
            click.echo(f"copied {m.name!r}: {m.n_trials} trials ({states or 'none'})")

    return migrate_command


command = _command()
