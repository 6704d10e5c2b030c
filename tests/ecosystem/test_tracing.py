"""OpenTelemetry: one trace across edge → cloud → upstream, off by default, and no private text in any span."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from cloud.server import CloudService
from edge.daemon import EdgeDaemon
from edge.sdk import EdgeClient
from shared.config import CloudConfig, EdgeConfig
from shared.tracing import outgoing_metadata
from tests.conftest import CloudHandle, DaemonFactory
from tests.helpers import BackgroundLoop, cloud_config

EMAIL = "maria.gonzalez@example.com"
TRACING_ON = {"enabled": True, "exporter": "none"}


def test_tracing_is_off_by_default_and_sends_nothing() -> None:
    assert EdgeConfig().tracing.enabled is False and CloudConfig().tracing.enabled is False
    assert outgoing_metadata() == ()


@pytest.fixture(scope="module")
def traced_cloud(loop: BackgroundLoop, cloud: CloudHandle) -> Iterator[tuple[CloudService, InMemorySpanExporter]]:
    """A real cloud service with tracing on, in front of the session's embedded upstream, recording spans in memory."""
    embedded = cloud.service.embedded
    assert embedded is not None
    config = cloud_config(cloud.token, upstream={"base_url": embedded.base_url, "model": embedded.model_alias}, tracing=TRACING_ON)
    service = CloudService(config)
    exporter = InMemorySpanExporter()
    assert service.tracing.provider is not None
    service.tracing.provider.add_span_processor(SimpleSpanProcessor(exporter))
    loop.run(service.start())
    yield service, exporter
    loop.run(service.stop(grace=1.0))


def _attribute_text(spans: list[ReadableSpan]) -> str:
    return " ".join(f"{s.name} {dict(s.attributes or {})}" for s in spans)


@pytest.mark.e2e
def test_one_trace_spans_edge_cloud_and_upstream_without_private_text(
    traced_cloud: tuple[CloudService, InMemorySpanExporter], cloud: CloudHandle, make_daemon: DaemonFactory
) -> None:
    service, cloud_spans = traced_cloud
    daemon: EdgeDaemon = make_daemon(service.target, cloud.token, tracing=TRACING_ON)
    edge_spans = InMemorySpanExporter()
    assert daemon.tracing.provider is not None
    daemon.tracing.provider.add_span_processor(SimpleSpanProcessor(edge_spans))
    with EdgeClient(daemon.socket_path) as client:
        answer = client.ask(f"Draft a one-line reply to {EMAIL} about the invoice.", prefer="cloud", max_tokens=16)
    assert answer.route == "cloud", answer.reason

    (ask,) = [s for s in edge_spans.get_finished_spans() if s.name == "tandem.edge.ask"]
    assert ask.attributes is not None
    assert ask.attributes["tandem.route"] == "cloud" and int(ask.attributes["tandem.entities"]) >= 1  # type: ignore[arg-type]
    assert ask.attributes["tandem.sent_chars"] == len(answer.sent_text)
    (escalate,) = [s for s in cloud_spans.get_finished_spans() if s.name == "tandem.cloud.Escalate"]
    (upstream,) = [s for s in cloud_spans.get_finished_spans() if s.name == "tandem.cloud.upstream"]
    # One trace: the cloud's span is a child of the edge's, the upstream call a child of the cloud's.
    assert ask.context is not None and escalate.context is not None and upstream.context is not None
    assert escalate.context.trace_id == ask.context.trace_id == upstream.context.trace_id
    assert escalate.parent is not None and escalate.parent.span_id == ask.context.span_id
    assert upstream.parent is not None and upstream.parent.span_id == escalate.context.span_id
    assert upstream.end_time is not None and upstream.start_time is not None and upstream.end_time > upstream.start_time
    # Counts, kinds and timings only.
    text = _attribute_text([ask, escalate, upstream])
    assert EMAIL not in text and "invoice" not in text and "EMAIL_ADDRESS_1" not in text
