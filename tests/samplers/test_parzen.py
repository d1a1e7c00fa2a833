import itertools

import numpy as np
import pytest

from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution
from tunelab.samplers.parzen import CategoricalAxis, NumericAxis, Observations, ParzenEstimator, make_axis

NUMERIC = [
    FloatDistribution(0.1, 3.0),
    FloatDistribution(1e-5, 1.0, log=True),
    FloatDistribution(-1.0, 2.0, step=0.25),
    IntDistribution(-3, 9),
    IntDistribution(1, 1000, log=True),
    IntDistribution(0, 20, step=4),
]


@pytest.mark.parametrize("dist", NUMERIC, ids=str)
def test_axis_agrees_with_the_space(dist):
    """encode is the space's to_unit; decode is its from_unit, and keeps the value type."""
    axis = NumericAxis(dist)
    u = np.random.default_rng(0).random(500)
    values = [dist.from_unit(x) for x in u]
    assert np.allclose(axis.encode(values), [dist.to_unit(v) for v in values], atol=1e-12)
    decoded = [axis.decode(x) for x in u]
    assert decoded == values
    assert all(type(v) is type(w) for v, w in zip(decoded, values))


def test_axis_rejects_single_value():
    with pytest.raises(ValueError, match="single-value"):
        NumericAxis(FloatDistribution(1.0, 1.0))


def test_categorical_axis_round_trip_keeps_types():
    dist = CategoricalDistribution((None, True, 1, "1", 2.5))
    axis = CategoricalAxis(dist)
    assert axis.encode([None, True, 1, "1", 2.5, True]).tolist() == [0, 1, 2, 3, 4, 1]
    assert [axis.decode(i) for i in range(5)] == [None, True, 1, "1", 2.5]
    assert axis.decode(1) is True
    with pytest.raises(ValueError, match="not one of the choices"):
        axis.encode(["x"])


def _estimator(dists, numeric_obs, cat_obs=None, **kwargs):
    axes = [make_axis(d) for d in dists]
    n = len(numeric_obs) if numeric_obs is not None else len(cat_obs)
    n_num = sum(isinstance(a, NumericAxis) for a in axes)
    num = np.asarray(numeric_obs if numeric_obs is not None else np.zeros((n, 0)), dtype=float).reshape(n, n_num)
    cat = np.asarray(cat_obs if cat_obs is not None else np.zeros((n, 0)), dtype=int).reshape(n, len(axes) - n_num)
    return ParzenEstimator(axes, Observations(num, cat), **kwargs)


def test_continuous_density_integrates_to_one():
    est = _estimator([FloatDistribution(0, 1)], [[0.02], [0.5], [0.97]])
    grid = np.linspace(0, 1, 20001)
    pdf = np.exp(est.log_pdf(Observations(grid[:, None], np.zeros((len(grid), 0), int))))
    assert np.trapezoid(pdf, grid) == pytest.approx(1.0, abs=1e-4)


def test_two_dimensional_density_integrates_to_one():
    est = _estimator([FloatDistribution(0, 1), FloatDistribution(1, 100, log=True)], [[0.1, 0.9], [0.6, 0.3]])
    g = np.linspace(0, 1, 401)
    xx, yy = np.meshgrid(g, g, indexing="ij")
    pts = np.column_stack([xx.ravel(), yy.ravel()])
    pdf = np.exp(est.log_pdf(Observations(pts, np.zeros((len(pts), 0), int)))).reshape(xx.shape)
    assert np.trapezoid(np.trapezoid(pdf, g, axis=1), g) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("dist", [d for d in NUMERIC if d.step is not None or isinstance(d, IntDistribution)],
                         ids=str)
def test_discrete_probabilities_sum_to_one(dist):
    axis = NumericAxis(dist)
    values = dist.grid()
    est = _estimator([dist], axis.encode(values[:3])[:, None])
    u = axis.encode(values)[:, None]
    probs = np.exp(est.log_pdf(Observations(u, np.zeros((len(u), 0), int))))
    assert probs.sum() == pytest.approx(1.0, abs=1e-9)
    assert probs.argmax() < 3  # an observed value is the likeliest


def test_mixed_categorical_and_int_probabilities_sum_to_one():
    dists = [IntDistribution(1, 4), CategoricalDistribution(("a", "b", "c"))]
    est = _estimator(dists, [[0.1], [0.9]], [[0], [2]])
    int_axis = NumericAxis(dists[0])
    combos = list(itertools.product(dists[0].grid(), range(3)))
    num = int_axis.encode([c[0] for c in combos])[:, None]
    cat = np.array([[c[1]] for c in combos])
    probs = np.exp(est.log_pdf(Observations(num, cat)))
    assert probs.sum() == pytest.approx(1.0, abs=1e-9)
    # the observed combinations are the likeliest
    best = {combos[i] for i in np.argsort(probs)[-2:]}
    assert best == {(1, 0), (4, 2)}


