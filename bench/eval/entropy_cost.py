"""Per-token cost of the top-k entropy feature: `python -m bench.eval.entropy_cost`.

Collects real next-token logits rows from the bundled model, then times, side by side on the same rows,
the logprob-only computation the model did before (the baseline) and `_token_stats` (logprob + top-k entropy),
and one decoding step for scale. Writes bench/results/eval_entropy_cost.json.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from edge.model import TOP_K_ENTROPY, LocalModel, _token_stats
from shared.config import ModelSettings

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"
PROMPTS = ("What is the capital of Peru?", "Multiply 347 by 29.", "Write one sentence about the sea.")
TOKENS_PER_PROMPT = 32
REPEATS = 50  # timing passes over all rows, baseline and entropy interleaved


def logprob_only(logits: np.ndarray, token: int) -> float:
    """The baseline: log softmax(logits)[token], as edge/model.py computed it before the entropy feature."""
    peak = float(logits.max())
    return float(logits[token]) - (peak + math.log(float(np.exp(logits - peak).sum())))


def main() -> None:
    """Collect rows, time both computations, write the result."""
    model = LocalModel(ModelSettings(n_threads=1))
    llm = model._llm
    rows: list[tuple[np.ndarray, int]] = []
    decode_s = 0.0
    for question in PROMPTS:
        prompt = model.prompt_tokens([{"role": "user", "content": question}])
        started = time.perf_counter()
        for count, token in enumerate(llm.generate(prompt, temp=0.0, reset=True), 1):
            row = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).copy()
            rows.append((row, int(token)))
            if count >= TOKENS_PER_PROMPT:
                break
        decode_s += time.perf_counter() - started
    base_s = stats_s = 0.0
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for row, token in rows:
            logprob_only(row, token)
        t1 = time.perf_counter()
        for row, token in rows:
            _token_stats(row, token)
        t2 = time.perf_counter()
        base_s, stats_s = base_s + t1 - t0, stats_s + t2 - t1
    calls = REPEATS * len(rows)
    entropies = [_token_stats(row, token)[1] for row, token in rows]
    result = {
        "command": "python -m bench.eval.entropy_cost",
        "vocab": int(rows[0][0].size),
        "k": TOP_K_ENTROPY,
        "rows": len(rows),
        "logprob_only_us_per_token": 1e6 * base_s / calls,
        "logprob_and_entropy_us_per_token": 1e6 * stats_s / calls,
        "entropy_extra_us_per_token": 1e6 * (stats_s - base_s) / calls,
        "ratio_vs_logprob_only": stats_s / base_s,
        "decode_ms_per_token_incl_prompt": 1e3 * decode_s / len(rows),
        "entropy_mean_nats": float(np.mean(entropies)),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "eval_entropy_cost.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
