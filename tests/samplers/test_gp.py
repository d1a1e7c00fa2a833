"""GPSampler, its GP model and its acquisition: values, gradients, proposals and search quality."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from scipy.stats import norm

import tunelab
from tunelab.samplers.acquisition import MixedBox, log_ei, log_h
from tunelab.samplers.gp import GPSampler
from tunelab.samplers.gp_model import GPModel, KernelParams, default_params, fit_params, neg_log_posterior, sq_diffs
from tunelab.trial import TrialState

from sampler_helpers import best_values, random_sampler


def branin(trial) -> float:
    x = trial.suggest_float("x", -5, 10)
    y = trial.suggest_float("y", 0, 15)
    return (y - 5.1 / (4 * math.pi**2) * x * x + 5 / math.pi * x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10


# ------------------------------------------------------------------ the GP model


def test_fitted_lengthscales_short_on_the_active_dimension_long_on_the_irrelevant_one():
    rng = np.random.default_rng(0)
    X = rng.random((30, 2))
    y = np.sin(8 * X[:, 0])  # x1 plays no part
    y = (y - y.mean()) / y.std()
    params = fit_params(X, y, np.zeros(2, bool), [default_params(2)])
    active, irrelevant = params.lengthscales
    assert 0.1 < active < 2.0
    assert irrelevant > 5.0 and irrelevant > 10 * active  # wider than the unit box: the dimension is off


def test_fitted_noise_tiny_for_a_smooth_objective_and_near_the_truth_for_a_noisy_one():
    rng = np.random.default_rng(3)
    X = rng.random((60, 2))
    clean = np.sin(4 * X[:, 0]) + X[:, 1]

    def fitted_noise(y: np.ndarray) -> float:  # in the units of y
        params = fit_params(X, (y - y.mean()) / y.std(), np.zeros(2, bool), [default_params(2)])
        return params.noise * y.var()

    assert fitted_noise(clean) < 1e-3
    added_sd = 0.4
    assert 0.3 * added_sd**2 < fitted_noise(clean + added_sd * rng.standard_normal(60)) < 2.0 * added_sd**2


def test_log_posterior_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    X = rng.random((25, 3))
    X[:, 2] = rng.integers(0, 3, 25)  # a categorical column (Hamming factor)
    is_cat = np.array([False, False, True])
    y = np.sin(5 * X[:, 0]) + 0.5 * X[:, 2]
    y = (y - y.mean()) / y.std()
    S = sq_diffs(X, X, is_cat)
    theta = np.array([-1.0, 0.5, 0.2, 0.1, -3.0])
    _, grad = neg_log_posterior(theta, S, y)
    numeric = approx_fprime(theta, lambda t: neg_log_posterior(t, S, y)[0], 1e-6)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-4)
    # with the noise fixed (deterministic objective) the noise drops out of theta
    _, grad = neg_log_posterior(theta[:-1], S, y, 1e-6)
    numeric = approx_fprime(theta[:-1], lambda t: neg_log_posterior(t, S, y, 1e-6)[0], 1e-6)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-4)


def test_log_posterior_is_the_gaussian_marginal_likelihood_plus_the_priors():
    # the fit works on one triangle of the kernel matrix; the value must be the full-matrix formula's
    from scipy.stats import multivariate_normal

    from tunelab.samplers.gp_model import log_prior

    rng = np.random.default_rng(4)
    X = rng.random((30, 3))
    X[:, 2] = rng.integers(0, 4, 30)
    is_cat = np.array([False, False, True])
    y = rng.standard_normal(30)
    theta = np.array([-0.7, 0.3, 0.5, 0.2, -2.5])
    ls, signal, noise = np.exp(theta[:3]), math.exp(theta[3]), math.exp(theta[4])
    r2 = np.einsum("dij,d->ij", sq_diffs(X, X, is_cat), 1 / ls**2)
    r = np.sqrt(r2)
    K = signal * (1 + math.sqrt(5) * r + 5 / 3 * r2) * np.exp(-math.sqrt(5) * r) + (noise + 1e-8) * np.eye(30)
    expected = -(multivariate_normal(np.zeros(30), K).logpdf(y) + log_prior(theta, True)[0])
    value, _ = neg_log_posterior(theta, sq_diffs(X, X, is_cat), y)
    assert value == pytest.approx(expected, rel=1e-10)


def test_packed_pair_differences_come_straight_from_the_inputs():
    from tunelab.samplers.gp_model import PackedDiffs

    rng = np.random.default_rng(5)
    X = rng.random((40, 3))
    X[:, 1] = rng.integers(0, 3, 40)
    is_cat = np.array([False, True, False])
    direct, via_full = PackedDiffs.of_inputs(X, is_cat), PackedDiffs.of(sq_diffs(X, X, is_cat))
    np.testing.assert_array_equal(direct.values, via_full.values)
    np.testing.assert_array_equal(direct.flat, via_full.flat)
    i, j = 7, 3  # pair (row 7, column 3) of the strict lower triangle
    k = int(np.flatnonzero(direct.flat == i * 40 + j)[0])
    assert direct.values[0, k] == (X[i, 0] - X[j, 0]) ** 2
    assert direct.values[1, k] == float(X[i, 1] != X[j, 1])


def test_encoded_rows_are_kept_per_trial_and_redone_when_the_params_differ():
    from tunelab.samplers.gp import encode
    from tunelab.space import CategoricalDistribution, FloatDistribution

    space = {"a": FloatDistribution(0, 10), "c": CategoricalDistribution(["x", "y"])}
    study = tunelab.create_study(sampler=random_sampler(0))
    study.optimize(lambda t: t.suggest_float("a", 0, 10) + (t.suggest_categorical("c", ["x", "y"]) == "y"),
                   n_trials=5)
    trials = study.trials
    sampler = GPSampler(seed=0)
    first = sampler._encoded(trials, ["a", "c"], space)
    assert first == [encode(t.params, ["a", "c"], space) for t in trials]
    changed = trials[2].__class__(**{**trials[2].__dict__, "params": {"a": 1.0, "c": "y"}})
    again = sampler._encoded(trials[:2] + [changed], ["a", "c"], space)
    assert again[:2] == first[:2] and again[2] == [0.1, 1.0]  # same trial id, other params: encoded anew
    assert len(sampler._rows) == 3  # trials 3 and 4, not in this ask, are dropped from the cache
    assert sampler._rows[(trials[0].trial_id, 0)][1] is again[0]  # the kept rows are reused, not redone


def test_posterior_interpolates_and_its_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    X = rng.random((20, 2))
    y = np.cos(4 * X[:, 0]) + X[:, 1]
    model = GPModel(X, y, KernelParams(np.array([0.4, 0.8]), 1.0, 1e-6), np.zeros(2, bool))
    mean, var = model.predict(X)
    np.testing.assert_allclose(mean, y, atol=1e-3)  # nearly noise-free: passes through the data
    assert np.all(var < 1e-4)
    Xq = rng.random((3, 2))
    mean, var, dmean, dvar = model.predict_with_grad(Xq, np.array([0, 1]))
    for k in range(2):
        step = np.zeros(2)
        step[k] = 1e-6
        m2, v2 = model.predict(Xq + step)
        np.testing.assert_allclose((m2 - mean) / 1e-6, dmean[:, k], rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose((v2 - var) / 1e-6, dvar[:, k], rtol=1e-3, atol=1e-5)


# ------------------------------------------------------------------ the acquisition


def test_log_ei_equals_log_of_ei_where_ei_is_not_tiny():
    mean = np.linspace(-3, 3, 41)
    std = np.full_like(mean, 0.7)
    best = 0.2
    z = (best - mean) / std
    ei = std * (z * norm.cdf(z) + norm.pdf(z))
    value, _, _ = log_ei(mean, std**2, best)
    np.testing.assert_allclose(value, np.log(ei), rtol=1e-9, atol=1e-12)


def test_log_ei_stays_finite_and_monotone_where_ei_underflows():
    z = -np.logspace(0, 6, 200)  # EI underflows to 0 from about z = -38
    with np.errstate(divide="ignore", over="ignore"):
        naive = np.log(z * norm.cdf(z) + norm.pdf(z))
    assert np.isneginf(naive[-1])
    values = log_h(z)
    assert np.all(np.isfinite(values))
    assert np.all(np.diff(values) < 0)
    # far tail: log h(z) -> -z^2/2 - log(2 pi)/2 - 2 log|z|
    tail = -0.5 * z**2 - 0.5 * math.log(2 * math.pi) - 2 * np.log(-z)
    np.testing.assert_allclose(values[z < -1e3], tail[z < -1e3], rtol=1e-9)
    # and it joins the direct formula smoothly around z = -1 (the branch switch)
    near = np.array([-1.0 - 1e-9, -1.0 + 1e-9])
    assert abs(np.diff(log_h(near))[0]) < 1e-6


def test_log_ei_derivatives_match_finite_differences():
    mean = np.array([-1.0, 0.3, 2.5, 9.0])
    var = np.array([0.5, 0.04, 1.2, 0.3])
    _, d_mean, d_var = log_ei(mean, var, 0.0)
    eps = 1e-7
    np.testing.assert_allclose((log_ei(mean + eps, var, 0.0)[0] - log_ei(mean, var, 0.0)[0]) / eps, d_mean, rtol=1e-4)
    np.testing.assert_allclose((log_ei(mean, var + eps, 0.0)[0] - log_ei(mean, var, 0.0)[0]) / eps, d_var, rtol=1e-4)


def test_mixed_box_snaps_to_grids_and_enumerates():
    box = MixedBox(np.array([False, True]), [[0.125, 0.375, 0.625, 0.875], [0, 1, 2]])
    snapped = box.snap(np.array([[0.3, 1.2], [0.99, 2.0]]))
    np.testing.assert_allclose(snapped[:, 0], [0.375, 0.875])
    assert box.n_points() == 12
    assert len({tuple(r) for r in box.enumerate()}) == 12


# ------------------------------------------------------------------ the sampler


def test_proposals_stay_within_a_mixed_space():
    def objective(trial):
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        units = trial.suggest_int("units", 8, 128, step=8)
        layers = trial.suggest_int("layers", 1, 64, log=True)
        drop = trial.suggest_float("drop", 0.0, 0.5, step=0.1)
        act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
        return math.log10(lr) ** 2 + abs(units - 64) / 64 + layers / 64 + drop + (act != "tanh")

    study = tunelab.create_study(sampler=GPSampler(seed=0, n_startup_trials=5))
    study.optimize(objective, n_trials=15)
    trials = study.get_trials([TrialState.COMPLETE])
    assert len(trials) == 15
    for t in trials:
        for name, value in t.params.items():
            assert t.distributions[name].contains(value), (name, value)
        assert isinstance(t.params["units"], int) and isinstance(t.params["layers"], int)
    assert study.sampler.last_model is not None  # the GP did propose the later trials


def test_gp_beats_random_on_branin_at_a_small_budget():
    gp = best_values(lambda seed: GPSampler(seed=seed), branin, 25, range(3))
    rnd = best_values(random_sampler, branin, 25, range(3))
    # the optimum is 0.3979; 15 GP trials after 10 random ones get close, random does not
    assert np.mean(gp) < 0.6
    assert np.mean(gp) < 0.5 * np.mean(rnd)


def test_ints_and_categoricals_are_optimised_not_just_valid():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        k = trial.suggest_int("k", 0, 20)
        c = trial.suggest_categorical("c", ["a", "b", "c", "d"])
        return (x - 0.3) ** 2 + (k - 7) ** 2 / 20 + {"a": 1.0, "b": 0.0, "c": 2.0, "d": 1.5}[c]

    study = tunelab.create_study(sampler=GPSampler(seed=3, n_startup_trials=8))
    study.optimize(objective, n_trials=30)
    best = study.best_params
    assert best["c"] == "b"
    assert abs(best["k"] - 7) <= 1
    assert study.best_value < 0.1
    later = study.get_trials()[8:]
    assert sum(t.params["c"] == "b" for t in later) >= len(later) // 2  # the model exploits the category


def test_maximize_direction_is_respected():
    study = tunelab.create_study(direction="maximize", sampler=GPSampler(seed=0, n_startup_trials=5))
    study.optimize(lambda t: -((t.suggest_float("x", -2, 2) - 1.0) ** 2), n_trials=15)
    assert abs(study.best_params["x"] - 1.0) < 0.1


@pytest.mark.parametrize("pending, moves", [("believer", True), ("liar", True), ("ignore", False)])
def test_running_trial_pushes_the_next_proposal_away(pending, moves):
    def objective(trial):
        return (trial.suggest_float("x", 0, 1) - 0.3) ** 2 + (trial.suggest_float("y", 0, 1) - 0.6) ** 2

    study = tunelab.create_study(sampler=GPSampler(seed=1, pending=pending))
    study.optimize(objective, n_trials=12)
    first = study.ask()
    a = np.array([first.suggest_float("x", 0, 1), first.suggest_float("y", 0, 1)])  # first is RUNNING
    second = study.ask()
    b = np.array([second.suggest_float("x", 0, 1), second.suggest_float("y", 0, 1)])
    distance = float(np.hypot(*(a - b)))
    if moves:
        assert distance > 1e-2
    else:  # the control: without pending points both asks climb to the same maximum
        assert distance < 1e-3


def test_deterministic_objective_fixes_the_noise():
    study = tunelab.create_study(sampler=GPSampler(seed=0, n_startup_trials=4, deterministic_objective=True))
    study.optimize(lambda t: math.sin(5 * t.suggest_float("x", 0, 1)), n_trials=6)
    assert study.sampler.last_model.params.noise == pytest.approx(1e-6)


def test_conditional_parameters_outside_the_shared_space_are_sampled_at_random():
    def objective(trial):
        opt = trial.suggest_categorical("opt", ["sgd", "adam"])
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        if opt == "sgd":
            return math.log10(lr) ** 2 + trial.suggest_float("momentum", 0.0, 0.99)
        return math.log10(lr) ** 2 + 1

    study = tunelab.create_study(sampler=GPSampler(seed=2, n_startup_trials=5))
    study.optimize(objective, n_trials=14)
    complete = study.get_trials([TrialState.COMPLETE])
    assert len(complete) == 14
    assert study.sampler.infer_relative_space(study._sampling_context()).keys() == {"opt", "lr"}
    for t in complete:
        assert ("momentum" in t.params) == (t.params["opt"] == "sgd")


def test_two_objectives_are_scalarised():
    study = tunelab.create_study(directions=["minimize", "minimize"], sampler=GPSampler(seed=0, n_startup_trials=5))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), (1 - t.suggest_float("x", 0, 1)) ** 2), n_trials=12)
    assert len(study.get_trials([TrialState.COMPLETE])) == 12
    assert all(0 <= t.params["x"] <= 1 for t in study.trials)


def test_failed_and_pruned_trials_are_ignored():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 3 == 0:
            raise RuntimeError("boom")
        if trial.number % 3 == 1:
            trial.report(-100.0, 0)  # a tempting but incomparable intermediate value
            raise tunelab.TrialPruned()
        return (x - 0.5) ** 2

    study = tunelab.create_study(sampler=GPSampler(seed=0, n_startup_trials=3))
    study.optimize(objective, n_trials=18, catch=(RuntimeError,))
    assert len(study.get_trials([TrialState.COMPLETE])) == 6
    assert len(study.sampler.last_model.y) == 5  # the complete ones before the last ask, no others


def test_same_seed_same_proposals():
    runs = []
    for _ in range(2):
        study = tunelab.create_study(sampler=GPSampler(seed=7, n_startup_trials=4))
        study.optimize(branin, n_trials=8)
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]


@pytest.mark.parametrize("kwargs, field", [({"n_startup_trials": 0}, "n_startup_trials"),
                                           ({"pending": "kriging"}, "pending"),
                                           ({"deterministic_objective": "yes"}, "deterministic_objective"),
                                           ({"trust_region_until": -1}, "trust_region_until"),
                                           ({"first_region_trials": -1}, "first_region_trials")])
def test_bad_arguments_name_the_field(kwargs, field):
    with pytest.raises((ValueError, TypeError), match=f"GPSampler: argument '{field}'"):
        GPSampler(**kwargs)


def test_registry_builds_the_gp_sampler():
    study = tunelab.create_study(sampler="gp", seed=3)
    assert isinstance(study.sampler, GPSampler)


# ------------------------------------------------------------------ target warping


def test_warp_spreads_the_good_points_of_a_heavy_tailed_loss():
    from tunelab.samplers.gp import warp_losses

    rng = np.random.default_rng(4)
    loss = np.concatenate([rng.random(30), [50.0, 80.0, 200.0]])  # three diverged runs
    warped = warp_losses(loss)
    plain = (loss - loss.mean()) / loss.std()
    assert warped.mean() == pytest.approx(0.0, abs=1e-9) and warped.std() == pytest.approx(1.0)
    assert np.array_equal(np.argsort(warped), np.argsort(loss))  # monotone: the ranking is kept
    good = loss < 1.0
    assert np.ptp(warped[good]) > 1.5 * np.ptp(plain[good])  # the differences that matter grow


def test_warp_power_is_bounded_and_small_or_flat_inputs_are_only_standardised():
    from scipy import stats

    from tunelab.samplers.gp import _WARP_POWER_BOUNDS, warp_losses

    loss = np.array([0.0, 0.1, 0.2, 0.3, 1e4])  # the unbounded fit would pick an extreme power
    z = (loss - loss.mean()) / loss.std()
    assert not _WARP_POWER_BOUNDS[0] <= stats.yeojohnson_normmax(z) <= _WARP_POWER_BOUNDS[1]
    expected = stats.yeojohnson(z, lmbda=_WARP_POWER_BOUNDS[0])
    np.testing.assert_allclose(warp_losses(loss), (expected - expected.mean()) / expected.std())
    np.testing.assert_allclose(warp_losses(np.array([1.0, 3.0])), [-1.0, 1.0])
    assert not np.any(warp_losses(np.full(5, 2.0)))


# ------------------------------------------------------------------ trust region


def test_trust_region_side_halves_after_failures_and_doubles_after_successes():
    from tunelab.samplers.trust_region import side_length

    start = np.array([5.0, 4.0])  # two startup trials: best 4
    flat = np.concatenate([start, np.full(4, 9.0)])  # 4 failures in a row (tau_fail = max(4, d) for d <= 4)
    assert side_length(start, 2, dim=3) == pytest.approx(0.5)
    assert side_length(flat, 2, dim=3) == pytest.approx(0.25)
    assert side_length(flat[:-1], 2, dim=3) == pytest.approx(0.5)  # 3 failures: not yet
    assert side_length(flat, 2, dim=8) == pytest.approx(0.5)  # in 8 dimensions it takes 8
    better = np.concatenate([start, [3.0, 2.0, 1.0]])  # 3 successes in a row
    assert side_length(better, 2, dim=3) == pytest.approx(1.0)
    tiny_gains = np.concatenate([start, 4.0 - 1e-5 * np.arange(1, 5)])  # below 1e-3 (target units): failures
    assert side_length(tiny_gains, 2, dim=3) == pytest.approx(0.25)
    many_failures = np.concatenate([start, np.full(100, 9.0)])
    assert side_length(many_failures, 2, dim=3) == pytest.approx(0.05)  # bounded below


def test_trust_region_box_follows_lengthscales_keeps_grid_neighbours_and_frees_categoricals():
    from tunelab.samplers.trust_region import region

    grid = [i / 4 for i in range(5)]  # an int with 5 values
    box = MixedBox(np.array([False, False, False, True]), [None, None, grid, [0, 1, 2]])
    center = np.array([0.5, 0.9, 0.5, 1.0])
    tr = region(box, center, lengthscales=np.array([0.1, 0.4, 0.2, 1.0]), length=0.2)
    lo, hi = tr.bounds()
    geo = math.exp(np.mean(np.log([0.1, 0.4, 0.2])))
    assert hi[0] - lo[0] == pytest.approx(0.2 * 0.1 / geo)  # short lengthscale: narrow side
    assert lo[1] == pytest.approx(0.9 - 0.1 * 0.4 / geo) and hi[1] == 1.0  # clipped to the unit box
    assert lo[2] <= 0.25 and hi[2] >= 0.75  # the int's neighbours stay reachable
    rng = np.random.default_rng(0)
    X = tr.random(200, rng)
    assert np.all(X[:, :3] >= lo[:3]) and np.all(X[:, :3] <= hi[:3])
    assert set(X[:, 3]) == {0.0, 1.0, 2.0}  # categoricals are not confined
    P = tr.perturb(center[None, :], 50, 0.5, rng)
    assert np.all(P[:, :3] >= lo[:3] - 1e-12) and np.all(P[:, :3] <= hi[:3] + 1e-12)


def _inside_trust_region(trust_region_until: int) -> list[bool]:
    """Whether proposals 7-12 fall in the trust region computed from the history before each ask."""
    from tunelab.samplers.gp import warp_losses
    from tunelab.samplers.trust_region import region, side_length

    def loss_of(x: np.ndarray) -> float:
        return float(np.sum((x - 0.2) ** 2))

    sampler = GPSampler(seed=1, n_startup_trials=6, trust_region_until=trust_region_until)
    study = tunelab.create_study(sampler=sampler)
    study.optimize(lambda t: loss_of(np.array([t.suggest_float(f"x{i}", 0, 1) for i in range(4)])), n_trials=6)
    inside = []
    for _ in range(6):
        done = study.get_trials([TrialState.COMPLETE])
        trial = study.ask()
        x = np.array([trial.suggest_float(f"x{i}", 0, 1) for i in range(4)])
        loss = np.array([t.value for t in done])
        best = np.array([done[int(np.argmin(loss))].params[f"x{i}"] for i in range(4)])
        box = region(MixedBox(np.zeros(4, bool), [None] * 4), best, sampler.last_model.params.lengthscales,
                     side_length(warp_losses(loss), 6, 4))
        lo, hi = box.bounds()
        assert np.all(hi - lo < 0.9)  # a real restriction, not the whole box
        inside.append(bool(np.all(x >= lo - 1e-9) and np.all(x <= hi + 1e-9)))
        study.tell(trial, loss_of(x))
    return inside


def test_trust_region_confines_proposals_while_few_trials_are_complete():
    assert all(_inside_trust_region(trust_region_until=12))
    assert not all(_inside_trust_region(trust_region_until=0))  # global EI does leave it


def test_first_region_trials_search_a_half_size_region_then_the_replayed_one(monkeypatch):
    import tunelab.samplers.gp as gp_module
    from tunelab.samplers.trust_region import FIRST_LENGTH

    lengths: list[float] = []
    real = gp_module.region
    monkeypatch.setattr(gp_module, "region", lambda box, center, ls, length: lengths.append(length) or real(
        box, center, ls, length))
    sampler = GPSampler(seed=0, n_startup_trials=4, trust_region_until=20, first_region_trials=3)
    study = tunelab.create_study(sampler=sampler)
    study.optimize(lambda t: sum((t.suggest_float(f"x{i}", 0, 1) - 0.3) ** 2 for i in range(3)), n_trials=10)
    from tunelab.samplers.gp import warp_losses
    from tunelab.samplers.trust_region import side_length

    values = np.array([t.value for t in study.trials])
    assert len(lengths) == 6 and lengths[:3] == [FIRST_LENGTH] * 3
    assert lengths[3:] == [pytest.approx(side_length(warp_losses(values[:n]), 4, 3)) for n in (7, 8, 9)]
    assert GPSampler().first_region_trials == 0


def test_trust_region_off_by_default_and_on_in_auto():
    assert GPSampler().trust_region_until == 0
    from tunelab.samplers.auto import AutoSampler

    sampler = AutoSampler(seed=0, gp_trust_region_until=30)
    assert sampler._inner("gp").trust_region_until == 30
    assert AutoSampler(seed=0, gp_trust_region_until=0)._inner("gp").trust_region_until == 0


def test_a_proposal_repeating_a_finished_trial_is_recognised():
    from tunelab.samplers.gp import repeats_a_trial

    box = MixedBox(np.array([False, True]), [None, [0, 1, 2]])
    X = np.array([[0.5, 1.0], [0.2, 0.0]])
    assert repeats_a_trial(np.array([0.5005, 1.0]), X, box)  # within 1e-3, same choice
    assert not repeats_a_trial(np.array([0.5005, 2.0]), X, box)  # another choice: a new point
    assert not repeats_a_trial(np.array([0.51, 1.0]), X, box)


def _boxes_searched(monkeypatch, n_trials: int, repeats: bool = False, **sampler_kwargs) -> list[list[bool]]:
    """Per GP ask, whether each optimize_log_ei call searched a trust region (True) or the whole box."""
    import tunelab.samplers.gp as gp_module

    calls: list[list[bool]] = []
    real = gp_module.optimize_log_ei

    def spy(model, box, *args, **kwargs):
        calls[-1].append(box.lower is not None)
        return real(model, box, *args, **kwargs)

    monkeypatch.setattr(gp_module, "optimize_log_ei", spy)
    if repeats:
        monkeypatch.setattr(gp_module, "repeats_a_trial", lambda *a, **k: True)
    sampler = GPSampler(seed=0, n_startup_trials=4, **sampler_kwargs)
    study = tunelab.create_study(sampler=sampler)
    for _ in range(n_trials):
        calls.append([])
        trial = study.ask()
        study.tell(trial, sum((trial.suggest_float(f"x{i}", 0, 1) - 0.3) ** 2 for i in range(3)))
    return [c for c in calls if c]


def test_trust_region_stops_exactly_at_the_threshold(monkeypatch):
    calls = _boxes_searched(monkeypatch, 10, trust_region_until=7)
    assert calls == [[True]] * 3 + [[False]] * 3  # asks with 4, 5, 6 complete trials; then 7, 8, 9


def test_a_region_proposal_that_repeats_a_trial_falls_back_to_the_whole_box(monkeypatch):
    calls = _boxes_searched(monkeypatch, 6, repeats=True, trust_region_until=100)
    assert calls == [[True, False]] * 2


def test_several_objectives_search_the_whole_box(monkeypatch):
    import tunelab.samplers.gp as gp_module

    seen = []
    real = gp_module.optimize_log_ei
    monkeypatch.setattr(gp_module, "optimize_log_ei",
                        lambda model, box, *a, **k: seen.append(box.lower is None) or real(model, box, *a, **k))
    study = tunelab.create_study(directions=["minimize", "minimize"],
                                 sampler=GPSampler(seed=0, n_startup_trials=4, trust_region_until=100))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("y", 0, 1)), n_trials=7)
    assert seen == [True] * 3  # random weights per ask would move the region: it is not used


def test_an_enumerated_discrete_box_keeps_to_the_region():
    from tunelab.samplers.acquisition import optimize_log_ei

    grid = [i / 4 for i in range(5)]
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.5]])
    model = GPModel(X, np.array([1.0, -1.0, 0.0]), default_params(2), np.zeros(2, bool))
    box = MixedBox(np.zeros(2, bool), [grid, grid], np.array([0.0, 0.0]), np.array([0.25, 0.25]))
    x, _ = optimize_log_ei(model, box, -1.0, X[:1], np.random.default_rng(0))
    assert np.all(x <= 0.25)  # the GP favours (1, 1), outside the region
    free, _ = optimize_log_ei(model, MixedBox(np.zeros(2, bool), [grid, grid]), -1.0, X[:1], np.random.default_rng(0))
    assert np.any(free > 0.25)  # the control: unconfined, it goes there


def _peaked_at_a_trial(box: MixedBox) -> tuple[GPModel, np.ndarray]:
    """A GP whose log EI is highest at its best observed point (a large noise term), and that point."""
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.0], [0.0, 1.0], [1.0, 0.0]])
    params = KernelParams(np.array([0.5, 0.5]), 1.0, 0.2)
    return GPModel(X, np.array([-1.0, 1.0, 0.0, 1.0, 1.0]), params, box.is_cat), X


@pytest.mark.parametrize("n_candidates", [1024, 16])  # the enumerated box; the screen-and-polish search
def test_the_acquisition_does_not_propose_a_tried_point_while_another_is_left(n_candidates):
    from tunelab.samplers.acquisition import _value, optimize_log_ei

    grid = [i / 9 for i in range(10)]
    box = MixedBox(np.array([False, True]), [grid, [0, 1]])
    model, X = _peaked_at_a_trial(box)
    every = box.enumerate()
    assert np.array_equal(every[_value(model, every, -1.0).argmax()], X[0])  # EI alone would repeat trial 0
    x, _ = optimize_log_ei(model, box, -1.0, X[:1], np.random.default_rng(0), n_candidates=n_candidates, tried=X)
    assert not np.any(np.all(np.abs(X - x) < 1e-9, axis=1))
    again, _ = optimize_log_ei(model, box, -1.0, X[:1], np.random.default_rng(0), n_candidates=n_candidates)
    assert np.array_equal(again, X[0])  # the control: without ``tried`` the incumbent comes back


def test_a_fully_tried_box_may_repeat_a_point():
    from tunelab.samplers.acquisition import _value, optimize_log_ei

    box = MixedBox(np.array([False, True]), [[0.0, 0.5, 1.0], [0, 1]])
    model, _ = _peaked_at_a_trial(box)
    every = box.enumerate()
    x, _ = optimize_log_ei(model, box, -1.0, every[:1], np.random.default_rng(0), tried=every)
    assert np.array_equal(x, every[_value(model, every, -1.0).argmax()])  # the best point, tried or not


def test_gp_on_a_small_discrete_space_tries_every_point_before_repeating_one():
    """10 points (an int of 5 values by 2 choices), a deterministic objective: 10 trials, 10 distinct points."""
    study = tunelab.create_study(sampler=GPSampler(seed=0, n_startup_trials=3))

    def objective(trial) -> float:
        k = trial.suggest_int("k", 1, 5)
        w = trial.suggest_categorical("w", ["uniform", "distance"])
        return (k - 2) ** 2 + (0.0 if w == "distance" else 0.5)

    study.optimize(objective, n_trials=12)
    points = [(t.params["k"], t.params["w"]) for t in study.trials]
    assert len(set(points[:10])) == 10
    assert study.best_value == 0.0 and len(study.trials) == 12  # then repeats are allowed: nothing fails


def test_gp_does_not_rerun_a_configuration_that_failed():
    """The model ignores failed trials; without the no-repeat rule it proposes the failed point again and again."""
    study = tunelab.create_study(sampler=GPSampler(seed=0, n_startup_trials=3))

    def objective(trial) -> float:
        k = trial.suggest_int("k", 1, 8)
        w = trial.suggest_categorical("w", ["uniform", "distance"])
        if (k, w) == (3, "distance"):
            raise ValueError("this configuration runs out of memory")
        return (k - 3) ** 2 + (0.0 if w == "distance" else 0.5)

    study.optimize(objective, n_trials=12, catch=(ValueError,))
    failed = [t for t in study.trials if t.state == TrialState.FAIL]
    assert len(failed) <= 1


def test_warp_power_is_scipys_maximiser_clipped_to_the_bounds():
    import numpy as np
    from scipy import stats

    from tunelab.samplers.gp import _standardised, _warp_power, warp_losses

    rng = np.random.default_rng(0)
    for _ in range(60):
        n = int(rng.integers(3, 200))
        y = rng.lognormal(0, rng.uniform(0.1, 3), n) * rng.choice([-1, 1]) + rng.normal(0, 1, n) * rng.random()
        z = _standardised(y)
        power = float(np.clip(stats.yeojohnson_normmax(z), 0.5, 1.5))
        assert abs(_warp_power(z) - power) < 1e-2  # a grid step is 0.025; the parabola refines it
        np.testing.assert_allclose(warp_losses(y), _standardised(stats.yeojohnson(z, lmbda=power)), atol=2e-2)
