"""WilcoxonPruner: hand-made per-instance scores, Optuna's verdicts, and the CV pruner where both apply."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from tunelab.pruners.base import PruningContext
from tunelab.pruners.cv import CVPruner
from tunelab.pruners.wilcoxon import WilcoxonPruner
from tunelab.trial import FrozenTrial, StudyDirection, TrialState


def _ctx(mine: dict[int, float], best: dict[int, float] | None, direction: str = "minimize",
         others: list[FrozenTrial] = ()) -> PruningContext:
    trials = list(others)
    if best is not None:
        trials.append(FrozenTrial(number=0, trial_id=0, state=TrialState.COMPLETE,
                                  values=[float(np.mean(list(best.values())))], intermediate_values=dict(best)))
    current = FrozenTrial(number=99, trial_id=99, state=TrialState.RUNNING, intermediate_values=dict(mine))
    return PruningContext(trial=current, trials=trials, direction=StudyDirection.parse(direction))


BEST = {i: 1.0 + 0.1 * i for i in range(10)}


def test_clearly_worse_on_every_instance_is_pruned_with_the_exact_p_value() -> None:
    mine = {i: v + 0.5 for i, v in list(BEST.items())[:6]}
    pruner = WilcoxonPruner(p_threshold=0.1)
    p = pruner.p_value(_ctx(mine, BEST))
    assert p == pytest.approx(1 / 2**6)  # every one of 6 differences positive: the exact one-sided p-value
    assert pruner.prune(_ctx(mine, BEST))


def test_better_or_mixed_scores_are_kept() -> None:
    pruner = WilcoxonPruner(p_threshold=0.1)
    better = {i: v - 0.5 for i, v in BEST.items()}
    mixed = {i: v + (0.3 if i % 2 else -0.3) for i, v in BEST.items()}
    assert not pruner.prune(_ctx(better, BEST))
    assert not pruner.prune(_ctx(mixed, BEST))
    assert pruner.p_value(_ctx(mixed, BEST)) > 0.3


def test_startup_steps_no_best_trial_and_direction() -> None:
    worse = {0: 9.0, 1: 9.0, 2: 9.0}
    assert not WilcoxonPruner(n_startup_steps=4).prune(_ctx(worse, BEST))  # 3 shared instances < 4
    assert WilcoxonPruner(p_threshold=0.2, n_startup_steps=3).prune(_ctx(worse, BEST))  # p = 1/8
    assert not WilcoxonPruner().prune(_ctx(worse, None))  # nothing complete to compare with
    # maximizing: higher is better, so the same numbers are now much better than the best
    assert not WilcoxonPruner(p_threshold=0.2).prune(_ctx(worse, BEST, "maximize"))
    low = {0: -9.0, 1: -9.0, 2: -9.0}
    assert WilcoxonPruner(p_threshold=0.2).prune(_ctx(low, BEST, "maximize"))


def test_the_best_trial_is_the_one_with_the_best_value() -> None:
    weak = FrozenTrial(number=1, trial_id=1, state=TrialState.COMPLETE, values=[50.0],
                       intermediate_values={i: 50.0 for i in range(10)})
    mine = {i: v + 0.5 for i, v in list(BEST.items())[:6]}
    assert WilcoxonPruner().prune(_ctx(mine, BEST, others=[weak]))  # compared with BEST, not the weak one


def test_mean_guard_keeps_a_trial_whose_average_is_still_as_good() -> None:
    # shared instances are worse, but the trial's own mean (over instances the best lacks too) is better
    best = {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 1.0}
    mine = {0: 1.1, 1: 1.1, 2: 1.1, 3: 1.1, 4: 1.1, 5: 1.1, 6: -20.0}
    pruner = WilcoxonPruner(p_threshold=0.1)
    assert pruner.p_value(_ctx(mine, best)) < 0.1
    assert not pruner.prune(_ctx(mine, best))


def test_nan_is_worst_and_a_nan_best_trial_blocks_pruning() -> None:
    assert WilcoxonPruner().prune(_ctx({0: math.nan, 1: 1.0}, BEST))
    nan_best = dict(BEST)
    nan_best[3] = math.nan
    with pytest.warns(RuntimeWarning, match="NaN or infinity"):
        assert not WilcoxonPruner().prune(_ctx({i: 9.0 for i in range(6)}, nan_best))


def test_arguments_are_validated() -> None:
    with pytest.raises(ValueError, match="p_threshold"):
        WilcoxonPruner(p_threshold=1.5)
    with pytest.raises(ValueError, match="n_startup_steps"):
        WilcoxonPruner(n_startup_steps=-1)


def _cv_case(rng: np.random.Generator, shift: float, n: int) -> tuple[dict[int, float], dict[int, float]]:
    base = rng.normal(0.8, 0.05, n)
    return dict(enumerate(base)), dict(enumerate(base - shift + rng.normal(0, 0.01, n)))


@pytest.mark.parametrize("shift,agree", [(0.05, True), (0.0, True), (-0.05, True)])
def test_agrees_with_the_cv_pruner_on_clear_fold_differences(shift: float, agree: bool) -> None:
    """On 10 folds with a clear shift (or none) the signed-rank and t-tests give the same verdict."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        best, mine = _cv_case(rng, shift, 10)
        ctx = _ctx(mine, best, "maximize")
        assert WilcoxonPruner(p_threshold=0.05).prune(ctx) == CVPruner(min_folds=2, alpha=0.05).prune(ctx)
        assert WilcoxonPruner(p_threshold=0.05).prune(ctx) == (shift > 0)


def test_wilcoxon_resists_one_outlier_fold_where_the_t_test_does_not() -> None:
    """One fold far better (an outlier) hides a consistent loss from the t-test, not from the ranks."""
    best = {i: 0.80 for i in range(12)}
    mine = {i: 0.78 for i in range(11)}
    mine[11] = 0.95  # still worse on average: 0.794 < 0.80
    ctx = _ctx(mine, best, "maximize")
    assert WilcoxonPruner(p_threshold=0.05).prune(ctx)
    assert not CVPruner(min_folds=2, alpha=0.05).prune(ctx)
    d = np.array([0.80 - mine[i] for i in range(12)])
    assert WilcoxonPruner().p_value(ctx) == pytest.approx(stats.wilcoxon(d, alternative="greater").pvalue)


def test_optuna_wilcoxon_pruner_gives_the_same_verdicts() -> None:
    optuna = pytest.importorskip("optuna")
    import tunelab

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rng = np.random.default_rng(0)
    instances = rng.normal(10.0, 2.0, 12)

    def run(lib: Any) -> list[tuple[str, int]]:
        study = lib.create_study(sampler=lib.samplers.RandomSampler(seed=0),
                                 pruner=lib.pruners.WilcoxonPruner(p_threshold=0.1, n_startup_steps=3))
        quality = [0.0, 0.8, -0.2, 0.05, 1.5, -0.5, 0.3]
        out = []
        for q in quality:
            trial = study.ask()
            scores = []
            for i, base in enumerate(instances):
                scores.append(base + q + 0.05 * math.sin(i * (q + 1)))
                trial.report(scores[-1], i)
                if trial.should_prune():
                    break
            study.tell(trial, float(np.mean(scores)))
            out.append((trial.number, len(scores)))
        return out

    assert run(tunelab) == run(optuna)
