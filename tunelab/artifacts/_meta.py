"""Upload, list and download artifacts; their metadata lives in the study's or trial's system attributes.

Keeping the metadata in the storage (one system attribute per artifact, keyed
``artifacts:<id>`` with a JSON value, the layout Optuna uses) means it is saved
by every tunelab storage, survives ``load_study``, is copied by ``copy_study``,
and is read the same way from a study migrated from Optuna.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
import os
import shutil
import uuid
import warnings
from dataclasses import asdict, dataclass
from typing import Any

from tunelab.artifacts._store import ArtifactStore

ATTR_PREFIX = "artifacts:"
DEFAULT_MIMETYPE = "application/octet-stream"


@dataclass
class ArtifactMeta:
    """What is known of one uploaded artifact: its id in the store, file name, MIME type and encoding."""

    artifact_id: str
    filename: str
    mimetype: str
    encoding: str | None


def _resolve(study_or_trial: Any, storage: Any, owner: str, need_storage: bool) -> tuple[str, int, Any]:
    """``("study" | "trial", id, storage)`` of the object the artifact is attached to (storage None: use the record)."""
    from tunelab.storage import get_storage
    from tunelab.study import Study
    from tunelab.trial import FixedTrial, FrozenTrial, Trial

    if storage is not None:
        storage = get_storage(storage)
    if isinstance(study_or_trial, Study):
        return "study", study_or_trial.study_id, storage or study_or_trial.storage
    if isinstance(study_or_trial, FixedTrial):
        raise ValueError(f"{owner}: a FixedTrial belongs to no study, so there is nowhere to keep artifact "
                         "metadata; pass a Trial from study.optimize/ask, a FrozenTrial with storage=, or a Study")
    if isinstance(study_or_trial, Trial):
        return "trial", study_or_trial.trial_id, storage or study_or_trial.study.storage
    if isinstance(study_or_trial, FrozenTrial):
        if need_storage:
            if storage is None:
                raise ValueError(f"{owner}: argument 'storage' is required when 'study_or_trial' is a FrozenTrial "
                                 "(pass study.storage or the storage URL)")
            if study_or_trial.state.is_finished():
                raise ValueError(f"{owner}: trial {study_or_trial.number} is {study_or_trial.state.name} and can no "
                                 "longer change; attach artifacts while the trial runs (in the objective) or to "
                                 "the study")
        return "trial", study_or_trial.trial_id, storage
    raise TypeError(f"{owner}: argument 'study_or_trial' must be a Study, a Trial or a FrozenTrial; "
                    f"got {study_or_trial!r}")


_OLD_POSITIONAL = ("study_or_trial", "file_path", "artifact_store")


def upload_artifact(*args: Any, artifact_store: ArtifactStore | None = None, file_path: str | os.PathLike | None = None,
                    study_or_trial: Any = None, storage: Any = None, mimetype: str | None = None,
                    encoding: str | None = None) -> str:
    """Copy the file at ``file_path`` into ``artifact_store`` and attach it to a study or trial; return its id.

    ``mimetype`` and ``encoding`` are guessed from the file name when not given.
    ``storage`` is needed only for a FrozenTrial.  The bytes are written first,
    so the metadata never points at an artifact that is not in the store.  The
    old positional form ``(study_or_trial, file_path, artifact_store)`` still
    works, with a FutureWarning, as in Optuna.
    """
    given = {"artifact_store": artifact_store, "file_path": file_path, "study_or_trial": study_or_trial}
    if args:
        if len(args) > len(_OLD_POSITIONAL):
            raise TypeError(f"upload_artifact: at most {len(_OLD_POSITIONAL)} positional arguments "
                            f"{_OLD_POSITIONAL}; got {len(args)}")
        warnings.warn("upload_artifact: positional arguments are deprecated; pass artifact_store=, file_path= and "
                      "study_or_trial= by keyword", FutureWarning, stacklevel=2)
        for name, value in zip(_OLD_POSITIONAL, args):
            if given[name] is not None:
                raise TypeError(f"upload_artifact: argument {name!r} given both by position and by keyword")
            given[name] = value
    for name, value in given.items():
        if value is None:
            raise TypeError(f"upload_artifact: argument {name!r} is required")
    artifact_store, file_path, study_or_trial = given["artifact_store"], given["file_path"], given["study_or_trial"]
    if not isinstance(artifact_store, ArtifactStore):
        raise TypeError(f"upload_artifact: argument 'artifact_store' must be an artifact store (open_reader, write, "
                        f"remove), e.g. FileSystemArtifactStore; got {artifact_store!r}")
    if not isinstance(file_path, (str, os.PathLike)):
        raise TypeError(f"upload_artifact: argument 'file_path' must be a path; got {file_path!r}")
    for name, value in (("mimetype", mimetype), ("encoding", encoding)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"upload_artifact: argument {name!r} must be a str or None; got {value!r}")
    if not os.path.isfile(file_path):
        raise FileNotFoundError(f"upload_artifact: 'file_path' {os.fspath(file_path)!r} is not a file")
    kind, owner_id, storage = _resolve(study_or_trial, storage, "upload_artifact", need_storage=True)

    filename = os.path.basename(os.fspath(file_path))
    guessed_type, guessed_encoding = mimetypes.guess_type(filename)
    meta = ArtifactMeta(artifact_id=str(uuid.uuid4()), filename=filename,
                        mimetype=mimetype or guessed_type or DEFAULT_MIMETYPE, encoding=encoding or guessed_encoding)
    with open(file_path, "rb") as body:
        artifact_store.write(meta.artifact_id, body)
    key, value = ATTR_PREFIX + meta.artifact_id, json.dumps(asdict(meta))
    try:
        if kind == "study":
            storage.set_study_attr(owner_id, key, value, system=True)
        else:
            storage.set_trial_system_attr(owner_id, key, value)
    except BaseException:
        with contextlib.suppress(Exception):
            artifact_store.remove(meta.artifact_id)
        raise
    return meta.artifact_id


def _decode(key: str, value: Any) -> ArtifactMeta:
    fields = json.loads(value) if isinstance(value, (str, bytes)) else dict(value)
    return ArtifactMeta(artifact_id=str(fields.get("artifact_id", key[len(ATTR_PREFIX):])),
                        filename=str(fields["filename"]), mimetype=str(fields.get("mimetype") or DEFAULT_MIMETYPE),
                        encoding=fields.get("encoding"))


def get_all_artifact_meta(study_or_trial: Any, *, storage: Any = None) -> list[ArtifactMeta]:
    """The artifacts attached to this study (not its trials) or this trial, in upload order.

    For a FrozenTrial without ``storage`` its own ``system_attrs`` are read (the
    record as it was loaded); with ``storage`` the stored trial is read afresh.
    """
    kind, owner_id, storage = _resolve(study_or_trial, storage, "get_all_artifact_meta", need_storage=False)
    if kind == "study":
        attrs = storage.get_study_attrs(owner_id, system=True)
    elif storage is None:
        attrs = study_or_trial.system_attrs
    else:
        attrs = storage.get_trial(owner_id).system_attrs
    return [_decode(k, v) for k, v in attrs.items() if isinstance(k, str) and k.startswith(ATTR_PREFIX)]


def download_artifact(*, artifact_store: ArtifactStore, file_path: str | os.PathLike, artifact_id: str) -> None:
    """Write the bytes stored under ``artifact_id`` to a new file ``file_path`` (FileExistsError if it exists).

    A missing id raises :class:`~tunelab.artifacts.ArtifactNotFound` and leaves no file behind.
    """
    if not isinstance(artifact_store, ArtifactStore):
        raise TypeError(f"download_artifact: argument 'artifact_store' must be an artifact store; "
                        f"got {artifact_store!r}")
    if not isinstance(file_path, (str, os.PathLike)):
        raise TypeError(f"download_artifact: argument 'file_path' must be a path; got {file_path!r}")
    if os.path.exists(file_path):
        raise FileExistsError(f"download_artifact: 'file_path' {os.fspath(file_path)!r} exists already")
    with artifact_store.open_reader(artifact_id) as reader:
        try:
            with open(file_path, "xb") as writer:
                shutil.copyfileobj(reader, writer)
        except FileExistsError:
            raise
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.remove(file_path)
            raise
