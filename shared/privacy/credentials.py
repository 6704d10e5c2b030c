"""Secrets: API keys by their vendors' known prefixes, private-key blocks, `password=` values, high-entropy tokens."""

from __future__ import annotations

import math
import re
from collections import Counter

from shared.privacy.spans import Span, resolve_overlaps

# Vendor key formats (documented prefixes); each is specific enough to need no further check.
_KNOWN_KEYS = re.compile(
    r"(?<![\w-])(?:"
    r"sk-(?:proj-|ant-|live-)?[A-Za-z0-9_-]{20,}"  # OpenAI, Anthropic
    r"|(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}"  # GitHub
    r"|glpat-[A-Za-z0-9_-]{20,}"  # GitLab
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack
    r"|(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}"  # AWS access key ids
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API keys
    r"|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe
    r"|hf_[A-Za-z0-9]{30,}"  # Hugging Face
    r"|npm_[A-Za-z0-9]{36}"  # npm
    r"|SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"  # SendGrid
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JWT
    r")(?![\w-])"
)
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.DOTALL)
# `password: hunter2`, `api_key = "..."`: the value after a secret-ish name.
_ASSIGNED = re.compile(
    r"\b(?:password|passwd|pwd|passphrase|secret|client_secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|token)"
    r"\s*(?:[:=]|\bis\b)\s*[\"']?([^\s\"',;]{4,})",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/_=-]{20,}(?![\w+/=-])")

ENTROPY_MIN_BITS = 3.6  # per character; English words sit near 2.5-3, random base64 near 5-6
ENTROPY_MIN_CHARS = 20


def shannon_entropy(value: str) -> float:
    """Bits of entropy per character of `value`'s character distribution."""
    counts = Counter(value)
    total = len(value)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def looks_random(token: str, min_bits: float = ENTROPY_MIN_BITS) -> bool:
    """Whether `token` looks like a generated secret: letters and digits mixed, and high entropy."""
    has_digit = any(c.isdigit() for c in token)
    has_letter = any(c.isalpha() for c in token)
    if not (has_digit and has_letter):
        return False
    # Paths and identifiers ("src/app/v2_models") are word-like; demand more of tokens with slashes or underscores.
    if ("/" in token or "_" in token) and not token.endswith("="):
        min_bits += 0.8
    return shannon_entropy(token) >= min_bits


class SecretDetector:
    """API keys, private keys and assigned passwords; with `entropy`, any long high-entropy token too."""

    name = "secret"

    def __init__(self, entropy: bool = True, min_bits: float = ENTROPY_MIN_BITS) -> None:
        self._entropy = entropy
        self._min_bits = min_bits

    def detect(self, text: str) -> list[Span]:
        """Every secret in `text`."""
        spans = [Span(m.start(), m.end(), "API_KEY") for m in _KNOWN_KEYS.finditer(text)]
        spans.extend(Span(m.start(), m.end(), "API_KEY") for m in _PRIVATE_KEY.finditer(text))
        spans.extend(Span(m.start(1), m.end(1), "API_KEY", 0.8) for m in _ASSIGNED.finditer(text))
        if self._entropy:
            for match in _TOKEN.finditer(text):
                if looks_random(match.group(), self._min_bits):
                    spans.append(Span(match.start(), match.end(), "API_KEY", 0.6))
        return resolve_overlaps(spans)
