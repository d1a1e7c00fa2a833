"""The artifact errors (Optuna's ``optuna.artifacts.exceptions``)."""

from __future__ import annotations

from tunelab.exceptions import OptunaError

__all__ = ["ArtifactNotFound"]


class ArtifactNotFound(OptunaError):
    """An artifact store has nothing under the given artifact id."""
