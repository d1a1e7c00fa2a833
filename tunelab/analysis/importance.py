"""Which hyperparameters matter: PED-ANOVA (default), fANOVA on a random forest, and the forest's impurity.

PED-ANOVA (after Watanabe et al., 2023) asks, for each parameter, how differently
its values are spread among the best trials (the top ``target_quantile``) than
among all trials: the Pearson divergence between the two densities.  A parameter
whose good values sit anywhere scores 0; one whose good values crowd into a
narrow range scores high.  Densities are histograms on [0, 1] (log-scaled
parameters on the log scale) smoothed by a Gaussian kernel, so the cost is one
pass over the trials per parameter: linear in trials, no model to fit, and the
same answer every time.

fANOVA (after Hutter et al., 2014) fits scikit-learn's random forest to the
trials and splits the variance of each tree's prediction over the unit cube into
shares per parameter and per pair of parameters (interactions); the tree's boxes
make the integrals exact.

A conditional parameter is "absent" in some trials: PED-ANOVA counts absence as
one more cell; fANOVA gives absence its own interval, as wide as the share of
trials that lack the parameter.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence, runtime_checkable

from tunelab._validation import Interval, validate
from tunelab.analysis._data import Table, Target, build_table
from tunelab.trial import FrozenTrial, StudyDirection

_SEED = 0
_MAX_TREE_SAMPLES = 20_000  # trials one tree of a forest is fitted on at most
_MAX_LEAVES = 2_000  # about the most leaves a tree gets (min_samples_leaf grows with the study)


@dataclass
class ParamImportance:
    """One parameter's importance (its share, all shares sum to 1) with a bootstrap interval."""

    name: str
    importance: float
    low: float
    high: float


@dataclass
class Interaction:
    """The share of the surrogate's variance explained by a pair of parameters together, beyond each alone."""

    params: tuple[str, str]
    importance: float
    low: float
    high: float


@dataclass
class ImportanceResult:
    """Importances (best first), their intervals, the method, and (fANOVA) pairwise interactions."""

    method: str
    params: list[ParamImportance]
    interactions: list[Interaction] = field(default_factory=list)
    n_trials: int = 0
    confidence: float = 0.9

    def as_dict(self) -> "OrderedDict[str, float]":
        return OrderedDict((p.name, p.importance) for p in self.params)


def _normalized(raw: dict[str, float]) -> dict[str, float]:
    clean = {k: (max(0.0, v) if math.isfinite(v) else 0.0) for k, v in raw.items()}
    total = sum(clean.values())
    if total <= 0:
        return {k: 1.0 / len(clean) for k in clean} if clean else {}
    return {k: v / total for k, v in clean.items()}


def _ordered(shares: dict[str, float]) -> "OrderedDict[str, float]":
    return OrderedDict(sorted(shares.items(), key=lambda kv: (-kv[1], kv[0])))


@runtime_checkable
class ImportanceEvaluator(Protocol):
    """What ``get_param_importances`` needs of an evaluator (Optuna's method name and arguments)."""

    def evaluate(self, study: Any, params: Sequence[str] | None = None, *, target: Target | None = None
                 ) -> "OrderedDict[str, float]": ...


