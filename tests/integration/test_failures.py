"""Bad input and broken parts: clear typed errors, local fallback, nothing crashes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import grpc
import pytest

from edge.daemon import EdgeDaemon
from edge.sdk import EdgeClient
from protos import cloud_pb2, cloud_pb2_grpc
from shared.config import ModelSettings
from shared.errors import InvalidRequest, ModelError, Overloaded, Unauthenticated, from_rpc_error
from shared.model_files import bundled_model_path
from shared.net import free_port
from tests.conftest import CloudHandle, DaemonFactory
from tests.helpers import edge_config, short_tmpdir

pytestmark = pytest.mark.e2e


def test_unreachable_cloud_answers_locally_marked_degraded(make_daemon: DaemonFactory) -> None:
    dead_target = f"127.0.0.1:{free_port()}"  # nothing listens there
    daemon = make_daemon(dead_target, "token")
    started = time.perf_counter()
    with EdgeClient(daemon.socket_path) as client:
        answer = client.ask("Name the capital city of Japan.", context=["reach me at ana@contoso.com"], prefer="cloud", max_tokens=24, timeout=30)
    elapsed = time.perf_counter() - started
    assert answer.route == "local" and answer.degraded
    assert answer.text.strip()
    assert "Unavailable" in answer.cloud_error
    assert "the cloud failed" in answer.reason
    assert elapsed < 30


def test_oversized_prompt_is_invalid_argument(make_daemon: DaemonFactory) -> None:
    daemon = make_daemon(limits={"max_prompt_chars": 100})
    with EdgeClient(daemon.socket_path) as client, pytest.raises(InvalidRequest, match="prompt: 101 characters"):
        client.ask("x" * 101)


def test_message_over_the_size_limit_is_resource_exhausted(make_daemon: DaemonFactory) -> None:
    daemon = make_daemon(limits={"max_message_bytes": 64 * 1024})
    with EdgeClient(daemon.socket_path) as client, pytest.raises(Overloaded):
        client.ask("summarize", context=["y" * (200 * 1024)])
    with EdgeClient(daemon.socket_path) as client:  # and the daemon still serves
        assert client.health().status == "SERVING"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"prompt": "   "}, "prompt"),
        ({"prompt": "hi", "session_id": "bad id!"}, "session_id"),
        ({"prompt": "hi", "max_tokens": 100000}, "max_tokens"),
        ({"prompt": "hi", "temperature": 9.0}, "temperature"),
    ],
)
def test_invalid_fields_are_named(make_daemon: DaemonFactory, kwargs: dict, field: str) -> None:
    daemon = make_daemon()
    with EdgeClient(daemon.socket_path) as client, pytest.raises(InvalidRequest, match=field):
        client.ask(**kwargs)


def test_full_queue_is_resource_exhausted(make_daemon: DaemonFactory) -> None:
    daemon = make_daemon(limits={"queue_limit": 0})
    errors: list[Exception] = []
    first_started = threading.Event()

    def long_request() -> None:
        with EdgeClient(daemon.socket_path) as client:
            stream = client.stream("Write a long story about the sea.", prefer="local", max_tokens=400)
            for _ in stream:
                first_started.set()

    worker = threading.Thread(target=long_request)
    worker.start()
    assert first_started.wait(60)
    with EdgeClient(daemon.socket_path) as client:
        try:
            client.ask("hello", prefer="local", max_tokens=4)
        except Overloaded as exc:
            errors.append(exc)
    worker.join(120)
    assert len(errors) == 1 and "busy" in str(errors[0])


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    config = edge_config(short_tmpdir(), model={"path": str(tmp_path / "absent.gguf")})
    with pytest.raises(ModelError, match="model file not found"):
        EdgeDaemon(config)


def test_non_gguf_model_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a model at all")
    with pytest.raises(ModelError, match="not a GGUF file"):
        EdgeDaemon(edge_config(short_tmpdir(), model={"path": str(bogus)}))


def test_corrupt_model_fails_its_checksum(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.gguf"
    data = bytearray(bundled_model_path().read_bytes())
    data[len(data) // 2] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    from shared.constants import BUNDLED_MODEL_SHA256

    settings = {"path": str(corrupt), "sha256": BUNDLED_MODEL_SHA256}
    with pytest.raises(ModelError, match="corrupt"):
        EdgeDaemon(edge_config(short_tmpdir(), model=settings))
    assert ModelSettings.model_validate(settings).sha256 == BUNDLED_MODEL_SHA256


def test_truncated_model_is_a_clear_error(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(bundled_model_path().read_bytes()[: 1 << 20])
    with pytest.raises(ModelError):
        EdgeDaemon(edge_config(short_tmpdir(), model={"path": str(truncated)}))


@pytest.mark.parametrize("metadata", [(), (("authorization", "Bearer wrong-token"),), (("authorization", "Basic abc"),)])
def test_cloud_refuses_missing_or_wrong_token(cloud: CloudHandle, metadata: tuple) -> None:
    with grpc.insecure_channel(cloud.target) as channel:
        stub = cloud_pb2_grpc.CloudStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.ListModels(cloud_pb2.ListModelsRequest(), metadata=metadata, timeout=10)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert isinstance(from_rpc_error(caught.value), Unauthenticated)
        request = cloud_pb2.EscalateRequest(messages=[cloud_pb2.ChatMessage(role="user", content="hi")])
        with pytest.raises(grpc.RpcError) as caught_stream:
            list(stub.Escalate(request, metadata=metadata, timeout=10))
        assert caught_stream.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_cloud_accepts_the_right_token_and_serves_health_openly(cloud: CloudHandle) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(cloud.target) as channel:
        models = cloud_pb2_grpc.CloudStub(channel).ListModels(
            cloud_pb2.ListModelsRequest(), metadata=(("authorization", f"Bearer {cloud.token}"),), timeout=10
        )
        assert models.default_model and any(m.id == models.default_model for m in models.models)
        status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert status.status == health_pb2.HealthCheckResponse.SERVING


def test_cloud_rejects_invalid_escalations(cloud: CloudHandle) -> None:
    auth = (("authorization", f"Bearer {cloud.token}"),)
    with grpc.insecure_channel(cloud.target) as channel:
        stub = cloud_pb2_grpc.CloudStub(channel)
        for request, field in [
            (cloud_pb2.EscalateRequest(), "messages"),
            (cloud_pb2.EscalateRequest(messages=[cloud_pb2.ChatMessage(role="tool", content="x")]), "role"),
        ]:
            with pytest.raises(grpc.RpcError) as caught:
                list(stub.Escalate(request, metadata=auth, timeout=10))
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert field in (caught.value.details() or "")
