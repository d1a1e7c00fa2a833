"""Noise-aware results: pick the best configuration by its mean over seeds, or by a confidence bound.

When training is noisy, the trial with the best single value is often just the
luckiest (the winner's curse): with many trials, the maximum of noisy values
overstates the configuration behind it.  Evaluating each configuration with
several seeds (``repeats``) and ranking by the mean, or by a pessimistic
confidence bound on the mean, picks configurations that stay good when trained
again.  Trials store their per-seed values in the user attribute
``repeat_values`` (see :func:`evaluate_repeats` and the built-in trainer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from tunelab._validation import Interval, Options, validate
from tunelab.trial import FrozenTrial, StudyDirection, TrialState

REPEATS_KEY = "repeat_values"


@dataclass
class ValueStats:
    """A trial's values over seeds: mean, sample standard deviation, count and standard error."""

    trial: FrozenTrial
    values: list[float]
    mean: float
    std: float  # 0.0 when there is one value
    n: int

    @property
    def sem(self) -> float:
        return self.std / math.sqrt(self.n) if self.n > 1 else 0.0

    def text(self, digits: int = 4) -> str:
        """'0.9731 ± 0.0042 (3 seeds)', or just the value for one seed."""
        if self.n <= 1:
            return f"{self.mean:.{digits}g}"
        return f"{self.mean:.{digits}g} ± {self.std:.2g} ({self.n} seeds)"


def evaluate_repeats(trial: Any, evaluate: Callable[[int], float], repeats: int, key: str = REPEATS_KEY) -> float:
    """Call ``evaluate(r)`` for r = 0..repeats-1 (r picks the seed); store the values on the trial; return the mean."""
    validate({"repeats": [Interval(int, 1, None)]}, {"repeats": repeats}, "evaluate_repeats")
    values = [float(evaluate(r)) for r in range(repeats)]
    trial.set_user_attr(key, values)
    mean = sum(values) / len(values)
    trial.set_user_attr("repeat_std", _std(values, mean))
    return mean


def _std(values: Sequence[float], mean: float) -> float:
    if len(values) < 2:
        return 0.0
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def value_stats(trial: FrozenTrial, key: str = REPEATS_KEY) -> ValueStats:
    """The values of a trial: its stored per-seed values, or its single value."""
    raw = trial.user_attrs.get(key)
    values = [float(v) for v in raw] if isinstance(raw, (list, tuple)) and raw else [float(trial.value)]
    mean = sum(values) / len(values)
    return ValueStats(trial, values, mean, _std(values, mean), len(values))


def pooled_std(stats: Sequence[ValueStats]) -> tuple[float, int]:
    """The within-configuration standard deviation pooled over trials with several seeds, and its degrees of freedom."""
    ss = sum((s.n - 1) * s.std ** 2 for s in stats if s.n > 1)
    dof = sum(s.n - 1 for s in stats if s.n > 1)
    return (math.sqrt(ss / dof), dof) if dof > 0 else (0.0, 0)


RANKINGS = ("mean", "conservative", "lcb", "ucb", "max", "min")  # the values of ``by``

_CONSTRAINTS = {
    "by": [Options(list(RANKINGS))],
    "confidence": [Interval(float, 0.5, 1, closed="left")],
}


def scores(trials: Sequence[FrozenTrial], direction: str | StudyDirection = "maximize", by: str = "mean",
           confidence: float = 0.9, key: str = REPEATS_KEY) -> list[tuple[float, ValueStats]]:
    """(score, stats) for each complete trial, where a higher score is better whatever the direction.

    by: "mean" (mean over seeds); "lcb" / "ucb" (mean minus / plus a one-sided
    Student-t bound at ``confidence`` on the mean); "conservative" (the bound on
    the bad side: lcb when maximizing, ucb when minimizing); "max" / "min" (the
    highest / lowest single seed: the luckiest / unluckiest one when maximizing, the
    reverse when minimizing; to show the difference).  A trial with
    one seed borrows the spread pooled over the trials that have several.
    """
    validate(_CONSTRAINTS, {"by": by, "confidence": confidence}, "select_best")
    sign = -StudyDirection.parse(direction).sign()  # +1 when maximizing
    stats = [value_stats(t, key) for t in trials if t.state == TrialState.COMPLETE and t.values]
    pooled, pooled_dof = pooled_std(stats)
    if by == "conservative":
        by = "lcb" if sign > 0 else "ucb"
    out = []
    for s in stats:
        if by == "mean":
            raw = s.mean
        elif by == "max":
            raw = max(s.values)
        elif by == "min":
            raw = min(s.values)
        else:
            std, dof = (s.std, s.n - 1) if s.n > 1 else (pooled, pooled_dof)
            raw = s.mean + (-1 if by == "lcb" else 1) * _quantile(confidence, dof) * std / math.sqrt(s.n)
        out.append((sign * raw, s))
    return out


def _quantile(confidence: float, dof: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(confidence, dof)) if dof > 0 else 0.0


