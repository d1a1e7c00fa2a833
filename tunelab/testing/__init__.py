"""Conformance suites for anyone's samplers, pruners and storages, as test classes to subclass.

::

    from tunelab.testing import PrunerSuite, SamplerSuite, StorageSuite

    class TestMySampler(SamplerSuite):
        sampler_factory = MySampler

Each suite is the contract tunelab's own plug-ins are held to (tests/ subclasses
them too); docs/plugins.md shows complete examples.  This package imports pytest
and hypothesis, so import it from tests only; ``import tunelab`` never imports it.
"""

from tunelab.testing.pruners import PrunerSuite
from tunelab.testing.samplers import SamplerSuite
from tunelab.testing.storage import Backend, StorageSuite

__all__ = ["Backend", "PrunerSuite", "SamplerSuite", "StorageSuite"]
