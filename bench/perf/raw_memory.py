"""The memory floor: peak RSS of a bare Python process that loads the same GGUF with llama-cpp-python and decodes.

Run: python -m bench.perf.raw_memory --threads 1 --ctx 2048 --max-tokens 128 [--kv-cache-type f16]
(prints the peak RSS in MiB as JSON). The KV cache type defaults to the daemon's; f16 is llama.cpp's stock setting.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import get_args

from shared.config import DEFAULT_KV_CACHE_TYPE, KvCacheType


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1]) / 1024.0
    return float("nan")


def measure(threads: int, ctx: int, max_tokens: int, kv_cache_type: str = DEFAULT_KV_CACHE_TYPE) -> float:
    """Peak RSS, MiB, of a fresh subprocess doing one decode."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.perf.raw_memory", "--threads", str(threads), "--ctx", str(ctx), "--max-tokens", str(max_tokens),
         "--kv-cache-type", kv_cache_type],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    return float(json.loads(out.stdout.strip().splitlines()[-1])["peak_rss_mb"])


def main() -> None:
    """Load, decode once, print the peak."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ctx", type=int, default=2048)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--kv-cache-type", choices=get_args(KvCacheType), default=DEFAULT_KV_CACHE_TYPE)
    args = parser.parse_args()
    from bench.perf.edge_decode import DECODE_PROMPT, load_llama, prompt_tokens, raw_generate
    from shared.model_files import bundled_model_path

    llm = load_llama(bundled_model_path(), args.ctx, args.threads, logits_all=False, kv_cache_type=args.kv_cache_type)
    raw_generate(llm, prompt_tokens(llm, DECODE_PROMPT), args.max_tokens)
    print(json.dumps({"peak_rss_mb": _peak_rss_mb()}))


if __name__ == "__main__":
    main()
