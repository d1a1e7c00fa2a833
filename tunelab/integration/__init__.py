"""Adapters to other libraries: scikit-learn (``sklearn``: SearchCV), PyTorch Lightning (``lightning``), Ray
(``ray``), Dask (``dask``: ``DaskStorage``); each module imports its library on use, so import the one you need, e.g.
``from tunelab.integration.sklearn import SearchCV``."""

# Optuna's ``from optuna.integration import XCallback`` names, each loaded (with its library) on first use
_OPTUNA_NAMES = {
    "LightGBMPruningCallback": "lightgbm",
    "XGBoostPruningCallback": "xgboost",
    "PyTorchLightningPruningCallback": "lightning",
    "MLflowCallback": "mlflow",
    "TensorBoardCallback": "tensorboard",
    "DaskStorage": "dask",
    "OptunaSearchCV": "_optuna_sklearn",
}

# submodules reached as attributes, as Optuna's examples do (``optuna.integration.dask.DaskStorage()``)
_SUBMODULES = {"dask", "lightgbm", "lightning", "mlflow", "pytorch_lightning", "ray", "sklearn", "tensorboard",
               "xgboost"}


def __getattr__(name: str) -> object:
    if name in _OPTUNA_NAMES:
        import importlib

        return getattr(importlib.import_module(f"tunelab.integration.{_OPTUNA_NAMES[name]}"), name)
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"tunelab.integration.{name}")
    raise AttributeError(f"module 'tunelab.integration' has no attribute {name!r}")
