"""Fixtures for the neural-network tests: small data sets and CSV files written on the fly."""

from __future__ import annotations

import pytest

from nn_helpers import mixed_frame


@pytest.fixture(scope="session")
def digits():
    from tunelab.nn.data import load_dataset

    return load_dataset("digits", seed=0)


@pytest.fixture(scope="session")
def iris():
    from tunelab.nn.data import load_dataset

    return load_dataset("iris", seed=0)


@pytest.fixture
def mixed_csv(tmp_path):
    path = tmp_path / "mixed.csv"
    mixed_frame().to_csv(path, index=False)
    return path
