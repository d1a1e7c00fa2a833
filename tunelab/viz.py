"""A short alias: ``tunelab.viz.plot_slice(study)`` is ``tunelab.visualization.plot_slice(study)``."""

from tunelab.visualization import *  # noqa: F401,F403
from tunelab.visualization import __all__  # noqa: F401
