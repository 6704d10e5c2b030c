"""The daemon under load: queue wait against concurrent local requests, and the whole edge path to the cloud.

Queue wait is compared with what a perfect FIFO would give: with N requests arriving at once and
a service time S, the waits are 0, S, …, (N-1)·S, so the mean is (N-1)·S/2. The cloud path
(SDK → daemon → privacy filter → ledger → cloud → upstream) is compared with the `openai` client
calling the same upstream directly, batches alternating.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

from bench.perf.cloud_hop import Batch, Clients, run_batch
from bench.perf.stats import paired_difference, percentile, summary
from edge.sdk import AsyncEdgeClient

QUEUE_PROMPT = "Name three colours."
CLOUD_PROMPT = "What is the capital of France? Answer in one word."


async def queue_wait(socket_path: Path, loads: list[int], rounds: int, max_tokens: int) -> list[dict[str, Any]]:
    """For each load N: N prefer=local asks at once, `rounds` times; the daemon's own queue_ms against ideal FIFO."""
    rows = []
    async with AsyncEdgeClient(socket_path, timeout=300.0) as client:
        await client.ask(QUEUE_PROMPT, prefer="local", max_tokens=max_tokens, temperature=0.0)  # warm-up
        for load in loads:
            waits: list[float] = []
            service: list[float] = []
            for _ in range(rounds):
                answers = await asyncio.gather(*(
                    client.ask(QUEUE_PROMPT, prefer="local", max_tokens=max_tokens, temperature=0.0) for _ in range(load)
                ))  # fmt: skip
                waits += [a.timings_ms["queue"] for a in answers]
                service += [a.timings_ms["local"] for a in answers]
            service_ms = statistics.median(service)
            ideal_mean = (load - 1) * service_ms / 2.0
            mean_wait = statistics.fmean(waits)
            rows.append({
                "load": load, "requests": len(waits), "service_ms": service_ms,
                "queue_mean_ms": mean_wait, "queue_p50_ms": percentile(waits, 50), "queue_p99_ms": percentile(waits, 99),
                "ideal_fifo_mean_ms": ideal_mean, "queue_excess_mean_ms": mean_wait - ideal_mean,
            })  # fmt: skip
    return rows


async def cloud_path(socket_path: Path, clients: Clients, rounds: int, per_batch: int) -> dict[str, Any]:
    """Latency the whole edge path adds over a direct upstream call, one request at a time, with the daemon's breakdown."""
    timings: dict[str, list[float]] = {"privacy": [], "cloud": [], "total": []}
    routes: set[str] = set()
    async with AsyncEdgeClient(socket_path, timeout=120.0) as client:

        async def through_edge() -> float:
            start = time.perf_counter()
            answer = await client.ask(CLOUD_PROMPT, prefer="cloud")
            elapsed = time.perf_counter() - start
            routes.add(answer.route)
            for key in timings:
                timings[key].append(answer.timings_ms[key])
            return elapsed

        await through_edge()  # warm-up: loads NER, opens the cloud channel
        for values in timings.values():
            values.clear()
        base: list[Batch] = []
        subj: list[Batch] = []
        for r in range(rounds):
            pair = [(base, clients.direct), (subj, through_edge)]
            for sink, call in pair if r % 2 == 0 else reversed(pair):
                sink.append(await run_batch(call, 1, per_batch))
    return {
        "rounds": rounds,
        "requests_per_batch": per_batch,
        "routes": sorted(routes),
        "p50_added_ms": paired_difference([b.p(50) for b in subj], [b.p(50) for b in base]),
        "p99_added_ms": paired_difference([b.p(99) for b in subj], [b.p(99) for b in base]),
        "p50_direct_ms": summary([b.p(50) for b in base]),
        "p50_edge_ms": summary([b.p(50) for b in subj]),
        "daemon_timings_ms": {key: summary(values) for key, values in timings.items()},
    }
