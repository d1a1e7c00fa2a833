"""Search strategies.  Modules load on first use, so `import tunelab` stays light."""

from __future__ import annotations

import importlib
from typing import Any

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
}

# Optuna's class names, taking Optuna's constructor arguments (tunelab's own samplers underneath),
# loaded on first use: tunelab.samplers.TPESampler, ...CmaEsSampler, ...
_OPTUNA_NAMES = ("TPESampler", "CmaEsSampler", "GPSampler", "NSGAIISampler", "QMCSampler", "GridSampler",
                 "PartialFixedSampler")

__all__ = ["BaseSampler", "RandomSampler", "SamplingContext", "SearchExhausted", "SAMPLERS", "make_sampler",
           "load_sampler_class", *_OPTUNA_NAMES]


def __getattr__(name: str) -> Any:
    if name in _OPTUNA_NAMES:
        from tunelab.samplers import _optuna_names

        return getattr(_optuna_names, name)
    if name == "nsgaii":  # Optuna's crossover classes
        return importlib.import_module("tunelab.samplers.nsgaii")
    raise AttributeError(f"module 'tunelab.samplers' has no attribute {name!r}")


def load_sampler_class(name: str) -> type:
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; expected one of {sorted(SAMPLERS)} or a sampler object")
    module, cls = SAMPLERS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def make_sampler(spec: Any, seed: int | None = None, n_objectives: int = 1, pruner: Any = None) -> BaseSampler:
    """A sampler object from a name ("auto", "tpe", ...), a sampler object, or None (auto)."""
    if spec is None:
        spec = "auto"
    if isinstance(spec, BaseSampler):
        return spec
    if _is_duck_sampler(spec):  # an Optuna-style sampler that does not derive from BaseSampler
        from tunelab.samplers._optuna_names import wrap_duck_sampler

        return wrap_duck_sampler(spec)
    if isinstance(spec, str):
        cls = load_sampler_class(spec.lower())
        if spec.lower() == "auto":
            return cls(seed=seed, n_objectives=n_objectives, pruner=pruner)
        return cls(seed=seed)
    raise TypeError(f"sampler must be a name such as 'auto' or 'tpe', or a sampler object; got {spec!r}")


def _is_duck_sampler(obj: Any) -> bool:
    return not isinstance(obj, (str, type)) and all(
        callable(getattr(obj, m, None)) for m in ("infer_relative_search_space", "sample_relative", "sample_independent"))
