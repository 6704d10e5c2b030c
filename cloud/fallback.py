"""The cloud's one retry loop toward the model: ordered upstream fallbacks, breakers, Retry-After, backoff.

Each request gets at most `max_attempts` upstream attempts in all (across every upstream),
all before its first token: once a token has gone out nothing is retried, the stream fails
and the edge sees the cut. A failing upstream counts toward its breaker; an open one is
skipped until it half-opens. A 429's Retry-After cools that upstream down for that long and
is honoured when it fits in the deadline.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from cloud.breaker import CircuitBreaker
from cloud.upstream import AttemptFailed, Upstream, UpstreamEvent
from shared.config import CloudConfig
from shared.errors import ConfigError, DeadlineExceeded, TandemError, Unavailable

log = logging.getLogger(__name__)

MAX_ATTEMPTS_CAP = 3  # per user request, across all layers (the edge's gRPC retry never follows an upstream attempt)
DEFAULT_BACKOFF_S = 0.1
MAX_BACKOFF_S = 2.0
MIN_ATTEMPT_S = 0.05  # no point starting an attempt with less time than this left


@dataclass
class Endpoint:
    """An upstream with its breaker."""

    upstream: Upstream
    breaker: CircuitBreaker


class UpstreamPool:
    """Streams from the first healthy upstream in order, retrying before the first token only."""

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        max_attempts: int = MAX_ATTEMPTS_CAP,
        backoff_s: float = DEFAULT_BACKOFF_S,
        rng: random.Random | None = None,
    ) -> None:
        if not endpoints:
            raise ValueError("an upstream pool needs at least one upstream")
        self.endpoints = list(endpoints)
        self.max_attempts = max(1, min(max_attempts, MAX_ATTEMPTS_CAP))
        self.backoff_s = backoff_s
        self._rng = rng or random.Random()
        self.attempts_made = 0  # total, for tests and metrics

    @property
    def primary(self) -> Upstream:
        """The first upstream (the one ListModels speaks for)."""
        return self.endpoints[0].upstream

    @property
    def default_model(self) -> str:
        """The primary upstream's default model."""
        return self.primary.default_model

    def _pick(self, exclude: Endpoint | None) -> Endpoint | None:
        """The first upstream whose breaker lets a call through, preferring one other than `exclude`."""
        for endpoint in self.endpoints:
            if endpoint is not exclude and endpoint.breaker.allow():
                return endpoint
        if exclude is not None and exclude.breaker.allow():
            return exclude
        return None

    def _next_available_in(self) -> float:
        now = time.monotonic()
        return min(e.breaker.available_at() for e in self.endpoints) - now

    async def stream_chat(
        self,
        messages: Sequence[dict[str, str]],
        max_tokens: int,
        temperature: float | None,
        model: str,
        deadline: float,
    ) -> AsyncIterator[UpstreamEvent]:
        """Stream one answer by `deadline` (time.monotonic()); raise a TandemError when no attempt succeeds."""
        last_error: TandemError | None = None
        previous: Endpoint | None = None
        for attempt in range(self.max_attempts):
            endpoint = self._pick(previous)
            if endpoint is None:
                # Every upstream is cooling down: wait for the first to come back if that fits in the deadline.
                wait = self._next_available_in()
                if wait + MIN_ATTEMPT_S >= deadline - time.monotonic():
                    break
                await asyncio.sleep(max(wait, 0.0))
                endpoint = self._pick(previous)
                if endpoint is None:
                    break
            elif attempt > 0 and endpoint is previous:
                # Retrying the same upstream: exponential backoff with full jitter.
                pause = self._rng.uniform(0, min(MAX_BACKOFF_S, self.backoff_s * 2**attempt))
                if pause + MIN_ATTEMPT_S >= deadline - time.monotonic():
                    endpoint.breaker.release()
                    break
                await asyncio.sleep(pause)
            remaining = deadline - time.monotonic()
            if remaining < MIN_ATTEMPT_S:
                endpoint.breaker.release()
                break
            self.attempts_made += 1
            previous = endpoint
            try:
                async for event in endpoint.upstream.stream_chat(messages, max_tokens, temperature, model, remaining):
                    yield event
                endpoint.breaker.record_success()
                return
            except AttemptFailed as failure:
                last_error = failure.error
                if failure.retry_after_s is not None:
                    endpoint.breaker.cool_down(failure.retry_after_s)
                if failure.retryable or failure.streamed:
                    endpoint.breaker.record_failure()
                else:
                    endpoint.breaker.release()  # the request's fault, not the upstream's
                log.warning("upstream %s attempt %d failed: %s", endpoint.upstream.name, attempt + 1, type(failure.error).__name__)
                if not failure.retryable:
                    raise failure.error from None
            except BaseException:
                endpoint.breaker.release()  # cancelled by the caller: no verdict on the upstream
                raise
        if last_error is None:
            if time.monotonic() >= deadline - MIN_ATTEMPT_S:
                raise DeadlineExceeded("the deadline passed before an upstream could be tried")
            raise Unavailable("every upstream is cooling down after repeated failures")
        raise last_error


def build_pool(config: CloudConfig, embedded_base_url: str | None = None, embedded_model: str = "") -> UpstreamPool:
    """The pool from `upstreams` (ordered fallbacks) or the single `upstream` (embedded when it has no base_url)."""
    settings = list(config.upstreams) or [config.upstream]
    primary = settings[0]
    endpoints = []
    for index, up in enumerate(settings):
        base_url, model = up.base_url, up.model
        if base_url is None:
            if embedded_base_url is None:
                raise ConfigError("upstream.base_url: not set and no embedded upstream is running")
            base_url, model = embedded_base_url, model or embedded_model
        name = f"upstreams[{index}]" if config.upstreams else "upstream"
        endpoints.append(
            Endpoint(
                Upstream(base_url, up.resolved_api_key(), model, up.timeout_s, name=name),
                CircuitBreaker(config.breaker.failure_threshold, config.breaker.open_s),
            )
        )
    attempts = config.retry.max_attempts or 1 + primary.max_retries
    return UpstreamPool(endpoints, max_attempts=attempts, backoff_s=config.retry.backoff_s)
