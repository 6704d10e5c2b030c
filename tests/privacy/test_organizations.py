"""Organisation names by legal form and partnership, and how NER's organisation pieces are joined and completed."""

from __future__ import annotations

import pytest

from shared.privacy.organizations import OrganizationDetector, assemble_organizations
from shared.privacy.spans import Span
from tests.helpers import span_texts


def names(text: str) -> list[str]:
    return span_texts(text, OrganizationDetector().detect(text))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Roman Andreev of TAKEUCHI MFG.CO.LTD. is the CEO", "TAKEUCHI MFG.CO.LTD."),
        ("She works at Galectin Therapeutics Inc. now", "Galectin Therapeutics Inc."),
        ("At Amkor Technology Inc we build chips", "Amkor Technology Inc"),
        ("Bibulat\\nUnited Breweries Holdings Limited", "United Breweries Holdings Limited"),
        ("The Sharp, Lynn and Jones office is at the corner", "Sharp, Lynn and Jones"),
        ("Renault SA is big", "Renault SA"),
    ],
)
def test_legal_forms_and_partnerships(text: str, value: str) -> None:
    assert value in names(text)


@pytest.mark.parametrize("text", ["My Company is small.", "I love my Group of friends", "it is a fund for all"])
def test_a_legal_form_alone_is_no_name(text: str) -> None:
    assert names(text) == []


def test_touching_pieces_join_and_take_the_legal_form() -> None:
    text = "I work for ETFS COMM/2X DAILY LONG EX-ENER and Codex DNA Inc. today"
    def at(value: str, kind: str) -> Span:
        return Span(text.index(value), text.index(value) + len(value), kind)

    pieces = [at("ETFS COMM/2X DAILY", "ORGANIZATION"), at("LONG EX", "PROPER_NOUN"), at("Codex DNA", "ORGANIZATION")]
    joined = span_texts(text, assemble_organizations(text, pieces))
    assert joined == ["ETFS COMM/2X DAILY LONG EX-ENER", "Codex DNA Inc."]


def test_proper_nouns_alone_are_not_joined_into_an_organization() -> None:
    text = "Paris and Rome"
    spans = [Span(0, 5, "PROPER_NOUN"), Span(10, 14, "PROPER_NOUN")]
    assert assemble_organizations(text, spans) == spans


@pytest.mark.parametrize(
    ("text", "piece", "whole"),
    [
        ("I work for ARLINGTON ASSET/7% RED PFD SH S B", "ARLINGTON", "ARLINGTON ASSET/7% RED PFD SH S B"),
        ("MVC Capital Inc. 6.25% Senior Notes due 2028 is listed", "MVC Capital Inc.", "MVC Capital Inc. 6.25% Senior Notes due 2028"),
    ],
)
def test_an_organisation_takes_its_share_class_or_security(text: str, piece: str, whole: str) -> None:
    start = text.index(piece)
    [span] = assemble_organizations(text, [Span(start, start + len(piece), "ORGANIZATION")])
    assert text[span.start : span.end] == whole
