"""Keeps the daemon's C heap from holding on to memory Python has already freed (glibc only); call before threads start.

glibc raises its trim threshold each time a large block is freed (up to 32 MB), so the memory
that loading the NER model and the model's chat template churn through stays in the process's
RSS for good. Fixed thresholds hand it back: measured on the daemon, about 16 MB less RSS when idle.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1  # mallopt parameter numbers from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
TRIM_THRESHOLD_BYTES = 4 * 2**20  # free memory above this at the heap's top goes back to the system
# Fixing the trim threshold also freezes the mmap threshold at 128 KB, which would give each decode step's
# vocabulary-sized numpy temporaries (49k floats, 192 KB) a fresh mmap, page faults and munmap.
MMAP_THRESHOLD_BYTES = 2**20
# glibc gives each new thread (the privacy scan workers, gRPC's) its own arena, up to 8 per core, and an
# arena keeps what it once held; two serve the daemon's few busy threads (measured: 8-18 MB less after scans).
ARENA_MAX = 2


def hand_back_freed_memory() -> bool:
    """Cap glibc's arenas and fix its mmap and trim thresholds; False where the C library has no mallopt (macOS, musl)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    settings = ((_M_ARENA_MAX, ARENA_MAX), (_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
    if not all(mallopt(param, value) == 1 for param, value in settings):
        log.debug("mallopt refused; the heap keeps glibc's dynamic thresholds")
        return False
    return True
