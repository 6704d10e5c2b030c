"""Auth on the edge→cloud hop: token, TLS and mTLS failures are all refused with the right status;
tokens are stored hashed; plaintext is loopback-only; the edge socket is 0600 and the user's."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from cloud.auth import hash_token
from cloud.server import CloudService
from edge.cloud_client import GrpcCloudClient
from protos import cloud_pb2, cloud_pb2_grpc
from shared.config import CloudClientSettings, CloudConfig, dump_config
from shared.errors import ConfigError, TandemError, Unauthenticated, Unavailable
from tests.conftest import DaemonFactory
from tests.fakes.upstream import ANSWER, FakeUpstream
from tests.helpers import BackgroundLoop, short_tmpdir
from tests.reliability.certs import CertAuthority, Issued
from tests.reliability.conftest import ask_cloud

pytestmark = pytest.mark.e2e

TOKEN = "the-right-token"


@pytest.fixture(scope="module")
def pki() -> dict[str, Any]:
    directory = short_tmpdir()
    ca, other = CertAuthority(directory, "good"), CertAuthority(directory, "other")
    return {
        "ca": ca,
        "other": other,
        "server": ca.issue("server", server=True),
        "expired_server": ca.issue("expired-server", server=True, expired=True),
        "client": ca.issue("client", server=False),
        "expired_client": ca.issue("expired-client", server=False, expired=True),
        "stranger": other.issue("stranger", server=False),
    }


def _start(loop: BackgroundLoop, fake: FakeUpstream, server: Issued, client_ca: Path | None = None) -> CloudService:
    config = CloudConfig.model_validate(
        {
            "listen": {"host": "127.0.0.1", "port": 0},
            "auth": {"tokens": [hash_token(TOKEN)]},  # stored hashed
            "upstreams": [{"base_url": fake.base_url, "model": "fake-model"}],
            "tls": {"cert": str(server.cert), "key": str(server.key), "client_ca": str(client_ca) if client_ca else None},
        }
    )
    service = CloudService(config)
    loop.run(service.start())
    return service


@pytest.fixture
def tls_cloud(loop: BackgroundLoop, fake: FakeUpstream, pki: dict[str, Any]) -> Iterator[CloudService]:
    service = _start(loop, fake, pki["server"])
    yield service
    loop.run(service.stop(grace=0.2))


@pytest.fixture
def mtls_cloud(loop: BackgroundLoop, fake: FakeUpstream, pki: dict[str, Any]) -> Iterator[CloudService]:
    service = _start(loop, fake, pki["server"], client_ca=pki["ca"].cert_path)
    yield service
    loop.run(service.stop(grace=0.2))


def _escalate(loop: BackgroundLoop, target: str, token: str | None, **tls: Any) -> str | TandemError:
    """Escalate through the edge's real cloud client; the answer text or the typed error."""
    settings = CloudClientSettings(target=target, token=token, connect_timeout_s=5, offline_after_failures=100, **tls)

    async def go() -> str | TandemError:
        client = GrpcCloudClient(settings, 4 * 1024 * 1024)
        text = ""
        try:
            async for event in client.escalate(ask_cloud(), 10):
                text += getattr(event, "text", "")
        except TandemError as exc:
            return exc
        finally:
            await client.close()
        return text

    return loop.run(go())


def test_tls_with_the_right_ca_and_token_works(loop: BackgroundLoop, tls_cloud: CloudService, pki: dict[str, Any]) -> None:
    assert _escalate(loop, tls_cloud.target, TOKEN, ca_cert=pki["ca"].cert_path) == ANSWER


@pytest.mark.parametrize("token", [None, "wrong-token", ""])
def test_missing_or_wrong_token_is_unauthenticated(loop: BackgroundLoop, tls_cloud: CloudService, pki: dict[str, Any], token: str | None) -> None:
    result = _escalate(loop, tls_cloud.target, token, ca_cert=pki["ca"].cert_path)
    assert isinstance(result, Unauthenticated)


def test_wrong_ca_is_refused(loop: BackgroundLoop, tls_cloud: CloudService, pki: dict[str, Any]) -> None:
    assert isinstance(_escalate(loop, tls_cloud.target, TOKEN, ca_cert=pki["other"].cert_path), Unavailable)


