"""Continental and military street forms, and how an address grows over its number, corner and city/postcode tail."""

from __future__ import annotations

import pytest

from shared.privacy import detect_all
from shared.privacy.presets import pattern_detectors
from shared.privacy.street_forms import StreetFormsDetector


def addresses(text: str) -> list[str]:
    """The STREET_ADDRESS values the balanced pattern detectors (no NER) find in `text`."""
    return [
        text[s.start : s.end]
        for s in detect_all(text, pattern_detectors("balanced"))
        if s.entity_type == "STREET_ADDRESS"
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Send it to Unit 3848 Box 3726\nDPO AE 51928 please", "Unit 3848 Box 3726\nDPO AE 51928"),
        ("Sent to PSC 3412, Box 5242\\nAPO AA 29282", "PSC 3412, Box 5242\\nAPO AA 29282"),
        ("Her ship: USS Lindqvist\nFPO AE 67601.", "USS Lindqvist\nFPO AE 67601"),
        ("The restaurant is at 6283 Skogarlond 53", "6283 Skogarlond 53"),
        ("We'll meet at 312 Bécsi utca 35., Kisbarát", "312 Bécsi utca 35."),
        ("Tuomo lives on Hindsholmvej 75 now.", "Hindsholmvej 75"),
        ("The bus station is on Escuadro 26", "Escuadro 26"),
        ("It is 2159 46 rue Nationale 7 today", "2159 46 rue Nationale 7"),
        ("Meet at 46 rue Nationale, Paris", "46 rue Nationale"),
        ("The restaurant is at 23822 Bem rakpart 79.", "Bem rakpart 79."),
        ("Pedestrians must enter on Fuente del Gallo 47 only", "Fuente del Gallo 47"),
        ("Stop at the corner of Csabai kapu 70. and Franz Canyon, please", "the corner of Csabai kapu 70. and Franz Canyon"),
        ("Sight Sciences\\nPSC 2778, Box 0772\nAPO AP 64906\\nMobile", "PSC 2778, Box 0772\nAPO AP 64906"),
        ("I'd like a taxi to the corner of Põllu 59 and Teruyoshi Courts. Thanks", "the corner of Põllu 59 and Teruyoshi Courts"),
    ],
)
def test_street_forms(text: str, value: str) -> None:
    assert value in [text[s.start : s.end] for s in StreetFormsDetector().detect(text)]


@pytest.mark.parametrize(
    "text",
    [
        "We met at 3 PM on 5 May and again in 2019 Apple sold 5 million.",
        "The meeting is at Gate 12 minutes from here, on Windows 10.5 builds.",
        "She ran 400 meters in 52 seconds.",
    ],
)
def test_ordinary_numbers_are_not_streets(text: str) -> None:
    assert StreetFormsDetector().detect(text) == []


def test_address_takes_building_number_unit_city_region_and_postcode() -> None:
    text = "Address:\\n 750 Wilgenlaan 40\\n Apt. 474\\n Emmer-Compascuum\\n Netherlands 2314\\nMobile: 555"
    assert addresses(text) == ["750 Wilgenlaan 40\\n Apt. 474\\n Emmer-Compascuum\\n Netherlands 2314"]


def test_address_takes_state_and_letter_postcodes() -> None:
    text = "Billing: 4241 Rooseveltlaan 110 Apt. 312\\n   Utrecht\\n    UT\\n    3526 BJ\\n"
    assert addresses(text) == ["4241 Rooseveltlaan 110 Apt. 312\\n   Utrecht\\n    UT\\n    3526 BJ"]


def test_address_after_a_literal_line_break_escape_takes_name_and_region() -> None:
    text = "Name: X\\n45080 Nánási út 66.\nFitzroy, nan 99562"
    assert addresses(text) == ["45080 Nánási út 66.\nFitzroy, nan 99562"]
    text = "User: 008 32 Kent Street Apt. 740\nReykjavík\n, nan\n 60394"
    assert addresses(text) == ["008 32 Kent Street Apt. 740\nReykjavík\n, nan\n 60394"]
    text = "The letter arrived at Oskar and Hindsholmvej 75 last night."
    assert addresses(text) == ["Oskar and Hindsholmvej 75"]


def test_corner_of_two_streets_is_one_address() -> None:
    text = "I once lived on the corner of 92 Circle Way and 10 Paterson Pass. Now elsewhere."
    assert addresses(text) == ["the corner of 92 Circle Way and 10 Paterson Pass"]


def test_address_tail_stops_at_a_sentence_or_a_field() -> None:
    text = "Ship to 12 Main Street, Springfield. Thanks, I will call you"
    assert addresses(text) == ["12 Main Street, Springfield"]
    text = "12 Main Street\\nPhone: 555 0100"
    assert addresses(text) == ["12 Main Street"]


def test_more_street_suffixes_and_postcodes() -> None:
    assert addresses("We'll meet at 43 Farrar Parade tomorrow") == ["43 Farrar Parade"]
    text = "ZIP: 42-609"
    assert [text[s.start : s.end] for s in detect_all(text, pattern_detectors("balanced"))] == ["42-609"]
