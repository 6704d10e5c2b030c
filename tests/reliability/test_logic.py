"""The reliability logic in isolation (fake clocks): breaker states, per-token limits, Retry-After, budget."""

from __future__ import annotations

import email.utils
from pathlib import Path

import pytest

from cloud.breaker import BreakerState, CircuitBreaker
from cloud.ratelimit import HolderLimiter, holder_key
from cloud.upstream import parse_retry_after
from edge.budget import CloudBudget
from shared.errors import Overloaded


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_n_failures_and_half_opens_with_one_probe() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, open_s=10, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN and not breaker.allow()
    clock.now += 10
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow() and not breaker.allow()  # one probe at a time
    breaker.record_failure()  # the probe failed: open again, for another full pause
    assert breaker.state is BreakerState.OPEN
    clock.now += 10
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and breaker.allow()


def test_breaker_success_resets_the_count_and_release_frees_the_probe() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, open_s=1, clock=clock)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED  # not two in a row
    breaker.record_failure()
    clock.now += 1
    assert breaker.allow()
    breaker.release()  # the caller went away: no verdict
    assert breaker.allow()


def test_cool_down_skips_without_opening() -> None:
    clock = Clock()
    breaker = CircuitBreaker(clock=clock)
    breaker.cool_down(5)
    assert not breaker.allow() and breaker.state is BreakerState.CLOSED
    assert breaker.available_at() == pytest.approx(105.0)
    clock.now += 5
    assert breaker.allow()


def test_per_holder_rate_and_stream_caps() -> None:
    clock = Clock()
    limiter = HolderLimiter(per_minute=60, burst=2, max_streams=1, max_keys=100, clock=clock)
    key = holder_key("token-a")
    with limiter.admit(key), pytest.raises(Overloaded, match="in flight"), limiter.admit(key):
        pass
    with limiter.admit(key):
        pass
    with pytest.raises(Overloaded, match="rate limit"), limiter.admit(key):
        pass
    clock.now += 1.0  # one more token after a second at 60/min
    with limiter.admit(key):
        pass
    with limiter.admit(holder_key("token-b")):  # another holder is not affected
        pass


def test_holder_state_is_bounded() -> None:
    limiter = HolderLimiter(per_minute=60, burst=5, max_streams=2, max_keys=10, clock=Clock())
    for index in range(1000):
        with limiter.admit(holder_key(f"token-{index}")):
            pass
    assert len(limiter) == 10
    assert holder_key("secret") != "secret" and len(holder_key("secret")) == 32


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.5"}, 0.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "-1"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after": "soon"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_retry_after_parsing(headers: dict[str, str] | None, expected: float | None) -> None:
    assert parse_retry_after(headers) == expected


def test_retry_after_as_an_http_date() -> None:
    now = 1_800_000_000.0
    assert parse_retry_after({"retry-after": email.utils.formatdate(now + 30, usegmt=True)}, now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after({"retry-after": email.utils.formatdate(now - 30, usegmt=True)}, now=now) == 0.0


def test_budget_counts_per_utc_day_and_survives_reopening(tmp_path: Path) -> None:
    day = ["2026-12-04"]
    budget = CloudBudget(tmp_path / "budget.db", daily_tokens=100, today=lambda: day[0])
    budget.check()
    budget.record(60)
    budget.record(0)
    budget.check()
    budget.record(40)
    with pytest.raises(Overloaded, match="budget"):
        budget.check()
    budget.close()
    reopened = CloudBudget(tmp_path / "budget.db", daily_tokens=100, today=lambda: day[0])
    assert reopened.spent() == 100
    day[0] = "2026-12-05"
    reopened.check()  # a new day, a new budget
    assert reopened.spent() == 0
    reopened.close()
