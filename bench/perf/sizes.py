"""How big a benchmark run is: `tiny` for the smoke test, `small` for a quick look, `full` for `make bench`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    """Repeats and loads for one run; every section reads its numbers from here."""

    name: str
    decode_repeats: int
    decode_max_tokens: int
    hop_levels: tuple[int, ...]
    hop_rounds: int
    hop_min_requests: int
    scaling_levels: tuple[int, ...]
    scaling_min_requests: int
    saturate_s: float
    memory_streams: int
    queue_loads: tuple[int, ...]
    queue_rounds: int
    queue_max_tokens: int
    edge_cloud_rounds: int
    edge_cloud_requests: int


SIZES = {
    "tiny": Size("tiny", 1, 8, (1, 4), 2, 8, (1, 4), 8, 0.5, 10, (1, 2), 1, 4, 2, 3),
    "small": Size("small", 3, 128, (1, 64), 4, 64, (1, 4, 16, 64, 128), 64, 3.0, 100, (1, 2, 4), 2, 16, 4, 10),
    "full": Size("full", 9, 128, (1, 64), 8, 128, (1, 2, 4, 8, 16, 32, 64, 128), 128, 8.0, 100, (1, 2, 4, 8), 3, 16, 8, 20),
}