class BaseImportanceEvaluator:
    """An importance method: ``evaluate(study, params, target=...)`` returns name -> share (sum 1), best first."""

    method = "base"

    def raw(self, table: Table) -> dict[str, float]:  # pragma: no cover - the contract
        raise NotImplementedError

    def evaluate(self, study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
                 target_direction: str | StudyDirection | None = None) -> "OrderedDict[str, float]":
        """Each parameter's raw score (>= 0; PED-ANOVA: divergence, fANOVA: share of variance), best first.

        target_direction: which way ``target`` is better (see :func:`get_param_importances`)."""
        table = build_table(study, params, target, what=f"{type(self).__name__}.evaluate",
                            target_direction=target_direction)
        _check_enough(table, type(self).__name__)
        if not table.columns:
            return OrderedDict()
        raw = self.raw(table)
        return _ordered({k: (max(0.0, v) if math.isfinite(v) else 0.0) for k, v in raw.items()})

    def evaluate_with_ci(self, study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
                         n_bootstrap: int = 30, confidence: float = 0.9,
                         target_direction: str | StudyDirection | None = None) -> ImportanceResult:
        """Importances with a bootstrap interval: the trials are resampled ``n_bootstrap`` times (fixed seed)."""
        validate({"n_bootstrap": [Interval(int, 2, None)], "confidence": [Interval(float, 0, 1, "neither")]},
                 {"n_bootstrap": n_bootstrap, "confidence": confidence}, f"{type(self).__name__}.evaluate_with_ci")
        import numpy as np

        table = build_table(study, params, target, what=f"{type(self).__name__}.evaluate_with_ci",
                            target_direction=target_direction)
        _check_enough(table, type(self).__name__)
        point = _ordered(_normalized(self.raw(table))) if table.columns else OrderedDict()
        rng = np.random.default_rng(_SEED)
        n = len(table.trials)
        draws = {name: [] for name in point}
        for _ in range(n_bootstrap):
            shares = _normalized(self.raw(table.subset(rng.integers(0, n, n))))
            for name in point:
                draws[name].append(shares.get(name, 0.0))
        tail = (1 - confidence) / 2 * 100
        out = [ParamImportance(name, share, float(np.percentile(draws[name], tail)),
                               float(np.percentile(draws[name], 100 - tail))) for name, share in point.items()]
        return ImportanceResult(self.method, out, n_trials=n, confidence=confidence)


def _check_enough(table: Table, owner: str) -> None:
    if len(table.trials) < 2:
        raise ValueError(f"{owner}: importance needs at least 2 complete trials with a finite value; "
                         f"got {len(table.trials)}")


# ----------------------------------------------------------------------------- PED-ANOVA


def _kernel_matrix(n_bins: int, bandwidth: float):
    """Column j: a Gaussian bump at bin j's centre, folded back at the edges of [0, 1], summing to 1."""
    import numpy as np

    centres = (np.arange(n_bins) + 0.5) / n_bins
    d = centres[:, None] - centres[None, :]
    reflected = (centres[:, None] + centres[None, :]), (2 - centres[:, None] - centres[None, :])
    k = np.exp(-0.5 * (d / bandwidth) ** 2)
    for r in reflected:
        k += np.exp(-0.5 * (r / bandwidth) ** 2)
    return k / k.sum(axis=0, keepdims=True)


_DISCRETE_SMOOTHING = 1.0


def _smoother(u, n_bins: int, discrete: int | None):
    """Raw cell counts of unit values u (NaN = absent, one more cell at the end) and the smoothing matrix.

    Continuous values: n_bins cells and a Gaussian kernel of Scott's bandwidth (sd taken as the
    smaller of the standard deviation and IQR/1.34); discrete values: one cell each, no smoothing.
    """
    import numpy as np

    present = ~np.isnan(u)
    x = u[present]
    cells = discrete or n_bins
    idx = np.minimum((x * cells).astype(int), cells - 1)
    counts = np.append(np.bincount(idx, minlength=cells).astype(float), float((~present).sum()))
    k = np.eye(cells + 1)
    if discrete is not None and cells > 1 and x.size > 0:
        # an Aitchison-Aitken kernel: each trial keeps 1 - lam on its value and spreads lam over the
        # others, lam shrinking with the sample as a bandwidth does (n ** -1/5)
        lam = (cells - 1) / cells * min(1.0, _DISCRETE_SMOOTHING * x.size ** -0.2)
        k[:cells, :cells] = (1 - lam) * np.eye(cells) + lam / (cells - 1) * (1 - np.eye(cells))
    if discrete is None and x.size > 1:
        sd = float(x.std())
        q75, q25 = np.percentile(x, [75, 25])
        if q75 > q25:
            sd = min(sd, float(q75 - q25) / 1.34)
        bw = 1.06 * (sd if sd > 0 else 1.0 / n_bins) * x.size ** -0.2
        k[:cells, :cells] = _kernel_matrix(n_bins, min(max(bw, 0.5 / n_bins), 0.5))
    return counts, k


