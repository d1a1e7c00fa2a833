"""tunelab.artifacts: Optuna's names and signatures, a round trip through every SQL storage, refused ids."""

from __future__ import annotations

import inspect
import io
import json
import os

import optuna
import optuna.artifacts
import pytest

import tunelab
from tunelab.artifacts import (ArtifactMeta, ArtifactNotFound, Backoff, FileSystemArtifactStore, download_artifact,
                               get_all_artifact_meta, upload_artifact)

NOT_PROVIDED = {"Boto3ArtifactStore", "GCSArtifactStore"}


def test_optuna_names_and_keywords() -> None:
    assert set(optuna.artifacts.__all__) - NOT_PROVIDED <= set(tunelab.artifacts.__all__)
    assert tunelab.artifacts.exceptions.ArtifactNotFound is ArtifactNotFound
    assert issubclass(ArtifactNotFound, tunelab.exceptions.OptunaError)
    for name in ("download_artifact", "get_all_artifact_meta", "FileSystemArtifactStore", "Backoff"):
        ours = inspect.signature(getattr(tunelab.artifacts, name)).parameters
        theirs = inspect.signature(getattr(optuna.artifacts, name)).parameters
        assert [(p.name, p.kind) for p in ours.values()] == [(p.name, p.kind) for p in theirs.values()], name
    ours = inspect.signature(upload_artifact).parameters
    theirs = inspect.signature(optuna.artifacts.upload_artifact).parameters
    assert {n for n, p in ours.items() if p.kind == p.KEYWORD_ONLY} == set(theirs)
    assert [f for f in ArtifactMeta.__dataclass_fields__] == list(optuna.artifacts.ArtifactMeta.__dataclass_fields__)
    from tunelab.artifacts import Boto3ArtifactStore, GCSArtifactStore  # imports work, as in Optuna

    assert hasattr(tunelab.artifacts, "Boto3ArtifactStore") and not hasattr(tunelab.artifacts, "S3Store")
    for store in (Boto3ArtifactStore, GCSArtifactStore):
        with pytest.raises(ImportError, match=f"no {store.__name__}.*FileSystemArtifactStore"):
            store("bucket")


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def db_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


def test_upload_in_optimize_reload_and_download(tmp_path, db_url: str, unique_name: str) -> None:
    store = FileSystemArtifactStore(tmp_path / "artifacts")

    def objective(trial: tunelab.Trial) -> float:
        x = trial.suggest_float("x", -1, 1)
        path = tmp_path / f"model-{trial.number}.txt"
        path.write_bytes(f"weights of trial {trial.number}: {x!r}\n".encode())
        upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=trial)
        return x ** 2

    study = tunelab.create_study(study_name=unique_name, storage=db_url, sampler="random")
    study.optimize(objective, n_trials=3)
    notes = tmp_path / "notes.json.gz"
    notes.write_bytes(b"\x1f\x8b not really gzip")
    study_artifact = upload_artifact(artifact_store=store, file_path=str(notes), study_or_trial=study,
                                     mimetype="application/json")

    reloaded = tunelab.load_study(study_name=unique_name, storage=db_url)
    for trial in reloaded.trials:
        metas = get_all_artifact_meta(trial, storage=reloaded.storage)
        assert metas == get_all_artifact_meta(trial)  # the record's own attributes say the same
        assert [(m.filename, m.mimetype, m.encoding) for m in metas] == [(f"model-{trial.number}.txt", "text/plain",
                                                                          None)]
        out = tmp_path / f"back-{trial.number}.txt"
        download_artifact(artifact_store=store, file_path=str(out), artifact_id=metas[0].artifact_id)
        assert out.read_bytes() == f"weights of trial {trial.number}: {trial.params['x']!r}\n".encode()
    # the study's own artifacts, not its trials'
    study_metas = get_all_artifact_meta(reloaded)
    assert study_metas == [ArtifactMeta(study_artifact, "notes.json.gz", "application/json", "gzip")]
    # Optuna's layout: one system attribute per artifact, a JSON string under "artifacts:<id>"
    stored = reloaded.system_attrs[f"artifacts:{study_artifact}"]
    assert json.loads(stored) == {"artifact_id": study_artifact, "filename": "notes.json.gz",
                                  "mimetype": "application/json", "encoding": "gzip"}


