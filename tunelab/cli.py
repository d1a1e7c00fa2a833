"""The `tunelab` command: run a spec file, list, show and delete studies (and `tune` a table)."""

from __future__ import annotations

import sys
from typing import Any

import click

from tunelab.analysis.noise import RANKINGS
from tunelab.spec import DEFAULT_STORAGE, SpecError

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

    _lazy = {"tune": "tunelab.nn.cli:tune"}

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
                           help="Tune a neural network on a table (needs `pip install 'tunelab[torch]'`).")
            def unavailable() -> None:
                _fail(f"`tunelab {name}` needs PyTorch: pip install 'tunelab[torch]' ({missing})")

            return unavailable

    def invoke(self, ctx: click.Context) -> Any:
        from tunelab.storage import StorageError

        try:
            return super().invoke(ctx)
        except (SpecError, StorageError) as exc:
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
    before = len(study.trials)
    click.echo(f"study {_clean(repr(rs.name))} in {_url(rs.storage)} ({before} trials so far)")
    for note in getattr(rs.objective, "notes", []):  # what the built-in trainer found in the data, ranges chosen
        click.echo(note)
    try:
        study.optimize(rs.objective, n_trials=rs.n_trials, timeout=rs.timeout, n_jobs=rs.n_jobs,
                       show_progress_bar=not no_progress)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: {len(study.trials) - before} new trials are kept in {_url(rs.storage)}", err=True)
        sys.exit(130)
    _print_summary(study, top=5)


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return _clean(value)


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
    click.echo(f"{label} #{best.number}: value={_format_value(best.value)}")
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
        best = "-" if not s.best_values else ", ".join(_format_value(v) for v in s.best_values)
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
def show(study_name: str, storage: str, top: int, by: str) -> None:
    """Show a study's best trial and a table of its trials."""
    from tunelab.analysis.noise import REPEATS_KEY, rank, value_stats
    from tunelab.trial import TrialState

    study = _open(study_name, storage)
    _print_summary(study, top=5, by=by)
    trials = study.trials
    if not trials:
        return
    names = sorted({k for t in trials for k in t.params})
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    others = [t for t in trials if t.state != TrialState.COMPLETE]
    if len(study.directions) == 1 and by != "value":
        complete = [s.trial for s in rank(complete, study.direction, by=by)]
    elif len(study.directions) == 1:
        complete.sort(key=lambda t: study.direction.sign() * t.values[0])
    shown = (complete + others)[:top]
    curves = any(t.intermediate_values for t in shown)  # a "last step" column: how far each trial got
    rows = [("#", "state", "value", *(["last step"] if curves else []), *names)]
    for t in shown:
        if t.values is None:
            value = "-"
        elif REPEATS_KEY in t.user_attrs and len(t.values) == 1:
            value = value_stats(t).text()  # mean ± spread over the seeds
        else:
            value = ",".join(_format_value(v) for v in t.values)
        steps = [_format_value(t.last_step) if t.last_step is not None else "-"] if curves else []
        rows.append((str(t.number), t.state.name.lower(), value, *steps,
                     *(_format_value(t.params[n]) if n in t.params else "" for n in names)))
    _print_table(rows)
    if len(trials) > top:
        click.echo(f"... {len(trials) - top} more (use --top)")


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
