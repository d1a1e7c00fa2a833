"""Per-configuration noise and the lucky winner's conservative rank."""

from __future__ import annotations

import pytest

from tunelab.analysis import StudyView, noise_summary
from tunelab.trial import FrozenTrial, StudyDirection, TrialState


def _t(number, values, params=None):
    return FrozenTrial(number, number, TrialState.COMPLETE, [sum(values) / len(values)], params or {"x": number},
                       {}, user_attrs={"repeat_values": values} if len(values) > 1 else {})


def test_a_lucky_winner_ranks_lower_conservatively():
    steady = _t(0, [0.90, 0.91, 0.90, 0.91])
    lucky = _t(1, [0.70, 1.00, 0.99, 0.99])  # mean 0.92 but a wide spread
    weak = _t(2, [0.80, 0.81, 0.80, 0.80])
    summ = noise_summary(StudyView([steady, lucky, weak], [StudyDirection.MAXIMIZE]))
    assert summ.best_number == 1
    assert summ.best_rank_conservative == 2
    assert summ.conservative_best_number == 0
    first = summ.configs[0]
    assert first.numbers == [0] and first.n == 4 and first.mean == pytest.approx(0.905)
    assert first.rank_by_value == 2 and first.rank_conservative == 1
    assert summ.pooled_dof == 9 and summ.pooled_std > 0


def test_trials_with_equal_params_are_one_configuration():
    a = _t(0, [1.0], {"x": 1})
    b = _t(1, [3.0], {"x": 1})
    c = _t(2, [2.5], {"x": 2})
    summ = noise_summary(StudyView([a, b, c]))  # minimize
    cfg = {tuple(x.numbers): x for x in summ.configs}
    assert cfg[(0, 1)].values == [1.0, 3.0] and cfg[(0, 1)].mean == 2.0 and cfg[(0, 1)].n == 2
    assert summ.best_number == 0


def test_empty_and_multi_objective():
    assert noise_summary(StudyView([])).configs == []
    with pytest.raises(ValueError, match="one objective"):
        noise_summary(StudyView([], [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE]))
