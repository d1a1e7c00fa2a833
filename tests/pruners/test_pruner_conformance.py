"""Every tunelab pruner through :class:`tunelab.testing.PrunerSuite`, the contract third-party pruners use too.

To put a new pruner through it, add a subclass below; ``test_every_registered_pruner_is_listed``
fails when a name in ``tunelab.pruners.PRUNERS`` has no subclass standing for it (``registry``).
"""

from __future__ import annotations

from tunelab.pruners import PRUNERS, make_pruner
from tunelab.pruners.halving import SuccessiveHalvingPruner
from tunelab.pruners.hyperband import HyperbandPruner
from tunelab.pruners.patience import PatiencePruner
from tunelab.pruners.percentile import MedianPruner, PercentilePruner
from tunelab.pruners.threshold import ThresholdPruner
from tunelab.testing import PrunerSuite


class TestNop(PrunerSuite):
    pruner_factory = staticmethod(lambda: make_pruner("none"))
    registry = ("none", "nop")
    can_prune = False


class TestMedian(PrunerSuite):
    pruner_factory = staticmethod(lambda: make_pruner("median"))
    registry = ("median",)


class TestMedianEager(PrunerSuite):
    pruner_factory = staticmethod(lambda: MedianPruner(n_startup_trials=1, n_min_trials=1))


class TestPercentile25(PrunerSuite):
    pruner_factory = staticmethod(lambda: PercentilePruner(25, n_startup_trials=1))


class TestThreshold(PrunerSuite):
    """No bounds: it prunes NaN and inf only, never a number the strategies draw."""

    pruner_factory = staticmethod(lambda: make_pruner("threshold"))
    registry = ("threshold",)
    can_prune = False


class TestThresholdBounds(PrunerSuite):
    """Symmetric bounds, so negating the values mirrors them; an upper bound on accuracy guards divergence, so
    a worse value may fall back inside [lower, upper]: not monotone."""

    pruner_factory = staticmethod(lambda: ThresholdPruner(lower=-0.5, upper=0.5))
    monotone = False
    absolute_bounds = True


class TestPatience(PrunerSuite):
    pruner_factory = staticmethod(lambda: make_pruner("patience"))
    registry = ("patience",)


class TestPatience2Median(PrunerSuite):
    pruner_factory = staticmethod(lambda: PatiencePruner(MedianPruner(n_startup_trials=1), patience=2))


class TestASHA(PrunerSuite):
    pruner_factory = staticmethod(lambda: make_pruner("asha"))
    registry = ("asha", "sha", "successive_halving")


class TestASHAEta2Max4(PrunerSuite):
    pruner_factory = staticmethod(lambda: SuccessiveHalvingPruner(1, 2, max_resource=4))


class TestASHAAuto(PrunerSuite):
    pruner_factory = staticmethod(lambda: SuccessiveHalvingPruner("auto", 2, max_resource="auto"))


class TestHyperband(PrunerSuite):
    pruner_factory = staticmethod(lambda: make_pruner("hyperband"))
    registry = ("hyperband",)


class TestHyperband1to6(PrunerSuite):
    pruner_factory = staticmethod(lambda: HyperbandPruner(1, 6, 2))


class TestCV(PrunerSuite):
    """A t-test can lose significance when a fold gets worse and more spread: not monotone."""

    pruner_factory = staticmethod(lambda: make_pruner("cv"))
    registry = ("cv",)
    monotone = False


class TestWilcoxon(PrunerSuite):
    pruner_factory = staticmethod(lambda: make_pruner("wilcoxon"))
    registry = ("wilcoxon",)


def test_every_registered_pruner_is_listed():
    listed = {name for cls in globals().values() if isinstance(cls, type) and issubclass(cls, PrunerSuite)
              for name in getattr(cls, "registry", ())}
    assert set(PRUNERS) <= listed, f"PRUNERS names with no conformance subclass: {sorted(set(PRUNERS) - listed)}"
