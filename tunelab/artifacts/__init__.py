"""Optuna's ``optuna.artifacts``: files (models, plots, logs) attached to a study or a trial.

The bytes go to an artifact store (:class:`FileSystemArtifactStore`, optionally
wrapped in :class:`Backoff`, or any object with ``open_reader``/``write``/``remove``);
the metadata (:class:`ArtifactMeta`) goes to the study's storage as a system
attribute, so it is kept by every tunelab storage and read back after
``load_study``.  Optuna's ``Boto3ArtifactStore`` and ``GCSArtifactStore`` are
not provided (see docs/migrating.md): their names import, and making one raises
an ImportError; an S3 or GCS store is a small class with those three methods.
"""

from __future__ import annotations

from tunelab.artifacts._meta import ArtifactMeta, download_artifact, get_all_artifact_meta, upload_artifact
from tunelab.artifacts._store import ArtifactStore, Backoff, FileSystemArtifactStore
from tunelab.artifacts.exceptions import ArtifactNotFound

__all__ = [
    "ArtifactMeta",
    "ArtifactNotFound",
    "ArtifactStore",
    "Backoff",
    "FileSystemArtifactStore",
    "download_artifact",
    "get_all_artifact_meta",
    "upload_artifact",
]

def _not_provided(name: str) -> type:
    """A stand-in for one of Optuna's cloud stores: importing it works (as in Optuna without boto3 or
    google-cloud-storage), making one raises an ImportError that says what to use instead."""
    message = (f"tunelab.artifacts has no {name}: cloud artifact stores are not provided. Use "
               "FileSystemArtifactStore (on a shared mount) or write a class with open_reader(id), "
               "write(id, stream) and remove(id); see docs/migrating.md")

    def refuse(self: object, *args: object, **kwargs: object) -> None:
        raise ImportError(message)

    return type(name, (), {"__init__": refuse, "__doc__": message, "tunelab_not_provided": True,
                           "__module__": __name__})


Boto3ArtifactStore = _not_provided("Boto3ArtifactStore")
GCSArtifactStore = _not_provided("GCSArtifactStore")
