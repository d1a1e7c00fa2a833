"""The storage contract (:class:`tunelab.testing.StorageSuite`) on every backend: memory, SQLite, PostgreSQL and
MariaDB, through the parametrised ``backend`` fixture of tests/storage/conftest.py."""

from tunelab.testing import StorageSuite


class TestStorageContract(StorageSuite):
    """Every test of the suite, once per backend."""
