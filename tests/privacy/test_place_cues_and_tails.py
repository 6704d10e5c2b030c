"""Second-round rules: places after a travel cue, postcodes after a town, empty region markers, employers with 'Inc.'."""

from __future__ import annotations

import pytest

from shared.privacy import detect_all
from shared.privacy.addresses import addresses_by_context, assemble_addresses
from shared.privacy.places import CuedPlaceDetector, NationalityDetector
from shared.privacy.presets import pattern_detectors
from shared.privacy.spans import Span
from shared.privacy.titles import JobTitleDetector
from tests.helpers import span_texts


def places(text: str) -> list[str]:
    """The values CuedPlaceDetector finds in `text`."""
    return span_texts(text, CuedPlaceDetector().detect(text))


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Mr. Lillestøl flew to Samsø on Thursday morning.", "Samsø"),
        ("The Princess Royal arrived at Vila Franca do Campo this morning.", "Vila Franca do Campo"),
        ("The Princess Royal arrived at THE CHANNON this morning", "THE CHANNON"),
        ("the economy of the band's home city Loka pri Zidanem Mostu: Yelp", "Loka pri Zidanem Mostu"),
        ("She moved back to Neustadt an der Weinstraße last year", "Neustadt an der Weinstraße"),
        ("we flew to Paris Monday", "Paris"),
    ],
)
def test_a_capitalised_name_after_a_travel_cue_is_a_place(text: str, place: str) -> None:
    assert places(text) == [place]


@pytest.mark.parametrize(
    "text",
    ["I moved to the city in May", "He moved to I think Paris", "We flew to Monday's meeting", "flew to paris"],
)
def test_no_place_without_a_capitalised_name_after_the_cue(text: str) -> None:
    assert places(text) == []


def test_a_proper_noun_after_in_takes_the_postcode_after_it() -> None:
    text = "Looking to support Abeo SAS in LAHTI 15170 in its mission"
    town = text.index("LAHTI")
    spans = assemble_addresses(text, [Span(town, town + len("LAHTI"), "PROPER_NOUN", 0.5)])
    assert span_texts(text, spans) == ["LAHTI 15170"]


def test_a_proper_noun_without_a_place_preposition_keeps_its_number_apart() -> None:
    text = "We still run Windows 2000 on that machine"
    product = text.index("Windows")
    spans = assemble_addresses(text, [Span(product, product + len("Windows"), "PROPER_NOUN", 0.5)])
    assert span_texts(text, spans) == ["Windows"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Meet me at 0386 Fortunastrasse 125 Apt. 397 Erlen nan", "0386 Fortunastrasse 125 Apt. 397 Erlen nan"),
        ("Please return to 564 Magasinsgatan 7 Apt. 187 ROSSÖN nan in case", "564 Magasinsgatan 7 Apt. 187 ROSSÖN nan"),
    ],
)
def test_an_empty_region_marker_stays_in_the_address(text: str, value: str) -> None:
    found = [text[s.start : s.end] for s in detect_all(text, pattern_detectors("balanced")) if s.entity_type == "STREET_ADDRESS"]
    assert found == [value]


def test_a_missing_value_marker_alone_is_no_address() -> None:
    assert detect_all("The column shows nan for most rows", pattern_detectors("balanced")) == []


def test_an_employer_ending_in_an_abbreviation_still_leads_to_the_title() -> None:
    text = "I used to work for Axial Retailing Inc. as Craft artist, but quit a few months ago."
    assert span_texts(text, JobTitleDetector().detect(text)) == ["Craft artist"]


def test_a_full_stop_before_a_capital_still_ends_the_sentence() -> None:
    text = "I worked at Acme Inc. Speaking as an artist, I loved it."
    assert JobTitleDetector().detect(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("How do I change my address to Lucinda and Passiewijk 103 for post mail?", "Lucinda and Passiewijk 103"),
        ("please update my new address is 4373 Bem rkp. 93. Apt. 700, ESPOO, Finland 14105", "4373 Bem rkp. 93. Apt. 700, ESPOO, Finland 14105"),
        ("here's Gordan's address:\\n\\nHenry and Τιμολέοντος Βάσσου 154", "Henry and Τιμολέοντος Βάσσου 154"),
        ("My address is 5 Main St. I moved there in 2019", "5 Main St"),
    ],
)
def test_an_address_cue_introduces_the_address(text: str, value: str) -> None:
    assert span_texts(text, addresses_by_context(text)) == [value]


@pytest.mark.parametrize(
    "text", ["my email address is bob.2@example.com", "my IP address is 10.0.0.1", "Please confirm your home address."]
)
def test_no_street_address_without_a_number_or_for_other_kinds_of_address(text: str) -> None:
    assert addresses_by_context(text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [("I'd like to join accounts with ms. Florence", "ms. Florence"), ("Ask dr. Okafor first", "dr. Okafor")],
)
def test_a_lower_case_title_with_its_full_stop_leads_a_name(text: str, name: str) -> None:
    found = [text[s.start : s.end] for s in detect_all(text, pattern_detectors("balanced")) if s.entity_type == "PERSON"]
    assert found == [name]


def test_a_lower_case_title_without_a_full_stop_is_no_title() -> None:
    assert not [s for s in detect_all("open it in ms Word", pattern_detectors("balanced")) if s.entity_type == "PERSON"]


@pytest.mark.parametrize("text", ["We are proud britons", "I am scot but I live here", "I am dutchwoman", "proud tswanas"])
def test_nouns_for_a_people_are_nationalities(text: str) -> None:
    assert [s.entity_type for s in NationalityDetector().detect(text)] == ["NRP"]


@pytest.mark.parametrize("text", ["eat a kiwi", "a pole vault", "a brit of rain"])
def test_demonyms_that_are_ordinary_words_need_a_capital(text: str) -> None:
    assert NationalityDetector().detect(text) == []