def rank(trials: Sequence[FrozenTrial], direction: str | StudyDirection = "maximize", by: str = "mean",
         confidence: float = 0.9, key: str = REPEATS_KEY) -> list[ValueStats]:
    """The complete trials' stats, best first by ``by`` (see :func:`scores`); ties go to the lower trial number."""
    ranked = sorted(scores(trials, direction, by, confidence, key), key=lambda p: (-p[0], p[1].trial.number))
    return [stats for _, stats in ranked]


def select_best(trials: Sequence[FrozenTrial], direction: str | StudyDirection = "maximize", by: str = "mean",
                confidence: float = 0.9, key: str = REPEATS_KEY) -> FrozenTrial:
    """The best complete trial by ``by`` (see :func:`scores`); ties go to the lower trial number."""
    ranked = rank(trials, direction, by, confidence, key)
    if not ranked:
        raise ValueError("select_best: there is no complete trial to choose from")
    return ranked[0].trial


def summary_table(trials: Sequence[FrozenTrial], direction: str | StudyDirection = "maximize", top: int = 5,
                  by: str = "mean", confidence: float = 0.9, key: str = REPEATS_KEY) -> list[dict[str, Any]]:
    """The ``top`` trials by ``by``, each as {number, mean, std, n, min, max, text} for printing."""
    return [{"number": s.trial.number, "mean": s.mean, "std": s.std, "n": s.n, "min": min(s.values),
             "max": max(s.values), "text": s.text()} for s in rank(trials, direction, by, confidence, key)[:top]]


# ----------------------------------------------------------------------------- per-configuration noise


@dataclass
class ConfigNoise:
    """One configuration's values over its repeats (seeds stored on one trial, or trials with equal params)."""

    params: dict[str, Any]
    numbers: list[int]
    values: list[float]
    mean: float
    std: float
    n: int
    rank_by_value: int  # 1 = best mean
    rank_conservative: int  # 1 = best by the bound on the bad side


@dataclass
class NoiseSummary:
    """Noise over the repeated configurations, and where the luckiest trial lands when ranked conservatively."""

    configs: list[ConfigNoise]
    pooled_std: float
    pooled_dof: int
    best_number: int | None
    best_rank_conservative: int | None
    conservative_best_number: int | None
    confidence: float


def noise_summary(study: Any, *, confidence: float = 0.9, key: str = REPEATS_KEY, top: int | None = None
                  ) -> NoiseSummary:
    """Per configuration mean ± spread (seeds on one trial, or complete trials with the same params).

    best_number is the study's best trial (best stored value); best_rank_conservative is its
    rank (1 = first) when configurations are ranked by the conservative bound
    (:func:`scores` with by="conservative"), so a lucky winner shows as a rank > 1.
    """
    import json

    validate({"confidence": _CONSTRAINTS["confidence"]}, {"confidence": confidence}, "noise_summary")
    trials = study.get_trials([TrialState.COMPLETE]) if hasattr(study, "get_trials") else list(study)
    directions = getattr(study, "directions", [StudyDirection.MINIMIZE])
    if len(directions) != 1:
        raise ValueError("noise_summary is for one objective")
    direction = directions[0]
    trials = [t for t in trials if t.state == TrialState.COMPLETE and t.values]
    groups: dict[str, list[FrozenTrial]] = {}
    for t in trials:
        groups.setdefault(json.dumps(t.params, sort_keys=True, default=str), []).append(t)
    merged: list[FrozenTrial] = []
    for members in groups.values():
        values: list[float] = []
        for t in members:
            values.extend(value_stats(t, key).values)
        head = members[0]
        merged.append(FrozenTrial(number=head.number, trial_id=head.trial_id, state=TrialState.COMPLETE,
                                  values=[sum(values) / len(values)], params=dict(head.params),
                                  user_attrs={key: values},
                                  system_attrs={"numbers": [t.number for t in members]}))
    if not merged:
        return NoiseSummary([], 0.0, 0, None, None, None, confidence)
    sign = -StudyDirection.parse(direction).sign()
    by_value = sorted(merged, key=lambda m: (-sign * m.values[0], m.number))
    by_cons = rank(merged, direction, "conservative", confidence, key)
    rank_value = {m.number: i + 1 for i, m in enumerate(by_value)}
    rank_cons = {s.trial.number: i + 1 for i, s in enumerate(by_cons)}
    pooled, dof = pooled_std([value_stats(m, key) for m in merged])
    best_single = min(trials, key=lambda t: (-sign * t.values[0], t.number))  # the study's best_trial
    best_group = next(m for m in merged if best_single.number in m.system_attrs["numbers"])
    configs = []
    for s in by_cons[: top or len(by_cons)]:
        m = s.trial
        configs.append(ConfigNoise(dict(m.params), list(m.system_attrs["numbers"]), list(s.values), s.mean, s.std,
                                   s.n, rank_value[m.number], rank_cons[m.number]))
    return NoiseSummary(configs, pooled, dof, best_single.number, rank_cons[best_group.number],
                        by_cons[0].trial.number, confidence)
