"""The daemon's heap settings take effect on glibc (a refused mallopt would leave the memory figures unexplained)."""

from __future__ import annotations

import sys

import pytest

from edge.heap import hand_back_freed_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_glibc_accepts_the_heap_settings() -> None:
    assert hand_back_freed_memory() is True
