"""The `tunelab` command: run a spec file, list, show and delete studies (and `tune` a table)."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import click

from tunelab.analysis.noise import RANKINGS
from tunelab.spec import DEFAULT_STORAGE, SpecError
from tunelab.study._worker import TRACEBACK_ATTR  # the system attr holding a failed trial's traceback

_storage_option = click.option("--storage", default=DEFAULT_STORAGE, show_default=True,
                               help="Database URL (sqlite:///file.db, postgresql://user@host/db, mysql://...).")


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"error: {_clean(message)}", err=True)
    sys.exit(code)


def _url(storage: Any) -> str:
    """A storage URL fit for the terminal: password hidden (one helper for every command)."""
    from tunelab.storage import mask_url

    return _clean(mask_url(storage))


def _clean(text: Any) -> str:
    """Text fit for a terminal: control characters (ANSI escapes, newlines, tabs) shown escaped, not obeyed."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class _Group(click.Group):
    """Turns the library's expected errors into one line instead of a traceback, and loads
    `tune` (which needs the torch extra) only when it is asked for."""

    _lazy = {"tune": "tunelab.nn.cli:tune", "predict": "tunelab.nn.cli:predict", "migrate": "tunelab.migrate:command"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self._lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self._lazy:
            return super().get_command(ctx, name)
        module, attr = self._lazy[name].split(":")
        try:
            import importlib

            return getattr(importlib.import_module(module), attr)
        except ImportError as exc:
            missing = str(exc)

            @click.command(name=name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
                           help="Needs PyTorch: pip install 'tunelab[torch]'.")
            def unavailable() -> None:
                _fail(f"`tunelab {name}` needs PyTorch: pip install 'tunelab[torch]' ({missing})")

            return unavailable

    def invoke(self, ctx: click.Context) -> Any:
        from tunelab.storage import StorageError

        try:
            return super().invoke(ctx)
        except (SpecError, StorageError, ValueError) as exc:  # bad input: one line, never a traceback
            _fail(str(exc))


@click.group(cls=_Group)
@click.version_option(package_name="tunelab")
def main() -> None:
    """tunelab: hyperparameter tuning for neural networks and any other model."""


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--storage", default=None, help="Override the spec's storage URL.")
@click.option("--n-trials", type=int, default=None, help="Override the spec's n_trials.")
@click.option("--timeout", default=None, help="Override the spec's timeout (seconds or 10m, 1h).")
@click.option("--n-jobs", type=int, default=None, help="Parallel workers (processes with a database storage).")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
def run(spec: str, storage: str | None, n_trials: int | None, timeout: str | None, n_jobs: int | None,
        no_progress: bool) -> None:
    """Run (or continue) the study described in SPEC (.toml or .yaml).

    Run the same command on several machines against one database to add workers.
    """
    import tunelab.nn.spec  # noqa: F401  (registers the [trainer] section with the spec loader)
    from tunelab.spec import load_spec
    from tunelab.study import create_study

    rs = load_spec(spec, {"storage": storage, "n_trials": n_trials, "timeout": timeout, "n_jobs": n_jobs})
    study = create_study(rs.name, rs.storage, directions=rs.directions, sampler=rs.sampler, pruner=rs.pruner,
                         seed=rs.seed, load_if_exists=True)
    _record_objective(study, rs)
    before = len(study.trials)
    click.echo(f"study {_clean(repr(rs.name))} in {_url(rs.storage)} ({before} trials so far)")
    for note in getattr(rs.objective, "notes", []):  # what the built-in trainer found in the data, ranges chosen
        click.echo(note)
    if getattr(rs.objective, "metric", None) and len(study.directions) == 1:
        study.set_user_attr(METRIC_ATTR, rs.objective.metric)  # `ls` and `show` name the metric
    _optimize_and_exit(study, rs.objective, rs.storage, before, n_trials=rs.n_trials, timeout=rs.timeout,
                       n_jobs=rs.n_jobs, show_progress_bar=not no_progress)


FAIL_FAST = 5
"""`tunelab run` and `tunelab worker` stop when the first this many trials to finish all failed with one error."""


class _FailFast:
    """A callback: stop the study when the first ``n`` trials from ``start`` to finish all failed with one error.

    It reads the shared storage, so every worker process (each runs its own copy) sees the same verdict.
    Trials count in the order they finished, not by number: a slow worker still running a low-numbered
    trial must not keep the others going through the whole budget.
    """

    def __init__(self, start: int, n: int = FAIL_FAST):
        self.start, self.n = start, n
        self._settled = False  # the first n trials finished and did not all fail alike
        self.first: list[Any] = []  # the trials the last verdict judged

    def verdict(self, study: Any) -> str | None:
        from tunelab.trial import TrialState

        finished = [t for t in study.get_trials() if t.number >= self.start and t.state.is_finished()]
        self.first = sorted(finished, key=_finish_order)[: self.n]
        if len(self.first) < self.n:
            return None
        reasons = {t.system_attrs.get("fail_reason") if t.state == TrialState.FAIL else None for t in self.first}
        self._settled = len(reasons) != 1 or None in reasons
        return None if self._settled else reasons.pop()

    def __call__(self, study: Any, trial: Any) -> None:
        if not self._settled and self.verdict(study) is not None:
            study.stop()


def _finish_order(trial: Any) -> tuple[float, int]:
    done = trial.datetime_complete
    return (done.timestamp() if done is not None else float("inf"), trial.number)


def _optimize_and_exit(study: Any, objective: Any, storage: str, before: int, **kwargs: Any) -> None:
    """Run trials, going on past failed ones; exit 1 when none completed, 130 on Ctrl-C."""
    from tunelab.trial import TrialState

    fail_fast = _FailFast(before)
    try:
        study.optimize(objective, catch=(Exception,), callbacks=[fail_fast], **kwargs)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: {len(study.trials) - before} new trials are kept in {_url(storage)}", err=True)
        sys.exit(130)
    if hasattr(objective, "finish"):  # the built-in trainer: test score, baselines, saved model
        objective.finish(study, click.echo)
    else:
        _print_summary(study, top=5)
    new = [t for t in study.trials if t.number >= before]
    reason = fail_fast.verdict(study)
    if reason is not None:
        _fail(f"stopped early: the first {FAIL_FAST} trials all failed with the same error: {reason} "
              f"(see `tunelab show {_clean(repr(study.study_name))} --trial {fail_fast.first[0].number}`)", code=1)
    if new and not any(t.state == TrialState.COMPLETE for t in new):
        failed = [t for t in new if t.state == TrialState.FAIL]
        first = failed[0].system_attrs.get("fail_reason", "") if failed else ""
        _fail(f"no trial completed ({len(failed)} of {len(new)} failed" + (f"; the first with: {first}"
                                                                          if first else "") + ")", code=1)


OBJECTIVE_ATTR = "cli:objective"
"""The study system attr where `tunelab run` records its objective for `tunelab worker`."""


def _record_objective(study: Any, rs: Any) -> None:
    from tunelab.spec import read_file

    raw = read_file(rs.path)
    target = raw.get("objective", {}).get("function")
    table = raw.get("objective", {})
    kwargs = table.get("kwargs") if isinstance(table, dict) else None
    study_table = raw.get("study", {})  # the spec's own words (a name or a table): workers build from them
    sampler, pruner = study_table.get("sampler"), study_table.get("pruner")
    record = {"spec": str(rs.path.resolve()), "function": target, "sampler": sampler, "pruner": pruner,
              "seed": rs.seed, "space": raw.get("space"), "kwargs": kwargs}
    if study.storage.get_study_attrs(study.study_id, system=True).get(OBJECTIVE_ATTR) != record:
        study.storage.set_study_attr(study.study_id, OBJECTIVE_ATTR, record, system=True)


@main.command()
@click.option("--storage", required=True, help="Database URL of the study (shared by every worker).")
@click.option("--study", "study_name", required=True, help="Name of the study to join.")
@click.option("--n-trials", type=click.IntRange(min=1), default=None,
              help="Trials this worker runs (default: until stopped).")
@click.option("--timeout", default=None, help="Stop starting trials after this long (seconds or 10m, 1h).")
@click.option("--objective", default=None,
              help="module:function to run (default: the one `tunelab run` recorded in the study).")
def worker(storage: str, study_name: str, n_trials: int | None, timeout: str | None, objective: str | None) -> None:
    """Join a study from this machine: run its trials against the shared database until stopped.

    The objective is the spec's, recorded by `tunelab run` (its spec file is read again if it exists
    here; else its module:function is imported from the current folder), or --objective.  The sampler,
    pruner, seed and space are the spec's too (or, without the file, the ones `tunelab run` recorded).
    """
    import tunelab.nn.spec  # noqa: F401  (registers the [trainer] section with the spec loader)
    from tunelab.spec import load_spec, parse_duration
    from tunelab.storage import StudyNotFoundError, get_storage
    from tunelab.study import Study

    store = get_storage(storage)
    try:
        sid = store.get_study_id(study_name)
    except StudyNotFoundError:
        names = [s.name for s in store.list_studies()]
        _fail(f"no study named {study_name!r} in {_url(storage)}; studies there: {', '.join(map(repr, names)) or 'none'}")
    record = store.get_study_attrs(sid, system=True).get(OBJECTIVE_ATTR) or {}
    seconds = None
    if timeout is not None:
        try:
            seconds = parse_duration(timeout)
        except ValueError as exc:
            _fail(f"--timeout: {exc}")
    rs = load_spec(record["spec"], {"storage": storage}) if record.get("spec") and os.path.isfile(record["spec"]) \
        else None
    if rs is not None:  # the spec is here: its objective, sampler, pruner and seed, built as `tunelab run` did
        sampler, pruner, seed = rs.sampler, rs.pruner, rs.seed
    else:
        sampler, pruner, seed = _recorded_strategy(record, len(store.get_study_directions(sid)))
    if objective is not None:
        func = _import_objective("--objective", objective)
    elif rs is not None:
        func = rs.objective
    elif record.get("function"):
        func = _import_objective(f"the study's recorded objective (spec {record.get('spec')} is not here)",
                                 record["function"])
        space, kwargs = _recorded_space(record), record.get("kwargs") or {}
        if space is not None or kwargs:
            from tunelab.spec import SpecObjective

            func = SpecObjective(func, space, kwargs)
    else:
        _fail(f"study {study_name!r} records no objective (it was not started by `tunelab run`); "
              "give one with --objective module:function")
    study = Study(study_name, store, sampler=sampler, pruner=pruner, seed=seed)
    # a stream of its own: workers that join at the same trial count on several machines would otherwise
    # propose the same points from the spec's seed
    study.sampler.reseed(None)
    before = len(study.trials)
    click.echo(f"worker joined study {_clean(repr(study_name))} in {_url(storage)} ({before} trials so far)")
    _optimize_and_exit(study, func, storage, before, n_trials=n_trials, timeout=seconds)


def _recorded_space(record: dict[str, Any]) -> Any:
    """The declarative [space] `tunelab run` recorded, or None."""
    from tunelab.space import SearchSpace

    if not record.get("space"):
        return None
    try:
        return SearchSpace.from_mapping(record["space"])
    except ValueError as exc:
        _fail(f"the study's recorded [space]: {exc}")


def _recorded_strategy(record: dict[str, Any], n_objectives: int) -> tuple[Any, Any, int | None]:
    """Sampler, pruner and seed from what `tunelab run` recorded (for a worker without the spec file)."""
    from tunelab.pruners import make_pruner
    from tunelab.samplers import make_sampler

    seed = record.get("seed")
    try:
        pruner = make_pruner(record.get("pruner"))
        sampler = make_sampler(record.get("sampler") or "auto", seed=seed, n_objectives=n_objectives,
                               pruner=pruner, space=_recorded_space(record))
    except (TypeError, ValueError) as exc:
        _fail(f"the study's recorded sampler/pruner: {exc}")
    return sampler, pruner, seed


def _import_objective(what: str, target: str) -> Any:
    """``module:function`` from the current folder (appended to sys.path) or an installed package."""
    from pathlib import Path

    from tunelab.spec import SpecError, _load_function

    try:
        return _load_function(Path.cwd() / "worker", what, target)
    except SpecError as exc:
        _fail(str(exc).replace(str(Path.cwd() / "worker") + ": ", ""))


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return _clean(value)


METRIC_ATTR = "metric"  # study user attribute naming the metric a study was tuned on (set by tune and run)


def _metric_value(attrs: dict[str, Any], value: float) -> str:
    """'rmse = 2.922e+04' when the study names its metric, else 'value = ...' (4 significant digits, as tune)."""
    return f"{attrs.get(METRIC_ATTR) or 'value'} = {value:.4g}"


def _print_summary(study: Any, top: int, by: str = "value") -> None:
    from tunelab.trial import TrialState

    trials = study.trials
    counts = {s.name.lower(): sum(t.state == s for t in trials) for s in TrialState}
    click.echo("trials: " + ", ".join(f"{n} {k}" for k, n in counts.items() if n))
    if len(study.directions) > 1:
        front = study.best_trials
        click.echo(f"Pareto front: {len(front)} trials")
        for t in front[:top]:
            click.echo(_clean(f"  #{t.number}: values={[_format_value(v) for v in t.values]} params={t.params}"))
        return
    try:
        best = study.best_trial if by == "value" else study.best_trial_by(by)
    except ValueError:
        click.echo("no complete trial yet")
        return
    label = "best trial" if by == "value" else f"best trial by {by}:"
    click.echo(f"{label} #{best.number}: {_metric_value(study.user_attrs, best.value)}")
    for k, v in best.params.items():
        click.echo(f"  {_clean(k)} = {_format_value(v)}")


@main.command(name="ls")
@_storage_option
def list_studies(storage: str) -> None:
    """List the studies in a storage."""
    from tunelab.storage import get_storage

    studies = get_storage(storage).list_studies()
    if not studies:
        click.echo(f"no studies in {_url(storage)}")
        return
    rows = [("name", "direction", "trials", "complete", "best")]
    for s in studies:
        if not s.best_values:
            best = "-"
        elif len(s.best_values) == 1:
            best = _metric_value(s.user_attrs or {}, s.best_values[0])
        else:
            best = ", ".join(f"{v:.4g}" for v in s.best_values)
        rows.append((s.name, ",".join(d.name.lower() for d in s.directions), str(s.n_trials), str(s.n_complete),
                     best))
    _print_table(rows)


def _print_table(rows: list[tuple]) -> None:
    rows = [tuple(_clean(c) for c in row) for row in rows]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for j, row in enumerate(rows):
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if j == 0:
            click.echo("  ".join("-" * w for w in widths))


def _open(name: str, storage: str) -> Any:
    from tunelab.storage import StudyNotFoundError, get_storage
    from tunelab.study import Study

    store = get_storage(storage)
    try:
        return Study(name, store, sampler="random")
    except StudyNotFoundError:
        names = [s.name for s in store.list_studies()]
        _fail(f"no study named {name!r} in {_url(storage)}; studies there: {', '.join(map(repr, names)) or 'none'}")


@main.command()
@click.argument("study_name")
@_storage_option
@click.option("--top", default=20, show_default=True, help="How many trials to list (best first).")
@click.option("--by", type=click.Choice(["value", *RANKINGS]), default="value",
              show_default=True,
              help="Rank single-objective trials by their value, or noise-aware over the seeds of trials run "
                   "with repeats (conservative: a confidence bound on the bad side of the mean).")
@click.option("--wide", is_flag=True, help="Every column at full precision (durations, user attributes); "
                                           "by default the table fits 100 columns.")
@click.option("--trial", "trial_number", type=int, default=None,
              help="Show one trial in full: params, values, attributes, and the traceback of a failed one.")
def show(study_name: str, storage: str, top: int, by: str, wide: bool, trial_number: int | None) -> None:
    """Show a study's best trial and a table of its trials, the metric and the parameters that matter first
    (or one trial with --trial N)."""
    from tunelab import _show_table as st
    from tunelab.analysis.noise import REPEATS_KEY, rank, value_stats
    from tunelab.report import metric_names
    from tunelab.trial import TrialState

    study = _open(study_name, storage)
    if trial_number is not None:
        _print_trial(study, trial_number)
        return
    metrics = metric_names(study)
    click.echo(_clean(f"study {study_name!r}: " + ", ".join(f"{d.name.lower()} {m}"
                                                             for m, d in zip(metrics, study.directions))))
    _print_summary(study, top=5, by=by)
    trials = study.trials
    if not trials:
        return
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    others = [t for t in trials if t.state != TrialState.COMPLETE]
    if len(study.directions) == 1 and by != "value":
        complete = [s.trial for s in rank(complete, study.direction, by=by)]
    elif len(study.directions) == 1:
        complete.sort(key=lambda t: study.direction.sign() * t.values[0])
    shown = (complete + others)[:top]

    def values(t, digits: int) -> list[str]:
        if t.values is None:
            return ["-"] * len(metrics)
        if REPEATS_KEY in t.user_attrs and len(t.values) == 1:
            return [value_stats(t).text()]  # mean ± spread over the seeds (4 digits: the spread is coarser)
        return [f"{v:.{digits}g}" for v in t.values]

    params = st.param_order(study, trials)
    rows = [[_clean(c) for c in row] for row in st.show_rows(study, shown, metrics, params, values, wide)]
    fixed = 2 + len(metrics)
    rows, dropped = st.fit(rows, None if wide else st.NARROW_WIDTH, fixed)
    right = {0, *range(2, fixed), *(i for i, c in enumerate(rows[0][fixed:fixed + 2], fixed) if c in ("last step", "seconds"))}
    for line in st.render(rows, right):
        click.echo(line)
    if len(trials) > top:
        click.echo(f"... {len(trials) - top} more (use --top)")
    if dropped:
        note = f"{len(dropped)} more columns (use --wide): " + ", ".join(dropped)
        note = _clean(note)
        click.echo(note if len(note) <= st.NARROW_WIDTH else note[: st.NARROW_WIDTH - 4] + " ...")
    for line in _abandoned(study, trials):
        click.echo(line)


def _abandoned(study: Any, trials: list) -> list[str]:
    """Lines for RUNNING trials that look abandoned: no heartbeat for over twice the interval.

    Opening the study already failed those past ``stale_after``; these are the ones on the way.
    """
    from tunelab.trial import TrialState

    interval = study.storage.heartbeat_interval
    if not interval:
        return []
    last = study.storage.get_heartbeats(study.study_id)
    now = time.time()
    stale = study.storage.stale_after
    lines = []
    for t in trials:
        beat = last.get(t.trial_id)
        if t.state == TrialState.RUNNING and beat is not None and now - beat > 2 * interval:
            after = f"; it is failed as lost after {stale:g} s" if stale else ""
            lines.append(f"trial #{t.number} looks abandoned: running, but no heartbeat for {now - beat:.0f} s "
                         f"(heartbeats come every {interval:g} s){after}")
    return lines


def _print_trial(study: Any, number: int) -> None:
    trials = {t.number: t for t in study.trials}
    if number not in trials:
        _fail(f"study {study.study_name!r} has no trial #{number} (it has {len(trials)} trials, numbered from 0)")
    t = trials[number]
    click.echo(f"trial #{t.number}: {t.state.name.lower()}")
    if t.values is not None:
        click.echo("  values: " + ", ".join(_format_value(v) for v in t.values))
    for label, when in (("started", t.datetime_start), ("finished", t.datetime_complete)):
        if when is not None:
            click.echo(f"  {label}: {when.isoformat(sep=' ', timespec='seconds')}")
    for title, items in (("params", t.params), ("user attrs", t.user_attrs),
                         ("system attrs", {k: v for k, v in t.system_attrs.items() if k != TRACEBACK_ATTR})):
        if items:
            click.echo(f"  {title}:")
            for k, v in items.items():
                click.echo(f"    {_clean(k)} = {_format_value(v)}")
    if t.intermediate_values:
        last = t.last_step
        click.echo(f"  intermediate values: {len(t.intermediate_values)} steps, last #{last} = "
                   f"{_format_value(t.intermediate_values[last])}")
    trace = t.system_attrs.get(TRACEBACK_ATTR)
    if trace:
        click.echo("  traceback:")
        for line in str(trace).rstrip("\n").splitlines():
            click.echo("    " + _clean(line))


@main.command()
@click.argument("study_name")
@_storage_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete(study_name: str, storage: str, yes: bool) -> None:
    """Delete a study and all its trials."""
    study = _open(study_name, storage)
    n = len(study.trials)
    shown = _clean(repr(study_name))
    if not yes and not click.confirm(f"delete study {shown} and its {n} trials?", default=False):
        click.echo("nothing deleted")
        return
    study.storage.delete_study(study.study_id)
    click.echo(f"deleted study {shown} ({n} trials)")


@main.command(name="upgrade-schema")
@click.option("--storage", required=True, help="Database URL whose tunelab tables to upgrade.")
def upgrade_schema(storage: str) -> None:
    """Upgrade a database's tunelab tables to this version's schema (run once, with no worker running)."""
    from tunelab.storage.sql_engine import upgrade_schema as upgrade

    click.echo(_clean(upgrade(storage)))


@main.command()
@click.argument("study_name")
@_storage_option
@click.option("-o", "--output", default="report.html", show_default=True, type=click.Path(dir_okay=False),
              help="The HTML file to write.")
@click.option("--compare", multiple=True, metavar="NAME", help="Another study to put side by side (repeatable).")
@click.option("--max-rows", default=10_000, show_default=True, type=click.IntRange(min=1),
              help="Most trials in the report's table (best complete trials first).")
def report(study_name: str, storage: str, output: str, compare: tuple[str, ...], max_rows: int) -> None:
    """Write one self-contained HTML report (works offline; can be mailed)."""
    try:
        from tunelab.report import write_report
    except ImportError as exc:
        _fail(f"`tunelab report` needs plotly: pip install 'tunelab[viz]' ({exc})")
    studies = [_open(name, storage) for name in (study_name, *compare)]
    path = write_report(studies, output, max_table_rows=max_rows)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, {sum(len(s.trials) for s in studies)} trials)")


@main.command()
@_storage_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but a loopback address lets other machines read the studies.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--refresh", default=2.0, show_default=True, type=click.FloatRange(min=0.2),
              help="Seconds between the study page's refreshes.")
def dashboard(storage: str, host: str, port: int, refresh: float) -> None:
    """Serve a live, read-only dashboard of the studies in a storage."""
    try:
        from tunelab.dashboard import is_loopback, run_dashboard
        import flask  # noqa: F401
    except ImportError as exc:
        _fail(f"`tunelab dashboard` needs Flask and plotly: pip install 'tunelab[dashboard]' ({exc})")
    if not is_loopback(host):
        click.echo(f"warning: listening on {host}: other machines can read these studies", err=True)
    click.echo(f"tunelab dashboard over {_url(storage)} at http://{host}:{port}/ (Ctrl+C stops it)")
    run_dashboard(storage, host=host, port=port, refresh_seconds=refresh)
