"""One BLAS thread in the sidecar's process.

The probes' products are ``[rows, d_model] x [d_model, heads]`` with a handful of heads,
done by the one scoring thread; a second BLAS thread never makes them faster. NumPy's
OpenBLAS starts one thread per CPU, and a thread that has just finished its share of a
product spins until its next one: on a sidecar under load it burned about 15 µs of CPU
per scored token (more than the scoring itself) on whatever core was idle, which next to
a CPU-served model is the core vLLM's scheduler uses. ``serve`` and ``up`` limit BLAS to
one thread (threadpoolctl) before the sidecar is built; the concept encoder has its own
onnxruntime threads (``encoder_threads``).
"""

from __future__ import annotations

import logging

from threadpoolctl import threadpool_info, threadpool_limits

log = logging.getLogger(__name__)

BLAS_THREADS = 1


def limit_blas_threads(threads: int = BLAS_THREADS) -> list[int]:
    """Limit every BLAS library loaded in this process to ``threads``; returns the
    thread counts they had (empty when no BLAS library is loaded)."""
    before = [int(info["num_threads"]) for info in threadpool_info() if info["user_api"] == "blas"]
    threadpool_limits(limits=threads, user_api="blas")
    if before:
        log.debug("BLAS threads: %s -> %d", before, threads)
    return before
