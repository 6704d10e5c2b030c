"""Cloud hop: latency the cloud service adds over calling the same upstream directly with the `openai` client.

The upstream is `bench.perf.upstream_stub` (answers at once), so every millisecond above the
baseline is the service's own: gRPC, auth, limits, the upstream client and re-streaming.
Baseline and subject batches alternate within each round; the figures are per-round
differences of p50/p99, summarized over rounds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import openai

from bench.perf.procs import Server
from bench.perf.stats import paired_difference, percentile, summary
from protos import cloud_pb2, cloud_pb2_grpc

MESSAGES = [{"role": "user", "content": "What is the answer to everything? Reply in one short sentence."}]
MAX_TOKENS = 16
Call = Callable[[], Awaitable[float]]


@dataclass(frozen=True)
class Batch:
    """Latencies (ms) of `len(latencies_ms)` requests run `concurrency` at a time, and the batch's wall time."""

    concurrency: int
    latencies_ms: list[float]
    wall_s: float
    errors: int

    @property
    def throughput(self) -> float:
        """Completed requests per second."""
        return len(self.latencies_ms) / self.wall_s if self.wall_s else 0.0

    def p(self, q: float) -> float:
        """The q-th latency percentile, ms."""
        return percentile(self.latencies_ms, q)


async def run_batch(call: Call, concurrency: int, total: int) -> Batch:
    """`total` calls with `concurrency` in flight at once."""
    remaining = total
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            try:
                latencies.append(await call() * 1000.0)
            except (grpc.RpcError, openai.OpenAIError):
                errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Batch(concurrency, latencies, time.perf_counter() - start, errors)


class Clients:
    """The two ways to reach the stub: directly with `openai`, and through the cloud service over gRPC."""

    def __init__(self, upstream_url: str, cloud_target: str, token: str) -> None:
        self.openai = openai.AsyncOpenAI(base_url=upstream_url, api_key="bench", max_retries=0, timeout=30.0)
        self.channel = grpc.aio.insecure_channel(cloud_target)
        self.stub = cloud_pb2_grpc.CloudStub(self.channel)
        self.metadata = (("authorization", f"Bearer {token}"),)

    async def direct(self, model: str = "stub") -> float:
        """Seconds for one streamed completion straight from the upstream."""
        start = time.perf_counter()
        stream = await self.openai.chat.completions.create(
            model=model, messages=MESSAGES, max_tokens=MAX_TOKENS, stream=True,
            stream_options={"include_usage": True},
        )  # type: ignore[call-overload]  # fmt: skip
        async with stream:
            async for _ in stream:
                pass
        return time.perf_counter() - start

    async def escalate(self, model: str = "stub") -> float:
        """Seconds for one Escalate stream through the cloud service."""
        start = time.perf_counter()
        request = cloud_pb2.EscalateRequest(
            request_id="bench", messages=[cloud_pb2.ChatMessage(**m) for m in MESSAGES], max_tokens=MAX_TOKENS, model=model
        )
        done = False
        async for message in self.stub.Escalate(request, timeout=30.0, metadata=self.metadata):
            done = done or message.HasField("done")
        if not done:
            raise grpc.aio.AioRpcError(grpc.StatusCode.DATA_LOSS, grpc.aio.Metadata(), grpc.aio.Metadata(), "no done")
        return time.perf_counter() - start

    async def close(self) -> None:
        """Close both clients."""
        await self.openai.close()
        await self.channel.close()


async def added_latency(clients: Clients, concurrency: int, rounds: int, per_batch: int, model: str = "stub") -> dict[str, Any]:
    """p50/p99 added by the cloud hop at `concurrency`, baseline and subject batches alternating each round.

    `model` picks the stub's answer: `stub` at once, `pace-<ms>` one delta every <ms> (see upstream_stub).
    """
    base: list[Batch] = []
    subj: list[Batch] = []

    async def direct() -> float:
        return await clients.direct(model)

    async def escalate() -> float:
        return await clients.escalate(model)

    for r in range(rounds):
        pair: list[tuple[list[Batch], Call]] = [(base, direct), (subj, escalate)]
        for sink, call in pair if r % 2 == 0 else reversed(pair):
            sink.append(await run_batch(call, concurrency, per_batch))
    out: dict[str, Any] = {"concurrency": concurrency, "rounds": rounds, "requests_per_batch": per_batch, "model": model}
    for q in (50, 99):
        out[f"p{q}_added_ms"] = paired_difference([b.p(q) for b in subj], [b.p(q) for b in base])
        out[f"p{q}_direct_ms"] = summary([b.p(q) for b in base])
        out[f"p{q}_cloud_ms"] = summary([b.p(q) for b in subj])
    out["errors"] = {"direct": sum(b.errors for b in base), "cloud": sum(b.errors for b in subj)}
    return out


async def scaling(clients: Clients, levels: list[int], min_requests: int, per_level_factor: int) -> list[dict[str, Any]]:
    """Throughput and p99 against concurrency, for the cloud service and the direct baseline side by side."""
    rows = []
    for level in levels:
        total = max(min_requests, level * per_level_factor)
        direct = await run_batch(clients.direct, level, total)
        cloud = await run_batch(clients.escalate, level, total)
        rows.append({
            "concurrency": level, "requests": total,
            "direct_rps": direct.throughput, "cloud_rps": cloud.throughput,
            "direct_p50_ms": direct.p(50), "cloud_p50_ms": cloud.p(50),
            "direct_p99_ms": direct.p(99), "cloud_p99_ms": cloud.p(99),
            "errors": direct.errors + cloud.errors,
        })  # fmt: skip
    return rows


async def per_core(clients: Clients, cloud: Server, upstream: Server, concurrency: int, seconds: float) -> dict[str, Any]:
    """Escalations per CPU-second the cloud process burns at saturation (wall throughput is shared-core noise)."""
    cpu0, up0 = cloud.cpu_s(), upstream.cpu_s()
    done = 0
    stop_at = time.perf_counter() + seconds
    start = time.perf_counter()

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            await clients.escalate()
            done += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - start
    cloud_cpu = cloud.cpu_s() - cpu0
    return {
        "concurrency": concurrency,
        "escalations": done,
        "wall_s": wall,
        "wall_rps": done / wall,
        "cloud_cpu_s": cloud_cpu,
        "upstream_cpu_s": upstream.cpu_s() - up0,
        "escalations_per_cloud_cpu_s": done / cloud_cpu if cloud_cpu else float("nan"),
        "cloud_cpu_ms_per_escalation": cloud_cpu * 1000.0 / done if done else float("nan"),
    }


async def memory_per_streams(clients: Clients, cloud: Server, streams: int, hold_ms: int) -> dict[str, Any]:
    """Cloud RSS with `streams` escalations held open at once, against its idle RSS just before."""
    idle = cloud.rss_mb()
    tasks = [asyncio.create_task(clients.escalate(model=f"hold-{hold_ms}")) for _ in range(streams)]
    await asyncio.sleep(hold_ms / 1000.0 * 0.6)  # all streams are open and past their first delta by now
    loaded = cloud.rss_mb()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = sum(isinstance(r, BaseException) for r in results)
    return {
        "streams": streams,
        "idle_rss_mb": idle,
        "loaded_rss_mb": loaded,
        "rss_per_100_streams_mb": (loaded - idle) * 100.0 / streams,
        "failures": failures,
    }
