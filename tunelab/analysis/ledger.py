"""The pruning ledger: what complete and pruned trials cost, what pruning saved, and what it may have cut short.

Compute is counted in steps (from the intermediate values a trial reported) or in
seconds (from its start and end times).  A trial's steps are its last reported
step + 1 when the study's steps start at 0, else its last reported step (so
"epoch 1..E" and "epoch 0..E-1" both count E).  "Run to the end" is the most
steps any complete trial used; in seconds, a pruned trial's full run is its
duration scaled by full steps over its steps (or the median complete duration
when it reported nothing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tunelab._validation import Interval, Options, validate
from tunelab.trial import FrozenTrial, StudyDirection, TrialState


@dataclass
class TrialCost:
    number: int
    state: str
    spent: float
    full: float  # what it would have cost run to the end (= spent for complete trials)
    last_step: int | None
    on_track: bool = False  # pruned, and its last report was in the complete trials' top quantile at that step


@dataclass
class PruningLedger:
    """Sums over the finished trials, in ``unit`` ("steps" or "seconds")."""

    unit: str
    n_complete: int
    n_pruned: int
    n_failed: int
    spent_complete: float
    spent_pruned: float
    spent_failed: float
    full_length: float  # steps (or median seconds) of a trial run to the end
    saved: float  # against running every pruned trial to the end
    saved_share: float  # saved / (spent + saved)
    top_quantile: float
    on_track: list[int] = field(default_factory=list)  # numbers of pruned trials on track for the top quantile
    trials: list[TrialCost] = field(default_factory=list)

    @property
    def spent(self) -> float:
        return self.spent_complete + self.spent_pruned + self.spent_failed

    @property
    def n_on_track(self) -> int:
        return len(self.on_track)


_CONSTRAINTS = {"unit": [Options(["auto", "steps", "seconds"])],
                "top_quantile": [Interval(float, 0, 1, "neither")]}


def _step_base(trials: list[FrozenTrial]) -> int:
    firsts = [min(t.intermediate_values) for t in trials if t.intermediate_values]
    return 0 if not firsts or min(firsts) == 0 else 1


def _steps(t: FrozenTrial, base: int) -> float:
    if not t.intermediate_values:
        return 0.0
    return float(max(t.intermediate_values) + (1 if base == 0 else 0))


def pruning_ledger(study: Any, *, unit: str = "auto", top_quantile: float = 0.1) -> PruningLedger:
    """The ledger of the study's finished trials (unit "auto": steps if any trial reported, else seconds)."""
    validate(_CONSTRAINTS, {"unit": unit, "top_quantile": top_quantile}, "pruning_ledger")
    import numpy as np

    trials = [t for t in (study.get_trials() if hasattr(study, "get_trials") else list(study))
              if t.state.is_finished()]
    directions = getattr(study, "directions", [StudyDirection.MINIMIZE])
    sign = StudyDirection.parse(directions[0]).sign()  # loss = sign * value; reports read in the first direction
    if unit == "auto":
        unit = "steps" if any(t.intermediate_values for t in trials) else "seconds"
    base = _step_base(trials)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    full_steps = max((_steps(t, base) for t in complete), default=0.0)
    if full_steps == 0:
        full_steps = max((_steps(t, base) for t in trials), default=0.0)
    durations = [t.duration_seconds for t in complete if t.duration is not None]
    median_seconds = float(np.median(durations)) if durations else 0.0
    costs: list[TrialCost] = []
    for t in trials:
        steps = _steps(t, base)
        if unit == "steps":
            spent = steps
            full = max(full_steps, steps) if t.state == TrialState.PRUNED else steps
        else:
            spent = float(t.duration_seconds or 0.0)
            if t.state != TrialState.PRUNED:
                full = spent
            elif steps > 0 and full_steps > 0:
                full = max(spent, spent * full_steps / steps)
            else:
                full = max(spent, median_seconds)
        costs.append(TrialCost(t.number, t.state.name.lower(), spent, full, t.last_step))
    # on track: the pruned trial's last report against the complete trials' reports at that step
    by_step: dict[int, list[float]] = {}
    for t in complete:
        for s, v in t.intermediate_values.items():
            if v is not None and math.isfinite(v):
                by_step.setdefault(s, []).append(sign * v)
    thresholds = {s: float(np.quantile(np.asarray(peers), top_quantile)) for s, peers in by_step.items()}
    on_track = []
    for t, c in zip(trials, costs):
        if t.state != TrialState.PRUNED or not t.intermediate_values:
            continue
        s = max(t.intermediate_values)
        v = t.intermediate_values[s]
        threshold = thresholds.get(s)
        if threshold is None or v is None or not math.isfinite(v):
            continue
        if sign * v <= threshold:
            c.on_track = True
            on_track.append(t.number)

    def total(state: str, attr: str = "spent") -> float:
        return float(sum(getattr(c, attr) for c in costs if c.state == state))

    spent_pruned = total("pruned")
    saved = total("pruned", "full") - spent_pruned
    spent_all = total("complete") + spent_pruned + total("fail")
    return PruningLedger(
        unit=unit, n_complete=len(complete), n_pruned=sum(c.state == "pruned" for c in costs),
        n_failed=sum(c.state == "fail" for c in costs), spent_complete=total("complete"),
        spent_pruned=spent_pruned, spent_failed=total("fail"),
        full_length=float(full_steps if unit == "steps" else median_seconds), saved=saved,
        saved_share=saved / (spent_all + saved) if spent_all + saved > 0 else 0.0,
        top_quantile=top_quantile, on_track=on_track, trials=costs)
