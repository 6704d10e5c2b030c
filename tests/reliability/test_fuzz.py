"""Fuzzing with hypothesis: every request type over real gRPC (AskRequest to a real daemon, EscalateRequest,
ListModelsRequest to a real cloud, HealthRequest) and the YAML config loader. 0 crashes or hangs: bad input
is INVALID_ARGUMENT (or a ConfigError) with a message naming what is wrong. `make fuzz` scales it up."""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.daemon import EdgeDaemon
from protos import cloud_pb2, cloud_pb2_grpc, common_pb2, edge_pb2, edge_pb2_grpc
from shared.config import CloudConfig, EdgeConfig, load_cloud_config, load_edge_config, parse_config
from shared.errors import ConfigError
from tests.fakes.upstream import FakeUpstream
from tests.reliability.conftest import FakeCloud

pytestmark = pytest.mark.e2e

SCALE = float(os.environ.get("TANDEM_FUZZ_SCALE", "1"))  # `make fuzz` sets 10
STRUCTURED_EXAMPLES = int(3500 * SCALE)  # per schema (edge, cloud)
TEXT_EXAMPLES = int(2000 * SCALE)
ASK_EXAMPLES = int(300 * SCALE)  # valid ones run the model: the costly part
ESCALATE_EXAMPLES = int(1700 * SCALE)  # 11,000 cases in all in the default run
FUZZ = settings(
    deadline=None, database=None, derandomize=SCALE <= 1, suppress_health_check=list(HealthCheck), print_blob=True
)
# Statuses a daemon or cloud may answer malformed input with; INTERNAL or UNKNOWN would mean a crash.
CLEAN_REFUSALS = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED}


# ---------------------------------------------------------------- config

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True),
    st.text(max_size=40), st.sampled_from(["", "127.0.0.1:1", "0.0.0.0", "sha256:" + "0" * 64, "DEBUG", "block", "/tmp/x"]),
)  # fmt: skip
_EDGE_KEYS = [*EdgeConfig.model_fields, "nope"]
_CLOUD_KEYS = [*CloudConfig.model_fields, "nope"]
_SECTION_KEYS = [
    *sorted({n for m in (EdgeConfig, CloudConfig) for f in m.model_fields.values() for n in getattr(f.annotation, "model_fields", {})}),
    "typo",
]


def _tree(top_keys: list[str]) -> st.SearchStrategy[Any]:
    # Flat on purpose: sections of scalars and short lists is where validation lives, and it is cheap to generate.
    value = _scalars | st.lists(_scalars, max_size=3) | st.dictionaries(st.text(max_size=6), _scalars, max_size=2)
    section = st.dictionaries(st.sampled_from(_SECTION_KEYS), value, max_size=5)
    return st.dictionaries(st.sampled_from(top_keys), section | value, max_size=6)


@pytest.fixture(scope="module")
def config_path() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="tdm-fuzz-") as directory:
        yield Path(directory) / "config.yaml"


def _load_and_check(loader: Any, path: Path, environ: dict[str, str] | None = None) -> None:
    try:
        loader(path, environ=environ or {})
    except ConfigError as exc:
        assert exc.message and ("config" in exc.message or "environment variable" in exc.message)


def _parse_and_check(schema: Any, text: str) -> None:
    """What load_config does after reading the file: safe_load, then validation."""
    try:
        parse_config(schema, yaml.safe_load(text), "fuzz", None, {})
    except ConfigError as exc:
        assert exc.message.startswith("invalid config in fuzz")


@given(data=_tree(_EDGE_KEYS))
@settings(FUZZ, max_examples=STRUCTURED_EXAMPLES)
def test_edge_config_from_structured_yaml(data: Any) -> None:
    _parse_and_check(EdgeConfig, yaml.safe_dump(data, allow_unicode=True))


@given(data=_tree(_CLOUD_KEYS))
@settings(FUZZ, max_examples=STRUCTURED_EXAMPLES)
def test_cloud_config_from_structured_yaml(data: Any) -> None:
    _parse_and_check(CloudConfig, yaml.safe_dump(data, allow_unicode=True))


