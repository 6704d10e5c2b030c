"""Top-k entropy: the per-token computation in edge/model.py against a brute-force reference, and its features."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edge.features import EMPTY_ENTROPY, FEATURE_NAMES, RequestShape, entropy_features, extract_features
from edge.model import TOP_K_ENTROPY, _token_stats


def _reference(logits: np.ndarray, token: int, k: int) -> tuple[float, float]:
    """log softmax and top-k entropy by sorting the whole row, in float64."""
    row = logits.astype(np.float64)
    log_probs = row - (row.max() + np.log(np.exp(row - row.max()).sum()))
    top = np.sort(log_probs)[-k:]
    return float(log_probs[token]), float(-(np.exp(top) * top).sum())


@pytest.mark.parametrize("spread", [0.5, 3.0, 8.0])
def test_token_stats_match_a_full_sort(spread: float) -> None:
    rng = np.random.default_rng(7)
    logits = (rng.standard_normal(49152) * spread).astype(np.float32)
    logits[:3] += np.array([12.0, 11.0, 9.0], dtype=np.float32)  # a peaked head, like a real next-token row
    for token in (0, 2, 500):
        logprob, entropy = _token_stats(logits, token)
        want_logprob, want_entropy = _reference(logits, token, TOP_K_ENTROPY)
        assert logprob == pytest.approx(want_logprob, abs=1e-4)
        assert entropy == pytest.approx(want_entropy, abs=1e-3)


def test_entropy_is_zero_for_a_certain_token_and_log_k_for_a_flat_head() -> None:
    certain = np.full(1000, -50.0, dtype=np.float32)
    certain[3] = 50.0
    assert _token_stats(certain, 3) == pytest.approx((0.0, 0.0), abs=1e-6)
    flat = np.full(1000, -60.0, dtype=np.float32)
    flat[:10] = 0.0  # ten equally likely candidates hold all the mass
    assert _token_stats(flat, 0)[1] == pytest.approx(math.log(10), abs=1e-4)


def test_entropy_features_are_length_aware() -> None:
    stats = entropy_features([0.1, 2.0, 0.3, 0.0, 1.5])
    assert stats["ent_mean"] == pytest.approx(3.9 / 5)
    assert stats["ent_max"] == 2.0
    assert stats["ent_head_mean"] == pytest.approx(2.4 / 4)
    assert stats["ent_high_share"] == pytest.approx(2 / 5)
    # Doubling the answer with the same entropies changes no mean or share.
    assert entropy_features([0.1, 2.0, 0.3, 0.0, 1.5] * 2)["ent_mean"] == pytest.approx(stats["ent_mean"])


def test_missing_entropies_read_as_unsure_and_every_feature_is_named() -> None:
    row = extract_features(RequestShape("What is the capital of Peru?"), "Lima", [-0.1])
    assert row["ent_mean"] == EMPTY_ENTROPY and row["ent_high_share"] == 1.0
    assert {"ent_mean", "ent_max", "ent_head_mean", "ent_high_share"} <= set(FEATURE_NAMES)
    assert set(row) == set(FEATURE_NAMES)
