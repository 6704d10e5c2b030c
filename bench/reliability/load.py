"""A bounded load generator: N concurrent SDK clients, M requests each, against a running edge daemon.

Reports requests, errors by kind, p50/p99 latency, throughput and the peak RSS of this process
(daemon and cloud run in it when started by `main`). Run:

    .venv/bin/python -m bench.reliability.load --clients 8 --requests 10

It starts a fake OpenAI-compatible upstream, a cloud service and an edge daemon on loopback,
runs a sequential baseline (1 client) and the concurrent run side by side, and writes
bench/results/reliability_load.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from edge.sdk import EdgeClient
from shared.errors import TandemError

RSS_SAMPLE_S = 0.05


@dataclass
class LoadReport:
    """What one load run did."""

    clients: int
    requests: int
    ok: int
    errors: dict[str, int] = field(default_factory=dict)
    routes: dict[str, int] = field(default_factory=dict)
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    wall_s: float = 0.0
    throughput_rps: float = 0.0
    peak_rss_mb: float = 0.0


class RssSampler:
    """Samples this process's RSS (plus its children's) on a thread; `peak_mb` when stopped."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        total = self._process.memory_info().rss
        for child in self._process.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(RSS_SAMPLE_S)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20


def run_load(
    socket_path: Path,
    clients: int,
    requests_per_client: int,
    prefer: str = "cloud",
    max_tokens: int = 8,
    timeout: float = 60.0,
    prompt: str = "Name the capital city of Japan.",
) -> LoadReport:
    """Run the load and wait for every request to end (each is bounded by `timeout`)."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    routes: Counter[str] = Counter()
    lock = threading.Lock()

    def client_loop() -> None:
        with EdgeClient(socket_path) as client:
            for _ in range(requests_per_client):
                started = time.perf_counter()
                try:
                    answer = client.ask(prompt, prefer=prefer, max_tokens=max_tokens, timeout=timeout)
                except TandemError as exc:
                    with lock:
                        errors[type(exc).__name__] += 1
                    continue
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000.0)
                    routes[answer.route + (" (degraded)" if answer.degraded else "")] += 1

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    with RssSampler() as rss:
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout * requests_per_client + 30)
        wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return LoadReport(
        clients=clients,
        requests=clients * requests_per_client,
        ok=len(latencies),
        errors=dict(errors),
        routes=dict(routes),
        p50_ms=statistics.median(ordered) if ordered else 0.0,
        p99_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0,
        wall_s=wall,
        throughput_rps=len(latencies) / wall if wall else 0.0,
        peak_rss_mb=rss.peak_mb,
    )


def main() -> None:
    """Start fake upstream + cloud + daemon on loopback, run baseline and load side by side, write JSON."""
    import secrets
    import shutil
    import tempfile

    from cloud.server import CloudService
    from edge.daemon import EdgeDaemon
    from shared.config import CloudConfig, EdgeConfig
    from tests.fakes.upstream import FakeUpstream, Plan
    from tests.helpers import BackgroundLoop

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=10, help="per client")
    parser.add_argument("--token-delay", type=float, default=0.01, help="fake upstream seconds per token")
    parser.add_argument("--out", type=Path, default=Path("bench/results/reliability_load.json"))
    args = parser.parse_args()

    loop = BackgroundLoop()
    fake = FakeUpstream(default=Plan(delay_s=args.token_delay))
    loop.run(fake.start())
    token = secrets.token_urlsafe(12)
    cloud = CloudService(
        CloudConfig.model_validate(
            {
                "listen": {"host": "127.0.0.1", "port": 0},
                "auth": {"tokens": [token]},
                "upstreams": [{"base_url": fake.base_url, "model": "fake-model"}],
                "limits": {"requests_per_minute_per_token": 0},
            }
        )
    )
    loop.run(cloud.start())
    workdir = Path(tempfile.mkdtemp(prefix="tdm-load-", dir="/tmp"))
    daemon = EdgeDaemon(
        EdgeConfig.model_validate(
            {
                "state_dir": str(workdir / "state"),
                "listen": {"socket_path": str(workdir / "edge.sock")},
                "cloud": {"target": cloud.target, "token": token},
                "log_level": "WARNING",
            }
        )
    )
    loop.run(daemon.start())
    try:
        run_load(daemon.socket_path, 1, 2)  # warm-up: the first requests load the NER model and page in weights
        baseline = run_load(daemon.socket_path, 1, args.requests)
        loaded = run_load(daemon.socket_path, args.clients, args.requests)
    finally:
        loop.run(daemon.stop(grace=1))
        loop.run(cloud.stop(grace=1))
        loop.run(fake.stop())
        loop.close()
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "command": f".venv/bin/python -m bench.reliability.load --clients {args.clients} --requests {args.requests}",
        "baseline": asdict(baseline),
        "load": asdict(loaded),
        "throughput_ratio": loaded.throughput_rps / baseline.throughput_rps if baseline.throughput_rps else None,
        "p50_ratio": loaded.p50_ms / baseline.p50_ms if baseline.p50_ms else None,
        "p99_ratio": loaded.p99_ms / baseline.p99_ms if baseline.p99_ms else None,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
