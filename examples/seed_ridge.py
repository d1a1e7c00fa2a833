"""The classic: Ridge on make_regression, alpha over np.logspace(-4, 4, 100), 5-fold CV.

Run as an exhaustive grid (what GridSearchCV does: 100 fits x 5 folds) and as a
30-trial search on the same log range, then print both best alphas and scores.

    python examples/seed_ridge.py
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_regression
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, cross_val_score

import tunelab
from tunelab.samplers.grid import GridSampler

X, y = make_regression(n_samples=300, n_features=60, n_informative=12, noise=25.0, random_state=0)
ALPHAS = np.logspace(-4, 4, 100)
CV = KFold(n_splits=5, shuffle=True, random_state=0)


def cv_score(alpha: float) -> float:
    """Mean 5-fold R^2 of Ridge(alpha)."""
    return float(cross_val_score(Ridge(alpha=alpha), X, y, cv=CV, scoring="r2").mean())


def objective(trial: tunelab.Trial) -> float:
    return cv_score(trial.suggest_float("alpha", 1e-4, 1e4, log=True))


def cv_score_from_params(params: dict) -> float:
    """The objective for a spec file that declares the space (examples/ridge_space.toml)."""
    return cv_score(params["alpha"])


def main() -> None:
    grid = tunelab.create_study(name="ridge-grid", direction="maximize", sampler=GridSampler({"alpha": ALPHAS}))
    grid.optimize(objective)  # stops by itself when the grid is exhausted
    search = tunelab.create_study(name="ridge-search", direction="maximize", sampler="auto", seed=0)
    search.optimize(objective, n_trials=30)
    print(f"{'strategy':<22}{'trials':>7}{'best alpha':>14}{'CV R^2':>10}")
    for label, study in (("exhaustive grid", grid), ("30-trial search", search)):
        best = study.best_trial
        print(f"{label:<22}{len(study.trials):>7}{best.params['alpha']:>14.4g}{best.value:>10.5f}")


if __name__ == "__main__":
    main()
