"""Studies: ask / tell / best trials (``_study``) and how their trials run (``_optimize``).

``Study.optimize`` builds one worker recipe (``_worker``) and runs it in this
thread, in threads or processes (``_parallel``), or on any concurrent.futures-style
executor (``_executor``); the workers drive the study through ask and tell.
"""

from tunelab.study._compat import (
    MaxTrialsCallback,
    StudySummary,
    copy_study,
    get_all_study_names,
    get_all_study_summaries,
)
from tunelab.study._study import ConstraintsFn, ObjectiveFn, Study, create_study, delete_study, load_study
from tunelab.trial import StudyDirection

__all__ = ["ConstraintsFn", "MaxTrialsCallback", "ObjectiveFn", "Study", "StudyDirection", "StudySummary",
           "copy_study", "create_study", "delete_study", "get_all_study_names", "get_all_study_summaries",
           "load_study"]
