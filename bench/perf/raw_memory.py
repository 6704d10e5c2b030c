"""The memory floor: peak RSS of a bare Python process that loads the same GGUF with llama-cpp-python and decodes.

Run: python -m bench.perf.raw_memory --threads 1 --ctx 2048 --max-tokens 128 [--kv-cache-type f16]
(prints the peak RSS in MiB as JSON). The KV cache type defaults to the daemon's; f16 is llama.cpp's stock setting.

The measuring child imports nothing but llama_cpp and the standard library: the parent works out the
daemon's llama.cpp options and chat-formatted prompt and hands them over as JSON. (It used to import
the decode benchmark's helpers, which pulled in the edge SDK, the privacy filter and spaCy, and put
about 17 MB of them into the "bare" figure.)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

_CHILD_TIMEOUT_S = 300


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1]) / 1024.0
    return float("nan")


def _job(threads: int, ctx: int, max_tokens: int, kv_cache_type: str) -> dict[str, Any]:
    """What the child loads and decodes: the daemon's own llama.cpp options and prompt text."""
    from bench.perf.edge_decode import DECODE_PROMPT
    from edge.model import llama_options
    from edge.pipeline import LOCAL_SYSTEM_PROMPT
    from shared.config import ModelSettings
    from shared.model_files import bundled_model_path

    options = llama_options(ModelSettings(n_ctx=ctx, n_threads=threads, kv_cache_type=kv_cache_type))  # type: ignore[arg-type]
    messages = [{"role": "system", "content": LOCAL_SYSTEM_PROMPT}, {"role": "user", "content": DECODE_PROMPT}]
    return {"model_path": str(bundled_model_path()), "options": options, "messages": messages, "max_tokens": max_tokens}


def measure(threads: int, ctx: int, max_tokens: int, kv_cache_type: str | None = None) -> float:
    """Peak RSS, MiB, of a fresh subprocess doing one decode (`kv_cache_type` None: the daemon's default)."""
    from shared.config import DEFAULT_KV_CACHE_TYPE

    job = _job(threads, ctx, max_tokens, kv_cache_type or DEFAULT_KV_CACHE_TYPE)
    out = subprocess.run(
        [sys.executable, "-m", "bench.perf.raw_memory", "--child"],
        input=json.dumps(job), capture_output=True, text=True, check=True, timeout=_CHILD_TIMEOUT_S,
    )  # fmt: skip
    return float(json.loads(out.stdout.strip().splitlines()[-1])["peak_rss_mb"])


def _child(job: dict[str, Any]) -> float:
    """Load, greedy-decode up to max_tokens (stopping at end of turn, like the daemon), return the peak RSS."""
    import llama_cpp
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    llm = llama_cpp.Llama(model_path=job["model_path"], **job["options"])
    eos_text = llm.detokenize([llm.token_eos()], special=True).decode("utf-8", "replace")
    bos_text = llm.detokenize([llm.token_bos()], special=True).decode("utf-8", "replace")
    formatter = Jinja2ChatFormatter(template=llm.metadata["tokenizer.chat_template"], eos_token=eos_text, bos_token=bos_text)
    prompt = formatter(messages=job["messages"]).prompt
    tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
    vocab, eos = llm._model.vocab, llm.token_eos()
    for produced, token in enumerate(llm.generate(tokens, temp=0.0, top_k=40, top_p=0.95, reset=True), 1):
        if token == eos or llama_cpp.llama_vocab_is_eog(vocab, token) or produced >= job["max_tokens"]:
            break
        llm.detokenize([token])
    return _peak_rss_mb()


def main() -> None:
    """Measure in a fresh child and print its peak (or, with --child, be that child: read the job on stdin)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ctx", type=int, default=2048)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--kv-cache-type", choices=("f16", "q8_0"), default=None, help="default: the daemon's")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        peak = _child(json.loads(sys.stdin.read()))
    else:
        peak = measure(args.threads, args.ctx, args.max_tokens, args.kv_cache_type)
    print(json.dumps({"peak_rss_mb": peak}))


if __name__ == "__main__":
    main()
