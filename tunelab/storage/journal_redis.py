"""A journal in a Redis list: each operation one JSON string, appended with RPUSH.

Redis runs each command alone, so one RPUSH appends its operations whole and in order
without any lock, and a reader's LRANGE sees only whole operations.  Keep the Redis
server persistent (AOF or RDB snapshots) if the study must outlive a restart.
"""

from __future__ import annotations

import json
from typing import Any

from tunelab._extras import require
from tunelab.storage.journal import BaseJournalBackend

__all__ = ["JournalRedisBackend"]


class JournalRedisBackend(BaseJournalBackend):
    """Optuna's ``JournalRedisBackend(url, use_cluster=False, prefix="")``: the journal in one Redis list.

    The list's key is ``prefix + "tunelab:journal"``; give each journal its own ``prefix``
    to keep several on one server.  Needs the ``redis`` package (``pip install 'tunelab[redis]'``).
    """

    def __init__(self, url: str, use_cluster: bool = False, prefix: str = ""):
        require("redis", "JournalRedisBackend", "redis")
        if not isinstance(url, str) or "://" not in url:
            raise ValueError(f"JournalRedisBackend: argument 'url' must be a Redis URL such as "
                             f"'redis://127.0.0.1:6379/0'; got {url!r}")
        if not isinstance(prefix, str):
            raise TypeError(f"JournalRedisBackend: argument 'prefix' must be a string; got {prefix!r}")
        self._url, self._use_cluster, self._prefix = url, bool(use_cluster), prefix
        self._key = f"{prefix}tunelab:journal"
        self._redis: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self._url, "use_cluster": self._use_cluster, "prefix": self._prefix}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def __repr__(self) -> str:
        from tunelab.storage.base import mask_url

        return f"JournalRedisBackend({mask_url(self._url)!r}, prefix={self._prefix!r})"

    @property
    def key(self) -> str:
        return self._key

    def _client(self) -> Any:
        if self._redis is None:
            import redis

            if self._use_cluster:
                from redis.cluster import RedisCluster

                self._redis = RedisCluster.from_url(self._url)
            else:
                self._redis = redis.Redis.from_url(self._url)
        return self._redis

    def read_logs(self, log_number_from: int) -> list[dict[str, Any]]:
        return [json.loads(item) for item in self._client().lrange(self._key, log_number_from, -1)]

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        if logs:
            self._client().rpush(self._key, *(json.dumps(op, separators=(",", ":")) for op in logs))

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
            self._redis = None
