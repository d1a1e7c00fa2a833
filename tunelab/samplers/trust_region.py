"""A trust region for the GP's acquisition: a box around the best trial that grows on success, shrinks on failure.

Global expected improvement over a 6-10 dimensional box spends a short budget on
corners the GP knows nothing about.  TuRBO (Eriksson et al., 2019,
"Scalable global optimization via local Bayesian optimization") confines the
acquisition to a box around the incumbent instead: its side starts at
``length0`` (on the unit scale), is stretched per dimension by the fitted
lengthscales (wide where the loss changes slowly), doubles after
``TAU_SUCCESS`` improvements in a row and halves after ``max(4, d)`` failures
in a row (an improvement: a new best target lower by at least 1e-3 standard
deviations).  The state is replayed from the GP's targets at every ask, so it
is pure and any worker agrees on it.

``GPSampler(trust_region_until=k)`` uses it while fewer than ``k`` trials are
complete and searches the whole box after: measured in benchmarks/search.py,
the region wins on few trials and, kept for good, gets stuck in a local basin
on some seeds (docs/auto.md).  ``GPSampler(first_region_trials=m)`` makes its
first ``m`` proposals after the start in a region of side ``FIRST_LENGTH``
(half the usual start): they refine the best start point before the replayed
region takes over; ``auto`` does this on spaces of floats only.
"""

from __future__ import annotations

import numpy as np

from tunelab.samplers.acquisition import MixedBox

TAU_SUCCESS = 3
FIRST_LENGTH = 0.25  # the side of the first proposals' region, with GPSampler(first_region_trials > 0)
LENGTH_BOUNDS = (0.05, 1.6)  # side lengths allowed, on the unit scale before the lengthscale stretch
_IMPROVEMENT = 1e-3  # in standard deviations of the targets: smaller gains do not count as a success


def side_length(targets: np.ndarray, n_startup: int, dim: int, length0: float = 0.5) -> float:
    """The region's side after replaying the success / failure counters over the targets after the start.

    ``targets`` are the GP's standardised (warped) losses in trial order, so what
    counts as an improvement does not depend on the loss's offset or units.
    """
    tau_fail = max(4, dim)
    best = float(np.min(targets[:n_startup])) if n_startup > 0 else np.inf
    length, successes, failures = length0, 0, 0
    for value in targets[n_startup:]:
        if value < best - _IMPROVEMENT:
            successes, failures = successes + 1, 0
        else:
            successes, failures = 0, failures + 1
        best = min(best, float(value))
        if successes >= TAU_SUCCESS:
            length, successes = min(2 * length, LENGTH_BOUNDS[1]), 0
        elif failures >= tau_fail:
            length, failures = max(length / 2, LENGTH_BOUNDS[0]), 0
    return length


def region(box: MixedBox, center: np.ndarray, lengthscales: np.ndarray, length: float) -> MixedBox:
    """The box of side ``length`` (stretched by the lengthscales) around ``center``, clipped to the unit box.

    Categorical columns stay free; an int or stepped column always keeps its
    neighbouring values, so the region cannot pin a coarse parameter.
    """
    num = box.numeric
    if len(num) == 0:
        return box
    lower, upper = np.zeros(len(box.grids)), np.ones(len(box.grids))
    ls = np.asarray(lengthscales, dtype=float)[num]
    half = 0.5 * length * ls / np.exp(np.mean(np.log(ls)))
    for j, h in zip(num, half):
        grid = box.grids[j]
        if grid is not None and len(grid) > 1:
            h = max(h, float(np.max(np.diff(grid))))
        lower[j], upper[j] = max(0.0, center[j] - h), min(1.0, center[j] + h)
    return MixedBox(box.is_cat, box.grids, lower, upper)
