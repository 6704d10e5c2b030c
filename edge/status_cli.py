"""`tandem status`: is the daemon up, which model, can it reach the cloud, and what left the device today.

Reads the daemon's health over its socket (the SDK's `EdgeClient.health()`) and today's
escalations and budget straight from the state directory (read-only), so it also reports
the day's egress while the daemon is down. Exit status: 0 when the daemon serves, 1 when not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shared.config import CloudConfig, EdgeConfig, load_edge_config
from shared.errors import TandemError

HEALTH_TIMEOUT_S = 5.0
HTTP_TIMEOUT_S = 2.0

EXAMPLES = """examples:
  tandem status                          the daemon at the default socket, today's egress
  tandem status --json | jq .today       for scripts
  tandem status --config edge.yaml       the daemon and state dir that config names
  tandem status --target 127.0.0.1:7000  a daemon listening on gRPC TCP
"""


@dataclass
class TodayEgress:
    """What left the device since 00:00 UTC, from the egress ledger."""

    day: str
    escalations: int = 0
    bytes_sent: int = 0
    budget_tokens: int | None = None
    budget_spent: int | None = None


@dataclass
class Status:
    """Everything `tandem status` reports."""

    daemon: str  # "serving" or "down"
    target: str
    version: str = ""
    local_model: str = ""
    queue_depth: int = 0
    queue_limit: int = 0
    cloud_target: str = ""
    cloud: str = "not configured"  # "reachable", "unreachable", "not configured", "unknown"
    http: str = "off"
    error: str = ""
    today: TodayEgress = field(default_factory=lambda: TodayEgress(_utc_day()))


def _utc_day() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")


def _read_only(path: Path) -> sqlite3.Connection | None:
    # mode=ro: a status check never creates or changes the daemon's state.
    if not path.exists():
        return None
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0)


def today_egress(config: EdgeConfig, day: str | None = None) -> TodayEgress:
    """Today's escalations and bytes from the ledger, and the budget's use, read-only."""
    day = day or _utc_day()
    today = TodayEgress(day, budget_tokens=config.cloud.daily_token_budget)
    state = config.resolved_state_dir()
    start = dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=dt.UTC).timestamp()
    ledger = _read_only(state / "egress.db")
    if ledger is not None:
        with ledger:
            count, size = ledger.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM egress WHERE ts >= ?", (start,)
            ).fetchone()
        ledger.close()
        today.escalations, today.bytes_sent = int(count), int(size)
    if today.budget_tokens is not None:
        today.budget_spent = 0
        budget = _read_only(state / "budget.db")
        if budget is not None:
            with budget:
                row = budget.execute("SELECT tokens FROM cloud_tokens WHERE day = ?", (day,)).fetchone()
            budget.close()
            today.budget_spent = int(row[0]) if row else 0
    return today


def _http_status(config: EdgeConfig) -> str:
    port = config.listen.http_port
    if port is None:
        return "off"
    if port == 0:
        return "on (port chosen at start)"
    import httpx

    url = f"http://127.0.0.1:{port}"
    try:
        ok = httpx.get(f"{url}/health", timeout=HTTP_TIMEOUT_S).status_code == 200
    except httpx.HTTPError:
        ok = False
    return f"{url}/v1 ({'ok' if ok else 'not answering'})"


def collect_status(config: EdgeConfig, socket: Path | None = None, target: str | None = None) -> Status:
    """The daemon's health (if it answers) and today's egress."""
    from edge.sdk import EdgeClient
    from edge.sdk.core import resolve_target

    socket = socket or config.resolved_socket_path()
    status = Status("down", resolve_target(socket, target), cloud_target=config.cloud.target or "")
    if config.cloud.target:
        status.cloud = "unknown"
    if target is None and not socket.exists():
        status.error = f"no daemon socket at {socket}; start one with `tandem edge serve`"
        status.http = _http_status(config)
        status.today = today_egress(config)
        return status
    try:
        with EdgeClient(socket, target=target, timeout=HEALTH_TIMEOUT_S) as client:
            health = client.health(timeout=HEALTH_TIMEOUT_S)
    except TandemError as exc:
        status.error = f"{type(exc).__name__}: {exc.message}"
    else:
        status.daemon = "serving" if health.status == "SERVING" else health.status.lower()
        status.version, status.local_model = health.version, health.local_model
        status.queue_depth, status.queue_limit = health.queue_depth, health.queue_limit
        if health.cloud_configured:
            status.cloud = "reachable" if health.cloud_reachable else "unreachable"
        else:
            status.cloud = "not configured"
    status.http = _http_status(config)
    status.today = today_egress(config)
    return status


def format_status(status: Status) -> str:
    """The human-readable report."""
    t = status.today
    daemon = f"{status.daemon} at {status.target}" + (f" (version {status.version})" if status.version else "")
    if status.error:
        daemon += f" — {status.error}"
    cloud = status.cloud + (f" ({status.cloud_target})" if status.cloud_target else "")
    budget = "no daily cap" if t.budget_tokens is None else f"{t.budget_spent} of {t.budget_tokens} cloud tokens used"
    rows: list[tuple[str, Any]] = [
        ("daemon", daemon),
        ("model", status.local_model or "-"),
        ("queue", f"{status.queue_depth} waiting (limit {status.queue_limit})" if status.daemon == "serving" else "-"),
        ("cloud", cloud),
        ("http", status.http),
        ("today", f"{t.escalations} escalation{'s' if t.escalations != 1 else ''}, {t.bytes_sent} bytes sent (UTC {t.day})"),
        ("budget", budget),
    ]
    return "\n".join(f"{name:<8}{value}" for name, value in rows)


def _progress(line: str) -> None:
    # Progress goes to stderr, so stdout keeps only the "serving on" lines scripts wait for.
    print(line, file=sys.stderr, flush=True)


def edge_progress(config: EdgeConfig) -> Callable[[Any], None]:
    """Say what `tandem edge serve` is loading now; return the on_ready callback that says it is up."""
    started = time.perf_counter()
    model = config.model.path or "the bundled SmolLM2-135M-Instruct"
    _progress(f"tandem edge: loading {model} and opening {config.resolved_state_dir()} …")

    def ready(daemon: Any) -> None:
        took = time.perf_counter() - started
        print(f"tandem edge: serving on unix://{daemon.socket_path} (model {daemon.model.name}, ready in {took:.1f} s)", flush=True)
        if getattr(daemon, "http", None) is not None:
            print(f"tandem edge: OpenAI-compatible endpoint on http://127.0.0.1:{daemon.http.port}/v1", flush=True)

    return ready


def cloud_progress(config: CloudConfig) -> Callable[[Any], None]:
    """Say what `tandem cloud serve` is starting now; return the on_ready callback that says it is up."""
    started = time.perf_counter()
    if config.upstream.base_url is None and not getattr(config, "upstreams", None):
        _progress(
            "tandem cloud: starting the embedded upstream (llama_cpp.server with the bundled model; "
            f"up to {config.embedded.startup_timeout_s:.0f} s) …"
        )
    else:
        _progress("tandem cloud: connecting to the configured upstream …")

    def ready(service: Any) -> None:
        took = time.perf_counter() - started
        print(f"tandem cloud: serving on {service.target} (ready in {took:.1f} s)", flush=True)
        metrics = getattr(service, "metrics", None)
        if metrics is not None and metrics.port:
            print(f"tandem cloud: metrics on http://{config.metrics.host}:{metrics.port}/metrics", flush=True)

    return ready


def _cmd_status(args: argparse.Namespace) -> int:
    config = load_edge_config(args.config)
    status = collect_status(config, args.socket, args.target)
    print(json.dumps(asdict(status), indent=2) if args.json else format_status(status))
    return 0 if status.daemon == "serving" else 1


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `tandem status`."""
    parser = subparsers.add_parser(
        "status",
        help="the daemon, its model, cloud reachability, today's escalations and budget",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, help="edge YAML config (socket, state dir, budget); default: built-in defaults")
    parser.add_argument("--socket", type=Path, help="daemon socket (default: from the config)")
    parser.add_argument("--target", help="gRPC target instead of the socket, e.g. 127.0.0.1:7000")
    parser.add_argument("--json", action="store_true", help="print the status as JSON")
    parser.set_defaults(func=_cmd_status)