def test_frozen_trial_needs_a_storage_and_a_running_trial(tmp_path) -> None:
    study = tunelab.create_study(sampler="random")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    store = FileSystemArtifactStore(tmp_path / "store")
    (tmp_path / "a.bin").write_bytes(b"\x00\x01")
    finished = study.trials[0]
    with pytest.raises(ValueError, match="trial 0 is COMPLETE"):  # finished trials cannot change (as in Optuna)
        upload_artifact(artifact_store=store, file_path=str(tmp_path / "a.bin"), study_or_trial=finished,
                        storage=study.storage)
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").iterdir())
    study.ask()
    running = study.trials[1]
    with pytest.raises(ValueError, match="'storage' is required"):
        upload_artifact(artifact_store=store, file_path=str(tmp_path / "a.bin"), study_or_trial=running)
    artifact_id = upload_artifact(artifact_store=store, file_path=str(tmp_path / "a.bin"), study_or_trial=running,
                                  storage=study.storage)
    [meta] = get_all_artifact_meta(running, storage=study.storage)
    assert (meta.artifact_id, meta.mimetype) == (artifact_id, "application/octet-stream")
    assert get_all_artifact_meta(running) == []  # the record loaded before the upload knows nothing of it
    with pytest.warns(FutureWarning, match="positional"):
        second = upload_artifact(running, str(tmp_path / "a.bin"), store, storage=study.storage)
    assert {m.artifact_id for m in get_all_artifact_meta(running, storage=study.storage)} == {artifact_id, second}


def test_path_traversal_is_refused(tmp_path) -> None:
    base = tmp_path / "store"
    base.mkdir()
    (tmp_path / "secret").write_bytes(b"do not read")
    os.symlink(tmp_path, base / "link")
    store = FileSystemArtifactStore(base)
    for bad in ["../secret", "a/../../secret", str(tmp_path / "secret"), "link/secret", "", ".", "x\x00y"]:
        with pytest.raises(ValueError, match="artifact_id"):
            store.open_reader(bad)
        with pytest.raises(ValueError, match="artifact_id"):
            store.write(bad, io.BytesIO(b"overwrite"))
        with pytest.raises(ValueError, match="artifact_id"):
            store.remove(bad)
    assert (tmp_path / "secret").read_bytes() == b"do not read"
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="artifact_id"):
        download_artifact(artifact_store=store, file_path=str(out), artifact_id="../secret")
    assert not out.exists()
    store.write("sub/dir/ok", io.BytesIO(b"inside"))  # a relative path inside the store is fine
    assert store.open_reader("sub/dir/ok").read() == b"inside"


def test_missing_id_raises_artifact_not_found_and_leaves_no_file(tmp_path) -> None:
    store = FileSystemArtifactStore(tmp_path / "store")
    out = tmp_path / "out.bin"
    with pytest.raises(ArtifactNotFound, match="nope"):
        download_artifact(artifact_store=store, file_path=str(out), artifact_id="nope")
    assert not out.exists()
    with pytest.raises(ArtifactNotFound):
        store.remove("nope")
    store.write("there", io.BytesIO(b"1"))
    out.write_bytes(b"mine")
    with pytest.raises(FileExistsError, match="out.bin"):
        download_artifact(artifact_store=store, file_path=str(out), artifact_id="there")
    assert out.read_bytes() == b"mine"
    store.remove("there")
    with pytest.raises(ArtifactNotFound):
        store.open_reader("there")


def test_bad_arguments_name_the_field(tmp_path) -> None:
    study = tunelab.create_study(sampler="random")
    (tmp_path / "f").write_bytes(b"1")
    store = FileSystemArtifactStore(tmp_path)
    with pytest.raises(TypeError, match="'artifact_store'"):
        upload_artifact(artifact_store=str(tmp_path), file_path=str(tmp_path / "f"), study_or_trial=study)
    with pytest.raises(TypeError, match="'study_or_trial'"):
        upload_artifact(artifact_store=store, file_path=str(tmp_path / "f"), study_or_trial="study")
    with pytest.raises(TypeError, match="'file_path' is required"):
        upload_artifact(artifact_store=store, study_or_trial=study)
    with pytest.raises(FileNotFoundError, match="'file_path'"):
        upload_artifact(artifact_store=store, file_path=str(tmp_path / "missing"), study_or_trial=study)
    with pytest.raises(ValueError, match="FixedTrial"):
        upload_artifact(artifact_store=store, file_path=str(tmp_path / "f"),
                        study_or_trial=tunelab.trial.FixedTrial({}))
    with pytest.raises(ValueError, match="'max_retries'"):
        Backoff(store, max_retries=0)
    assert get_all_artifact_meta(study) == []