@given(
    text=st.text(alphabet=st.characters(codec="utf-8"), max_size=200) | st.sampled_from(["[" * 50, "{a: " * 50, "&a [*a]", "!!python/object:os.system x", "a: *b"]),
    env=st.dictionaries(
        st.sampled_from(["TANDEM_EDGE__", "TANDEM_EDGE__CLOUD__TARGET", "TANDEM_EDGE__LIMITS", "TANDEM_EDGE__X__Y__Z", "TANDEM_EDGE__CLOUD"]),
        st.text(max_size=30),
        max_size=3,
    ),
)
@settings(FUZZ, max_examples=TEXT_EXAMPLES)
def test_config_from_arbitrary_text_and_env(config_path: Path, text: str, env: dict[str, str]) -> None:
    config_path.write_text(text, encoding="utf-8")
    _load_and_check(load_edge_config if len(text) % 2 else load_cloud_config, config_path, env)


def test_deeply_nested_yaml_is_a_config_error(config_path: Path) -> None:
    # Found by this fuzzer: the YAML parser overflowed Python's stack, which escaped as RecursionError.
    config_path.write_text("[" * 3000, encoding="utf-8")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_edge_config(config_path, environ={})
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_edge_config(None, environ={"TANDEM_EDGE__CLOUD__TARGET": "[" * 3000})


# ---------------------------------------------------------------- edge daemon

_odd_text = st.text(max_size=30) | st.sampled_from(["", " ", "\x00", "x" * 20_000, "ok"])


@pytest.fixture(scope="module")
def fuzz_daemon(loop: Any) -> Iterator[EdgeDaemon]:
    from tests.helpers import edge_config, short_tmpdir

    daemon = EdgeDaemon(edge_config(short_tmpdir(), limits={"max_prompt_chars": 10_000, "max_context_documents": 4, "max_context_chars": 10_000}))
    loop.run(daemon.start())
    yield daemon
    loop.run(daemon.stop(grace=0.5))


@pytest.fixture(scope="module")
def edge_stub(fuzz_daemon: EdgeDaemon) -> Iterator[edge_pb2_grpc.EdgeStub]:
    with grpc.insecure_channel(f"unix://{fuzz_daemon.socket_path}") as channel:
        yield edge_pb2_grpc.EdgeStub(channel)


ask_requests = st.builds(
    edge_pb2.AskRequest,
    prompt=_odd_text,
    context=st.lists(st.builds(edge_pb2.ContextDocument, name=st.text(max_size=10), text=_odd_text), max_size=6),
    session_id=st.text(max_size=20) | st.sampled_from(["", "s-1", "a" * 200]),
    options=st.builds(
        edge_pb2.AskOptions,
        prefer=st.integers(min_value=-3, max_value=9),
        # Mostly out of range, so most cases stay on the validation path; valid ones generate one token.
        max_tokens=st.sampled_from([1, 0, 9000, 2**32 - 1]) | st.integers(min_value=8193, max_value=2**32 - 1),
        temperature=st.floats(width=32) | st.sampled_from([0.0, 2.5, -1.0]),
        deadline_ms=st.integers(min_value=0, max_value=2**32 - 1),
    ),
)


def _ask_is_valid(request: edge_pb2.AskRequest) -> bool:
    o = request.options
    return (
        bool(request.prompt.strip()) and len(request.prompt) <= 10_000 and len(request.context) <= 4
        and sum(len(d.text) for d in request.context) <= 10_000 and o.prefer in (0, 1, 2, 3)
        and o.max_tokens <= 8192 and math.isfinite(o.temperature) and 0 <= o.temperature <= 2
        and (request.session_id == "" or re.fullmatch(r"[A-Za-z0-9_.:-]{1,128}", request.session_id) is not None)
    )  # fmt: skip


