import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tunelab
from tunelab.pareto import (
    constrained_ranks,
    crowding_distance,
    hypervolume,
    nondominated_mask,
    nondominated_ranks,
    violation,
)
from tunelab.trial import FrozenTrial, TrialState

# minimise f1, maximise f2
KNOWN = {"A": (1, 5), "B": (2, 6), "C": (2, 4), "D": (3, 6), "E": (1, 5), "F": (0.5, 1)}


def test_best_trials_is_the_known_pareto_front_with_mixed_directions():
    study = tunelab.create_study(directions=["minimize", "maximize"])
    names = {}
    for name, values in KNOWN.items():
        trial = study.ask()
        names[trial.number] = name
        study.tell(trial, values)
    assert sorted(names[t.number] for t in study.best_trials) == ["A", "B", "E", "F"]


def test_ranks_of_the_known_case():
    pts = np.array([(f1, -f2) for f1, f2 in KNOWN.values()])
    assert nondominated_ranks(pts).tolist() == [0, 0, 1, 1, 0, 0]
    assert nondominated_ranks(pts, n_stop=1).tolist() == [0, 0, 1, 1, 0, 0]
    assert nondominated_ranks(np.array([[3.0], [1.0], [2.0], [1.0]])).tolist() == [2, 0, 1, 0]
    assert nondominated_ranks(np.zeros((0, 2))).tolist() == []


def test_n_stop_sorts_only_the_fronts_needed():
    pts = np.array([[i, i] for i in range(6)], dtype=float)  # a chain: six fronts
    assert nondominated_ranks(pts).tolist() == [0, 1, 2, 3, 4, 5]
    assert nondominated_ranks(pts, n_stop=2).tolist() == [0, 1, 2, 2, 2, 2]


points_2d_3d = st.integers(2, 3).flatmap(
    lambda d: st.lists(st.tuples(*[st.integers(0, 4)] * d), min_size=1, max_size=12))


@settings(max_examples=60, deadline=None)
@given(points_2d_3d)
def test_ranks_match_the_definition(points):
    pts = np.array(points, dtype=float)
    ranks = nondominated_ranks(pts)
    assert (ranks == 0).tolist() == nondominated_mask(pts).tolist()

    def dominates(a, b):
        return np.all(a <= b) and np.any(a < b)

    for i, r in enumerate(ranks):
        dominators = [ranks[j] for j in range(len(pts)) if dominates(pts[j], pts[i])]
        assert all(rj < r for rj in dominators)  # nothing at the same or a later front dominates it
        if r > 0:
            assert r - 1 in dominators  # something on the previous front does


def test_crowding_distance_on_a_line():
    dist = crowding_distance([(0, 4), (1, 3), (2, 2), (4, 0)])
    assert dist[0] == np.inf and dist[3] == np.inf
    assert dist[1] == pytest.approx(1.0) and dist[2] == pytest.approx(1.5)
    assert crowding_distance([(0, 1), (1, 0)]).tolist() == [np.inf, np.inf]


def test_constrained_ranks_put_feasible_fronts_first():
    pts = [(1, 1), (0, 0), (2, 2), (0, 5)]
    assert constrained_ranks(pts, [0, 1.0, 0, 0.5]).tolist() == [0, 3, 1, 2]
    assert constrained_ranks(pts, [1, 1, 1, 1]).tolist() == [0, 0, 0, 0]


def test_violation_of_a_trial():
    def trial(**attrs):
        return FrozenTrial(number=0, trial_id=0, state=TrialState.COMPLETE, values=[1.0], system_attrs=attrs)

    assert violation(trial()) == 0.0
    assert violation(trial(constraints=[-1.0, 0.0])) == 0.0
    assert violation(trial(constraints=[0.5, -2.0, 1.5])) == 2.0
    assert violation(trial(constraints_error="boom")) == np.inf


def test_hypervolume_known_values():
    assert hypervolume([(1, 3), (2, 2), (3, 1)], (4, 4)) == pytest.approx(6.0)
    assert hypervolume([(1, 3), (2, 2), (3, 1), (3, 3), (2, 2)], (4, 4)) == pytest.approx(6.0)  # dominated, repeats
    assert hypervolume([(5, 0)], (4, 4)) == 0.0  # outside the reference box
    assert hypervolume(np.zeros((0, 2)), (1, 1)) == 0.0
    assert hypervolume([(0, 0, 0)], (1, 2, 3)) == pytest.approx(6.0)
    assert hypervolume([(0, 0, 1), (1, 1, 0)], (2, 2, 2)) == pytest.approx(5.0)
    assert hypervolume([(0.5,)], (2,)) == pytest.approx(1.5)


def test_hypervolume_errors_name_the_problem():
    with pytest.raises(ValueError, match="reference has 3 coordinates but the points have 2"):
        hypervolume([(1, 2)], (3, 3, 3))
    with pytest.raises(ValueError, match="reference must be finite"):
        hypervolume([(1, 2)], (np.inf, 3))


def _brute_force_volume(points, ref):
    """Count the unit cells that some point dominates (exact for integer coordinates)."""
    count = 0
    for cell in itertools.product(*[range(r) for r in ref]):
        if any(all(p[k] <= cell[k] for k in range(len(ref))) for p in points):
            count += 1
    return count


@settings(max_examples=60, deadline=None)
@given(points_2d_3d)
def test_hypervolume_matches_brute_force(points):
    ref = (5,) * len(points[0])
    assert hypervolume(points, ref) == pytest.approx(_brute_force_volume(points, ref))


def test_hypervolume_in_four_dimensions_matches_brute_force():
    rng = np.random.default_rng(0)
    pts = rng.integers(0, 4, size=(7, 4))
    assert hypervolume(pts, (4, 4, 4, 4)) == pytest.approx(_brute_force_volume(pts.tolist(), (4, 4, 4, 4)))
