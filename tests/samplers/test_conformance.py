"""Every tunelab sampler through :class:`tunelab.testing.SamplerSuite`, the contract third-party samplers use too.

To put a new sampler through it, add a subclass below.  ``test_every_registered_sampler_is_listed``
fails when an entry of ``tunelab.samplers.SAMPLERS`` has no subclass here and no reason in NOT_LISTED;
``test_every_listed_module_imports`` fails when a listed sampler's module is missing or broken.
"""

from __future__ import annotations

import importlib

import pytest

from tunelab.samplers import SAMPLERS, load_sampler_class, nsgaii
from tunelab.testing import SamplerSuite


def registered(name: str, **options):
    """A factory for the registry's sampler ``name`` (loaded when called) with fixed ``options``."""

    def factory(seed=None):
        return load_sampler_class(name)(seed=seed, **options)

    return factory


class TestRandom(SamplerSuite):
    registry = "random"
    sampler_factory = registered("random")


class TestQMC(SamplerSuite):
    registry = "qmc"
    sampler_factory = registered("qmc")


class TestGrid(SamplerSuite):
    registry = "grid"
    sampler_factory = staticmethod(lambda seed, space: load_sampler_class("grid")(space, seed=seed))
    builds_from_space = True


class TestAuto(SamplerSuite):
    registry = "auto"
    sampler_factory = registered("auto")


class TestTPE(SamplerSuite):
    registry = "tpe"
    sampler_factory = registered("tpe", n_startup_trials=4)
    model_based = True


class TestTPEUnivariate(SamplerSuite):
    sampler_factory = registered("tpe", n_startup_trials=4, multivariate=False)
    model_based = True


class TestNSGA2(SamplerSuite):
    registry = "nsga2"
    sampler_factory = registered("nsga2", population_size=4)


class TestNSGA2SBX(SamplerSuite):
    sampler_factory = registered("nsga2", population_size=4, crossover="sbx")


class TestNSGA2Operators(SamplerSuite):
    sampler_factory = registered("nsga2", population_size=4, crossover=nsgaii.UNDXCrossover(),
                                 mutation=nsgaii.PolynomialMutation())


class TestNSGA3(SamplerSuite):
    registry = "nsga3"
    sampler_factory = registered("nsga3", population_size=4)


class TestGP(SamplerSuite):
    registry = "gp"
    sampler_factory = registered("gp")
    multi_objective = False
    model_based = True


class TestCMAES(SamplerSuite):
    registry = "cmaes"
    sampler_factory = registered("cmaes")
    multi_objective = False
    model_based = True


class TestFidelityTPE(SamplerSuite):
    """What sampler="auto" becomes when a pruner is set: TPE over the highest budget level with enough trials."""

    sampler_factory = staticmethod(lambda seed: importlib.import_module("tunelab.samplers.fidelity")
                                   .FidelitySampler(min_points=4, seed=seed))
    model_based = True


SUITES = [cls for name, cls in sorted(globals().items()) if name.startswith("Test") and isinstance(cls, type)]
NOT_LISTED = {"sobol": "an alias of 'qmc'"}


def test_every_registered_sampler_is_listed():
    listed = {getattr(cls, "registry", None) for cls in SUITES}
    missing = sorted(set(SAMPLERS) - listed - set(NOT_LISTED))
    assert not missing, f"samplers in the registry without a conformance subclass: {missing}"


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_every_listed_module_imports(name):
    """A registry entry whose module is missing or does not import is an error, not a silent gap."""
    assert issubclass(load_sampler_class(name), importlib.import_module("tunelab.samplers").BaseSampler)
