"""Every public name of Optuna's documented modules exists in tunelab's module of the same name.

The installed Optuna is the reference: for each module below, its public names
are ``__all__`` (names starting with ``_`` left out, they are private by
convention even when listed) together with the functions and classes the module
itself defines (``optuna.logging.__all__`` lists only the level constants), or,
for a module without ``__all__``, the attributes it defines.  A name tunelab
deliberately does not provide is listed in ``NOT_PROVIDED`` with its reason;
any other missing name fails the test.  A class must stay a class and a
function callable, and each Optuna constructor or function argument must be
accepted (tunelab warns where it does not act on one).
"""

from __future__ import annotations

import importlib
import inspect
import types
import typing
from typing import Any

import pytest

optuna = pytest.importorskip("optuna")

MODULES = [
    "optuna", "optuna.samplers", "optuna.samplers.nsgaii", "optuna.pruners", "optuna.study", "optuna.trial",
    "optuna.distributions", "optuna.storages", "optuna.storages.journal", "optuna.importance", "optuna.visualization",
    "optuna.search_space", "optuna.exceptions", "optuna.logging", "optuna.terminator", "optuna.artifacts",
    "optuna.artifacts.exceptions", "optuna.visualization.matplotlib",
]

#: (Optuna module, name) -> why tunelab does not provide it.
NOT_PROVIDED: dict[tuple[str, str], str] = {
    ("optuna.storages", "GrpcStorageProxy"): "no gRPC proxy: workers reach a SQL database by URL, or share an "
                                             "executor's storage (docs/migrating.md)",
    ("optuna.storages", "run_grpc_proxy_server"): "no gRPC proxy server (see GrpcStorageProxy)",
    ("optuna.artifacts", "Boto3ArtifactStore"): "no cloud artifact stores: FileSystemArtifactStore on a shared "
                                                "mount, or a user class; importing the name says so",
    ("optuna.artifacts", "GCSArtifactStore"): "no cloud artifact stores (see Boto3ArtifactStore)",
}

#: Names built on other branches at the same time; each entry goes once that branch has landed.
PENDING: dict[tuple[str, str], str] = {}

#: (qualified Optuna name, argument) -> why tunelab's namesake does not take it.
ARGUMENTS_NOT_TAKEN: dict[tuple[str, str], str] = {
    ("optuna.Trial", "study"): "a live Trial is made by Study.ask (tunelab's handle reaches its study through a "
                               "TrialBackend), never by the user",
    ("optuna.Trial", "trial_id"): "see optuna.Trial.study",
    ("optuna.trial.Trial", "study"): "see optuna.Trial.study",
    ("optuna.trial.Trial", "trial_id"): "see optuna.Trial.study",
    ("optuna.study.StudySummary", "direction"): "summaries come from get_all_study_summaries; tunelab's record "
                                                "keeps `directions` only (`direction` is a property)",
    ("optuna.study.StudySummary", "study_id"): "see optuna.study.StudySummary.direction",
    ("optuna.trial.FrozenTrial", "value"): "records are built with values=[...] or create_trial(value=...), as "
                                           "Optuna's documentation advises; `value` is a property",
}

#: (Optuna module, name) -> why tunelab's object is of another kind than Optuna's.
KIND_DIFFERENCES: dict[tuple[str, str], str] = {}


def _defined_here(value: Any, module: types.ModuleType) -> bool:
    owner = getattr(value, "__module__", None) or ""
    return owner == module.__name__ or owner.startswith(module.__name__ + ".")


def optuna_public_names(module: types.ModuleType) -> set[str]:
    """The names an Optuna user may import from ``module`` (see the module doc)."""
    items = vars(module)
    names = {n for n in getattr(module, "__all__", ()) if not n.startswith("_")}
    names |= {n for n, v in items.items() if not n.startswith("_") and (inspect.isclass(v) or inspect.isfunction(v))
              and v.__module__ == module.__name__}
    if not hasattr(module, "__all__"):
        for n, v in items.items():
            if n.startswith("_") or isinstance(v, types.ModuleType) or getattr(typing, n, object()) is v:
                continue
            if callable(v) and not _defined_here(v, module):
                continue  # imported helper (math, typing, optuna's private modules)
            names.add(n)
    return names


