"""Snippet rankers: rank fusion and ranker choice in isolation, and embeddings from the bundled GGUF model."""

from __future__ import annotations

import numpy as np
import pytest

from edge.embeddings import EmbeddingModel, embedding_scores, fused_scores, make_ranker
from edge.planner import bm25_scores, select_snippets
from shared.model_files import resolve_model

FILLER = [
    "The quarterly report notes that office traffic rose slightly after the renovation.",
    "A reminder that badges must be worn at all times inside the west wing.",
    "The cafeteria will serve green curry on Tuesdays starting next month.",
]
NEEDLE = "The access code for the river depot is 7712."


def test_rank_fusion_rewards_agreement_and_keeps_embedding_only_matches() -> None:
    fused = fused_scores([3.0, 0.0, 1.0], [0.2, 0.9, 0.8])
    assert fused[0] > 0 and fused[1] > 0 and fused[2] > 0
    assert fused[2] > fused[1]  # second for both rankers beats first for one and unmatched for the other
    assert fused_scores([], []) == []


def test_ranker_choice_and_a_custom_ranker_in_select_snippets() -> None:
    assert make_ranker("bm25") is bm25_scores
    with pytest.raises(ValueError, match="needs an embedding model"):
        make_ranker("embedding")
    with pytest.raises(ValueError, match="one of bm25, embedding, hybrid"):
        make_ranker("tfidf", None)
    text = " ".join(FILLER * 4 + [NEEDLE])
    # A ranker that only likes sentences with digits picks the needle, whatever BM25 would say.
    picked = select_snippets("zzz", text, top_k=1, ranker=lambda q, chunks: [float(any(c.isdigit() for c in s)) for s in chunks])
    assert picked == [NEEDLE]


@pytest.fixture(scope="module")
def embedder() -> EmbeddingModel:
    path, _ = resolve_model(None, None)
    return EmbeddingModel(path, n_threads=1)


@pytest.mark.e2e
def test_embeddings_from_the_bundled_model_load_lazily_and_are_unit_length(embedder: EmbeddingModel) -> None:
    assert embedder._llm is None  # nothing loaded until the first embed
    vectors = embedder.embed(["The access code is 7712.", "The access code is 7712.", "Green curry on Tuesdays."])
    assert vectors.shape[0] == 3 and vectors.shape[1] >= 64
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float(vectors[0] @ vectors[1]) == pytest.approx(1.0, abs=1e-4)
    assert float(vectors[0] @ vectors[2]) < 0.999


@pytest.mark.e2e
def test_embedding_and_hybrid_rankers_pick_snippets_from_long_context(embedder: EmbeddingModel) -> None:
    text = " ".join(FILLER * 4 + [NEEDLE])
    scores = embedding_scores(embedder, "What is the access code for the river depot?", [*FILLER, NEEDLE])
    assert len(scores) == 4 and all(0 < s <= 1.0 + 1e-6 for s in scores)
    for method in ("embedding", "hybrid"):
        picked = select_snippets("What is the access code for the river depot?", text,
                                 ranker=make_ranker(method, embedder))
        assert 1 <= len(picked) <= 2 and sum(map(len, picked)) < len(text) / 2
    hybrid = select_snippets("What is the access code for the river depot?", text, ranker=make_ranker("hybrid", embedder))
    assert NEEDLE in hybrid  # BM25's top match survives the fusion
