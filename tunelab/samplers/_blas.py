"""One BLAS thread while a sampler's model works (the GP's fits and TPE's Parzen estimators).

Their matrices are small (a few hundred to ten thousand rows, a handful of columns),
and threaded BLAS on busy cores is many times slower than one thread: its workers
spin for cores that other processes hold (a 500x500 Cholesky took 40x longer on a
loaded 2-core machine; TPE's 24 x 6 by 6 x 10,000 product 50x longer).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator

_BLAS_LOCK = threading.Lock()
_BLAS_STATE: dict[str, Any] = {"users": 0, "limiter": None, "controller": None}


@contextlib.contextmanager
def single_thread_blas() -> Iterator[None]:
    """One BLAS thread inside the block (see the module docstring).

    Counted, so that parallel asks in threads restore the caller's setting only when
    the last one leaves.
    """
    with _BLAS_LOCK:
        if _BLAS_STATE["users"] == 0:
            try:
                if _BLAS_STATE["controller"] is None:
                    from threadpoolctl import ThreadpoolController

                    _BLAS_STATE["controller"] = ThreadpoolController()
                _BLAS_STATE["limiter"] = _BLAS_STATE["controller"].limit(limits=1, user_api="blas")
            except Exception:  # threadpoolctl missing or blind to this BLAS: run as is
                _BLAS_STATE["limiter"] = None
        _BLAS_STATE["users"] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_STATE["users"] -= 1
            if _BLAS_STATE["users"] == 0 and _BLAS_STATE["limiter"] is not None:
                _BLAS_STATE["limiter"].restore_original_limits()
                _BLAS_STATE["limiter"] = None