def test_samples_stay_in_range_and_follow_the_observations():
    dists = [FloatDistribution(0, 1), CategoricalDistribution(("x", "y", "z", "w"))]
    obs_num = np.full((50, 1), 0.2)
    obs_cat = np.full((50, 1), 2)
    est = _estimator(dists, obs_num, obs_cat)
    draw = est.sample(np.random.default_rng(1), 4000)
    assert draw.numeric.min() >= 0.0 and draw.numeric.max() <= 1.0
    assert abs(draw.numeric.mean() - 0.2) < 0.03
    counts = np.bincount(draw.categorical[:, 0], minlength=4)
    assert counts.argmax() == 2 and counts[2] > 0.75 * 4000
    assert draw.categorical.min() >= 0 and draw.categorical.max() <= 3


def test_prior_alone_is_nearly_uniform():
    est = _estimator([FloatDistribution(0, 1)], np.zeros((0, 1)))
    draw = est.sample(np.random.default_rng(2), 20000).numeric[:, 0]
    hist = np.histogram(draw, bins=10, range=(0, 1))[0] / len(draw)
    assert np.all(np.abs(hist - 0.1) < 0.02)


def test_density_is_higher_near_the_observations():
    est = _estimator([FloatDistribution(0, 1), FloatDistribution(0, 1)], [[0.2, 0.8]] * 10)
    pts = Observations(np.array([[0.2, 0.8], [0.8, 0.2], [0.5, 0.5]]), np.zeros((3, 0), int))
    near, far, mid = est.log_pdf(pts)
    assert near > mid > far


def test_bandwidth_floor_is_half_a_cell_on_discrete_axes():
    dist = IntDistribution(0, 1)  # two cells of width 0.5 in unit space
    est = _estimator([dist], [[0.25]] * 1000)
    assert est.sigma[1:, 0].min() == pytest.approx(0.25)


def test_log_pdf_matches_the_per_component_formula_on_mixed_axes():
    """The matrix-product form of the continuous kernels equals the plain sum over components."""
    import numpy as np
    from scipy.special import logsumexp, ndtr
    from scipy.stats import norm

    from tunelab.samplers.parzen import Observations, ParzenEstimator, make_axis
    from tunelab.space import CategoricalDistribution, FloatDistribution, IntDistribution

    rng = np.random.default_rng(0)
    dists = [FloatDistribution(0, 1), FloatDistribution(1e-5, 1, log=True), IntDistribution(1, 15),
             CategoricalDistribution(["a", "b", "c"])]
    axes = [make_axis(d) for d in dists]
    obs = Observations(rng.random((30, 3)), rng.integers(0, 3, (30, 1)))
    pe = ParzenEstimator(axes, obs)
    cand = pe.sample(np.random.default_rng(1), 20)
    u, lo, hi = pe.snap(cand)
    expected = np.zeros((20, pe.n_components))
    for k in range(pe.n_components):
        mu, sg = pe.mu[k], pe.sigma[k]
        z = ndtr((1 - mu) / sg) - ndtr(-mu / sg)  # truncation to [0, 1]
        for j in range(3):
            if pe.discrete[j]:
                expected[:, k] += np.log(ndtr((hi[:, j] - mu[j]) / sg[j]) - ndtr((lo[:, j] - mu[j]) / sg[j]))
            else:
                expected[:, k] += norm.logpdf(u[:, j], mu[j], sg[j])
            expected[:, k] -= np.log(z[j])
        expected[:, k] += np.log(pe.cat_prob[k, 0, cand.categorical[:, 0]])
    expected = logsumexp(expected + pe.log_weights[None], axis=1)
    np.testing.assert_allclose(pe.log_pdf(cand), expected, rtol=1e-9, atol=1e-9)


def test_discrete_cell_masses_from_the_grid_table_equal_the_direct_ones():
    """With more observations than grid values, cell masses come from a (cell, grid value) table: same log pdf."""
    from tunelab.samplers.parzen import Observations, ParzenEstimator, make_axis
    from tunelab.space import FloatDistribution, IntDistribution

    rng = np.random.default_rng(0)
    dists = [IntDistribution(1, 12), IntDistribution(1, 64, log=True), FloatDistribution(0, 1, step=0.1),
             FloatDistribution(0, 1), IntDistribution(2, 200, step=2), IntDistribution(1, 1000)]
    axes = [make_axis(d) for d in dists]
    n = 500
    numeric = np.column_stack([a.encode([d.from_unit(x) for x in rng.random(n)]) if a.discrete else rng.random(n)
                               for a, d in zip(axes, dists)])
    estimator = ParzenEstimator(axes, Observations(numeric, np.zeros((n, 0), int)))
    assert sorted(estimator._grid_index) == [0, 1, 2, 4]  # the 1,000-value int keeps the direct path
    candidates = estimator.sample(rng, 24)
    cells = estimator.snap(candidates)
    table = estimator.log_pdf(candidates, cells)
    estimator._grid_index = {}
    np.testing.assert_allclose(table, estimator.log_pdf(candidates, cells), rtol=0, atol=1e-12)
