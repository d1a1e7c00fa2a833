"""tunelab.testing's suites on plug-ins defined outside the package (tests/testing/outside_plugins.py)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from tunelab.samplers import BaseSampler
from tunelab.testing import Backend, PrunerSuite, SamplerSuite, StorageSuite

sys.path.insert(0, str(Path(__file__).parent))
from outside_plugins import CountingStorage, LastPlacePruner, LocalSearchSampler  # noqa: E402


class TestLocalSearchSampler(SamplerSuite):
    sampler_factory = LocalSearchSampler
    model_based = True


class TestLastPlacePruner(PrunerSuite):
    pruner_factory = LastPlacePruner


class TestCountingStorage(StorageSuite):
    @pytest.fixture
    def backend(self):
        backend = Backend(CountingStorage, shared=True)
        yield backend
        backend.close()

    def test_the_suite_used_this_storage(self, backend):
        storage = backend.open()
        assert isinstance(storage, CountingStorage)
        storage.list_studies()
        assert storage.calls["list_studies"] == 1


def test_the_modules_under_test_are_outside_the_package():
    import outside_plugins
    import tunelab

    assert Path(tunelab.__file__).parent not in Path(outside_plugins.__file__).parents


def test_import_tunelab_does_not_import_the_suites():
    import subprocess

    code = "import sys, tunelab; tunelab.create_study(); print([m for m in sys.modules if m.startswith(('tunelab.testing', 'pytest', 'hypothesis'))])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


class _Unseeded(BaseSampler):
    """Draws from the global ``random`` module: the seed does nothing."""

    def sample_independent(self, context, name, distribution):
        return distribution.from_unit(random.random())


class _UnseededSuite(SamplerSuite):  # not collected (no Test prefix): run by hand below
    sampler_factory = _Unseeded


def test_the_sampler_suite_catches_a_sampler_that_ignores_its_seed():
    with pytest.raises(AssertionError):
        _UnseededSuite().test_same_seed_same_proposals()
    _UnseededSuite().test_single_value_distributions()  # the properties it does keep still pass


def test_a_suite_without_a_factory_says_what_to_set():
    class _Empty(SamplerSuite):
        pass

    with pytest.raises(TypeError, match="set sampler_factory"):
        _Empty().make(0)


def test_flags_decide_which_tests_exist():
    assert TestLocalSearchSampler.test_beats_random_search_on_a_quadratic is not None
    assert _UnseededSuite.test_beats_random_search_on_a_quadratic is None  # model_based is False
    assert TestLastPlacePruner.test_prunes_on_some_draw is not None
