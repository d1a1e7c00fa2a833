"""Why the best wins: partial dependence on a parameter and the ablation path from a reference to the best.

Both read a surrogate (scikit-learn's random forest fitted to the complete
trials, the one fANOVA uses), so they show what the trials say on average,
not new evaluations of the objective.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from tunelab._validation import Interval, validate
from tunelab.analysis._data import Table, Target, build_table
from tunelab.analysis.importance import _SEED, fit_forest
from tunelab.trial import StudyDirection

_MAX_BACKGROUND = 512  # rows averaged over for partial dependence (a fixed, evenly spaced subset)


@dataclass
class PartialDependence:
    """The surrogate's mean prediction as one parameter moves over its range (others as in the trials).

    grid holds raw values (decoded from the unit grid: log-spaced for log parameters; each
    choice for categorical ones); mean and low/high (the spread of the forest's trees) are
    in the objective's units.
    """

    param: str
    kind: str
    log: bool
    grid: list[Any]
    mean: list[float]
    low: list[float]
    high: list[float]


@dataclass
class AblationStep:
    """One change on the path: the parameter set to the best's value, the predicted value after it, its share."""

    param: str
    from_value: Any
    to_value: Any
    predicted: float
    gain: float
    share: float


@dataclass
class AblationPath:
    """From the reference configuration to the best, one parameter at a time, largest predicted gain first."""

    reference_params: dict[str, Any]
    best_params: dict[str, Any]
    reference_value: float | None
    best_value: float
    reference_predicted: float
    best_predicted: float
    steps: list[AblationStep] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _background(X):
    import numpy as np

    if X.shape[0] <= _MAX_BACKGROUND:
        return X
    return X[np.linspace(0, X.shape[0] - 1, _MAX_BACKGROUND).astype(int)]


def _unit_grid(col, n_points: int):
    import numpy as np

    cells = col.n_cells
    if cells is not None and cells <= n_points:
        return (np.arange(cells) + 0.5) / cells
    return np.linspace(0.0, 1.0, n_points)


def partial_dependence(study: Any, params: Sequence[str] | None = None, *, target: Target | None = None,
                       n_points: int = 30, top: int = 4, n_trees: int = 32, seed: int = _SEED,
                       target_direction: str | StudyDirection | None = None) -> list[PartialDependence]:
    """Partial dependence of the objective (or ``target``) on ``params`` (default: the ``top`` most important,
    PED-ANOVA, which ranks by ``target_direction``: see :func:`tunelab.analysis.get_param_importances`)."""
    validate({"n_points": [Interval(int, 2, 1000)], "top": [Interval(int, 1, None)]},
             {"n_points": n_points, "top": top}, "partial_dependence")
    import numpy as np

    table = build_table(study, None, target, what="partial_dependence", target_direction=target_direction)
    if len(table.trials) < 2 or not table.columns:
        raise ValueError("partial_dependence needs at least 2 complete trials and one varying parameter")
    names = _chosen(table, params, top, "partial_dependence")
    forest, X, lows, _ = fit_forest(table, n_trees=n_trees, seed=seed)
    back = _background(X)
    out = []
    for name in names:
        j = table.names.index(name)
        col = table.columns[name]
        grid = _unit_grid(col, n_points)
        rows = np.repeat(back[None, :, :], len(grid), axis=0)
        rows[:, :, j] = grid[:, None]
        flat = rows.reshape(-1, X.shape[1])
        per_tree = np.array([tree.predict(flat) for tree in forest.estimators_])  # trees x (grid*background)
        per_tree = per_tree.reshape(len(forest.estimators_), len(grid), -1).mean(axis=2)
        mean = per_tree.mean(axis=0)
        lo, hi = np.percentile(per_tree, [10, 90], axis=0)
        out.append(PartialDependence(name, col.kind, col.log, [col.decode(float(u)) for u in grid],
                                     [float(v) for v in mean], [float(v) for v in lo], [float(v) for v in hi]))
    return out


def _chosen(table: Table, params: Sequence[str] | None, top: int, what: str) -> list[str]:
    if params is not None:
        unknown = [p for p in params if p not in table.columns]
        if unknown:
            raise ValueError(f"{what}: unknown or constant parameter(s) {unknown}; the varying ones are {table.names}")
        return list(params)
    from tunelab.analysis.importance import PedAnovaImportanceEvaluator, _normalized, _ordered

    ranked = _ordered(_normalized(PedAnovaImportanceEvaluator().raw(table)))
    return list(ranked)[:top]


def _median_trial(table: Table):
    import numpy as np

    order = np.lexsort((np.arange(len(table.trials)), table.loss))
    return table.trials[int(order[(len(order) - 1) // 2])]


def ablation_path(study: Any, reference: Mapping[str, Any] | Any | None = None, *, target: Target | None = None,
                  n_trees: int = 32, seed: int = _SEED, target_direction: str | StudyDirection | None = None
                  ) -> AblationPath:
    """Walk from ``reference`` (default: the median complete trial) to the best trial one parameter at a time.

    With ``target``, "best" is by ``target_direction`` ("minimize"/"maximize"; without it, the
    direction of the objective the target equals, or the study's one direction; a study with
    several objectives and another target needs it).

    At each step the surrogate predicts every remaining change; the one it predicts
    helps most is taken.  Each step's share is its predicted gain over the whole
    predicted gain (shares sum to 1 when the path gains at all).  ``reference`` is a
    FrozenTrial or a dict of parameters (parameters it lacks count as absent).
    """
    import numpy as np

    from tunelab.analysis._data import encode
    from tunelab.trial import FrozenTrial

    table = build_table(study, None, target, what="ablation_path", drop_constant=False,
                        target_direction=target_direction)
    if len(table.trials) < 2:
        raise ValueError(f"ablation_path needs at least 2 complete trials with a finite value; got {len(table.trials)}")
    best_i = int(np.lexsort((np.arange(len(table.trials)), table.loss))[0])
    best = table.trials[best_i]
    if reference is None:
        median = _median_trial(table)
        ref_params, ref_value = dict(median.params), float(table.values[table.trials.index(median)])
    elif isinstance(reference, FrozenTrial):
        ref_params, ref_value = dict(reference.params), _value_of(reference, target)
    elif isinstance(reference, Mapping):
        ref_params, ref_value = dict(reference), None
    else:
        raise TypeError(f"ablation_path: 'reference' must be a FrozenTrial, a dict of parameters or None; "
                        f"got {reference!r}")
    unknown = [k for k in ref_params if k not in table.columns]
    if unknown:
        raise ValueError(f"ablation_path: the reference has parameter(s) {unknown} the trials do not have")
    missing = [n for n, c in table.columns.items() if n not in ref_params and not c.conditional]
    if missing:
        raise ValueError(f"ablation_path: the reference lacks parameter(s) {missing}, which every trial has")
    forest, X, lows, _ = fit_forest(table, n_trees=n_trees, seed=seed)
    names = table.names

    def row(params: Mapping[str, Any]):
        r = np.empty(len(names))
        for j, n in enumerate(names):
            col = table.columns[n]
            u = encode(col.distribution, [params.get(n)])[0] if col.distribution is not None else math.nan
            r[j] = u if not math.isnan(u) else lows[j] / 2
        return r

    sign = table.direction.sign()  # loss = sign * value
    current = dict(ref_params)
    cur_row = row(current)
    ref_pred = float(forest.predict(cur_row[None, :])[0])
    best_pred = float(forest.predict(row(best.params)[None, :])[0])
    todo = [n for n in names if _differs(ref_params.get(n), best.params.get(n))]
    unchanged = [n for n in names if n not in todo]
    steps: list[AblationStep] = []
    cur_pred = ref_pred
    while todo:
        candidates = []
        for n in todo:
            trial_params = dict(current)
            if n in best.params:
                trial_params[n] = best.params[n]
            else:
                trial_params.pop(n, None)
            candidates.append((n, trial_params, row(trial_params)))
        preds = forest.predict(np.array([c[2] for c in candidates]))
        k = int(np.argmin(sign * preds))
        n, current, _ = candidates[k]
        pred = float(preds[k])
        steps.append(AblationStep(n, ref_params.get(n), best.params.get(n), pred, float(sign * (cur_pred - pred)), 0.0))
        cur_pred = pred
        todo.remove(n)
    whole = sum(s.gain for s in steps)
    for s in steps:
        s.share = s.gain / whole if whole > 0 else 0.0
    return AblationPath(ref_params, dict(best.params), ref_value, float(table.values[best_i]), ref_pred,
                        best_pred, steps, unchanged)


def _value_of(trial: Any, target: Target | None) -> float | None:
    """A reference trial's value of what is analysed (the target, or its first objective); None without one."""
    try:
        return float(target(trial)) if target is not None else (trial.values[0] if trial.values else None)
    except (TypeError, ValueError, IndexError, KeyError):
        return None


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return not math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
    return a != b or type(a) is not type(b)
