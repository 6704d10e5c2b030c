"""Old code against new, side by side: the same server started from two source trees, measured interleaved.

Run: python -m bench.perf.ab {edge,cloud} --baseline DIR [--rounds N]
DIR holds the old tree, e.g. `git archive <commit> | tar -x -C DIR`. `edge` compares the daemon's CPU per
token, tokens/s and time to first token (SDK stream, prefer=local, 128 tokens); `cloud` compares the cloud
service's CPU per escalation at 16 streams and its 1-stream p50 latency, against the same stub upstream.
Prints one JSON object; every figure is the median over interleaved rounds, ratios paired round by round.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench.perf import cloud_hop
from bench.perf.__main__ import _cloud_config, _edge_config
from bench.perf.edge_decode import DECODE_PROMPT, sdk_daemon
from bench.perf.procs import Server, free_port, python_module, tandem
from bench.perf.stats import paired_ratio, summary

NEW_TREE = Path(__file__).resolve().parents[2]
LOAD_STREAMS = 16
LOAD_SECONDS = 3.0


@contextmanager
def _server_in(tree: Path, args: list[str], ready: str, log: Path) -> Iterator[Server]:
    """A Server whose `python -c` imports the project from `tree` (the working directory comes first on sys.path)."""
    popen = subprocess.Popen

    def in_tree(*a: Any, **k: Any) -> Any:
        return popen(*a, **{**k, "cwd": str(tree)})

    server = Server(args, ready, log)
    subprocess.Popen = in_tree  # type: ignore[misc,assignment]
    try:
        server.__enter__()
    finally:
        subprocess.Popen = popen  # type: ignore[misc]
    try:
        yield server
    finally:
        server.stop()


def _alternate(rounds: int, run: Callable[[str], float]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"old": [], "new": []}
    for r in range(rounds):
        for name in ("old", "new") if r % 2 == 0 else ("new", "old"):
            out[name].append(run(name))
    return out


def _figures(samples: dict[str, list[float]]) -> dict[str, Any]:
    return {"old": summary(samples["old"]), "new": summary(samples["new"]), "new_over_old": paired_ratio(samples["new"], samples["old"])}


def edge(baseline: Path, rounds: int) -> dict[str, Any]:
    """The daemon's CPU per token, tokens/s and TTFT, old tree against new."""
    from edge.sdk import EdgeClient

    with ExitStack() as stack:
        runs: dict[str, Any] = {}
        for name, tree in (("old", baseline), ("new", NEW_TREE)):
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"tdm-ab-{name}-", dir="/tmp")))
            config = _edge_config(work, free_port(), "unused")
            daemon = stack.enter_context(_server_in(tree, tandem("edge", "serve", "--config", str(config)), "serving on", work / "edge.log"))
            client = EdgeClient(work / "edge.sock", timeout=300.0)
            stack.callback(client.close)
            first = client.ask(DECODE_PROMPT, prefer="local", max_tokens=1, temperature=0.0)  # warm-up; the prompt's size
            runs[name] = (client, daemon, first.local_tokens - 1)
        results: dict[str, dict[str, list[float]]] = {"cpu_ms_per_token": {"old": [], "new": []},
                                                       "tokens_per_s": {"old": [], "new": []}, "ttft_ms": {"old": [], "new": []}}  # fmt: skip

        def one(name: str) -> float:
            client, daemon, n_prompt = runs[name]
            run = sdk_daemon(client, 128, n_prompt, daemon.cpu_s)
            results["tokens_per_s"][name].append(run.tokens_per_s)
            results["ttft_ms"][name].append(run.ttft_s * 1000.0)
            return run.cpu_ms_per_token

        results["cpu_ms_per_token"] = _alternate(rounds, one)
    return {key: _figures(samples) for key, samples in results.items()}


async def _cpu_ms_per_escalation(server: Server, client: cloud_hop.Clients, model: str) -> float:
    """The server's CPU per escalation over LOAD_SECONDS of LOAD_STREAMS concurrent streams."""
    before, stop_at, done = server.cpu_s(), time.perf_counter() + LOAD_SECONDS, 0

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            await client.escalate(model)
            done += 1

    await asyncio.gather(*(worker() for _ in range(LOAD_STREAMS)))
    return (server.cpu_s() - before) * 1000.0 / done


def cloud(baseline: Path, rounds: int, model: str = "stub") -> dict[str, Any]:
    """The cloud service's CPU per escalation and 1-stream p50, old tree against new, same stub upstream.

    `model` is the stub's model: `stub` answers in one burst, `pace-<ms>` sends each delta in its own write.
    """
    token = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix="tdm-ab-cloud-", dir="/tmp") as tmp, ExitStack() as stack:
        work = Path(tmp)
        up_port = free_port()
        stack.enter_context(Server(python_module("bench.perf.upstream_stub", "--port", str(up_port)), "ready", work / "up.log"))
        servers: dict[str, tuple[Server, int]] = {}
        for name, tree in (("old", baseline), ("new", NEW_TREE)):
            port = free_port()
            (work / name).mkdir()
            config = _cloud_config(work / name, port, up_port, token)
            servers[name] = (stack.enter_context(_server_in(tree, tandem("cloud", "serve", "--config", str(config)), "serving on", work / f"{name}.log")), port)

        async def measure() -> dict[str, Any]:
            clients = {name: cloud_hop.Clients(f"http://127.0.0.1:{up_port}/v1", f"127.0.0.1:{port}", token) for name, (_s, port) in servers.items()}
            try:
                for c in clients.values():
                    await cloud_hop.run_batch(functools.partial(c.escalate, model), 4, 40)  # warm-up, open connections
                cpu: dict[str, list[float]] = {"old": [], "new": []}
                p50: dict[str, list[float]] = {"old": [], "new": []}
                for r in range(rounds):
                    for name in ("old", "new") if r % 2 == 0 else ("new", "old"):
                        client = clients[name]
                        cpu[name].append(await _cpu_ms_per_escalation(servers[name][0], client, model))
                        p50[name].append((await cloud_hop.run_batch(functools.partial(client.escalate, model), 1, 100)).p(50))
                return {"cpu_ms_per_escalation": _figures(cpu), "p50_1_stream_ms": _figures(p50)}
            finally:
                for c in clients.values():
                    await c.close()

        return asyncio.run(measure())


def main() -> None:
    """Parse arguments, run one comparison, print JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.perf.ab", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("what", choices=("edge", "cloud"))
    parser.add_argument("--baseline", type=Path, required=True, help="the old source tree (git archive of a commit, unpacked)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument("--model", default="stub", help="cloud: the stub's model (pace-<ms>: one delta per write, like a live model)")
    args = parser.parse_args()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    result = {"what": args.what, "started_utc": started, "loadavg_at_start": os.getloadavg(), "rounds": args.rounds,
              **(edge(args.baseline, args.rounds) if args.what == "edge" else cloud(args.baseline, args.rounds, args.model))}  # fmt: skip
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
