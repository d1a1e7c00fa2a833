"""Studies: ask / tell / best trials (``_study``) and how their trials run (``_optimize``).

``Study.optimize`` builds one worker recipe (``_worker``) and runs it in this
thread, in threads or processes (``_parallel``), or on any concurrent.futures-style
executor (``_executor``); the workers drive the study through ask and tell.
"""

from tunelab.study._study import ConstraintsFn, ObjectiveFn, Study, create_study, delete_study, load_study

__all__ = ["ConstraintsFn", "ObjectiveFn", "Study", "create_study", "delete_study", "load_study"]