def test_expired_server_cert_is_refused(loop: BackgroundLoop, fake: FakeUpstream, pki: dict[str, Any]) -> None:
    service = _start(loop, fake, pki["expired_server"])
    try:
        assert isinstance(_escalate(loop, service.target, TOKEN, ca_cert=pki["ca"].cert_path), Unavailable)
    finally:
        loop.run(service.stop(grace=0.2))


def test_plaintext_to_a_tls_port_is_refused(tls_cloud: CloudService) -> None:
    with grpc.insecure_channel(tls_cloud.target) as channel:
        stub = cloud_pb2_grpc.CloudStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            list(stub.Escalate(ask_cloud(), metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=5))
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


def test_mtls_accepts_a_client_cert_from_its_ca(loop: BackgroundLoop, mtls_cloud: CloudService, pki: dict[str, Any]) -> None:
    client = pki["client"]
    result = _escalate(loop, mtls_cloud.target, TOKEN, ca_cert=pki["ca"].cert_path, client_cert=client.cert, client_key=client.key)
    assert result == ANSWER


@pytest.mark.parametrize("which", [None, "expired_client", "stranger"])
def test_mtls_refuses_missing_expired_or_foreign_client_certs(
    loop: BackgroundLoop, mtls_cloud: CloudService, pki: dict[str, Any], which: str | None
) -> None:
    tls: dict[str, Any] = {"ca_cert": pki["ca"].cert_path}
    if which:
        tls |= {"client_cert": pki[which].cert, "client_key": pki[which].key}
    assert isinstance(_escalate(loop, mtls_cloud.target, TOKEN, **tls), Unavailable)


def test_plaintext_off_loopback_is_a_config_error_on_both_sides() -> None:
    with pytest.raises(ConfigError, match=r"tls\.cert"):
        CloudService(CloudConfig.model_validate({"listen": {"host": "0.0.0.0", "port": 0}, "auth": {"tokens": [TOKEN]}}))
    with pytest.raises(ConfigError, match="ca_cert"):
        GrpcCloudClient(CloudClientSettings(target="cloud.example.com:443", token=TOKEN), 1024 * 1024)


def test_tokens_are_stored_hashed_and_masked_in_dumps() -> None:
    config = CloudConfig.model_validate({"auth": {"tokens": [hash_token(TOKEN)]}})
    assert TOKEN not in config.model_dump_json()
    assert "***" in dump_config(config) and hash_token(TOKEN) not in dump_config(config)


def test_upstream_api_keys_in_the_fallback_list_are_masked_in_dumps() -> None:
    config = CloudConfig.model_validate({"upstreams": [{"base_url": "http://a/v1", "api_key": "sk-secret-1"}, {"base_url": "http://b/v1", "api_key": "sk-secret-2"}]})
    dumped = dump_config(config)
    assert "sk-secret" not in dumped and dumped.count("***") >= 2


def test_edge_socket_is_0600_and_owned_by_the_user(make_daemon: DaemonFactory) -> None:
    daemon = make_daemon()
    info = os.stat(daemon.socket_path)
    assert stat.S_ISSOCK(info.st_mode)
    assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == os.getuid()
    assert stat.S_IMODE(os.stat(daemon.socket_path.parent).st_mode) == 0o700


def test_a_message_over_the_cloud_size_limit_is_refused(loop: BackgroundLoop, fake: FakeUpstream) -> None:
    config = CloudConfig.model_validate(
        {
            "listen": {"host": "127.0.0.1", "port": 0},
            "auth": {"tokens": [TOKEN]},
            "upstreams": [{"base_url": fake.base_url}],
            "limits": {"max_message_bytes": 4096},
        }
    )
    service = CloudService(config)
    loop.run(service.start())
    try:
        with grpc.insecure_channel(service.target) as channel:
            stub = cloud_pb2_grpc.CloudStub(channel)
            request = cloud_pb2.EscalateRequest(messages=[cloud_pb2.ChatMessage(role="user", content="x" * 10_000)])
            with pytest.raises(grpc.RpcError) as caught:
                list(stub.Escalate(request, metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=5))
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert not fake.chat_records
    finally:
        loop.run(service.stop(grace=0.2))
