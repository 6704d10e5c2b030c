"""Per-token-holder limits in the cloud: a token-bucket request rate and a cap on streams in flight.

State is kept for at most `max_keys` holders (least recently seen forgotten first), so memory
stays bounded however many distinct tokens show up. Keys are digests, never the tokens.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from shared.errors import Overloaded


def holder_key(token: str | None) -> str:
    """A short, non-reversible key for a bearer token (the anonymous key when there is none)."""
    if not token:
        return "anonymous"
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]


@dataclass
class _Holder:
    tokens: float
    updated: float
    streams: int = 0


class HolderLimiter:
    """Admits a request for a holder, or raises Overloaded naming the limit that was hit."""

    def __init__(
        self,
        per_minute: float,
        burst: int,
        max_streams: int,
        max_keys: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate_per_s = per_minute / 60.0
        self.burst = float(burst)
        self.max_streams = max_streams
        self.max_keys = max_keys
        self._clock = clock
        self._holders: OrderedDict[str, _Holder] = OrderedDict()

    def __len__(self) -> int:
        return len(self._holders)

    def _holder(self, key: str, now: float) -> _Holder:
        holder = self._holders.get(key)
        if holder is None:
            holder = _Holder(tokens=self.burst, updated=now)
            self._holders[key] = holder
            self._evict()
        else:
            self._holders.move_to_end(key)
        return holder

    def _evict(self) -> None:
        # Forget the least recent holders with nothing in flight; a busy one is never dropped.
        while len(self._holders) > self.max_keys:
            for key, holder in self._holders.items():
                if holder.streams == 0:
                    del self._holders[key]
                    break
            else:
                raise Overloaded("the cloud service is tracking too many callers at once")

    @contextmanager
    def admit(self, key: str) -> Iterator[None]:
        """Hold one stream slot for `key` for the duration of the block."""
        now = self._clock()
        holder = self._holder(key, now)
        if holder.streams >= self.max_streams:
            raise Overloaded(f"this token already has {holder.streams} escalations in flight (limit {self.max_streams})")
        if self.rate_per_s > 0:
            holder.tokens = min(self.burst, holder.tokens + (now - holder.updated) * self.rate_per_s)
            holder.updated = now
            if holder.tokens < 1.0:
                wait = (1.0 - holder.tokens) / self.rate_per_s
                raise Overloaded(f"this token is over its rate limit; retry in {wait:.1f}s")
            holder.tokens -= 1.0
        holder.streams += 1
        try:
            yield
        finally:
            holder.streams -= 1