def _tunelab_module(name: str) -> types.ModuleType:
    return importlib.import_module("tunelab" + name[len("optuna"):])


def _provides(module: types.ModuleType, name: str) -> bool:
    """Whether ``module`` has ``name`` (a module that explains a missing name with an ImportError has not,
    nor has a stand-in class marked ``tunelab_not_provided`` whose construction raises one)."""
    try:
        value = getattr(module, name)
    except (AttributeError, ImportError):
        return False
    return not getattr(value, "tunelab_not_provided", False)


def _kind(value: Any) -> str:
    if isinstance(value, types.ModuleType):
        return "module"
    if inspect.isclass(value):
        return "class"
    return "callable" if callable(value) else "value"


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_optuna_name_exists_in_tunelab(module_name: str) -> None:
    reference = importlib.import_module(module_name)
    ours = _tunelab_module(module_name)
    skipped = set(NOT_PROVIDED) | set(PENDING)
    missing = sorted(n for n in optuna_public_names(reference)
                     if (module_name, n) not in skipped and not _provides(ours, n))
    assert not missing, f"tunelab{module_name[len('optuna'):]} lacks Optuna's {missing}"


@pytest.mark.parametrize("module_name", MODULES)
def test_each_name_is_the_same_kind_of_object(module_name: str) -> None:
    reference = importlib.import_module(module_name)
    ours = _tunelab_module(module_name)
    wrong = []
    for name in sorted(optuna_public_names(reference)):
        if (module_name, name) in NOT_PROVIDED or (module_name, name) in PENDING or not _provides(ours, name) \
                or (module_name, name) in KIND_DIFFERENCES:
            continue
        theirs, mine = _kind(getattr(reference, name)), _kind(getattr(ours, name))
        if theirs != mine and not (theirs == "callable" and mine == "class"):
            wrong.append(f"{name}: Optuna's is a {theirs}, tunelab's a {mine}")
    assert not wrong, wrong


def _parameters(fn: Any) -> tuple[list[str], bool] | None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    named = [p.name for p in sig.parameters.values()
             if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name != "self"]
    return named, any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())


_SIGNATURE_MODULES = MODULES


def _callables() -> list[tuple[str, str]]:
    out = []
    for module_name in _SIGNATURE_MODULES:
        reference = importlib.import_module(module_name)
        for name in sorted(optuna_public_names(reference)):
            value = getattr(reference, name)
            if (inspect.isclass(value) and not issubclass(value, BaseException)) or inspect.isfunction(value):
                out.append((module_name, name))
    return out


@pytest.mark.parametrize("module_name,name", _callables())
def test_optuna_arguments_are_accepted(module_name: str, name: str) -> None:
    """Each argument of Optuna's constructor or function is a named argument of tunelab's namesake."""
    if (module_name, name) in NOT_PROVIDED or (module_name, name) in PENDING:
        return
    ours = getattr(_tunelab_module(module_name), name)
    theirs = getattr(importlib.import_module(module_name), name)
    reference, mine = _parameters(theirs), _parameters(ours)
    if reference is None or mine is None:
        return
    lacking = [p for p in reference[0] if p not in mine[0]
               and (f"{module_name}.{name}", p) not in ARGUMENTS_NOT_TAKEN]
    assert not lacking, f"tunelab's {name} does not take Optuna's arguments {lacking}"


