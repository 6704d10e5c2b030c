"""A circuit breaker with cool-downs: closed, open after N consecutive failures, half-open after a pause.

Used per upstream in the cloud (fallbacks skip an open one) and by the edge for its cloud
link (offline mode: while open, escalations fail at once and the answer stays local).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

DEFAULT_FAILURE_THRESHOLD = 3
DEFAULT_OPEN_S = 30.0


class BreakerState(Enum):
    """Where the breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Counts consecutive failures; opens at the threshold, lets one probe through after `open_s`."""

    def __init__(
        self,
        failure_threshold: int = DEFAULT_FAILURE_THRESHOLD,
        open_s: float = DEFAULT_OPEN_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.open_s = open_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._cool_until = 0.0
        self._probe_in_flight = False

    @property
    def state(self) -> BreakerState:
        """Closed, open, or half-open (the pause has passed; one probe may go)."""
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.open_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def available_at(self) -> float:
        """The clock time from which `allow()` may say yes (now, if it already does)."""
        now = self._clock()
        at = max(now, self._cool_until)
        if self._opened_at is not None:
            at = max(at, self._opened_at + self.open_s)
        return at

    def allow(self) -> bool:
        """Whether a call may go now; in half-open state only one probe at a time."""
        if self._clock() < self._cool_until:
            return False
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._probe_in_flight:
            self._probe_in_flight = True
            return True
        return False

    def cool_down(self, seconds: float) -> None:
        """Skip this target for `seconds` (e.g. an upstream's Retry-After), without opening the breaker."""
        self._cool_until = max(self._cool_until, self._clock() + max(seconds, 0.0))

    def record_success(self) -> None:
        """A call succeeded: close the breaker."""
        self._failures = 0
        self._opened_at = None
        self._probe_in_flight = False

    def record_failure(self) -> None:
        """A call failed: count it; open (again) at the threshold or when a half-open probe fails."""
        self._failures += 1
        was_probe = self._probe_in_flight
        self._probe_in_flight = False
        if was_probe or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()

    def release(self) -> None:
        """A call ended without a verdict (e.g. cancelled by the caller): free the half-open probe slot."""
        self._probe_in_flight = False