class _Flaky:
    """A store whose first ``fails`` writes and reads raise OSError."""

    def __init__(self, inner: FileSystemArtifactStore, fails: int) -> None:
        self.inner, self.fails, self.calls = inner, fails, 0

    def _maybe_fail(self) -> None:
        self.calls += 1
        if self.calls <= self.fails:
            raise OSError("connection reset")

    def open_reader(self, artifact_id: str):
        self._maybe_fail()
        return self.inner.open_reader(artifact_id)

    def write(self, artifact_id: str, content_body) -> None:
        if self.calls < self.fails:
            content_body.read(3)  # a failed attempt that consumed part of the stream: Backoff must rewind it
        self._maybe_fail()
        self.inner.write(artifact_id, content_body)

    def remove(self, artifact_id: str) -> None:
        self._maybe_fail()
        self.inner.remove(artifact_id)


def test_backoff_retries_transient_errors_but_not_missing_ids(tmp_path) -> None:
    flaky = _Flaky(FileSystemArtifactStore(tmp_path), fails=2)
    store = Backoff(flaky, max_retries=3, min_delay=0.001, max_delay=0.002)
    store.write("a", io.BytesIO(b"payload"))
    assert flaky.calls == 3
    assert store.open_reader("a").read() == b"payload"
    flaky.calls, flaky.fails = 0, 0
    with pytest.raises(ArtifactNotFound):
        store.open_reader("missing")
    assert flaky.calls == 1  # not retried: a missing artifact will not appear by waiting
    flaky.calls, flaky.fails = 0, 5
    with pytest.raises(OSError, match="connection reset"):
        store.remove("a")
    assert flaky.calls == 3


def test_bytes_are_removed_when_the_metadata_cannot_be_stored(tmp_path) -> None:
    study = tunelab.create_study(sampler="random")
    trial = study.ask()
    stale = study.trials[0]  # a record taken while the trial ran
    study.tell(trial, 1.0)
    (tmp_path / "a.bin").write_bytes(b"late")
    store = FileSystemArtifactStore(tmp_path / "store")
    with pytest.raises(tunelab.exceptions.UpdateFinishedTrialError):
        upload_artifact(artifact_store=store, file_path=str(tmp_path / "a.bin"), study_or_trial=stale,
                        storage=study.storage)
    assert [p.name for p in (tmp_path / "store").iterdir()] == []


def test_copy_study_keeps_the_artifact_metadata(tmp_path) -> None:
    store = FileSystemArtifactStore(tmp_path / "store")
    (tmp_path / "f.txt").write_text("hi")

    def objective(trial: tunelab.Trial) -> float:
        upload_artifact(artifact_store=store, file_path=str(tmp_path / "f.txt"), study_or_trial=trial)
        return trial.suggest_float("x", 0, 1)

    source = f"sqlite:///{tmp_path / 'a.db'}"
    study = tunelab.create_study(study_name="a", storage=source, sampler="random")
    study.optimize(objective, n_trials=2)
    upload_artifact(artifact_store=store, file_path=str(tmp_path / "f.txt"), study_or_trial=study)
    target = f"sqlite:///{tmp_path / 'b.db'}"
    tunelab.copy_study(from_study_name="a", from_storage=source, to_storage=target, to_study_name="b")
    copied = tunelab.load_study(study_name="b", storage=target)
    assert get_all_artifact_meta(copied) == get_all_artifact_meta(study)
    assert [get_all_artifact_meta(t) for t in copied.trials] == [get_all_artifact_meta(t) for t in study.trials]
    assert all(len(get_all_artifact_meta(t)) == 1 for t in copied.trials)
