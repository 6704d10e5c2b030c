"""Summaries for noisy samples: median with spread, percentiles, and paired differences and ratios."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median and spread (min, interquartile range, max) of repeated measurements."""
    if not values:
        return {"n": 0, "median": float("nan"), "p25": float("nan"), "p75": float("nan"), "min": float("nan"), "max": float("nan")}
    return {
        "n": len(values),
        "median": statistics.median(values),
        "p25": percentile(values, 25),
        "p75": percentile(values, 75),
        "min": min(values),
        "max": max(values),
    }


def paired_ratio(subject: Sequence[float], baseline: Sequence[float]) -> dict[str, float]:
    """Summary of subject[i] / baseline[i] over runs that were interleaved pairwise."""
    return summary([s / b for s, b in zip(subject, baseline, strict=True) if b])


def paired_difference(subject: Sequence[float], baseline: Sequence[float]) -> dict[str, float]:
    """Summary of subject[i] - baseline[i] over runs that were interleaved pairwise."""
    return summary([s - b for s, b in zip(subject, baseline, strict=True)])
