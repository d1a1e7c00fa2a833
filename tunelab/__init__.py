"""tunelab: hyperparameter tuning for neural networks and any other model.

The public names follow Optuna's (create_study, suggest_float, ask/tell) so that
switching costs little.  Heavy modules (samplers' models, SQL, pandas, torch)
load on first use: `import tunelab` stays fast.
"""

from tunelab.samplers.base import SearchExhausted
from tunelab.space import (
    Categorical,
    CategoricalDistribution,
    Float,
    FloatDistribution,
    Int,
    IntDistribution,
    Param,
    SearchSpace,
)
from tunelab.storage import DuplicatedStudyError, StorageError, StudyNotFoundError
from tunelab.study import Study, create_study, delete_study, load_study
from tunelab.trial import FixedTrial, FrozenTrial, StudyDirection, Trial, TrialPruned, TrialState

__version__ = "0.1.0"

__all__ = [
    "Categorical",
    "CategoricalDistribution",
    "DuplicatedStudyError",
    "FixedTrial",
    "Float",
    "FloatDistribution",
    "FrozenTrial",
    "Int",
    "IntDistribution",
    "Param",
    "SearchExhausted",
    "SearchSpace",
    "StorageError",
    "Study",
    "StudyDirection",
    "StudyNotFoundError",
    "Trial",
    "TrialPruned",
    "TrialState",
    "create_study",
    "delete_study",
    "load_study",
    "samplers",
    "pruners",
]


_OPTUNA_FUNCTIONS = {"get_all_study_summaries": "tunelab.study", "get_all_study_names": "tunelab.study",
                     "copy_study": "tunelab.study", "create_trial": "tunelab.trial"}


def __getattr__(name: str):
    """Subpackages not imported eagerly (tunelab.nn, tunelab.integration, ...) load on first access."""
    import importlib
    import importlib.util

    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _OPTUNA_FUNCTIONS:  # Optuna's top-level functions that live in tunelab.study / tunelab.trial
        return getattr(importlib.import_module(_OPTUNA_FUNCTIONS[name]), name)
    raise AttributeError(f"module 'tunelab' has no attribute {name!r}")