@pytest.mark.slow
@given(request=ask_requests)
@settings(FUZZ, max_examples=ASK_EXAMPLES)
def test_ask_fuzz(edge_stub: edge_pb2_grpc.EdgeStub, request: edge_pb2.AskRequest) -> None:
    # Valid requests stay on the device and cost one token (0 would mean the daemon's default length).
    request.options.max_tokens = request.options.max_tokens or 1
    request.options.prefer = common_pb2.PREFER_LOCAL if request.options.prefer in (0, 1, 3) else request.options.prefer
    try:
        finals = [m for m in edge_stub.Ask(request, timeout=30) if m.HasField("final")]
    except grpc.RpcError as exc:
        assert exc.code() in CLEAN_REFUSALS, (exc.code(), exc.details())
        assert exc.details()
        if exc.code() is grpc.StatusCode.INVALID_ARGUMENT:
            assert any(f in exc.details() for f in ("prompt", "context", "session_id", "options.", "deadline")), exc.details()
            assert not _ask_is_valid(request), exc.details()  # refused only what is really wrong
        return
    assert len(finals) == 1


def test_health_request_is_answered(edge_stub: edge_pb2_grpc.EdgeStub) -> None:
    assert edge_stub.Health(edge_pb2.HealthRequest(), timeout=10).status == "SERVING"


# ---------------------------------------------------------------- cloud

@pytest.fixture(scope="module")
def fuzz_cloud(loop: Any) -> Iterator[tuple[FakeCloud, FakeUpstream]]:
    import secrets

    from cloud.server import CloudService
    from tests.reliability.conftest import fake_cloud_config

    fake = FakeUpstream()
    loop.run(fake.start())
    token = secrets.token_urlsafe(8)
    service = CloudService(fake_cloud_config(token, [fake], limits={"requests_per_minute_per_token": 0, "max_prompt_chars": 5000}))
    loop.run(service.start())
    yield FakeCloud(service, token), fake
    loop.run(service.stop(grace=0.5))
    loop.run(fake.stop())


escalate_requests = st.builds(
    cloud_pb2.EscalateRequest,
    request_id=st.text(max_size=10) | st.just("r" * 200),
    messages=st.lists(
        st.builds(cloud_pb2.ChatMessage, role=st.sampled_from(["user", "system", "assistant", "tool", "", "USER"]) | st.text(max_size=8), content=_odd_text),
        max_size=4,
    ) | st.just([cloud_pb2.ChatMessage(role="user", content="x")] * 70),
    max_tokens=st.sampled_from([0, 1, 2, 32768, 32769]) | st.integers(min_value=0, max_value=2**32 - 1),
    temperature=st.floats(width=32) | st.sampled_from([0.0, 1.0, 2.0, 2.01]),
    model=st.text(max_size=10) | st.just("m" * 300),
)


@given(request=escalate_requests)
@settings(FUZZ, max_examples=ESCALATE_EXAMPLES)
def test_escalate_fuzz(fuzz_cloud: tuple[FakeCloud, FakeUpstream], cloud_stub: cloud_pb2_grpc.CloudStub, request: cloud_pb2.EscalateRequest) -> None:
    cloud, _ = fuzz_cloud
    try:
        messages = list(cloud_stub.Escalate(request, metadata=cloud.metadata, timeout=10))
    except grpc.RpcError as exc:
        assert exc.code() in CLEAN_REFUSALS, (exc.code(), exc.details())
        if exc.code() is grpc.StatusCode.INVALID_ARGUMENT:
            assert any(f in (exc.details() or "") for f in ("messages", "max_tokens", "temperature", "model", "request_id")), exc.details()
        return
    assert messages and messages[-1].HasField("done")


@pytest.fixture(scope="module")
def cloud_stub(fuzz_cloud: tuple[FakeCloud, FakeUpstream]) -> Iterator[cloud_pb2_grpc.CloudStub]:
    with grpc.insecure_channel(fuzz_cloud[0].target) as channel:
        yield cloud_pb2_grpc.CloudStub(channel)


def test_list_models_request_is_answered(fuzz_cloud: tuple[FakeCloud, FakeUpstream], cloud_stub: cloud_pb2_grpc.CloudStub) -> None:
    reply = cloud_stub.ListModels(cloud_pb2.ListModelsRequest(), metadata=fuzz_cloud[0].metadata, timeout=10)
    assert [m.id for m in reply.models] == ["fake-model"]
