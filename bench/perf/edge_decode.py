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
from edge.model import llama_options
from edge.pipeline import LOCAL_SYSTEM_PROMPT
from edge.sdk import EdgeClient
from shared.config import DEFAULT_KV_CACHE_TYPE, KvCacheType, ModelSettings

DECODE_PROMPT = "Write a long, detailed story about a lighthouse keeper who finds a message in a bottle."
ARMS = ("raw_generate", "sdk_daemon", "raw_completion", "raw_completion_logprobs")


@dataclass(frozen=True)
class Run:
    """One generation: tokens produced, seconds to the first text and to the end."""

    tokens: int
    ttft_s: float
    total_s: float
    daemon_ttft_ms: float | None = None  # the daemon's own request-to-first-chunk time, for the SDK path
    cpu_s: float = 0.0  # CPU time the run cost: the worker's for raw runs; the daemon's plus the client's for the SDK

    @property
    def cpu_ms_per_token(self) -> float:
        """CPU per generated token: unlike wall time, it barely moves when other work shares the cores."""
        return self.cpu_s * 1000.0 / self.tokens if self.tokens else 0.0

    @property
    def tokens_per_s(self) -> float:
        """Completion tokens over the whole request time (prefill included, as a caller sees it)."""
        return self.tokens / self.total_s if self.total_s else 0.0


def load_llama(model_path: Path, n_ctx: int, n_threads: int, logits_all: bool, kv_cache_type: KvCacheType = DEFAULT_KV_CACHE_TYPE) -> Any:
    """A raw llama_cpp.Llama with the daemon's settings (the same `llama_options` its model loader uses)."""
    from llama_cpp import Llama

    options = llama_options(ModelSettings(n_ctx=n_ctx, n_threads=n_threads, kv_cache_type=kv_cache_type))
    return Llama(model_path=str(model_path), **{**options, "logits_all": logits_all})


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
    cpu = time.process_time()
    start = time.perf_counter()
    first: float | None = None
    count = 0
    for text in events:
        count += 1
        if first is None and text:
            first = time.perf_counter()
    end = time.perf_counter()
    return Run(count, (first or end) - start, end - start, cpu_s=time.process_time() - cpu)


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


def sdk_daemon(client: EdgeClient, max_tokens: int, n_prompt: int, daemon_cpu_s: Callable[[], float]) -> Run:
    """The subject: the SDK's stream through the daemon, timed from the call to the final answer."""
    cpu, daemon_cpu = time.process_time(), daemon_cpu_s()
    start = time.perf_counter()
    first: float | None = None
    stream = client.stream(DECODE_PROMPT, prefer="local", max_tokens=max_tokens, temperature=0.0)
    for chunk in stream:
        if first is None and chunk.text:
            first = time.perf_counter()
    end = time.perf_counter()
    answer = stream.answer
    tokens = answer.local_tokens - n_prompt  # local_tokens = prompt + completion
    # The daemon's clock ticks are coarse (10 ms), which averages out over a 128-token run.
    cpu_s = time.process_time() - cpu + daemon_cpu_s() - daemon_cpu
    return Run(tokens, (first or end) - start, end - start, answer.timings_ms["first_token"], cpu_s)


def run(
    socket_path: Path, daemon_cpu_s: Callable[[], float], model_path: Path, n_ctx: int, n_threads: int, max_tokens: int, repeats: int
) -> dict[str, Any]:
    """All four arms, interleaved `repeats` times (after one warm-up each); figures as paired ratios/differences.

    Every arm's model runs in its own process: the daemon's, and one bare llama-cpp-python worker per
    `logits_all` setting; raw runs are timed inside their worker, the SDK's at the client.
    """
    from bench.perf.raw_worker import RawWorker  # it imports this module

    # Each model instance in its own process, as the daemon's is: one process holding two models, or the
    # benchmark's own gRPC client threads, would handicap the baseline.
    lean = RawWorker(model_path, n_threads, n_ctx, logits_all=False)
    full = RawWorker(model_path, n_threads, n_ctx, logits_all=True)
    n_prompt = lean.prompt_tokens
    client = EdgeClient(socket_path, timeout=300.0)
    arms: dict[str, Callable[[], Run]] = {
        "raw_generate": lambda: lean.run("raw_generate", max_tokens),
        "sdk_daemon": lambda: sdk_daemon(client, max_tokens, n_prompt, daemon_cpu_s),
        "raw_completion": lambda: lean.run("raw_completion", max_tokens),
        "raw_completion_logprobs": lambda: full.run("raw_completion_logprobs", max_tokens),
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
        lean.close()
        full.close()
    base = runs["raw_generate"]
    tps = {name: [r.tokens_per_s for r in rs] for name, rs in runs.items()}
    ttft_ms = {name: [r.ttft_s * 1000.0 for r in rs] for name, rs in runs.items()}
    cpu_ms = {name: [r.cpu_ms_per_token for r in rs] for name, rs in runs.items()}
    token_counts = {name: sorted({r.tokens for r in rs}) for name, rs in runs.items()}
    return {
        "prompt": DECODE_PROMPT,
        "prompt_tokens": n_prompt,
        "max_tokens": max_tokens,
        "n_threads": n_threads,
        "repeats": repeats,
        "completion_tokens": token_counts,
        "same_tokens": len({tuple(v) for v in token_counts.values()}) == 1,
        "tokens_per_s": {name: summary(v) for name, v in tps.items()},
        "ttft_ms": {name: summary(v) for name, v in ttft_ms.items()},
        # Inside the daemon (Ask received → first chunk yielded): the rest of the SDK's TTFT is the socket and gRPC.
        "daemon_ttft_ms": summary([r.daemon_ttft_ms for r in runs["sdk_daemon"] if r.daemon_ttft_ms is not None]),
        "ratio_vs_raw": {name: paired_ratio(tps[name], tps["raw_generate"]) for name in ARMS if name != "raw_generate"},
        "cpu_ms_per_token": {name: summary(v) for name, v in cpu_ms.items()},
        "cpu_ratio_vs_raw": {name: paired_ratio(cpu_ms[name], cpu_ms["raw_generate"]) for name in ARMS if name != "raw_generate"},
        "ttft_added_ms": {
            name: paired_difference(ttft_ms[name], [r.ttft_s * 1000.0 for r in base]) for name in ARMS if name != "raw_generate"
        },
    }
