"""Study spec files (TOML or YAML) for `tunelab run`: parse, check, and build what they describe.

A spec has a ``[study]`` table (name, direction(s), sampler, pruner, n_trials or
timeout, n_jobs, seed, storage), an objective — ``[objective] function =
"module:function"`` or a plug-in's section, such as tunelab.nn's ``[trainer]`` with
``[data]`` — and an optional declarative ``[space]``.  Every mistake becomes one
:class:`SpecError` line that names the file, the key and what was expected.

Plug-ins add their sections with :func:`register_section` when they are imported
(``import tunelab.nn.spec`` registers ``[trainer]``; the ``tunelab`` command does it),
so this module imports none of them.  Samplers and pruners are built by the
registries' own ``make_sampler``/``make_pruner``, with the study's seed and space.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from tunelab._validation import Check

DEFAULT_STORAGE = "sqlite:///tunelab.db"


class SpecError(ValueError):
    """A bad spec file: the message names the file, the key and what was expected."""


@dataclass
class RunSpec:
    path: Path
    name: str
    directions: list[str]
    storage: str
    sampler: Any
    pruner: Any
    n_trials: int | None
    timeout: float | None
    n_jobs: int
    seed: int | None
    objective: Callable
    space: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


_STUDY_KEYS = {"name", "direction", "directions", "sampler", "pruner", "n_trials", "timeout", "n_jobs", "seed",
               "storage"}
_CORE_TABLES = {"study", "objective", "space"}


@dataclass(frozen=True)
class Section:
    """A plug-in's part of a spec: the tables it reads (the first one marks it) and how they become an objective.

    ``build(tables, base_dir)`` gets each of its tables (empty when absent) and the spec file's folder; it returns
    (objective, declarative space or None, default direction) and raises ValueError naming the bad key."""

    tables: tuple[str, ...]
    build: Callable[[dict[str, dict[str, Any]], str], tuple[Callable, Any, str]]


_SECTIONS: dict[str, Section] = {}


def register_section(tables: Sequence[str], build: Callable[[dict[str, dict[str, Any]], str],
                                                             tuple[Callable, Any, str]]) -> None:
    """Let spec files describe their objective with the tables ``tables`` (e.g. ``("trainer", "data")``)."""
    tables = tuple(tables)
    taken = _CORE_TABLES | {t for name, section in _SECTIONS.items() if name != tables[0] for t in section.tables}
    if not tables or set(tables) & taken:
        raise ValueError(f"register_section: tables {list(tables)} must be new names; taken: {sorted(taken)}")
    _SECTIONS[tables[0]] = Section(tables, build)


def read_file(path: str | Path) -> dict[str, Any]:
    """The raw mapping of a .toml, .yaml or .yml file."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: no such file")
    text = path.read_text()
    try:
        if path.suffix == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                import tomli as tomllib
            data = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            raise SpecError(f"{path}: expected a .toml, .yaml or .yml file")
    except SpecError:
        raise
    except Exception as exc:
        raise SpecError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a table of settings at the top level")
    return data