def test_exclusions_are_current() -> None:
    """An exclusion for a name Optuna no longer has, or that tunelab now provides, is stale: remove it."""
    stale = []
    for module_name, name in [*NOT_PROVIDED, *PENDING]:
        if name not in optuna_public_names(importlib.import_module(module_name)):
            stale.append(f"{module_name}.{name}: not public in Optuna {optuna.__version__}")
        elif _provides(_tunelab_module(module_name), name):
            stale.append(f"{module_name}.{name}: tunelab has it now")
    for qualified, argument in ARGUMENTS_NOT_TAKEN:
        module_name, name = qualified.rsplit(".", 1)
        ours = getattr(_tunelab_module(module_name), name, None)
        if ours is not None and argument in (_parameters(ours) or ([], False))[0]:
            stale.append(f"{qualified}({argument}=): tunelab takes it now")
    assert not stale, stale


def test_reasons_are_given() -> None:
    for key, reason in {**NOT_PROVIDED, **PENDING, **ARGUMENTS_NOT_TAKEN, **KIND_DIFFERENCES,
                        **ATTRIBUTES_NOT_PROVIDED, **METHOD_ARGUMENTS_NOT_TAKEN}.items():
        assert isinstance(reason, str) and len(reason) > 10, key


# ---------------------------------------------------------------- methods and attributes of the main classes

#: (Optuna class, attribute) -> why tunelab's namesake lacks it; ("optuna.x.Class", "*") covers a whole class.
ATTRIBUTES_NOT_PROVIDED: dict[tuple[str, str], str] = {
    ("optuna.storages.BaseStorage", "*"): "tunelab's storage contract is its own (tunelab/storage/base.py); a "
                                          "storage written against Optuna's BaseStorage methods does not plug in",
    ("optuna.storages.RDBStorage", "*"): "tunelab's SQL storage has its own schema and methods; Optuna's "
                                         "databases are copied with `tunelab migrate`",
    ("optuna.study.StudyDirection", "NOT_SET"): "a tunelab study always has its directions; an unset member "
                                                "would be one more value every direction check must refuse",
    ("optuna.trial.Trial", "datetime_start"): "the live handle does not carry its start time; the stored "
                                              "record has it (study.trials[n].datetime_start)",
    ("optuna.trial.FixedTrial", "datetime_start"): "a FixedTrial belongs to no study and records no start time",
    ("optuna.trial.Trial", "storage"): "the live handle reaches its study only through a TrialBackend "
                                       "(docs/architecture.md); the storage is the study's",
}

CLASSES = [("optuna.study", "Study"), ("optuna.trial", "Trial"), ("optuna.trial", "FrozenTrial"),
           ("optuna.trial", "FixedTrial"), ("optuna.trial", "TrialState"), ("optuna.study", "StudyDirection"),
           ("optuna.study", "StudySummary"), ("optuna.study", "MaxTrialsCallback"),
           ("optuna.distributions", "FloatDistribution"), ("optuna.distributions", "IntDistribution"),
           ("optuna.distributions", "CategoricalDistribution"), ("optuna.search_space", "IntersectionSearchSpace"),
           ("optuna.storages", "BaseStorage"), ("optuna.storages", "RDBStorage"),
           ("optuna.storages", "RetryFailedTrialCallback"), ("optuna.terminator", "Terminator"),
           ("optuna.terminator", "TerminatorCallback"), ("optuna.artifacts", "FileSystemArtifactStore"),
           ("optuna.artifacts", "ArtifactMeta")] + \
          [("optuna.samplers", n) for n in ("BaseSampler", "RandomSampler", "GridSampler", "QMCSampler", "TPESampler",
                                            "GPSampler", "CmaEsSampler", "NSGAIISampler", "NSGAIIISampler",
                                            "BruteForceSampler", "PartialFixedSampler", "BaseGASampler")] + \
          [("optuna.pruners", n) for n in ("BasePruner", "MedianPruner", "PercentilePruner",
                                           "SuccessiveHalvingPruner", "HyperbandPruner", "ThresholdPruner",
                                           "PatientPruner", "WilcoxonPruner", "NopPruner")]


