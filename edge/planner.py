"""Builds the sanitized sub-query that an escalation sends: the question and only the context snippets that
matter (BM25 over sentences, chosen on the device), pseudonymized, as a declarative plan validated by a schema.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge.privacy.filter import PrivacyFilter, SanitizedText
from shared.errors import InvalidRequest

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
    plan: Plan | None = None

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


# ---------------------------------------------------------------- snippet selection

SNIPPET_MIN_CONTEXT_CHARS = 600  # shorter context goes whole: selecting from it saves little and risks dropping the answer
SNIPPET_TOP_K = 2  # chunks sent from a long context
SNIPPET_MAX_SHARE = 0.5  # never send more than this share of a context as "snippets"; else it is no saving
BM25_K1 = 1.2
BM25_B = 0.75

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z<\"'(\[])|\n+")
_TOKEN = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is", "it", "of", "on", "or", "that", "the", "this", "to", "was", "were", "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "with", "does", "do", "did", "give", "me", "please", "tell", "name"]
)


Ranker = Callable[[str, Sequence[str]], list[float]]
"""Scores chunks for a query, higher is more relevant; a chunk scoring 0 does not match at all."""


def chunk_text(text: str) -> list[str]:
    """Sentences (or lines) of `text`, the unit snippets are chosen in."""
    return [piece.strip() for piece in _SENTENCE_END.split(text) if piece and piece.strip()]


def _terms(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t not in _STOPWORDS]


def bm25_scores(query: str, chunks: Sequence[str]) -> list[float]:
    """Okapi BM25 score of each chunk for `query`, with the chunks themselves as the corpus."""
    docs = [_terms(c) for c in chunks]
    if not docs:
        return []
    average = sum(len(d) for d in docs) / len(docs) or 1.0
    frequency: dict[str, int] = {}
    for doc in docs:
        for term in set(doc):
            frequency[term] = frequency.get(term, 0) + 1
    n = len(docs)
    scores = []
    for doc in docs:
        score = 0.0
        for term in set(_terms(query)):
            tf = doc.count(term)
            if not tf:
                continue
            idf = math.log(1.0 + (n - frequency[term] + 0.5) / (frequency[term] + 0.5))
            score += idf * tf * (BM25_K1 + 1) / (tf + BM25_K1 * (1 - BM25_B + BM25_B * len(doc) / average))
        scores.append(score)
    return scores


def select_snippets(query: str, text: str, top_k: int = SNIPPET_TOP_K, ranker: Ranker = bm25_scores) -> list[str]:
    """The chunks of `text` most relevant to `query` by `ranker` (BM25 by default; edge/embeddings.py has the
    embedding and hybrid rankers), in document order; the whole text when it is short or when nothing matches
    (better to send what the policy already allowed than an unanswerable question)."""
    if len(text) < SNIPPET_MIN_CONTEXT_CHARS:
        return [text]
    chunks = chunk_text(text)
    scores = ranker(query, chunks)
    ranked = sorted(range(len(chunks)), key=lambda i: (-scores[i], i))
    keep = sorted(i for i in ranked[:top_k] if scores[i] > 0)
    if not keep or sum(len(chunks[i]) for i in keep) > SNIPPET_MAX_SHARE * len(text):
        return [text]
    return [chunks[i] for i in keep]


# ---------------------------------------------------------------- declarative plans


class PlanPart(BaseModel):
    """One part of a decomposed request: a question and the context snippets it needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str = Field(min_length=1, max_length=4000, description="The part's question, sanitized.")
    snippets: tuple[str, ...] = Field(default=(), max_length=16, description="Sanitized context snippets it needs.")


class Plan(BaseModel):
    """A decomposition as data: validated against this schema, never executed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    parts: tuple[PlanPart, ...] = Field(min_length=1, max_length=8, description="The parts, answered in order.")


def parse_plan(raw: str) -> Plan:
    """Validate a JSON decomposition (for instance one a model proposed); a bad one is an InvalidRequest."""
    try:
        return Plan.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "plan"
        raise InvalidRequest(f"plan: {where}: {first['msg']}") from None


_PART_SPLIT = re.compile(r"(?<=\?)\s+(?:and\s+|also\s+)?(?=\S)", re.I)


def split_questions(prompt: str) -> list[str]:
    """The separate questions of a multi-part prompt ("What is X? And what is Y?"), or the prompt itself."""
    parts = [p.strip() for p in _PART_SPLIT.split(prompt.strip()) if p.strip()]
    return parts if len(parts) > 1 and all(p.endswith("?") for p in parts) else [prompt.strip()]


def build_plan(request: SanitizedRequest, ranker: Ranker = bm25_scores) -> Plan:
    """The plan for a request: each question with only the context snippets relevant to it."""
    parts = []
    for question in split_questions(request.prompt.text):
        snippets: list[str] = []
        for name, doc in request.context:
            picked = select_snippets(question, doc.text, ranker=ranker)
            label = f"[{name}] " if name else ""
            snippets.extend(label + s for s in picked if s.strip())
        parts.append(PlanPart(question=question, snippets=tuple(dict.fromkeys(snippets))))
    return Plan(parts=tuple(parts))


def render_plan(plan: Plan) -> str:
    """The user message for a plan: the snippets, then the numbered questions."""
    snippets = list(dict.fromkeys(s for part in plan.parts for s in part.snippets))
    lines: list[str] = []
    if snippets:
        lines += ["Context (excerpts):", *(f"- {s}" for s in snippets), "", "Question:"]
    if len(plan.parts) == 1:
        lines.append(plan.parts[0].question)
    else:
        lines += [f"{i}. {part.question}" for i, part in enumerate(plan.parts, 1)]
    return "\n".join(lines)


def sent_entity_counts(request: SanitizedRequest, sent_text: str) -> dict[str, int]:
    """Sensitive spans in the text actually sent, by type: each distinct replacement (placeholder, redaction
    marker, or allowed value) of the request, counted as often as it appears in `sent_text`. A part or a snippet
    that leaves an entity out does not count it, so the ledger records what went, not what the request held."""
    kinds: dict[str, str] = {}
    for sanitized in (request.prompt, *(doc for _, doc in request.context)):
        for span, replacement in zip(sanitized.spans, sanitized.replacements, strict=True):
            kinds.setdefault(replacement, span.entity_type)
    counts: dict[str, int] = {}
    for replacement, kind in kinds.items():
        found = sent_text.count(replacement) if replacement else 0
        if found:
            counts[kind] = counts.get(kind, 0) + found
    return counts


def plan_subquery(request: SanitizedRequest, parts: Sequence[int] | None = None,
                  ranker: Ranker = bm25_scores) -> SubQuery:
    """One sub-query: the sanitized question with only the relevant, sanitized context snippets; with `parts`
    (0-based indices into the plan), only those parts and their snippets."""
    plan = build_plan(request, ranker)
    if parts is not None:
        plan = Plan(parts=tuple(plan.parts[i] for i in parts))
    text = render_plan(plan)
    return SubQuery((("system", CLOUD_SYSTEM_PROMPT), ("user", text)), sent_entity_counts(request, text), plan)
