"""An incremental server-sent-events decoder over raw body bytes: the complete events of each network read.

The cloud's upstream client feeds it every read of the response body and gets back the data of
the events that read completed, so all the events that arrived together can be handled (and
re-streamed) as one piece. Events are split on bytes, before any decoding, which keeps a
multi-byte UTF-8 character or a `\\r\\n` that straddles two reads intact: a partial event waits
in the buffer for the rest. Payloads stay bytes (`json.loads` takes UTF-8 bytes directly).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

DONE_PAYLOAD = b"[DONE]"
# A chat chunk is a few hundred bytes; an "event" that grows past this without ending is a broken or
# hostile upstream, and buffering it without bound would cost memory (and re-copying it each read, time).
MAX_EVENT_BYTES = 1 << 20
_DATA_PREFIX = b"data: "


class SseDecoder:
    """Splits a byte stream into the `data` payloads of its events, up to `[DONE]`; other fields are ignored."""

    def __init__(self) -> None:
        self._tail = b""  # bytes of an event not yet ended by a blank line
        self.done = False  # `[DONE]` was seen; everything after it is dropped

    def feed(self, data: bytes) -> list[bytes]:
        """The payloads of the events that `data` completes, in order; ValueError if an event grows past MAX_EVENT_BYTES."""
        if self.done:
            return []
        buffer = self._tail + data if self._tail else data
        if b"\r" in buffer:
            # CR LF and a lone CR end lines too. A CR at the very end may be the first half of a CR LF
            # split across reads, so it waits for the next read before being turned into LF.
            held = b"\r" if buffer.endswith(b"\r") else b""
            body = buffer[:-1] if held else buffer
            buffer = _to_lf(body) + held
        events = buffer.split(b"\n\n")
        self._tail = events.pop()
        if len(self._tail) > MAX_EVENT_BYTES:
            raise ValueError(f"an upstream event grew past {MAX_EVENT_BYTES} bytes without ending")
        return self._payloads(events)

    def close(self) -> list[bytes]:
        """The payload of an event cut off by the end of the body without its blank line, if any."""
        tail, self._tail = self._tail, b""
        if self.done or not tail:
            return []
        return self._payloads([_to_lf(tail)])

    def _payloads(self, events: list[bytes]) -> list[bytes]:
        out = []
        for event in events:
            if event.startswith(_DATA_PREFIX) and b"\n" not in event:
                payload: bytes | None = event[len(_DATA_PREFIX):]  # the usual shape: one `data: ` line, nothing else
            else:
                payload = _data_of(event)
            if payload is None:
                continue
            if payload == DONE_PAYLOAD:
                self.done = True
                self._tail = b""
                break
            out.append(payload)
        return out


def _to_lf(data: bytes) -> bytes:
    """`data` with every CR LF and lone CR turned into LF, the one line ending the decoder splits on."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _data_of(event: bytes) -> bytes | None:
    """The event's `data` lines joined by LF (None when it has none), per the SSE field rules."""
    data = []
    for line in event.split(b"\n"):
        # Blank lines, comments (":keep-alive") and other fields (event, id, retry) carry no data.
        field, _, value = line.partition(b":")
        if field == b"data":
            data.append(value[1:] if value.startswith(b" ") else value)
    return b"\n".join(data) if data else None


async def event_batches(reads: AsyncIterator[bytes]) -> AsyncIterator[list[bytes]]:
    """The payloads each read of `reads` completed (reads that complete none are skipped), up to `[DONE]`.

    The body is read to its end even after `[DONE]`: a response closed before its end costs the
    pooled keep-alive connection, and the next request would pay a new TCP (and TLS) handshake.
    """
    decoder = SseDecoder()
    async for data in reads:
        if decoder.done:
            continue
        payloads = decoder.feed(data)
        if payloads:
            yield payloads
    rest = decoder.close()  # an event cut off by the end of the body without its blank line
    if rest:
        yield rest
