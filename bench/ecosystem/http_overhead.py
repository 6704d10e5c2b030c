"""What the OpenAI-compatible HTTP endpoint costs over the SDK's gRPC socket, side by side in one run.

One daemon (the bundled model, no cloud) serves both; the same local request (greedy, fixed
max_tokens) goes alternately through `EdgeClient.ask()` over the Unix socket and through the
`openai` client over HTTP, so both see the same machine load. Reported: median wall time per
path, their ratio (HTTP / gRPC), the median difference in ms, and the same for a streamed
answer's time to first text. Also the cost of one /metrics scrape.

    .venv/bin/python -m bench.ecosystem.http_overhead --rounds 12
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
import openai

from edge.daemon import EdgeDaemon
from edge.sdk import EdgeClient
from shared.config import EdgeConfig

T = TypeVar("T")
PROMPT = "Name the capital city of Japan."
MAX_TOKENS = 16
RESULTS = Path(__file__).resolve().parents[1] / "results" / "ecosystem_http_overhead.json"


class _Loop:
    """An event loop on a thread, so the daemon serves while the clients block."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(600)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000.0


def _first_text_ms(stream_factory: Callable[[], Any], text_of: Callable[[Any], str]) -> float:
    started = time.perf_counter()
    first = None
    for item in stream_factory():
        if first is None and text_of(item):
            first = (time.perf_counter() - started) * 1000.0
    return first if first is not None else (time.perf_counter() - started) * 1000.0


def _summary(grpc_ms: list[float], http_ms: list[float]) -> dict[str, float]:
    g, h = statistics.median(grpc_ms), statistics.median(http_ms)
    diffs = [b - a for a, b in zip(grpc_ms, http_ms, strict=True)]
    return {"grpc_median_ms": round(g, 2), "http_median_ms": round(h, 2), "ratio_http_over_grpc": round(h / g, 4),
            "median_paired_diff_ms": round(statistics.median(diffs), 2)}


def run(rounds: int) -> dict[str, Any]:
    """Run the comparison and return the result record."""
    workdir = Path(tempfile.mkdtemp(prefix="tdm-bench-", dir="/tmp"))
    config = EdgeConfig.model_validate(
        {"state_dir": str(workdir / "state"), "listen": {"socket_path": str(workdir / "edge.sock"), "http_port": 0},
         "log_level": "WARNING"}
    )
    loop = _Loop()
    daemon = EdgeDaemon(config)
    loop.run(daemon.start())
    assert daemon.http is not None
    root = f"http://127.0.0.1:{daemon.http.port}"
    oai = openai.OpenAI(base_url=f"{root}/v1", api_key="unused", max_retries=0, timeout=120)
    messages = [{"role": "user", "content": PROMPT}]
    try:
        with EdgeClient(daemon.socket_path) as sdk:
            def grpc_ask() -> Any:
                return sdk.ask(PROMPT, prefer="local", max_tokens=MAX_TOKENS, temperature=0.0)

            def http_ask() -> Any:
                return oai.chat.completions.create(model="tandem-local", messages=messages, max_tokens=MAX_TOKENS, temperature=0.0)  # type: ignore[arg-type]

            grpc_ask(), http_ask()  # warm both paths (imports, connections, caches)
            whole: dict[str, list[float]] = {"grpc": [], "http": []}
            first: dict[str, list[float]] = {"grpc": [], "http": []}
            for i in range(rounds):
                # Alternate which path goes first, so drift in machine load hits both alike.
                order = ("grpc", "http") if i % 2 == 0 else ("http", "grpc")
                for path in order:
                    if path == "grpc":
                        whole["grpc"].append(_timed(grpc_ask))
                        first["grpc"].append(_first_text_ms(
                            lambda: sdk.stream(PROMPT, prefer="local", max_tokens=MAX_TOKENS, temperature=0.0), lambda c: c.text))
                    else:
                        whole["http"].append(_timed(http_ask))
                        first["http"].append(_first_text_ms(
                            lambda: oai.chat.completions.create(model="tandem-local", messages=messages, max_tokens=MAX_TOKENS,  # type: ignore[arg-type]
                                                                temperature=0.0, stream=True),
                            lambda c: (c.choices[0].delta.content or "") if c.choices else ""))
        scrape_ms = [_timed(lambda: httpx.get(f"{root}/metrics", timeout=10).raise_for_status()) for _ in range(20)]
    finally:
        loop.run(daemon.stop(grace=1.0))
        loop.close()
    return {
        "benchmark": "ecosystem_http_overhead",
        "command": f".venv/bin/python -m bench.ecosystem.http_overhead --rounds {rounds}",
        "rounds": rounds,
        "prompt": PROMPT,
        "max_tokens": MAX_TOKENS,
        "model": daemon.model.name,
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "whole_answer": _summary(whole["grpc"], whole["http"]),
        "first_text": _summary(first["grpc"], first["http"]),
        "metrics_scrape_median_ms": round(statistics.median(scrape_ms), 2),
    }


def main() -> None:
    """CLI entry: run, print, and write bench/results/ecosystem_http_overhead.json."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    result = run(args.rounds)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
