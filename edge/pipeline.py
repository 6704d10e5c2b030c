"""One Ask, end to end on the device: validate, detect, try locally, decide, plan, guard, record,
escalate, restore, answer. Plain Python over injected parts, so it is tested without gRPC.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field, replace

from edge.budget import CloudBudget
from edge.cloud_client import CloudBackend, CloudDelta, CloudDone
from edge.embeddings import EmbeddingModel, make_ranker
from edge.ledger import EgressLedger
from edge.multipart import compose_answer, decide_parts, describe_routes, overall_route
from edge.planner import ContextDoc, SanitizedRequest, SubQuery, plan_subquery, sanitize_request, split_questions
from edge.policy import Decision, EscalationPolicy, LocalAttempt, Prefer, RequestFacts, Route
from edge.privacy import EgressGuard, PrivacyFilter, StreamRestorer, Vault
from edge.runner import ModelRunner
from edge.self_check import option_features, option_settings
from edge.sessions import MAX_SESSION_ID_CHARS, SessionStore, Turn, new_session_id
from protos import cloud_pb2
from shared.config import EdgeConfig
from shared.errors import (
    DeadlineExceeded,
    InvalidRequest,
    PrivacyBlocked,
    StreamTruncated,
    TandemError,
)

log = logging.getLogger(__name__)

LOCAL_FALLBACK_SHARE = 0.25  # of the remaining deadline, kept for a local answer when the cloud is tried first
LOCAL_SYSTEM_PROMPT = "You are a helpful assistant. Answer briefly and directly. Use the given context when there is one."
_SESSION_ID = re.compile(rf"^[A-Za-z0-9_.:-]{{1,{MAX_SESSION_ID_CHARS}}}$")


@dataclass(frozen=True)
class AskInput:
    """A validated-on-entry request to the daemon."""

    prompt: str
    context: Sequence[ContextDoc] = ()
    session_id: str = ""
    prefer: Prefer = Prefer.AUTO
    max_tokens: int | None = None
    temperature: float | None = None
    deadline_s: float | None = None


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of the answer, already restored."""

    text: str


@dataclass
class Provenance:
    """Where an answer came from, why, and what it cost."""

    route: Route = Route.LOCAL
    confidence: float = 0.0
    reason: str = ""
    sent_text: str = ""
    local_prompt_tokens: int = 0
    local_completion_tokens: int = 0
    cloud_prompt_tokens: int = 0
    cloud_completion_tokens: int = 0
    timings_ms: dict[str, float] = field(default_factory=dict)
    degraded: bool = False
    local_model: str = ""
    cloud_model: str = ""
    entities: dict[str, int] = field(default_factory=dict)
    cloud_error_kind: str = ""
    cloud_error_message: str = ""


@dataclass(frozen=True)
class Final:
    """The whole answer and its provenance."""

    text: str
    session_id: str
    provenance: Provenance


Event = Chunk | Final


class _Clock:
    """Per-request timings and the deadline."""

    def __init__(self, deadline_s: float) -> None:
        self.start = time.perf_counter()
        self.deadline = self.start + deadline_s
        self.timings: dict[str, float] = {}
        self.first_token: float | None = None

    def remaining(self) -> float:
        return self.deadline - time.perf_counter()

    def add(self, name: str, since: float) -> None:
        self.timings[name] = self.timings.get(name, 0.0) + (time.perf_counter() - since) * 1000.0

    def mark_first_token(self) -> None:
        if self.first_token is None:
            self.first_token = time.perf_counter()

    def finish(self) -> dict[str, float]:
        now = time.perf_counter()
        self.timings["total_ms"] = (now - self.start) * 1000.0
        self.timings["first_token_ms"] = ((self.first_token or now) - self.start) * 1000.0
        return self.timings