def _pearson_divergence(u_top, u_all, n_bins: int, discrete: int | None, prior: float) -> float:
    """Pearson divergence of the top trials' density from all trials', less what chance alone would give.

    Both densities get ``prior`` pseudo-trials spread evenly over the cells.  A small top set
    scatters by chance, which inflates the divergence by about sum_b Var(p_top[b]) / p_all[b];
    that expectation (multinomial counts drawn from the all-trials cells, then smoothed) is
    subtracted, so a parameter that does not matter scores about 0 whatever its kind.
    """
    import numpy as np

    c_top, k_top = _smoother(u_top, n_bins, discrete)
    c_all, k_all = _smoother(u_all, n_bins, discrete)
    live = np.ones(len(c_top), dtype=bool)
    if c_all[-1] == 0:  # no trial lacks the parameter: drop the absent cell
        live[-1] = False
    cells = int(live.sum())
    s_top = k_top @ c_top
    s_all = k_all @ c_all
    p_top = (s_top[live] + prior / cells) / (c_top.sum() + prior)
    p_all = (s_all[live] + prior / cells) / (c_all.sum() + prior)
    divergence = float(np.sum(p_top * p_top / p_all) - 1.0)
    n_top = c_top.sum()
    q = c_all / max(c_all.sum(), 1.0)
    kk = k_top[live]
    var = n_top * ((kk * kk) @ q - (kk @ q) ** 2) / (n_top + prior) ** 2
    return divergence - float(np.sum(var / p_all))


class PedAnovaImportanceEvaluator(BaseImportanceEvaluator):
    """PED-ANOVA: Pearson divergence between each parameter's density in the top trials and in all trials.

    target_quantile: the share of trials called "top" (at least 2 trials).
    region_quantile: the share of trials the top ones are compared with (1.0: all).
    n_bins: histogram cells on [0, 1] for continuous parameters.
    max_discrete: ints and stepped floats with at most this many values get one cell per
    value, as categories do; wider ones are smoothed like floats.
    prior: pseudo-trials spread evenly over the cells of both densities.
    evaluate_on_local: compare with the region's trials (True, the default) or, with False, with
    the uniform density over the whole search space (Optuna's global PED-ANOVA).
    """

    method = "ped_anova"

    def __init__(self, target_quantile: float = 0.1, region_quantile: float = 1.0, n_bins: int = 64,
                 prior: float = 1.0, max_discrete: int = 8, evaluate_on_local: bool = True):
        if not isinstance(evaluate_on_local, bool):
            raise TypeError(f"PedAnovaImportanceEvaluator: 'evaluate_on_local' must be True or False; "
                            f"got {evaluate_on_local!r}")
        self.evaluate_on_local = evaluate_on_local
        validate({"target_quantile": [Interval(float, 0, 1, "neither")],
                  "region_quantile": [Interval(float, 0, 1, "right")],
                  "n_bins": [Interval(int, 4, 4096)], "prior": [Interval(float, 0, None, "neither")],
                  "max_discrete": [Interval(int, 1, None)]},
                 {"target_quantile": target_quantile, "region_quantile": region_quantile, "n_bins": n_bins,
                  "prior": prior, "max_discrete": max_discrete}, "PedAnovaImportanceEvaluator")
        if region_quantile <= target_quantile:
            raise ValueError(f"PedAnovaImportanceEvaluator: 'region_quantile' ({region_quantile}) must be above "
                             f"'target_quantile' ({target_quantile})")
        self.target_quantile = target_quantile
        self.region_quantile = region_quantile
        self.n_bins = n_bins
        self.prior = prior
        self.max_discrete = max_discrete

    def raw(self, table: Table) -> dict[str, float]:
        import numpy as np

        n = len(table.trials)
        order = np.lexsort((np.arange(n), table.loss))
        n_top = min(n, max(2, int(math.ceil(self.target_quantile * n))))
        n_region = min(n, max(n_top + 1, int(math.ceil(self.region_quantile * n))))
        top, region = order[:n_top], order[:n_region]
        out = {}
        for name, col in table.columns.items():
            cells = col.n_cells
            discrete = cells if col.kind == "categorical" or (cells is not None and cells <= self.max_discrete) \
                else None
            if self.evaluate_on_local:
                baseline = col.unit[region]
            else:  # evenly spread values: the uniform density over the parameter's range
                n_cells = discrete or self.n_bins
                baseline = np.repeat((np.arange(n_cells) + 0.5) / n_cells, 32)
            out[name] = max(0.0, _pearson_divergence(col.unit[top], baseline, self.n_bins, discrete, self.prior))
        return out