def parse_duration(value: Any) -> float:
    """Seconds from a number or a text like '90s', '10m', '1.5h'."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*", str(value))
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"expected seconds > 0 or a duration such as '90s', '10m', '1h'; got {value!r}")
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, None: 1}[match.group(2)]


def _expect(path: Path, key: str, value: Any, kind: type | tuple, what: str) -> Any:
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise SpecError(f"{path}: {key}: expected {what}; got {value!r}")
    if not isinstance(value, kind):
        raise SpecError(f"{path}: {key}: expected {what}; got {value!r}")
    return value


def _plugin(path: Path, key: str, value: Any, make: Callable[[Any], Any]) -> Any:
    """A sampler/pruner given as a name or as a table {name = "...", option = ...}, built by its registry."""
    if value is not None and not isinstance(value, str) and not (isinstance(value, dict)
                                                                 and isinstance(value.get("name"), str)):
        raise SpecError(f"{path}: {key}: expected a name or a table with 'name'; got {value!r}")
    try:
        return make(value)
    except (TypeError, ValueError) as exc:
        where = key if isinstance(value, str) else f"{key} ({value.get('name')!r} with its options)"
        raise SpecError(f"{path}: {where}: {exc}") from None


def _load_function(path: Path, key: str, target: Any) -> Callable:
    if not isinstance(target, str) or ":" not in target:
        raise SpecError(f"{path}: {key}: expected 'module:function' (e.g. 'train:objective'); got {target!r}")
    module_name, func_name = target.split(":", 1)
    folder = path.resolve().parent
    if str(folder) not in sys.path:
        # last, not first: a file beside the spec (say sqlalchemy.py) must not replace an installed package
        sys.path.append(str(folder))
    try:
        module = _import_beside(folder, module_name)
    except ImportError as exc:
        raise SpecError(f"{path}: {key}: cannot import module {module_name!r}: {exc}") from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise SpecError(f"{path}: {key}: module {module_name!r} has no function {func_name!r}")
    return func


def _import_beside(folder: Path, module_name: str) -> Any:
    """The module ``module_name``: the spec's own file or package beside it when there is one (it is what
    the spec names), else an installed one.  Spec files and the modules they name are code, run as is."""
    if module_name in sys.modules or "." in module_name:
        return importlib.import_module(module_name)
    for candidate in (folder / f"{module_name}.py", folder / module_name / "__init__.py"):
        if candidate.is_file():
            package = [str(candidate.parent)] if candidate.name == "__init__.py" else None
            spec = importlib.util.spec_from_file_location(module_name, candidate, submodule_search_locations=package)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module  # so that pickling its functions for worker processes works
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[module_name]
                raise
            return module
    return importlib.import_module(module_name)


class SpecObjective:
    """The objective of an ``[objective]`` table: a module function, given the trial or, with a declared
    space, the values (and the trial if it takes two arguments).  A class, not a closure, so that
    spawned worker processes can receive it pickled."""

    def __init__(self, func: Callable, space: Any, kwargs: dict[str, Any]):
        self.func, self.space, self.kwargs = func, space, dict(kwargs)
        self.n_positional = 0 if space is None else sum(
            1 for p in inspect.signature(func).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in kwargs)

    def __call__(self, trial: Any) -> Any:
        if self.space is None:
            return self.func(trial, **self.kwargs)
        params = trial.suggest(self.space)
        if self.n_positional >= 2:
            return self.func(params, trial, **self.kwargs)
        return self.func(params, **self.kwargs)


def _check_study(path: Path, values: dict[str, Any]) -> None:
    """The [study] values through the checks create_study and Study.optimize run on the same arguments."""
    from tunelab._validation import validate
    from tunelab.study._study import _CREATE_CONSTRAINTS, _OPTIMIZE_CONSTRAINTS

    declared = {**_OPTIMIZE_CONSTRAINTS, **_CREATE_CONSTRAINTS}
    try:
        validate({name: declared[name] for name in values}, values, f"{path}: [study]")
    except (TypeError, ValueError) as exc:
        raise SpecError(str(exc).rstrip(".")) from None


_NAME_CONSTRAINTS = {"name": [Check(lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty text")]}


def _check_name(path: Path, name: Any) -> None:
    """The study name: a text with something besides blanks in it (create_study refuses the rest)."""
    from tunelab._validation import validate

    try:
        validate(_NAME_CONSTRAINTS, {"name": name}, f"{path}: [study]")
    except ValueError as exc:
        raise SpecError(str(exc).rstrip(".")) from None


def load_spec(path: str | Path, overrides: dict[str, Any] | None = None) -> RunSpec:
    """Read and check a spec file; ``overrides`` (from CLI flags) replace [study] keys."""
    from tunelab.pruners import make_pruner
    from tunelab.samplers import make_sampler
    from tunelab.space import SearchSpace

    path = Path(path)
    data = read_file(path)
    known = _CORE_TABLES | {t for section in _SECTIONS.values() for t in section.tables}
    unknown = set(data) - known
    if unknown:
        hint = " ([trainer] and [data] come with tunelab.nn: import tunelab.nn.spec first)" \
            if unknown & {"trainer", "data"} else ""
        raise SpecError(f"{path}: unknown table(s) {sorted(unknown)}; expected {sorted(known)}{hint}")
    study = data.get("study", {})
    _expect(path, "[study]", study, dict, "a table")
    study = {**study, **{k: v for k, v in (overrides or {}).items() if v is not None}}
    bad = set(study) - _STUDY_KEYS
    if bad:
        raise SpecError(f"{path}: [study] unknown key(s) {sorted(bad)}; allowed: {sorted(_STUDY_KEYS)}")

    space = None
    if "space" in data:
        try:
            space = SearchSpace.from_mapping(_expect(path, "[space]", data["space"], dict, "a table of parameters"))
        except ValueError as exc:
            raise SpecError(f"{path}: [space] {exc}") from None

    direction_default = "minimize"
    sections = [_SECTIONS[name] for name in _SECTIONS if name in data]
    if len(sections) + ("objective" in data) > 1:
        given = ["[objective]"] * ("objective" in data) + [f"[{section.tables[0]}]" for section in sections]
        raise SpecError(f"{path}: give one objective: {' or '.join(given)}, not both")
    if sections:
        section = sections[0]
        where = "/".join(f"[{t}]" for t in section.tables)
        tables = {t: _expect(path, f"[{t}]", data.get(t, {}), dict, "a table") for t in section.tables}
        try:  # a data path is relative to the spec file
            objective, section_space, direction_default = section.build(tables, str(path.resolve().parent))
        except (ValueError, FileNotFoundError) as exc:
            raise SpecError(f"{path}: {where}: {exc}") from None
        space = space or section_space
    elif "objective" in data:
        table = data["objective"]
        if isinstance(table, str):
            table = {"function": table}
        _expect(path, "[objective]", table, dict, "a table with 'function'")
        extra = set(table) - {"function", "kwargs"}
        if extra:
            raise SpecError(f"{path}: [objective] unknown key(s) {sorted(extra)}; allowed: ['function', 'kwargs']")
        kwargs = _expect(path, "[objective] kwargs", table.get("kwargs", {}), dict, "a table")
        objective = SpecObjective(_load_function(path, "[objective] function", table.get("function")), space,
                                  kwargs)
    else:
        plugins = "".join(f" or [{name}]" for name in _SECTIONS)
        raise SpecError(f"{path}: missing [objective] (function = 'module:function'){plugins}")

    if "direction" in study and "directions" in study:
        raise SpecError(f"{path}: [study] give 'direction' or 'directions', not both")
    directions = study.get("directions", [study.get("direction", direction_default)])
    timeout = study.get("timeout")
    if timeout is not None:
        try:
            timeout = parse_duration(timeout)
        except ValueError as exc:
            raise SpecError(f"{path}: [study] timeout: {exc}") from None
    n_trials, n_jobs, seed = study.get("n_trials"), study.get("n_jobs", 1), study.get("seed")
    _check_study(path, {"direction" if "direction" in study else "directions":
                        directions[0] if "direction" in study else directions,
                        "n_trials": n_trials, "timeout": timeout, "n_jobs": n_jobs, "seed": seed})
    directions = [d.lower() for d in directions]
    if n_trials is None and timeout is None:
        raise SpecError(f"{path}: [study] needs n_trials or timeout (or both)")
    name = study.get("name", path.stem)
    _check_name(path, name)
    storage = study.get("storage", DEFAULT_STORAGE)
    _expect(path, "[study] storage", storage, str, "a database URL such as 'sqlite:///tunelab.db'")

    pruner = _plugin(path, "[study] pruner", study.get("pruner"), lambda spec: make_pruner(spec))
    sampler = _plugin(path, "[study] sampler", study.get("sampler", "auto"),
                      lambda spec: make_sampler(spec, seed=seed, n_objectives=len(directions), pruner=pruner,
                                                space=space))
    return RunSpec(path=path, name=name, directions=directions, storage=storage, sampler=sampler, pruner=pruner,
                   n_trials=n_trials, timeout=timeout, n_jobs=n_jobs, seed=seed, objective=objective, space=space)
