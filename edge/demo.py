"""`tandem demo`: an embedded cloud (with its embedded upstream) and an edge daemon on a temporary
socket, then a few requests that carry private data, printed with what left the device."""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from cloud.server import CloudService
from edge.daemon import EdgeDaemon
from edge.sdk import Answer, AsyncEdgeClient
from shared.config import CloudConfig, EdgeConfig


@dataclass(frozen=True)
class DemoRequest:
    """One built-in request."""

    title: str
    prompt: str
    context: dict[str, str]
    prefer: str


CLINICAL_NOTE = (
    "Clinic visit 2026-11-30. Patient: Maria Gonzalez, phone (415) 555-0132, email maria.gonzalez@example.com. "
    "Complaint: sore throat and fever for three days. Rapid strep test positive. "
    "Plan: amoxicillin 500 mg twice daily for 10 days; follow up in one week."
)
EMAIL_THREAD = (
    "From: tom.baker@northwind-legal.com\nTo: ana.silva@contoso.com\n"
    "Subject: Contract review\n\nHi Ana, can we move the contract review to Thursday at 3pm? "
    "Call me on +44 20 7946 0958 if that does not work.\nTom"
)
INVOICE = (
    "INVOICE 2026-0417\nBill to: Contoso Ltd, accounts@contoso.com\n"
    "3 x consulting day at $1,200.00 = $3,600.00\nSubtotal $3,600.00, VAT 20% $720.00, Total due $4,320.00\n"
    "Paid by card 4111 1111 1111 1111."
)

DEMO_REQUESTS = (
    DemoRequest("Clinical note (auto)", "What medication was prescribed, and at what dose?", {"clinic_note.txt": CLINICAL_NOTE}, "auto"),
    DemoRequest("Email thread (cloud)", "Write a short, polite reply agreeing to the new time.", {"email.txt": EMAIL_THREAD}, "cloud"),
    DemoRequest("Invoice (auto)", "What is the total amount due?", {"invoice.txt": INVOICE}, "auto"),
    DemoRequest("Invoice (cloud, card on file)", "Check the VAT arithmetic on this invoice.", {"invoice.txt": INVOICE}, "cloud"),
)


def demo_configs(workdir: Path) -> tuple[CloudConfig, EdgeConfig, str]:
    """Configs for an embedded cloud on a free loopback port and a daemon in `workdir`."""
    token = secrets.token_urlsafe(24)
    cloud = CloudConfig.model_validate({"listen": {"host": "127.0.0.1", "port": 0}, "auth": {"tokens": [token]}})
    edge = EdgeConfig.model_validate(
        {
            "state_dir": str(workdir / "state"),
            "listen": {"socket_path": str(workdir / "edge.sock")},
            # Card numbers never leave the device in the demo, pseudonymized or not.
            "privacy": {"entities": {"CREDIT_CARD": "block"}},
        }
    )
    return cloud, edge, token


def _print_result(index: int, request: DemoRequest, answer: Answer) -> None:
    print(f"\n=== {index}. {request.title}")
    print(f"Prompt:   {request.prompt}")
    print(f"Route:    {answer.route}{' (degraded)' if answer.degraded else ''}  confidence {answer.confidence:.2f}")
    print(f"Reason:   {answer.reason}")
    if answer.entities:
        print("Found:    " + ", ".join(f"{k} x{v}" for k, v in sorted(answer.entities.items())))
    if answer.sent_text:
        print("Sent to the cloud (exactly this, after pseudonymization):")
        print("  | " + answer.sent_text.replace("\n", "\n  | "))
    else:
        print("Sent to the cloud: nothing")
    print("Answer:   " + (answer.text.strip().replace("\n", "\n          ") or "(none)"))
    t = answer.timings_ms
    print(
        f"Timings:  total {t['total']:.0f} ms · local {t['local']:.0f} ms · cloud {t['cloud']:.0f} ms · "
        f"privacy {t['privacy']:.1f} ms · first chunk {t['first_token']:.0f} ms"
    )


async def run_demo(json_output: bool = False) -> int:
    """Run the demo; 0 when every request got an answer or an explained refusal."""
    with tempfile.TemporaryDirectory(prefix="tandem-demo-", dir="/tmp") as tmp:
        workdir = Path(tmp)
        cloud_config, edge_config, token = demo_configs(workdir)
        log = sys.stderr
        print("Starting the cloud service and its embedded upstream (llama_cpp.server)…", file=log, flush=True)
        started = time.perf_counter()
        cloud = CloudService(cloud_config)
        await cloud.start()
        print(f"  cloud ready on {cloud.target} in {time.perf_counter() - started:.1f}s", file=log, flush=True)
        daemon = None
        try:
            edge_config = edge_config.model_copy(
                update={"cloud": edge_config.cloud.model_copy(update={"target": cloud.target, "token": token})}
            )
            print("Starting the edge daemon (loading the local model)…", file=log, flush=True)
            daemon = EdgeDaemon(edge_config)
            await daemon.start()
            print(f"  edge ready on unix://{daemon.socket_path}", file=log, flush=True)
            results = []
            async with AsyncEdgeClient(daemon.socket_path) as client:
                for index, request in enumerate(DEMO_REQUESTS, 1):
                    answer = await client.ask(request.prompt, context=request.context, prefer=request.prefer)
                    results.append((request, answer))
                    if not json_output:
                        _print_result(index, request, answer)
            if json_output:
                print(json.dumps([{"title": r.title, "prefer": r.prefer, **asdict(a)} for r, a in results], indent=2))
            else:
                routes = [a.route for _, a in results]
                print(f"\nRoutes: {', '.join(routes)}. The egress ledger holds {daemon.ledger.count()} record(s).")
        finally:
            if daemon is not None:
                await daemon.stop()
            await cloud.stop()
    return 0
