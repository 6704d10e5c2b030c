"""The OpenAI request/answer mapping in isolation: how messages become one Ask, and errors become statuses."""

from __future__ import annotations

from typing import Any

import pytest

from edge.openai_protocol import ModelNotFound, http_status_for, parse_chat_request
from edge.planner import ContextDoc
from edge.policy import Prefer
from shared.errors import (
    DeadlineExceeded,
    InternalError,
    InvalidRequest,
    Overloaded,
    PrivacyBlocked,
    StreamTruncated,
    Unavailable,
    UpstreamError,
)


def body(**overrides: Any) -> dict[str, Any]:
    """A minimal valid request, with overrides."""
    data: dict[str, Any] = {"model": "tandem-auto", "messages": [{"role": "user", "content": "hi"}]}
    data.update(overrides)
    return data


def test_history_and_system_become_context_documents() -> None:
    chat = parse_chat_request(
        body(
            model="tandem-cloud",
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "My name is Ana."},
                {"role": "assistant", "content": [{"type": "text", "text": "Hello Ana."}]},
                {"role": "user", "content": "What is my name?"},
            ],
            max_tokens=12,
            temperature=0,
            tandem={"session_id": "s-1", "context": {"note.txt": "private"}},
        )
    )
    ask = chat.ask
    assert ask.prompt == "What is my name?" and ask.prefer is Prefer.CLOUD
    assert ask.context == (
        ContextDoc("system", "Be brief."),
        ContextDoc("conversation", "user: My name is Ana.\nassistant: Hello Ana."),
        ContextDoc("note.txt", "private"),
    )
    assert ask.session_id == "s-1" and ask.max_tokens == 12 and ask.temperature == 0.0
    assert chat.stream is False


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        ({"model": "gpt-4o"}, "model"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, "messages[0].content[0]"),
        ({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}, "last message"),
        ({"tools": [{"type": "function"}]}, "tools"),
        ({"n": 2}, "n"),
        ({"max_tokens": "ten"}, "max_tokens"),
        ({"temperature": True}, "temperature"),
        ({"stream": "yes"}, "stream"),
        ({"tandem": {"context": {"a": 1}}}, "tandem.context"),
    ],
)
def test_bad_requests_name_what_is_wrong(overrides: dict[str, Any], names: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        parse_chat_request(body(**overrides))
    assert names in error.value.message


def test_error_statuses_come_from_one_table() -> None:
    assert http_status_for(InvalidRequest("x")) == (400, "invalid_request_error")
    assert http_status_for(ModelNotFound("x"))[0] == 404
    assert http_status_for(PrivacyBlocked("x"))[0] == 403
    assert http_status_for(Overloaded("x")) == (429, "rate_limit_error")
    assert http_status_for(UpstreamError("x"))[0] == 502
    assert http_status_for(StreamTruncated("x"))[0] == 502
    assert http_status_for(Unavailable("x"))[0] == 503
    assert http_status_for(DeadlineExceeded("x"))[0] == 504
    assert http_status_for(InternalError("x"))[0] == 500
