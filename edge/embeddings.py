"""Offline embedding similarity for snippet selection, with the local GGUF model in llama.cpp's embedding mode.

The bundled SmolLM2 is a decoder-only chat model, not a trained sentence encoder; mean pooling over its last
hidden states is the standard way to get one vector per text from such a model. It needs no download: the same
GGUF file the daemon already verified is opened a second time with `embedding=True`, and only on first use, so a
daemon that keeps the default BM25 selection never pays for it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from edge.planner import Ranker, bm25_scores
from shared.errors import ModelError

SnippetMethod = Literal["bm25", "embedding", "hybrid"]
SNIPPET_METHODS: tuple[str, ...] = ("bm25", "embedding", "hybrid")
EMBED_N_CTX = 512  # one sentence or question at a time; longer chunks are truncated to this many tokens
RRF_K = 60  # reciprocal-rank fusion constant (Cormack et al. 2009): ranks, not raw scores, are combined


class EmbeddingModel:
    """A GGUF model opened in embedding mode with mean pooling, loaded on the first `embed` call."""

    def __init__(self, path: Path, n_threads: int | None = None) -> None:
        self.path = path
        self.n_threads = n_threads
        self._llm: Any = None
        self._lock = threading.Lock()  # one llama.cpp context: one caller at a time

    def _load(self) -> Any:
        try:
            import llama_cpp
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError("llama-cpp-python is not installed: pip install 'tandem[edge]'") from exc
        try:
            return llama_cpp.Llama(
                model_path=str(self.path), embedding=True, pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
                n_ctx=EMBED_N_CTX, n_batch=EMBED_N_CTX, n_threads=self.n_threads, verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"failed to load embedding model {self.path}: {exc}") from None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length mean-pooled embeddings, one row per text."""
        with self._lock:
            if self._llm is None:
                self._llm = self._load()
            # One call: llama-cpp-python packs the texts as parallel sequences of one batch (one decode, not one each).
            rows = self._llm.embed([text or " " for text in texts], normalize=True, truncate=True)
        return np.asarray(rows, dtype=np.float64)


def embedding_scores(model: EmbeddingModel, query: str, chunks: Sequence[str]) -> list[float]:
    """Cosine similarity of each chunk to `query`, shifted into (0, 1] so every chunk counts as a match."""
    if not chunks:
        return []
    vectors = model.embed([query, *chunks])
    similarity = vectors[1:] @ vectors[0]
    return [float((s + 1.0) / 2.0) + 1e-9 for s in similarity]


def _ranks(scores: Sequence[float]) -> list[int]:
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    ranks = [0] * len(scores)
    for rank, i in enumerate(order):
        ranks[i] = rank
    return ranks


def fused_scores(first: Sequence[float], second: Sequence[float]) -> list[float]:
    """Reciprocal-rank fusion of two score lists (higher is better); a chunk BM25 gave 0 keeps only its embedding rank."""
    a, b = _ranks(first), _ranks(second)
    return [(1.0 / (RRF_K + a[i]) if first[i] > 0 else 0.0) + 1.0 / (RRF_K + b[i]) for i in range(len(first))]


def make_ranker(method: str, model: EmbeddingModel | None = None, lexical: Ranker = bm25_scores) -> Ranker:
    """The snippet ranker for a method: `lexical` (BM25), embedding similarity, or their rank fusion."""
    if method == "bm25":
        return lexical
    if method not in SNIPPET_METHODS:
        raise ValueError(f"snippet method must be one of {', '.join(SNIPPET_METHODS)}, not {method!r}")
    if model is None:
        raise ValueError(f"snippet method {method!r} needs an embedding model")
    embedder = model
    if method == "embedding":
        return lambda query, chunks: embedding_scores(embedder, query, chunks)
    return lambda query, chunks: fused_scores(lexical(query, chunks), embedding_scores(embedder, query, chunks))
