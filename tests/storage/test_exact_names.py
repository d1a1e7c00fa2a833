"""Names and keys compare exactly, byte for byte, on every storage (case, accents, trailing spaces).

MySQL/MariaDB's default collations would fold 'lr' and 'LR' into one row; the schema uses utf8mb4_bin.
"""

from __future__ import annotations

import pytest

import tunelab
from tunelab.space import CategoricalDistribution, FloatDistribution
from tunelab.storage import DuplicatedStudyError, StudyNotFoundError
from tunelab.trial import StudyDirection, TrialState

MIN = StudyDirection.MINIMIZE
NEAR_NAMES = ["Foo", "FOO", "foo", "café", "cafe", "cafe ", "caf\u0065\u0301"]  # the last: 'café' decomposed


def test_parameters_differing_in_case_stay_apart_in_one_trial(storage):
    study = tunelab.create_study(study_name="p", storage=storage)
    trial = study.ask()
    assert trial.suggest_float("lr", 0.001, 0.1) != trial.suggest_categorical("LR", ["cosine", "step"])
    trial.suggest_float("lr ", 5.0, 6.0)
    study.tell(trial, 1.0)
    done = study.trials[0]
    assert set(done.params) == {"lr", "LR", "lr "}
    assert isinstance(done.params["lr"], float) and 0.001 <= done.params["lr"] <= 0.1
    assert done.params["LR"] in ("cosine", "step") and 5.0 <= done.params["lr "] <= 6.0
    assert done.distributions["LR"] == CategoricalDistribution(["cosine", "step"])
    assert done.distributions["lr"] == FloatDistribution(0.001, 0.1)
    assert study.best_params == done.params


def test_attribute_keys_differing_in_case_or_accent_stay_apart(storage):
    sid = storage.create_study("a", [MIN])
    tid, _ = storage.create_trial(sid)
    keys = ["key", "KEY", "kéy", "key "]
    for i, key in enumerate(keys):
        storage.set_trial_user_attr(tid, key, i)
        storage.set_trial_system_attr(tid, key, -i)
        storage.set_study_attr(sid, key, i * 10)
    storage.finish_trial(tid, TrialState.COMPLETE, [0.0])
    trial = storage.get_trial(tid)
    assert trial.user_attrs == {k: i for i, k in enumerate(keys)}
    assert trial.system_attrs == {k: -i for i, k in enumerate(keys)}
    assert storage.get_study_attrs(sid) == {k: i * 10 for i, k in enumerate(keys)}


def test_study_names_differing_in_case_accent_or_spaces_are_different_studies(storage):
    ids = {name: storage.create_study(name, [MIN]) for name in NEAR_NAMES}
    assert len(set(ids.values())) == len(NEAR_NAMES)
    for name, sid in ids.items():
        assert storage.get_study_id(name) == sid
        assert storage.get_study_name(sid) == name
    assert sorted(s.name for s in storage.list_studies()) == sorted(NEAR_NAMES)
    with pytest.raises(DuplicatedStudyError):
        storage.create_study("café", [MIN])


def test_load_study_finds_only_the_exact_name(storage):
    tunelab.create_study(study_name="Foo", storage=storage)
    with pytest.raises(StudyNotFoundError, match="FOO"):
        tunelab.load_study(study_name="FOO", storage=storage)
    with pytest.raises(StudyNotFoundError):
        tunelab.load_study(study_name="Foo ", storage=storage)
    assert tunelab.load_study(study_name="Foo", storage=storage).study_name == "Foo"


def test_grid_claims_differing_in_case_are_separate(storage):
    sid = storage.create_study("c", [MIN])
    assert storage.claim(sid, "a") and storage.claim(sid, "A") and storage.claim(sid, "á")
    assert not storage.claim(sid, "A")
