"""Pruning for users' own PyTorch loops: one call per epoch."""

from __future__ import annotations

import math
from typing import Any

from tunelab.trial import TrialPruned


def report_epoch(trial: Any, value: float, epoch: int) -> None:
    """Report ``value`` (e.g. validation accuracy) after ``epoch`` and raise TrialPruned if the pruner says stop.

    Count epochs from 1 (the resource spent so far), so that pruners with
    resource rungs (ASHA, Hyperband) line up with epochs.  When the pruner hands
    out a budget (``trial.budget``, read before this epoch's report), the pruner
    is asked only once the trial has reached it.  A NaN/inf value is always
    checked (threshold pruners stop it).
    """
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise ValueError(f"report_epoch: 'epoch' must be an int >= 0; got {epoch!r}")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"report_epoch: 'value' must be a number; got {value!r}") from None
    budget = getattr(trial, "budget", None)  # read before reporting: the next check after the last report
    trial.report(value, step=epoch)
    if budget is not None and epoch < budget and math.isfinite(value):
        return
    if trial.should_prune():
        raise TrialPruned(f"pruned after epoch {epoch} (value {value:.6g})")
