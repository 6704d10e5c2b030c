"""Snippet rankers on the long-context items: `python -m bench.eval.snippets`.

BM25 (the default), embedding similarity with the bundled GGUF in llama.cpp's embedding mode, and their
reciprocal-rank fusion, side by side on the long-context items of the test split and the shifted suite: bytes
sent when every item is escalated (against the prompt with its full context), whether the answer is still in
what is sent (a cloud model can only read it off the snippets if it is), and the selection time per item.
Writes bench/results/eval_snippets.json.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from edge.evaluation import EvalItem, answer_kept, full_bytes, load_suite, long_context_ids, subquery_texts
from edge.planner import Ranker

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "bench" / "eval"
RESULTS = ROOT / "bench" / "results"
SPLITS = ("test", "shifted")
TEST_EVERY = {"test": 4, "shifted": 2}  # embedding every chunk is slow on two shared cores: a quarter of test, half of shifted


def snippet_study(data: dict[str, list[EvalItem]], threads: int | None) -> dict[str, Any]:
    """Snippet rankers on the long-context items (every 4th of test, every other of shifted): bytes sent (every item
    escalated), whether the answer is still in what is sent, and the selection time per item."""
    from edge.embeddings import EmbeddingModel, embedding_scores, fused_scores
    from edge.planner import bm25_scores
    from shared.model_files import resolve_model

    embedder = EmbeddingModel(resolve_model(None, None)[0], threads)
    embedder.embed(["load the model before timing"])
    items = [data[split][i] for split in SPLITS for i in long_context_ids(data[split])[:: TEST_EVERY[split]]]
    full = sum(full_bytes(item) for item in items)
    # Each item's chunks are embedded once; the hybrid ranker reuses those scores, so its time is BM25's plus this.
    cache: dict[tuple[str, tuple[str, ...]], list[float]] = {}
    embed_s = 0.0

    def embedded(query: str, chunks: Sequence[str]) -> list[float]:
        nonlocal embed_s
        key = (query, tuple(chunks))
        if key not in cache:
            started = time.perf_counter()
            cache[key] = embedding_scores(embedder, query, chunks)
            embed_s += time.perf_counter() - started
        return cache[key]

    rankers: dict[str, Ranker] = {
        "bm25": bm25_scores,
        "embedding": embedded,
        "hybrid": lambda query, chunks: fused_scores(bm25_scores(query, chunks), embedded(query, chunks)),
    }
    study: dict[str, Any] = {"n": len(items), "items": [item.id for item in items]}
    for method, ranker in rankers.items():
        started = time.perf_counter()
        texts = subquery_texts(items, ranker)
        elapsed = time.perf_counter() - started
        study[method] = {
            "cloud_bytes_ratio_all_escalated": round(sum(len(t.encode("utf-8")) for t in texts) / full, 4),
            "answer_kept_share": round(sum(answer_kept(i, t) for i, t in zip(items, texts, strict=True)) / len(items), 4),
            "ms_per_item": round(1e3 * elapsed / len(items), 1),
        }
    study["embedding_ms_per_item"] = round(1e3 * embed_s / len(items), 1)
    return study


def main() -> None:
    """Measure the rankers and write the result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, help="CPU threads for the embedding model")
    args = parser.parse_args()
    data = {split: load_suite(SUITE / f"{split}.jsonl") for split in SPLITS}
    result = {"command": "python -m bench.eval.snippets", **snippet_study(data, args.threads)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "eval_snippets.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