class AskPipeline:
    """Runs Asks against the local model, the privacy filter, the policy and (optionally) the cloud."""

    def __init__(
        self,
        config: EdgeConfig,
        runner: ModelRunner,
        privacy: PrivacyFilter,
        vault: Vault,
        guard: EgressGuard,
        ledger: EgressLedger,
        sessions: SessionStore,
        policy: EscalationPolicy,
        cloud: CloudBackend | None,
        budget: CloudBudget | None = None,
    ) -> None:
        self.config = config
        self.runner = runner
        self.privacy = privacy
        self.vault = vault
        self.guard = guard
        self.ledger = ledger
        self.sessions = sessions
        self.policy = policy
        self.cloud = cloud
        self.budget = budget  # the daily cloud token budget; None means no cap
        # How escalations pick context snippets; an embedding model is only built (and loaded on first use) when asked for.
        method = config.policy.snippets
        embedder = None if method == "bm25" else EmbeddingModel(runner.model.path, config.model.n_threads)
        self._ranker = make_ranker(method, embedder)

    # ------------------------------------------------------------ entry

    def validate(self, request: AskInput) -> None:
        """Raise InvalidRequest naming the first thing wrong with `request`."""
        limits = self.config.limits
        if not request.prompt.strip():
            raise InvalidRequest("prompt: must not be empty")
        if len(request.prompt) > limits.max_prompt_chars:
            raise InvalidRequest(f"prompt: {len(request.prompt)} characters exceeds the limit of {limits.max_prompt_chars}")
        if len(request.context) > limits.max_context_documents:
            raise InvalidRequest(f"context: {len(request.context)} documents exceeds the limit of {limits.max_context_documents}")
        total = sum(len(doc.text) for doc in request.context)
        if total > limits.max_context_chars:
            raise InvalidRequest(f"context: {total} characters exceeds the limit of {limits.max_context_chars}")
        if request.session_id and not _SESSION_ID.match(request.session_id):
            raise InvalidRequest("session_id: use 1-128 letters, digits, '_', '-', '.', ':'")
        if request.max_tokens is not None and not 1 <= request.max_tokens <= 8192:
            raise InvalidRequest("options.max_tokens: must be between 1 and 8192")
        if request.temperature is not None and not 0.0 <= request.temperature <= 2.0:
            raise InvalidRequest("options.temperature: must be between 0 and 2")
        if request.deadline_s is not None and request.deadline_s <= 0:
            raise InvalidRequest("options.deadline_ms: must be positive")

    async def run(self, request: AskInput) -> AsyncIterator[Event]:
        """Answer `request`: chunks, then one Final."""
        self.validate(request)
        clock = _Clock(request.deadline_s or self.config.limits.deadline_s)
        session_id = request.session_id or new_session_id()
        prov = Provenance(local_model=self.runner.model.name)

        sanitized, privacy_error = None, ""
        if request.prefer is not Prefer.LOCAL:
            t = time.perf_counter()
            try:
                sanitized = await asyncio.to_thread(
                    sanitize_request, self.privacy, session_id, request.prompt, list(request.context)
                )
                prov.entities = sanitized.entity_counts
            except Exception as exc:  # fail closed: without a clean scan nothing may leave
                log.error("privacy filter failed (%s); escalation disabled for this request", type(exc).__name__)
                privacy_error = f"the privacy filter failed ({type(exc).__name__})"
            clock.add("privacy_ms", t)

        facts = RequestFacts(
            prefer=request.prefer,
            cloud_available=self.cloud is not None and sanitized is not None,
            blocked_types=sanitized.blocked_types if sanitized else frozenset(),
            entity_count=sum(sanitized.entity_counts.values()) if sanitized else 0,
        )
        decision = self.policy.before_local(facts)
        attempt: LocalAttempt | None = None
        answer = ""

        if decision is not None and decision.route is Route.REFUSED:
            prov.route, prov.reason = Route.REFUSED, decision.reason
            prov.timings_ms = clock.finish()
            yield Final("", session_id, prov)
            return

        questions = _split_for_routing(request, decision, sanitized)
        if questions:
            # Several parts in auto mode: each is tried locally and routed on its own, composed here.
            assert sanitized is not None
            answer = await self._answer_parts(request, questions, sanitized, facts, session_id, clock, prov)
            clock.mark_first_token()
            yield Chunk(answer)
        elif decision is not None and decision.route is Route.LOCAL:
            # Nothing can leave, so stream the local model live.
            prov.route, prov.reason = Route.LOCAL, decision.reason
            attempts: list[LocalAttempt] = []
            async for piece in self._local(request, session_id, clock, prov, attempts, live=True):
                answer += piece
                yield Chunk(piece)
            prov.confidence = self.policy.confidence(attempts[0])
        else:
            if decision is None:
                attempt = await self._attempt_locally(request, session_id, clock, prov)
                decision = self.policy.after_local(facts, attempt)
                prov.confidence = decision.confidence
                if privacy_error and decision.route is Route.LOCAL and request.prefer is not Prefer.LOCAL:
                    decision = Decision(Route.LOCAL, f"{decision.reason}; {privacy_error}, so nothing may leave", decision.confidence)
            prov.reason = decision.reason
            if decision.route is Route.CLOUD and sanitized is not None:
                try:
                    async for piece in self._escalate(sanitized, session_id, request, clock, prov, attempt is None):
                        answer += piece
                        yield Chunk(piece)
                    prov.route = Route.CLOUD
                except (TandemError, OSError) as exc:
                    failure = _record_cloud_failure(prov, exc, answer)
                    prov.reason = f"{decision.reason}; the cloud failed ({failure}), so the answer is local"
                    log.warning("escalation failed (%s); answering locally", type(exc).__name__)
                    if attempt is None:
                        attempt = await self._attempt_locally(request, session_id, clock, prov)
                        prov.confidence = self.policy.confidence(attempt)
                    prov.route = Route.LOCAL
            else:
                prov.route = Route.LOCAL
            if prov.route is Route.LOCAL:
                assert attempt is not None
                answer = attempt.text
                clock.mark_first_token()
                yield Chunk(answer)

        await asyncio.to_thread(self.sessions.append_exchange, session_id, request.prompt, answer, prov.route.value)
        prov.timings_ms = clock.finish()
        yield Final(answer, session_id, prov)

    # ------------------------------------------------------------ local

    def _local_messages(self, request: AskInput, history: list[Turn]) -> list[dict[str, str]]:
        messages = [{"role": "system", "content": LOCAL_SYSTEM_PROMPT}]
        messages += [{"role": t.role, "content": t.content} for t in history]
        user = request.prompt
        if request.context:
            docs = "\n\n".join(f"[{d.name}]\n{d.text}" if d.name else d.text for d in request.context)
            user = f"Context:\n{docs}\n\nQuestion: {request.prompt}"
        messages.append({"role": "user", "content": user})
        return messages

    async def _local(
        self,
        request: AskInput,
        session_id: str,
        clock: _Clock,
        prov: Provenance,
        attempts: list[LocalAttempt],
        live: bool,
    ) -> AsyncIterator[str]:
        """Run the local model in its turn; yield text pieces when `live`; append the attempt to `attempts`."""
        gen = self.config.generation
        max_tokens = request.max_tokens or gen.max_tokens
        temperature = gen.temperature if request.temperature is None else request.temperature
        history = await asyncio.to_thread(self.sessions.history, session_id, gen.history_turns) if request.session_id else []
        messages = self._local_messages(request, history)
        queued = time.perf_counter()
        try:
            async with asyncio.timeout(max(clock.remaining(), 0.001)):
                async with self.runner.turn():
                    clock.add("queue_ms", queued)
                    started = time.perf_counter()
                    prompt = await asyncio.to_thread(self.runner.model.fit_prompt, messages, max_tokens)
                    logprobs: list[float] = []
                    entropies: list[float] = []
                    text = ""
                    batches = self.runner.stream_batches(prompt.tokens, max_tokens, temperature)
                    async with aclosing(batches):  # a caller that leaves stops the model now
                        # Tokens that piled up while the last piece was being sent go out as one piece (one
                        # gRPC message); while the caller keeps up, each batch is one token, the first at once.
                        async for batch in batches:
                            piece = "".join([event.text for event in batch])
                            logprobs.extend([event.logprob for event in batch])
                            entropies.extend([event.entropy for event in batch])
                            text += piece
                            if live and piece:
                                clock.mark_first_token()
                                yield piece
                    extra = await self._option_features(prompt.tokens, request, text)
                    clock.add("local_ms", started)
        except TimeoutError:
            raise DeadlineExceeded("the deadline passed while waiting for or running the local model") from None
        prov.local_prompt_tokens = len(prompt.tokens)
        prov.local_completion_tokens = len(logprobs)
        # The policy's features read the question and context; they stay on the device with the attempt.
        context = "\n\n".join(doc.text for doc in request.context)
        attempts.append(
            LocalAttempt(
                text.strip(), tuple(logprobs), len(prompt.tokens), prompt.truncated,
                question=request.prompt, context=context, entity_count=sum(prov.entities.values()),
                entropies=tuple(entropies), extra=extra,
            )
        )

    async def _option_features(self, prompt: Sequence[int], request: AskInput, text: str) -> tuple[tuple[str, float], ...]:
        """Self-consistency and self-check features, when the config turns them on (they cost local model time)."""
        options = option_settings(self.config.policy)
        if not options.enabled:
            return ()
        context = "\n\n".join(doc.text for doc in request.context)
        features = await self.runner.call(option_features, self.runner.model, options, prompt, request.prompt,
                                          text.strip(), context)
        return tuple(features.items())

    async def _attempt_locally(self, request: AskInput, session_id: str, clock: _Clock, prov: Provenance) -> LocalAttempt:
        attempts: list[LocalAttempt] = []
        async for _ in self._local(request, session_id, clock, prov, attempts, live=False):
            pass
        return attempts[0]

    async def _answer_parts(
        self,
        request: AskInput,
        questions: Sequence[str],
        sanitized: SanitizedRequest,
        facts: RequestFacts,
        session_id: str,
        clock: _Clock,
        prov: Provenance,
    ) -> str:
        """Answer a multi-part request part by part: a local attempt and a policy decision per part (same context),
        one escalation per part the policy sends to the cloud, and the answer composed in part order.
        A part whose escalation fails before any text falls back to its local attempt, marked degraded."""
        attempts: list[LocalAttempt] = []
        for question in questions:
            part_prov = Provenance(entities=prov.entities)
            attempts.append(await self._attempt_locally(replace(request, prompt=question), session_id, clock, part_prov))
            prov.local_prompt_tokens += part_prov.local_prompt_tokens
            prov.local_completion_tokens += part_prov.local_completion_tokens
        outcomes = decide_parts(self.policy, facts, questions, attempts)
        prov.confidence = min(o.decision.confidence for o in outcomes)
        sent: list[str] = []
        for index, outcome in enumerate(outcomes):
            if outcome.decision.route is not Route.CLOUD:
                continue
            part_prov = Provenance()
            text = ""
            try:
                async for piece in self._escalate(sanitized, session_id, request, clock, part_prov, parts=[index]):
                    text += piece
            except (TandemError, OSError) as exc:
                failure = _record_cloud_failure(prov, exc, text)
                outcome.reason = f"{outcome.decision.reason}; the cloud failed ({failure}), so the answer is local"
                log.warning("escalation of part %d failed (%s); answering it locally", index + 1, type(exc).__name__)
                continue
            finally:
                if part_prov.sent_text:
                    sent.append(part_prov.sent_text)
            outcome.answer, outcome.route = text, Route.CLOUD
            prov.cloud_prompt_tokens += part_prov.cloud_prompt_tokens
            prov.cloud_completion_tokens += part_prov.cloud_completion_tokens
            prov.cloud_model = part_prov.cloud_model
        prov.sent_text = "\n\n".join(sent)
        prov.route = overall_route(outcomes)
        prov.reason = describe_routes(outcomes)
        return compose_answer(outcomes)

    # ------------------------------------------------------------ cloud

    async def _escalate(
        self,
        sanitized: SanitizedRequest,
        session_id: str,
        request: AskInput,
        clock: _Clock,
        prov: Provenance,
        reserve_for_local: bool = False,
        parts: Sequence[int] | None = None,
    ) -> AsyncIterator[str]:
        assert self.cloud is not None
        if self.budget is not None:
            # A spent budget stops the escalation before anything is planned, recorded or sent.
            await asyncio.to_thread(self.budget.check)
        # Offline mode: nothing is planned or recorded as sent while the cloud is known to be unreachable.
        self.cloud.check_online()
        t = time.perf_counter()
        subquery: SubQuery = await asyncio.to_thread(plan_subquery, sanitized, parts, self._ranker)
        # Fail closed: the exact outbound text is scanned again; any finding or error stops the send.
        await asyncio.to_thread(self.guard.check, subquery.all_text)
        cfg = self.config.cloud
        message = cloud_pb2.EscalateRequest(
            request_id=secrets.token_hex(8),
            messages=[cloud_pb2.ChatMessage(role=r, content=c) for r, c in subquery.messages],
            max_tokens=min(request.max_tokens or cfg.max_tokens, cfg.max_tokens),
            model=cfg.model,
        )
        if request.temperature is not None:
            message.temperature = request.temperature
        payload = message.SerializeToString()
        await asyncio.to_thread(self.ledger.append, session_id, self.cloud.destination, payload, subquery.entity_counts)
        clock.add("privacy_ms", t)
        prov.sent_text = subquery.sent_text

        timeout = min(cfg.timeout_s, clock.remaining())
        if reserve_for_local:
            # No local answer exists yet: leave part of the deadline for one, so a slow cloud ends degraded, not late.
            timeout = min(timeout, clock.remaining() * (1.0 - LOCAL_FALLBACK_SHARE))
        if timeout <= 0:
            raise DeadlineExceeded("no time left for the cloud")
        originals = await asyncio.to_thread(self.vault.originals, session_id)
        restorer = StreamRestorer(originals)
        started = time.perf_counter()
        try:
            async for event in self.cloud.escalate(message, timeout):
                if isinstance(event, CloudDelta):
                    text = restorer.feed(event.text)
                    if text:
                        clock.mark_first_token()
                        yield text
                elif isinstance(event, CloudDone):
                    prov.cloud_prompt_tokens = event.prompt_tokens
                    prov.cloud_completion_tokens = event.completion_tokens
                    prov.cloud_model = event.model
                    if self.budget is not None:
                        await asyncio.to_thread(self.budget.record, event.prompt_tokens + event.completion_tokens)
        finally:
            clock.add("cloud_ms", started)
        tail = restorer.flush()
        if tail:
            yield tail


