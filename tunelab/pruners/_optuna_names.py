"""Pruners under Optuna's names where tunelab's own class differs in name or arguments.

``PatientPruner`` follows Optuna's rule (the last ``patience + 1`` reports are
compared with the ones before, and the trial counts as stalled only if they got
*worse* by more than ``min_delta``); tunelab's :class:`PatiencePruner` is stricter
(no improvement at all counts).  The halving pruners accept Optuna's
``bootstrap_count`` (only 0, Optuna's default, is the behaviour tunelab has).
"""

from __future__ import annotations

import math
import warnings

from tunelab._validation import UnhonouredArgumentWarning
from tunelab.pruners import halving as _halving
from tunelab.pruners import hyperband as _hyperband
from tunelab.pruners._common import loss
from tunelab.pruners.base import BasePruner, PruningContext
from tunelab.pruners.patience import PatiencePruner


def _bootstrap(owner: str, bootstrap_count: int) -> None:
    if bootstrap_count:
        warnings.warn(f"{owner}: the Optuna argument bootstrap_count={bootstrap_count!r} is accepted but not "
                      "honoured by tunelab (rungs are judged from the first trial that reaches them)",
                      UnhonouredArgumentWarning, stacklevel=3)


class PatientPruner(PatiencePruner):
    """Optuna's PatientPruner: prune (or let ``wrapped_pruner`` decide) once the curve has stopped improving."""

    def __init__(self, wrapped_pruner: BasePruner | None, patience: int, min_delta: float = 0.0):
        # Optuna allows patience=0 (compare the last report with the ones before); tunelab's base needs >= 1
        zero = isinstance(patience, int) and not isinstance(patience, bool) and patience == 0
        super().__init__(wrapped_pruner, 1 if zero else patience, min_delta)
        self.patience = patience

    def stalled(self, context: PruningContext) -> bool:
        iv = context.trial.intermediate_values
        steps = sorted(iv)
        window = self.patience + 1
        if len(steps) <= window:
            return False
        before = [loss(iv[s], context.direction) for s in steps[:-window]]
        after = [loss(iv[s], context.direction) for s in steps[-window:]]
        best_before = min((v for v in before if not math.isinf(v)), default=math.inf)
        best_after = min((v for v in after if not math.isinf(v)), default=math.inf)
        if math.isinf(best_before) or math.isinf(best_after):
            return False  # NaN-only windows compare as False, as NumPy's nanmin comparisons do
        return best_before + self.min_delta < best_after


class SuccessiveHalvingPruner(_halving.SuccessiveHalvingPruner):
    """tunelab's (asynchronous) successive halving; Optuna's ``bootstrap_count`` is accepted."""

    def __init__(self, min_resource: int | str = 1, reduction_factor: int = 3, min_early_stopping_rate: int = 0,
                 bootstrap_count: int = 0, *, max_resource: int | str | None = None):
        _bootstrap("SuccessiveHalvingPruner", bootstrap_count)
        super().__init__(min_resource=min_resource, reduction_factor=reduction_factor, max_resource=max_resource,
                         min_early_stopping_rate=min_early_stopping_rate)


class HyperbandPruner(_hyperband.HyperbandPruner):
    """tunelab's Hyperband; Optuna's ``bootstrap_count`` is accepted."""

    def __init__(self, min_resource: int = 1, max_resource: int | str = "auto", reduction_factor: int = 3,
                 bootstrap_count: int = 0):
        _bootstrap("HyperbandPruner", bootstrap_count)
        super().__init__(min_resource=min_resource, max_resource=max_resource, reduction_factor=reduction_factor)


class DuckPruner(BasePruner):
    """An object with Optuna's ``prune(study, trial)`` that does not derive from BasePruner, adapted."""

    def __init__(self, inner: object):
        self.inner = inner

    def prune(self, study, trial) -> bool:  # noqa: ANN001  (Optuna's signature: the adapter passes a view)
        return bool(self.inner.prune(study, trial))
