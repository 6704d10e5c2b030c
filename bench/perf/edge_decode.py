"""Edge decode: tokens/s and time to first token through SDK → daemon (Unix socket) → model, against raw llama.cpp.

Four arms run interleaved in every repeat, on the same model file, prompt tokens, threads and
sampling settings (greedy):
- `raw_generate`: `llama_cpp.Llama(logits_all=False).generate`, detokenizing each token: the floor.
- `sdk_daemon`: `EdgeClient.stream(prefer="local")` against the daemon subprocess (the subject).
- `raw_completion`: `create_completion(stream=True)` with logits_all=False, no logprobs.
- `raw_completion_logprobs`: `create_completion(stream=True, logprobs=1)` with logits_all=True,
  the stock way to get token logprobs (what edge/model.py avoids by reading the last logits row).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.perf.stats import paired_difference, paired_ratio, summary
from edge.pipeline import LOCAL_SYSTEM_PROMPT
from edge.sdk import EdgeClient

DECODE_PROMPT = "Write a long, detailed story about a lighthouse keeper who finds a message in a bottle."
ARMS = ("raw_generate", "sdk_daemon", "raw_completion", "raw_completion_logprobs")


@dataclass(frozen=True)
class Run:
    """One generation: tokens produced, seconds to the first text and to the end."""

    tokens: int
    ttft_s: float
    total_s: float

    @property
    def tokens_per_s(self) -> float:
        """Completion tokens over the whole request time (prefill included, as a caller sees it)."""
        return self.tokens / self.total_s if self.total_s else 0.0


def load_llama(model_path: Path, n_ctx: int, n_threads: int, logits_all: bool) -> Any:
    """A raw llama_cpp.Llama with the daemon's settings."""
    from llama_cpp import Llama

    return Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=n_threads, seed=0, logits_all=logits_all, verbose=False)


def prompt_tokens(llm: Any, prompt: str) -> list[int]:
    """The exact chat-formatted tokens the daemon feeds its model for a fresh prefer=local Ask."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    eos = llm.detokenize([llm.token_eos()], special=True).decode("utf-8", "replace")
    bos = llm.detokenize([llm.token_bos()], special=True).decode("utf-8", "replace")
    formatter = Jinja2ChatFormatter(template=llm.metadata["tokenizer.chat_template"], eos_token=eos, bos_token=bos)
    messages = [{"role": "system", "content": LOCAL_SYSTEM_PROMPT}, {"role": "user", "content": prompt}]
    text = formatter(messages=messages).prompt  # type: ignore[arg-type]
    return list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))


def _timed(events: Iterator[str]) -> Run:
    start = time.perf_counter()
    first: float | None = None
    count = 0
    for text in events:
        count += 1
        if first is None and text:
            first = time.perf_counter()
    end = time.perf_counter()
    return Run(count, (first or end) - start, end - start)


def raw_generate(llm: Any, tokens: list[int], max_tokens: int) -> Run:
    """The floor: llama.cpp's token loop with a detokenize per token, stopping at end of turn like the daemon."""
    import llama_cpp

    vocab = llm._model.vocab
    eos = llm.token_eos()

    def events() -> Iterator[str]:
        for produced, token in enumerate(llm.generate(tokens, temp=0.0, top_k=40, top_p=0.95, reset=True), 1):
            if token == eos or llama_cpp.llama_vocab_is_eog(vocab, token):
                return
            yield llm.detokenize([token]).decode("utf-8", "ignore")
            if produced >= max_tokens:
                return

    return _timed(events())


def raw_completion(llm: Any, tokens: list[int], max_tokens: int, logprobs: bool) -> Run:
    """llama-cpp-python's streaming completion API, optionally with per-token logprobs."""

    def events() -> Iterator[str]:
        stream = llm.create_completion(
            prompt=tokens, max_tokens=max_tokens, temperature=0.0, top_k=40, top_p=0.95, stream=True,
            logprobs=1 if logprobs else None,
        )  # fmt: skip
        for chunk in stream:
            choice = chunk["choices"][0]
            if choice["finish_reason"] is None or choice["text"]:
                yield choice["text"]  # the closing chunk carries only the finish reason, not a token

    return _timed(events())


def sdk_daemon(client: EdgeClient, max_tokens: int, n_prompt: int) -> Run:
    """The subject: the SDK's stream through the daemon, timed from the call to the final answer."""
    start = time.perf_counter()
    first: float | None = None
    stream = client.stream(DECODE_PROMPT, prefer="local", max_tokens=max_tokens, temperature=0.0)
    for chunk in stream:
        if first is None and chunk.text:
            first = time.perf_counter()
    end = time.perf_counter()
    tokens = stream.answer.local_tokens - n_prompt  # local_tokens = prompt + completion
    return Run(tokens, (first or end) - start, end - start)


def run(socket_path: Path, model_path: Path, n_ctx: int, n_threads: int, max_tokens: int, repeats: int) -> dict[str, Any]:
    """All four arms, interleaved `repeats` times (after one warm-up each); figures as paired ratios/differences."""
    lean = load_llama(model_path, n_ctx, n_threads, logits_all=False)
    full = load_llama(model_path, n_ctx, n_threads, logits_all=True)
    tokens = prompt_tokens(lean, DECODE_PROMPT)
    client = EdgeClient(socket_path, timeout=300.0)
    arms: dict[str, Callable[[], Run]] = {
        "raw_generate": lambda: raw_generate(lean, tokens, max_tokens),
        "sdk_daemon": lambda: sdk_daemon(client, max_tokens, len(tokens)),
        "raw_completion": lambda: raw_completion(lean, tokens, max_tokens, logprobs=False),
        "raw_completion_logprobs": lambda: raw_completion(full, tokens, max_tokens, logprobs=True),
    }
    runs: dict[str, list[Run]] = {name: [] for name in ARMS}
    try:
        for name in ARMS:
            arms[name]()  # warm-up: page the weights in, fill the prefix cache
        for repeat in range(repeats):
            # Rotate the order so no arm always runs right after the same neighbour.
            order = ARMS[repeat % len(ARMS):] + ARMS[: repeat % len(ARMS)]
            for name in order:
                gc.collect()
                runs[name].append(arms[name]())
    finally:
        client.close()
    base = runs["raw_generate"]
    tps = {name: [r.tokens_per_s for r in rs] for name, rs in runs.items()}
    ttft_ms = {name: [r.ttft_s * 1000.0 for r in rs] for name, rs in runs.items()}
    token_counts = {name: sorted({r.tokens for r in rs}) for name, rs in runs.items()}
    return {
        "prompt": DECODE_PROMPT,
        "prompt_tokens": len(tokens),
        "max_tokens": max_tokens,
        "n_threads": n_threads,
        "repeats": repeats,
        "completion_tokens": token_counts,
        "same_tokens": len({tuple(v) for v in token_counts.values()}) == 1,
        "tokens_per_s": {name: summary(v) for name, v in tps.items()},
        "ttft_ms": {name: summary(v) for name, v in ttft_ms.items()},
        "ratio_vs_raw": {name: paired_ratio(tps[name], tps["raw_generate"]) for name in ARMS if name != "raw_generate"},
        "ttft_added_ms": {
            name: paired_difference(ttft_ms[name], [r.ttft_s * 1000.0 for r in base]) for name in ARMS if name != "raw_generate"
        },
    }
