"""The incremental SSE decoder (cloud/sse.py): events split on bytes across any read boundary."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from cloud.sse import MAX_EVENT_BYTES, SseDecoder, event_batches


def _feed_all(reads: list[bytes]) -> list[list[bytes]]:
    decoder = SseDecoder()
    out = [decoder.feed(read) for read in reads]
    out.append(decoder.close())
    return out


def test_several_events_in_one_read_come_out_together() -> None:
    assert _feed_all([b"data: 1\n\ndata: 2\n\ndata: 3\n\n"]) == [[b"1", b"2", b"3"], []]


def test_an_event_split_across_reads_waits_for_its_end() -> None:
    assert _feed_all([b"data: {\"a\"", b": 1}\n", b"\ndata: 2\n\n"]) == [[], [], [b'{"a": 1}', b"2"], []]


def test_a_multibyte_character_split_across_reads_stays_whole() -> None:
    text = 'data: {"content":"Zoë 漢"}\n\n'.encode()
    cut = text.index("漢".encode()) + 1  # inside the three bytes of 漢
    first, second, rest = _feed_all([text[:cut], text[cut:]])
    assert first == [] and rest == []
    assert second[0].decode() == '{"content":"Zoë 漢"}'


def test_crlf_line_ends_also_when_split_between_cr_and_lf() -> None:
    reads = [b"data: 1\r\n\r", b"\ndata: 2\r\n\r\n", b"data: 3\r\rdata: 4\n\n"]
    assert _feed_all(reads) == [[], [b"1", b"2"], [b"3", b"4"], []]


def test_done_stops_and_trailing_bytes_are_ignored() -> None:
    decoder = SseDecoder()
    assert decoder.feed(b"data: 1\n\ndata: [DONE]\n\ndata: not json") == [b"1"]
    assert decoder.done
    assert decoder.feed(b"\n\ndata: 2\n\n") == []
    assert decoder.close() == []


def test_comments_and_other_fields_carry_no_data_and_data_lines_join() -> None:
    reads = [b": keep-alive\n\nevent: message\nid: 7\ndata: a\ndata:b\n\nretry: 10\n\n"]
    assert _feed_all(reads) == [[b"a\nb"], []]


def test_an_event_cut_off_by_the_end_of_the_body_is_still_read() -> None:
    assert _feed_all([b"data: 1\n\ndata: 2"]) == [[b"1"], [b"2"]]


def test_event_batches_reads_the_body_to_its_end_after_done() -> None:
    consumed: list[bytes] = []

    async def reads() -> AsyncIterator[bytes]:
        for read in (b"data: 1\n\ndata: 2\n", b"\ndata: [DONE]\n\n", b"data: 3\n\n", b"trailing"):
            consumed.append(read)
            yield read

    async def collect() -> list[list[bytes]]:
        return [batch async for batch in event_batches(reads())]

    assert asyncio.run(collect()) == [[b"1"], [b"2"]]
    assert len(consumed) == 4  # every read was taken, so the keep-alive connection goes back to the pool


def test_an_event_that_never_ends_is_refused_past_the_cap() -> None:
    decoder = SseDecoder()
    assert decoder.feed(b"data: " + b"x" * (MAX_EVENT_BYTES - 10)) == []
    with pytest.raises(ValueError, match="grew past"):
        decoder.feed(b"x" * 100)
