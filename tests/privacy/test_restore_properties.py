"""Round trips: sanitize then restore gives the original, for random texts, chunkings and placeholder spellings."""

from __future__ import annotations

import itertools
import json
import re
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.privacy import PrivacyFilter, StreamRestorer, Vault, restore_text
from edge.privacy.restore import restore_tool_arguments
from shared.config import PrivacySettings

_VAULT = Vault(Path(tempfile.mkdtemp(prefix="tandem-props-")) / "vault.db")
# Deterministic detectors only (NER is tested on its own), plus a deny-list for name-like values.
_FILTER = PrivacyFilter(PrivacySettings(ner=False, deny_list={"PERSON": ["Ada Lovelace", "Bob", "Zoë Ç"]}), _VAULT)

WORDS = st.sampled_from(["the", "report", "is", "due", "on", "Friday", "ask", "call", "email", "für", "日本", "42", "(", ")", "\"", "'"])
PRIVATE = st.sampled_from(
    [
        "ada@example.org",
        "bob.smith+x@mail.co.uk",
        "4111 1111 1111 1111",
        "DE89 3704 0044 0532 0130 00",
        "+1 415 555 2671",
        "123-45-6789",
        "10.0.0.42",
        "sk-proj-abcDEF1234567890abcdefGHIJ",
        "Ada Lovelace",
        "Bob",
        "Zoë Ç",
        "https://intranet.example.com/x?id=7",
    ]
)
SEPARATORS = st.sampled_from([" ", ", ", "\n", ": ", " - "])
PIECES = st.lists(st.one_of(WORDS, PRIVATE), min_size=1, max_size=12)


def build(pieces: list[str], seps: list[str]) -> str:
    out = pieces[0]
    for piece, sep in zip(pieces[1:], seps, strict=False):
        out += sep + piece
    return out


texts = st.builds(build, PIECES, st.lists(SEPARATORS, min_size=11, max_size=11))


def chunked(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    bounds = [0, *points, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=150, deadline=None)
@given(text=texts, session=st.sampled_from(["s1", "s2"]))
def test_sanitize_then_restore_is_identity(text: str, session: str) -> None:
    sanitized = _FILTER.sanitize(text, session)
    originals = _VAULT.originals(session)
    for value in ("ada@example.org", "4111 1111 1111 1111", "Ada Lovelace"):
        assert value not in sanitized.text
    assert restore_text(sanitized.text, originals) == text


@settings(max_examples=150, deadline=None)
@given(text=texts, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=30))
def test_streamed_restore_matches_for_any_chunking(text: str, cuts: list[int]) -> None:
    sanitized = _FILTER.sanitize(text, "stream").text
    restorer = StreamRestorer(_VAULT.originals("stream"))
    out = "".join(restorer.feed(piece) for piece in chunked(sanitized, cuts)) + restorer.flush()
    assert out == text


@settings(max_examples=100, deadline=None)
@given(text=texts, style=st.sampled_from(["bare", "square", "lower", "curly"]), cuts=st.lists(st.integers(0, 400), max_size=10))
def test_rewritten_placeholders_restore(text: str, style: str, cuts: list[int]) -> None:
    sanitized = _FILTER.sanitize(text, "styles").text

    def rewrite(match: re.Match[str]) -> str:
        key = match.group(1)
        return {"bare": key, "square": f"[{key}]", "lower": f"<{key.lower()}>", "curly": f"{{{key}}}"}[style]

    rewritten = re.sub(r"<([A-Z_]+_\d+)>", rewrite, sanitized)
    restorer = StreamRestorer(_VAULT.originals("styles"))
    out = "".join(restorer.feed(piece) for piece in chunked(rewritten, cuts)) + restorer.flush()
    assert out == text


@settings(max_examples=100, deadline=None)
@given(text=texts)
def test_tool_call_arguments_stay_valid_json(text: str) -> None:
    sanitized = _FILTER.sanitize(text, "tools").text
    arguments = json.dumps({"to": sanitized, "cc": [sanitized], "n": 1})
    restored = restore_tool_arguments(arguments, _VAULT.originals("tools"))
    assert json.loads(restored) == {"to": text, "cc": [text], "n": 1}


def test_unknown_placeholders_stay_as_written() -> None:
    originals = {"PERSON_1": "Ada"}
    text = "<PERSON_1> met <PERSON_2> and [ORG_9], PERSON_1x, MY_VAR_1"
    assert restore_text(text, originals) == "Ada met <PERSON_2> and [ORG_9], PERSON_1x, MY_VAR_1"


def test_placeholder_split_across_chunks() -> None:
    restorer = StreamRestorer({"EMAIL_ADDRESS_1": "a@b.org"})
    pieces = ["Write to <EMA", "IL_ADD", "RESS_", "1", "> today"]
    assert "".join(restorer.feed(p) for p in pieces) + restorer.flush() == "Write to a@b.org today"