# ----------------------------------------------------------------------------- forests


def _forest_inputs(table: Table):
    """The matrix a forest is fitted on, and each feature's domain [low, high]: absence sits below 0."""
    import numpy as np

    X = table.matrix()
    lows = np.zeros(X.shape[1])
    for j in range(X.shape[1]):
        absent = np.isnan(X[:, j])
        share = absent.mean() if absent.size else 0.0
        if share > 0:
            width = min(share / max(1e-9, 1 - share), 10.0)
            lows[j] = -width
            X[absent, j] = -width / 2
    return X, lows, np.ones(X.shape[1])


def fit_forest(table: Table, n_trees: int = 32, max_depth: int | None = 16, min_samples_leaf: int = 2,
               seed: int = _SEED):
    """scikit-learn's RandomForestRegressor on the encoded trials (the surrogate of fANOVA, PD and ablation)."""
    from sklearn.ensemble import RandomForestRegressor

    X, lows, highs = _forest_inputs(table)
    n = X.shape[0]
    # past _MAX_TREE_SAMPLES trials each tree sees a bootstrap sample of that size (the forest still
    # covers every trial), and leaves hold at least 1/_MAX_LEAVES of it: the cost of a tree's
    # decomposition grows with its leaves, so it stays bounded however large the study
    per_tree = min(n, _MAX_TREE_SAMPLES)
    forest = RandomForestRegressor(n_estimators=n_trees, max_depth=max_depth,
                                   min_samples_leaf=max(min_samples_leaf, per_tree // _MAX_LEAVES),
                                   max_features=1.0, random_state=seed, n_jobs=1,
                                   max_samples=_MAX_TREE_SAMPLES if n > _MAX_TREE_SAMPLES else None)
    forest.fit(X, table.values)
    return forest, X, lows, highs


def _leaf_boxes(tree, lows, highs):
    """Each leaf's box [lo, hi) per feature and its value, walking the tree one depth level at a time."""
    import numpy as np

    t = tree.tree_
    n_nodes, d = t.node_count, len(lows)
    lo = np.empty((n_nodes, d))
    hi = np.empty((n_nodes, d))
    lo[0], hi[0] = lows, highs
    left, right, feat, thr = t.children_left, t.children_right, t.feature, t.threshold
    frontier = np.array([0])
    while frontier.size:
        inner = frontier[left[frontier] >= 0]
        if not inner.size:
            break
        f, th = feat[inner], thr[inner]
        lc, rc = left[inner], right[inner]
        lo[lc], hi[lc] = lo[inner], hi[inner]
        lo[rc], hi[rc] = lo[inner], hi[inner]
        hi[lc, f] = np.minimum(hi[inner, f], th)
        lo[rc, f] = np.maximum(lo[inner, f], th)
        frontier = np.concatenate([lc, rc])
    leaves = np.flatnonzero(left < 0)
    return lo[leaves], hi[leaves], t.value[leaves].reshape(len(leaves), -1)[:, 0]


def _tree_decomposition(tree, lows, highs, pairs: Sequence[tuple[int, int]]):
    """Total variance, per-feature main-effect variance and per-pair interaction variance of one tree."""
    import numpy as np

    lo, hi, v = _leaf_boxes(tree, lows, highs)
    span = highs - lows
    width = np.maximum(hi - lo, 0.0) / span
    vol = np.prod(width, axis=1)
    mean = float(vol @ v)
    total = float(vol @ (v * v)) - mean * mean
    d = len(lows)
    main = np.zeros(d)
    cache: dict[int, tuple] = {}
    used = set(int(f) for f in tree.tree_.feature if f >= 0)

    def grid(j: int):
        if j not in cache:
            thr = tree.tree_.threshold[tree.tree_.feature == j]
            edges = np.unique(np.concatenate([[lows[j], highs[j]], thr[(thr > lows[j]) & (thr < highs[j])]]))
            a = np.searchsorted(edges, lo[:, j])
            b = np.searchsorted(edges, hi[:, j])
            cache[j] = (edges, a, b, np.diff(edges) / span[j])
        return cache[j]

    if total <= 1e-300:
        return 0.0, main, np.zeros(len(pairs))
    for j in used:
        edges, a, b, length = grid(j)
        w = v * vol / np.where(width[:, j] > 0, width[:, j], 1.0)
        diff = np.zeros(len(edges))
        np.add.at(diff, a, w)
        np.add.at(diff, b, -w)
        f = np.cumsum(diff)[:-1]
        main[j] = max(0.0, float(length @ (f * f)) - mean * mean)
    inter = np.zeros(len(pairs))
    for k, (i, j) in enumerate(pairs):
        if i not in used or j not in used:
            continue
        ei, ai, bi, li = grid(i)
        ej, aj, bj, lj = grid(j)
        w = v * vol / (np.where(width[:, i] > 0, width[:, i], 1.0) * np.where(width[:, j] > 0, width[:, j], 1.0))
        diff = np.zeros((len(ei), len(ej)))
        np.add.at(diff, (ai, aj), w)
        np.add.at(diff, (ai, bj), -w)
        np.add.at(diff, (bi, aj), -w)
        np.add.at(diff, (bi, bj), w)
        f = np.cumsum(np.cumsum(diff, axis=0), axis=1)[:-1, :-1]
        joint = float(li @ (f * f) @ lj) - mean * mean
        inter[k] = max(0.0, joint - main[i] - main[j])
    return total, main, inter


@dataclass
class FanovaDecomposition:
    """Per-tree variance shares: main effects (trees x params) and interactions (trees x pairs)."""

    names: list[str]
    main: Any
    pairs: list[tuple[int, int]]
    interactions: Any


def fanova_decomposition(table: Table, n_trees: int = 32, max_depth: int | None = 16, min_samples_leaf: int = 2,
                         seed: int = _SEED, interaction_top: int = 8) -> FanovaDecomposition:
    """Fit the forest and split each tree's variance; pairs among the ``interaction_top`` strongest parameters."""
    import numpy as np

    forest, _, lows, highs = fit_forest(table, n_trees, max_depth, min_samples_leaf, seed)
    d = len(lows)
    shares = []
    totals = []
    trees = forest.estimators_
    for tree in trees:
        total, main, _ = _tree_decomposition(tree, lows, highs, [])
        totals.append(total)
        shares.append(main / total if total > 0 else np.zeros(d))
    main = np.array(shares).reshape(len(trees), d)
    top = [int(i) for i in np.argsort(-main.mean(axis=0))[:interaction_top]] if interaction_top else []
    pairs = [(a, b) if a < b else (b, a) for n, a in enumerate(top) for b in top[n + 1:]]
    inter = np.zeros((len(trees), len(pairs)))
    if pairs:
        for t, tree in enumerate(trees):
            total, _, pair_var = _tree_decomposition(tree, lows, highs, pairs)
            if total > 0:
                inter[t] = pair_var / total
    return FanovaDecomposition(table.names, main, pairs, inter)


class FanovaImportanceEvaluator(BaseImportanceEvaluator):
    """fANOVA on scikit-learn's random forest: each parameter's share of the forest's variance (normalised).

    ``evaluate_with_ci`` resamples the forest's trees for the interval and adds the
    pairwise interactions among the ``interaction_top`` strongest parameters.
    """

    method = "fanova"

    def __init__(self, n_trees: int = 32, max_depth: int | None = 16, min_samples_leaf: int = 2,
                 seed: int | None = None, interaction_top: int = 8):
        validate({"n_trees": [Interval(int, 1, None)], "max_depth": [Interval(int, 1, None), None],
                  "min_samples_leaf": [Interval(int, 1, None)], "seed": [Interval(int, 0, None), None],
                  "interaction_top": [Interval(int, 0, None)]},
                 {"n_trees": n_trees, "max_depth": max_depth, "min_samples_leaf": min_samples_leaf, "seed": seed,
                  "interaction_top": interaction_top}, "FanovaImportanceEvaluator")
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.seed = _SEED if seed is None else seed
        self.interaction_top = interaction_top

    def _decompose(self, table: Table, interaction_top: int) -> FanovaDecomposition:
        return fanova_decomposition(table, self.n_trees, self.max_depth, self.min_samples_leaf, self.seed,
                                    interaction_top)

    def raw(self, table: Table) -> dict[str, float]:
        dec = self._decompose(table, 0)
        return dict(zip(dec.names, (float(x) for x in dec.main.mean(axis=0))))

    def evaluate_with_ci(self, study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
                         n_bootstrap: int = 200, confidence: float = 0.9,
                         target_direction: str | StudyDirection | None = None) -> ImportanceResult:
        validate({"n_bootstrap": [Interval(int, 2, None)], "confidence": [Interval(float, 0, 1, "neither")]},
                 {"n_bootstrap": n_bootstrap, "confidence": confidence}, "FanovaImportanceEvaluator.evaluate_with_ci")
        import numpy as np

        table = build_table(study, params, target, what="FanovaImportanceEvaluator.evaluate_with_ci",
                            target_direction=target_direction)
        _check_enough(table, "FanovaImportanceEvaluator")
        if not table.columns:
            return ImportanceResult(self.method, [], n_trials=len(table.trials), confidence=confidence)
        dec = self._decompose(table, self.interaction_top)
        main_mean = dec.main.mean(axis=0)
        total = float(np.clip(main_mean, 0, None).sum()) or 1.0
        rng = np.random.default_rng(self.seed)
        n_trees = dec.main.shape[0]
        picks = rng.integers(0, n_trees, (n_bootstrap, n_trees))
        boot_main = dec.main[picks].mean(axis=1)  # bootstrap x params
        boot_main = boot_main / np.clip(boot_main.clip(0).sum(axis=1, keepdims=True), 1e-300, None)
        tail = (1 - confidence) / 2 * 100
        params_out = [ParamImportance(name, float(max(0.0, main_mean[j]) / total),
                                      float(np.percentile(boot_main[:, j], tail)),
                                      float(np.percentile(boot_main[:, j], 100 - tail)))
                      for j, name in enumerate(dec.names)]
        params_out.sort(key=lambda p: (-p.importance, p.name))
        inter_out = []
        if dec.pairs:
            boot_inter = dec.interactions[picks].mean(axis=1)
            for k, (i, j) in enumerate(dec.pairs):
                inter_out.append(Interaction((dec.names[i], dec.names[j]), float(dec.interactions[:, k].mean()),
                                             float(np.percentile(boot_inter[:, k], tail)),
                                             float(np.percentile(boot_inter[:, k], 100 - tail))))
            inter_out.sort(key=lambda x: -x.importance)
        return ImportanceResult(self.method, params_out, inter_out, len(table.trials), confidence)


class MeanDecreaseImpurityImportanceEvaluator(BaseImportanceEvaluator):
    """The forest's mean decrease in impurity (scikit-learn's feature_importances_): quick, biased to many-valued params."""

    method = "mean_decrease_impurity"

    def __init__(self, n_trees: int = 64, max_depth: int | None = 16, seed: int | None = None):
        validate({"n_trees": [Interval(int, 1, None)], "max_depth": [Interval(int, 1, None), None],
                  "seed": [Interval(int, 0, None), None]},
                 {"n_trees": n_trees, "max_depth": max_depth, "seed": seed}, "MeanDecreaseImpurityImportanceEvaluator")
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.seed = _SEED if seed is None else seed

    def raw(self, table: Table) -> dict[str, float]:
        forest, *_ = fit_forest(table, self.n_trees, self.max_depth, 1, self.seed)
        return dict(zip(table.names, (float(x) for x in forest.feature_importances_)))


def _evaluator(evaluator: Any) -> BaseImportanceEvaluator:
    if evaluator is None:
        return PedAnovaImportanceEvaluator()
    if isinstance(evaluator, str):
        named = {"ped_anova": PedAnovaImportanceEvaluator, "pedanova": PedAnovaImportanceEvaluator,
                 "fanova": FanovaImportanceEvaluator, "mdi": MeanDecreaseImpurityImportanceEvaluator,
                 "mean_decrease_impurity": MeanDecreaseImpurityImportanceEvaluator}
        if evaluator.lower() not in named:
            raise ValueError(f"evaluator must be one of {sorted(named)} or an evaluator object; got {evaluator!r}")
        return named[evaluator.lower()]()
    if not isinstance(evaluator, ImportanceEvaluator):
        raise TypeError(f"evaluator must have an evaluate(study, params, target=...) method; got {evaluator!r}")
    return evaluator


def get_param_importances(study: Any, evaluator: Any = None, params: Sequence[str] | None = None,
                          target: Callable[[FrozenTrial], float] | None = None, normalize: bool = True, *,
                          target_direction: str | StudyDirection | None = None) -> "OrderedDict[str, float]":
    """Parameter name -> importance, most important first, summing to 1 (Optuna's function and arguments).

    evaluator: PED-ANOVA by default; ``FanovaImportanceEvaluator()``,
    ``MeanDecreaseImpurityImportanceEvaluator()``, their names ("fanova", "mdi"), or
    any object with Optuna's ``evaluate(study, params, target=...)``.
    target: a function of a FrozenTrial to analyse instead of the objective (needed
    with several objectives). normalize=False returns the evaluator's raw scores.
    target_direction: "minimize" or "maximize", which way ``target`` is better (PED-ANOVA
    looks at the best trials). Without it a target is ranked in the direction of the
    objective it equals on every trial, else in the study's direction when the study has
    one objective; with several objectives any other target needs it (ValueError).
    Complete trials only. Deterministic: the same trials give the same answer.
    """
    ev = _evaluator(evaluator)
    result = ev.evaluate(study, params=params, target=target, **_direction_kwargs(target_direction))
    if not normalize:
        return OrderedDict(result)
    return _ordered(_normalized(dict(result)))


def _direction_kwargs(target_direction: str | StudyDirection | None) -> dict[str, Any]:
    """``target_direction`` for an evaluator, only when given (Optuna-style evaluators do not take it)."""
    return {} if target_direction is None else {"target_direction": target_direction}


def param_importances(study: Any, *, evaluator: Any = None, params: Sequence[str] | None = None,
                      target: Callable[[FrozenTrial], float] | None = None, n_bootstrap: int | None = None,
                      confidence: float = 0.9, target_direction: str | StudyDirection | None = None
                      ) -> ImportanceResult:
    """Importances with bootstrap intervals (and, for fANOVA, pairwise interactions) as plain data.

    target, target_direction: as in :func:`get_param_importances`."""
    ev = _evaluator(evaluator)
    if not hasattr(ev, "evaluate_with_ci"):
        shares = ev.evaluate(study, params=params, target=target, **_direction_kwargs(target_direction))
        return ImportanceResult(type(ev).__name__, [ParamImportance(k, v, v, v) for k, v in shares.items()])
    kwargs: dict[str, Any] = {"confidence": confidence, **_direction_kwargs(target_direction)}
    if n_bootstrap is not None:
        kwargs["n_bootstrap"] = n_bootstrap
    return ev.evaluate_with_ci(study, params=params, target=target, **kwargs)


def interactions(study: Any, *, params: Sequence[str] | None = None, target: Target | None = None,
                 top: int = 8, n_trees: int = 32, seed: int = _SEED,
                 target_direction: str | StudyDirection | None = None) -> list[Interaction]:
    """Pairwise fANOVA interactions among the ``top`` strongest parameters, strongest first."""
    ev = FanovaImportanceEvaluator(n_trees=n_trees, seed=seed, interaction_top=top)
    return ev.evaluate_with_ci(study, params=params, target=target, target_direction=target_direction).interactions
