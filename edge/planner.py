"""Builds the sanitized sub-query that an escalation sends: the question and the context, pseudonymized."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edge.privacy.filter import PrivacyFilter, SanitizedText

CLOUD_SYSTEM_PROMPT = (
    "You answer questions forwarded by a privacy-preserving assistant. Some details are replaced by "
    "placeholders such as <PERSON_1> or <EMAIL_ADDRESS_1>; use them exactly as written where needed."
)


@dataclass(frozen=True)
class ContextDoc:
    """A private document attached to a request."""

    name: str
    text: str


@dataclass(frozen=True)
class SubQuery:
    """The chat messages to send, and what sanitizing found."""

    messages: tuple[tuple[str, str], ...]
    entity_counts: dict[str, int]

    @property
    def sent_text(self) -> str:
        """The user-visible part of what is sent (the system prompt is the fixed CLOUD_SYSTEM_PROMPT)."""
        return "\n\n".join(content for role, content in self.messages if role == "user")

    @property
    def all_text(self) -> str:
        """Every message's content, for the egress guard."""
        return "\n".join(content for _, content in self.messages)


@dataclass(frozen=True)
class SanitizedRequest:
    """The prompt and context of one request, sanitized once for both the policy and the planner."""

    prompt: SanitizedText
    context: tuple[tuple[str, SanitizedText], ...]

    @property
    def blocked_types(self) -> frozenset[str]:
        """Entity types with a `block` policy anywhere in the request."""
        types: set[str] = set(self.prompt.blocked_types)
        for _, doc in self.context:
            types |= doc.blocked_types
        return frozenset(types)

    @property
    def entity_counts(self) -> dict[str, int]:
        """Spans found, by type, over prompt and context."""
        counts = dict(self.prompt.entity_counts)
        for _, doc in self.context:
            for key, value in doc.entity_counts.items():
                counts[key] = counts.get(key, 0) + value
        return counts


def sanitize_request(
    privacy: PrivacyFilter, session_id: str, prompt: str, context: Sequence[ContextDoc]
) -> SanitizedRequest:
    """Sanitize the prompt and each context document with this session's vault."""
    return SanitizedRequest(
        privacy.sanitize(prompt, session_id),
        tuple((doc.name, privacy.sanitize(doc.text, session_id)) for doc in context),
    )


def plan_subquery(request: SanitizedRequest) -> SubQuery:
    """One sub-query: the sanitized question with the sanitized context (snippet selection comes later)."""
    parts = []
    if request.context:
        parts.append("Context:")
        for name, doc in request.context:
            parts.append(f"[{name}]\n{doc.text}" if name else doc.text)
        parts.append("")
        parts.append("Question:")
    parts.append(request.prompt.text)
    return SubQuery((("system", CLOUD_SYSTEM_PROMPT), ("user", "\n".join(parts))), request.entity_counts)
