"""Fixed glibc malloc thresholds in the sidecar's process.

Every ingest message allocates a few arrays of its rows' size (a 256-row step of a
576-wide model: ~0.6 MB each) on the gRPC thread, and the scoring thread frees them.
glibc adapts its thresholds to such sizes: with the defaults, large blocks are mapped
and unmapped, and a thread arena whose free top grows past a couple of megabytes is
trimmed, so the next message's arrays fault their pages in again. Under ``bench
sidecar``'s paced producers that happened in some runs and not others: 0.2-0.5 minor
page faults per scored token and a third more system time. ``serve`` and ``up`` fix the
thresholds before the sidecar is built: blocks below ``MMAP_THRESHOLD`` come from the
heap, and up to ``TRIM_THRESHOLD`` of free heap is kept for the next messages. Nothing
changes where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)

#: ``mallopt`` parameters (glibc's malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: Blocks smaller than this come from the heap (glibc's largest dynamic threshold).
MMAP_THRESHOLD = 32 << 20
#: Free memory at a heap's top kept rather than given back to the system.
TRIM_THRESHOLD = 32 << 20


def fix_malloc_thresholds(
    mmap_threshold: int = MMAP_THRESHOLD, trim_threshold: int = TRIM_THRESHOLD
) -> bool:
    """Set glibc's mmap and trim thresholds (which also stops it adapting them); True
    when both were set, False where there is no glibc ``mallopt``."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and bool(
        mallopt(M_TRIM_THRESHOLD, trim_threshold)
    )
    log.debug("malloc thresholds: mmap %d, trim %d (%s)", mmap_threshold, trim_threshold, done)
    return done
