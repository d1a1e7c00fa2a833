"""Search strategies.  Modules load on first use, so `import tunelab` stays light."""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Mapping

from tunelab.samplers.base import BaseSampler, SamplingContext, SearchExhausted
from tunelab.samplers.random import RandomSampler

# name -> "module:Class"; every entry takes (seed=...) and, where it matters, the options below
SAMPLERS: dict[str, str] = {
    "random": "tunelab.samplers.random:RandomSampler",
    "grid": "tunelab.samplers.grid:GridSampler",
    "qmc": "tunelab.samplers.qmc:QMCSampler",
    "sobol": "tunelab.samplers.qmc:QMCSampler",
    "auto": "tunelab.samplers.auto:AutoSampler",
    "tpe": "tunelab.samplers.tpe:TPESampler",
    "gp": "tunelab.samplers.gp:GPSampler",
    "cmaes": "tunelab.samplers.cmaes:CMAESSampler",
    "nsga2": "tunelab.samplers.nsga2:NSGAIISampler",
    "nsga3": "tunelab.samplers.nsga3:NSGAIIISampler",
}

# Optuna's class names, taking Optuna's constructor arguments (tunelab's own samplers underneath),
# loaded on first use: tunelab.samplers.TPESampler, ...CmaEsSampler, ...
_OPTUNA_NAMES = ("TPESampler", "CmaEsSampler", "GPSampler", "NSGAIISampler", "NSGAIIISampler", "QMCSampler",
                 "GridSampler", "PartialFixedSampler")

__all__ = ["BaseSampler", "RandomSampler", "SamplingContext", "SearchExhausted", "SAMPLERS", "make_sampler",
           "load_sampler_class", "BruteForceSampler", "BaseGASampler", "nsgaii", *_OPTUNA_NAMES]


def __getattr__(name: str) -> Any:
    if name in _OPTUNA_NAMES:
        from tunelab.samplers import _optuna_names

        return getattr(_optuna_names, name)
    if name == "nsgaii":  # Optuna's crossover classes
        return importlib.import_module("tunelab.samplers.nsgaii")
    if name == "BaseGASampler":
        from tunelab.samplers.ga import BaseGASampler

        return BaseGASampler
    if name == "BruteForceSampler":
        from tunelab.samplers.brute_force import BruteForceSampler

        return BruteForceSampler
    raise AttributeError(f"module 'tunelab.samplers' has no attribute {name!r}")


def load_sampler_class(name: str) -> type:
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; expected one of {sorted(SAMPLERS)} or a sampler object")
    module, cls = SAMPLERS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def make_sampler(spec: Any, seed: int | None = None, n_objectives: int = 1, pruner: Any = None, *,
                 space: Any = None) -> BaseSampler:
    """A sampler object from a name ("auto", "tpe", ...), a table ``{"name": "tpe", option: value}``, a sampler
    object, or None (auto).

    The study's settings (``seed``, ``n_objectives``, ``pruner``, and ``space``: the declarative space or grid,
    for the samplers built from one) go to every class whose constructor takes them; a table's options win.
    """
    if spec is None:
        spec = "auto"
    if isinstance(spec, BaseSampler):
        return spec
    if _is_duck_sampler(spec):  # an Optuna-style sampler that does not derive from BaseSampler
        from tunelab.samplers._optuna_names import wrap_duck_sampler

        return wrap_duck_sampler(spec)
    if isinstance(spec, Mapping) and isinstance(spec.get("name"), str):
        name, options = spec["name"], {k: v for k, v in spec.items() if k != "name"}
    elif isinstance(spec, str):
        name, options = spec, {}
    else:
        raise TypeError(f"sampler must be a name such as 'auto' or 'tpe', a table with 'name', or a sampler object; "
                        f"got {spec!r}")
    cls = load_sampler_class(name.lower())
    accepted = inspect.signature(cls).parameters
    settings = {"seed": seed, "n_objectives": n_objectives, "pruner": pruner, "space": space, "grid": space}
    kwargs = {k: v for k, v in settings.items() if k in accepted and (v is not None or k == "seed")}
    return cls(**{**kwargs, **options})


def _is_duck_sampler(obj: Any) -> bool:
    return not isinstance(obj, (str, type)) and all(
        callable(getattr(obj, m, None)) for m in ("infer_relative_search_space", "sample_relative", "sample_independent"))
