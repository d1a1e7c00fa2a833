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

__all__ = ["BaseSampler", "RandomSampler", "SamplingContext", "SearchExhausted", "SAMPLERS", "make_sampler",
           "load_sampler_class"]


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
    if isinstance(spec, str):
        cls = load_sampler_class(spec.lower())
        if spec.lower() == "auto":
            return cls(seed=seed, n_objectives=n_objectives, pruner=pruner)
        return cls(seed=seed)
    raise TypeError(f"sampler must be a name such as 'auto' or 'tpe', or a sampler object; got {spec!r}")