def _split_for_routing(request: AskInput, decision: Decision | None, sanitized: SanitizedRequest | None) -> list[str]:
    """The parts to route one by one: only in auto mode, with a clean scan, no up-front decision, and a prompt
    that splits into two or more questions (the same number once sanitized); otherwise [] (route it whole)."""
    if request.prefer is not Prefer.AUTO or decision is not None or sanitized is None:
        return []
    questions = split_questions(request.prompt)
    if len(questions) < 2 or len(split_questions(sanitized.prompt.text)) != len(questions):
        return []
    return questions


def _record_cloud_failure(prov: Provenance, exc: BaseException, received: str) -> str:
    """Mark `prov` degraded by a failed escalation and describe the failure.

    If part of the cloud's answer was already received, the answer cannot be passed off as
    complete, so this raises StreamTruncated instead.
    """
    if received:
        raise StreamTruncated(f"the cloud's answer broke off mid-stream: {_describe(exc)}") from None
    prov.degraded = True
    prov.cloud_error_kind = type(exc).__name__
    prov.cloud_error_message = _describe(exc)
    return prov.cloud_error_message


def _describe(exc: BaseException) -> str:
    if isinstance(exc, PrivacyBlocked):
        return exc.message
    if isinstance(exc, TandemError):
        return f"{type(exc).__name__}: {exc.message}"
    return type(exc).__name__