def _instances(lib: Any) -> dict[str, Any]:
    """Live objects for the classes whose attributes are set per instance (a study, a trial, ...)."""
    study = lib.create_study()
    trial = study.ask()
    trial.suggest_float("x", 0.0, 1.0)
    study.tell(trial, 1.0)
    return {"Study": study, "Trial": study.ask(), "FrozenTrial": study.trials[0],
            "FixedTrial": lib.trial.FixedTrial({"x": 0.5})}


def _has(cls: type, instance: Any, name: str) -> bool:
    if hasattr(instance if instance is not None else cls, name):
        return True
    for klass in cls.__mro__:  # dataclass fields and annotated attributes are set per instance
        if name in getattr(klass, "__dataclass_fields__", {}) or name in getattr(klass, "__annotations__", {}):
            return True
    return False


def test_public_methods_and_attributes_of_the_main_classes() -> None:
    import tunelab

    theirs_live, ours_live = _instances(optuna), _instances(tunelab)
    missing = []
    for module_name, name in CLASSES:
        qualified = f"{module_name}.{name}"
        if (qualified, "*") in ATTRIBUTES_NOT_PROVIDED:
            continue
        reference = getattr(importlib.import_module(module_name), name)
        ours = getattr(_tunelab_module(module_name), name)
        attributes = {a for a in dir(theirs_live.get(name, reference)) if not a.startswith("_")}
        for attribute in sorted(attributes):
            if (qualified, attribute) not in ATTRIBUTES_NOT_PROVIDED and \
                    not _has(ours, ours_live.get(name), attribute):
                missing.append(f"{qualified}.{attribute}")
    assert not missing, f"tunelab lacks {missing}"


def test_attribute_exclusions_are_current() -> None:
    import tunelab

    ours_live = _instances(tunelab)
    stale = []
    for qualified, attribute in ATTRIBUTES_NOT_PROVIDED:
        module_name, name = qualified.rsplit(".", 1)
        if attribute != "*" and _has(getattr(_tunelab_module(module_name), name), ours_live.get(name), attribute):
            stale.append(f"{qualified}.{attribute}: tunelab has it now")
    assert not stale, stale


#: ("optuna.x.Class.method", argument) -> why tunelab's method does not take it by that name.
METHOD_ARGUMENTS_NOT_TAKEN: dict[tuple[str, str], str] = {
    ("optuna.study.Study.optimize", "func"): "tunelab names the objective `objective`; Optuna's docs pass it "
                                             "positionally, which works the same",
}


def test_methods_of_the_main_classes_take_optunas_arguments() -> None:
    """Each public method both have takes Optuna's argument names (samplers and pruners are left out: their
    methods accept Optuna's positional (study, trial, ...) call through samplers/_adapter.py)."""
    lacking = []
    for module_name, name in CLASSES:
        qualified = f"{module_name}.{name}"
        if (qualified, "*") in ATTRIBUTES_NOT_PROVIDED or module_name in ("optuna.samplers", "optuna.pruners"):
            continue
        reference = getattr(importlib.import_module(module_name), name)
        ours = getattr(_tunelab_module(module_name), name)
        for attribute in sorted(dir(reference)):
            static = inspect.getattr_static(reference, attribute, None)
            if attribute.startswith("_") or not (inspect.isfunction(static)
                                                 or isinstance(static, (staticmethod, classmethod))):
                continue
            mine = getattr(ours, attribute, None)
            theirs, accepted = _parameters(getattr(reference, attribute)), _parameters(mine) if mine else None
            if theirs is None or accepted is None:
                continue
            lacking += [f"{qualified}.{attribute}({p}=)" for p in theirs[0] if p not in accepted[0]
                        and (f"{qualified}.{attribute}", p) not in METHOD_ARGUMENTS_NOT_TAKEN]
    assert not lacking, lacking
