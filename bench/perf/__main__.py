"""`python -m bench.perf [--size full]`: start the stub upstream, the cloud service and the daemon as real
subprocesses, run every section side by side against its baseline, and write bench/results/perf.{json,md,*.png}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.perf import cloud_hop, edge_decode, edge_load, raw_memory, report
from bench.perf.procs import Server, free_port, python_module, tandem, write_yaml
from bench.perf.sizes import SIZES, Size
from shared.model_files import bundled_model_path

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "results"
# One decode thread: llama-cpp-python's own default on 2 cores, and on shared cores 2 threads stall on each other.
N_THREADS = 1
N_CTX = 2048
HOLD_MS = 3000
# Paced answers: 5 deltas 100 ms apart, like a model generating tokens. At the largest hop level the streams then
# overlap without saturating these 2 cores (an answer-at-once stub turns 64 streams into a CPU contest).
PACE_MS = 100
# Generous limits: the benchmark measures the hop, not the rate limiter refusing it.
CLOUD_LIMITS = {
    "max_concurrent_streams": 1024, "requests_per_minute_per_token": 0, "burst_per_token": 100_000,
    "max_streams_per_token": 1024,
}  # fmt: skip


def _cloud_config(workdir: Path, port: int, upstream_port: int, token: str) -> Path:
    return write_yaml(workdir / "cloud.yaml", {
        "listen": {"host": "127.0.0.1", "port": port},
        "auth": {"tokens": [token]},
        "upstream": {"base_url": f"http://127.0.0.1:{upstream_port}/v1", "api_key": "bench", "model": "stub"},
        "limits": CLOUD_LIMITS,
        "log_level": "WARNING",
    })  # fmt: skip


def _edge_config(workdir: Path, cloud_port: int, token: str) -> Path:
    return write_yaml(workdir / "edge.yaml", {
        "state_dir": str(workdir / "state"),
        "listen": {"socket_path": str(workdir / "edge.sock")},
        "model": {"n_threads": N_THREADS, "n_ctx": N_CTX},
        "cloud": {"target": f"127.0.0.1:{cloud_port}", "token": token, "timeout_s": 60},
        "limits": {"queue_limit": 64},
        "log_level": "WARNING",
    })  # fmt: skip


def _section(results: dict[str, Any], name: str, started: float) -> None:
    results["seconds"][name] = round(time.perf_counter() - started, 1)
    print(f"  {name}: {results['seconds'][name]} s", flush=True)


async def _cloud_sections(results: dict[str, Any], size: Size, clients: cloud_hop.Clients, cloud: Server, upstream: Server) -> None:
    t = time.perf_counter()
    await cloud_hop.run_batch(clients.direct, 4, 40)  # warm-up both paths, open connections
    await cloud_hop.run_batch(clients.escalate, 4, 40)
    # Memory first, while the allocator has not yet grown for the bigger loads below.
    results["cloud_memory"] = await cloud_hop.memory_per_streams(clients, cloud, size.memory_streams, HOLD_MS)
    _section(results, "cloud_memory", t)
    t = time.perf_counter()
    results["cloud_hop"] = [
        await cloud_hop.added_latency(clients, level, size.hop_rounds, max(size.hop_min_requests, 4 * level))
        for level in size.hop_levels
    ]
    _section(results, "cloud_hop", t)
    t = time.perf_counter()
    paced_level = max(size.hop_levels)
    results["cloud_hop_paced"] = await cloud_hop.added_latency(
        clients, paced_level, size.hop_rounds, 2 * paced_level, model=f"pace-{PACE_MS}"
    )
    _section(results, "cloud_hop_paced", t)
    t = time.perf_counter()
    results["cloud_per_core"] = await cloud_hop.per_core(clients, cloud, upstream, 32, size.saturate_s)
    _section(results, "cloud_per_core", t)
    t = time.perf_counter()
    results["cloud_scaling"] = await cloud_hop.scaling(clients, list(size.scaling_levels), size.scaling_min_requests, 4)
    _section(results, "cloud_scaling", t)


async def _edge_sections(results: dict[str, Any], size: Size, socket: Path, clients: cloud_hop.Clients) -> None:
    t = time.perf_counter()
    results["edge_queue"] = await edge_load.queue_wait(socket, list(size.queue_loads), size.queue_rounds, size.queue_max_tokens)
    _section(results, "edge_queue", t)
    t = time.perf_counter()
    results["edge_cloud_path"] = await edge_load.cloud_path(socket, clients, size.edge_cloud_rounds, size.edge_cloud_requests)
    _section(results, "edge_cloud_path", t)


def run(size: Size, out: Path) -> dict[str, Any]:
    """Everything, in one run; returns the results written to `out`/perf.json."""
    started = time.perf_counter()
    model_path = bundled_model_path()
    results: dict[str, Any] = {
        "size": size.name,
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "loadavg_at_start": os.getloadavg()},
        "model": {"path": model_path.name, "file_mb": model_path.stat().st_size / 2**20, "n_threads": N_THREADS},
        "seconds": {},
    }  # fmt: skip
    token = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="tdm-bench-", dir="/tmp") as tmp:
        workdir = Path(tmp)
        up_port, cloud_port = free_port(), free_port()
        upstream = Server(python_module("bench.perf.upstream_stub", "--port", str(up_port)), "ready", workdir / "upstream.log")
        cloud = Server(tandem("cloud", "serve", "--config", str(_cloud_config(workdir, cloud_port, up_port, token))),
                       "serving on", workdir / "cloud.log")  # fmt: skip
        daemon = Server(tandem("edge", "serve", "--config", str(_edge_config(workdir, cloud_port, token))),
                        "serving on", workdir / "edge.log")  # fmt: skip
        with upstream, cloud, daemon:
            results["memory"] = {"daemon_idle_rss_mb": daemon.rss_mb(), "cloud_idle_rss_mb": cloud.rss_mb()}
            t = time.perf_counter()
            results["edge_decode"] = edge_decode.run(
                workdir / "edge.sock", daemon.cpu_s, model_path, N_CTX, N_THREADS, size.decode_max_tokens, size.decode_repeats
            )
            _section(results, "edge_decode", t)

            async def async_sections() -> None:
                clients = cloud_hop.Clients(f"http://127.0.0.1:{up_port}/v1", f"127.0.0.1:{cloud_port}", token)
                try:
                    await _edge_sections(results, size, workdir / "edge.sock", clients)
                    await _cloud_sections(results, size, clients, cloud, upstream)
                finally:
                    await clients.close()

            asyncio.run(async_sections())
            peak = daemon.peak_rss_mb()
            raw_peak = raw_memory.measure(N_THREADS, N_CTX, size.decode_max_tokens)
            # llama.cpp's stock KV cache (f16), to show what the daemon's default (q8_0) saves, side by side.
            raw_stock_peak = raw_memory.measure(N_THREADS, N_CTX, size.decode_max_tokens, kv_cache_type="f16")
            results["memory"].update({
                "raw_llama_f16_kv_peak_rss_mb": raw_stock_peak,
                "daemon_peak_rss_mb": peak,
                "daemon_peak_over_model_mb": peak - results["model"]["file_mb"],
                "raw_llama_peak_rss_mb": raw_peak,
                "daemon_peak_over_raw_llama_mb": peak - raw_peak,
                "cloud_peak_rss_mb": cloud.peak_rss_mb(),
            })  # fmt: skip
    results["seconds"]["total"] = round(time.perf_counter() - started, 1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "perf.json").write_text(json.dumps(results, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    report.render(results, out)
    return results


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(prog="python -m bench.perf", description="Tandem's performance benchmarks, side by side.")
    parser.add_argument("--size", choices=sorted(SIZES), default="full", help="how many repeats and how much load (default: full)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory for perf.json, perf.md and the plots")
    args = parser.parse_args()
    print(f"tandem bench: size {args.size}, results in {args.out}", flush=True)
    results = run(SIZES[args.size], args.out)
    print(f"tandem bench: done in {results['seconds']['total']} s; table in {args.out / 'perf.md'}", flush=True)


if __name__ == "__main__":
    main()
