"""/metrics on both sides, scraped over HTTP from real servers and parsed with prometheus_client's parser."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import grpc
import httpx
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from cloud.server import CloudService
from edge.daemon import EdgeDaemon
from protos import cloud_pb2, cloud_pb2_grpc
from tests.conftest import CloudHandle
from tests.helpers import BackgroundLoop, cloud_config

pytestmark = pytest.mark.e2e

EMAIL = "maria.gonzalez@example.com"


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample at `url`, keyed by (name, sorted labels)."""
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    """One sample's value (0 when absent)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_edge_metrics_count_requests_without_text(http_daemon: EdgeDaemon, base_url: str) -> None:
    metrics_url = base_url.removesuffix("/v1") + "/metrics"
    before = scrape(metrics_url)
    client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=120)
    client.chat.completions.create(model="tandem-local", messages=[{"role": "user", "content": "Say hello."}], max_tokens=8)
    client.chat.completions.create(
        model="tandem-cloud", messages=[{"role": "user", "content": f"Write one line to {EMAIL}."}], max_tokens=16
    )
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="tandem-auto", messages=[{"role": "user", "content": " "}])
    response = httpx.get(metrics_url, timeout=10)
    after = scrape(metrics_url)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("tandem_edge_requests_total", route="local") == 1
    assert delta("tandem_edge_requests_total", route="cloud") == 1
    assert delta("tandem_edge_request_errors_total", kind="InvalidRequest") == 1
    assert delta("tandem_edge_entities_detected_total", type="EMAIL_ADDRESS") == 1
    assert delta("tandem_edge_confidence_count") == 1  # the cloud-preferred request skipped the local attempt
    assert delta("tandem_edge_sent_chars_total") > 0
    assert delta("tandem_edge_cloud_tokens_total", kind="completion") > 0
    assert delta("tandem_edge_local_tokens_total", kind="completion") > 0
    assert value(after, "tandem_edge_queue_depth") == 0
    assert value(after, "tandem_edge_queue_limit") == http_daemon.config.limits.queue_limit
    # Counts only: no private value, and no prompt text, ever appears in the exposition.
    assert EMAIL not in response.text and "hello" not in response.text.lower()


@pytest.fixture(scope="module")
def metered_cloud(loop: BackgroundLoop, cloud: CloudHandle) -> Iterator[CloudService]:
    """A second real cloud service with /metrics on a free port, in front of the session's embedded upstream."""
    embedded = cloud.service.embedded
    assert embedded is not None
    config = cloud_config(
        cloud.token, upstream={"base_url": embedded.base_url, "model": embedded.model_alias}, metrics={"port": 0}
    )
    service = CloudService(config)
    loop.run(service.start())
    yield service
    loop.run(service.stop(grace=1.0))


def test_cloud_metrics_count_escalations_errors_and_latency(metered_cloud: CloudService, cloud: CloudHandle) -> None:
    assert metered_cloud.metrics.port
    url = f"http://127.0.0.1:{metered_cloud.metrics.port}/metrics"
    before = scrape(url)
    request = cloud_pb2.EscalateRequest(
        request_id=secrets.token_hex(4),
        messages=[cloud_pb2.ChatMessage(role="user", content="Name the capital city of Italy.")],
        max_tokens=8,
    )
    with grpc.insecure_channel(metered_cloud.target) as channel:
        stub = cloud_pb2_grpc.CloudStub(channel)
        answer = list(stub.Escalate(request, timeout=60, metadata=(("authorization", f"Bearer {cloud.token}"),)))
        assert answer[-1].HasField("done")
        with pytest.raises(grpc.RpcError) as denied:
            list(stub.Escalate(request, timeout=10, metadata=(("authorization", "Bearer wrong"),)))
        assert denied.value.code() == grpc.StatusCode.UNAUTHENTICATED
    response = httpx.get(url, timeout=10)
    after = scrape(url)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("tandem_cloud_requests_total", method="Escalate", outcome="ok") == 1
    assert delta("tandem_cloud_requests_total", method="Escalate", outcome="error") == 1
    assert delta("tandem_cloud_errors_total", method="Escalate", kind="Unauthenticated") == 1
    assert delta("tandem_cloud_upstream_latency_seconds_count") == 1
    assert delta("tandem_cloud_upstream_latency_seconds_sum") > 0
    assert delta("tandem_cloud_upstream_tokens_total", kind="completion") > 0
    assert value(after, "tandem_cloud_inflight_streams") == 0
    upstream = f"0:{metered_cloud.config.upstream.base_url.split('//', 1)[1].split('/', 1)[0]}"  # type: ignore[union-attr]
    assert value(after, "tandem_cloud_upstream_breaker_state", upstream=upstream, state="closed") == 1
    assert value(after, "tandem_cloud_upstream_breaker_state", upstream=upstream, state="open") == 0
    assert delta("tandem_cloud_upstream_attempts_total") >= 1
    assert "Italy" not in response.text
