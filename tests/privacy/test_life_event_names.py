"""Names found by their placement (a life event's subject, the addressee, dialogue speakers); short phones by context."""

from __future__ import annotations

import pytest

from shared.privacy.life_events import LifeEventNameDetector
from shared.privacy.ner import NerDetector
from shared.privacy.patterns import LoosePhoneDetector
from tests.helpers import span_texts


def names(text: str) -> list[str]:
    """The values LifeEventNameDetector finds in `text`."""
    return span_texts(text, LifeEventNameDetector().detect(text))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Fenton began writing as a teenager, publishing", "Fenton"),
        ("Tuomo lives on Metsanurga 48 street.", "Tuomo"),
        ("Lesława spent a year at Aures Technologies SA", "Lesława"),
        ("Demelza, can I please speak to your boss?", "Demelza"),
        ("Thanks. Nobuto, could you call back?", "Nobuto"),
        ("Inalén grew up in Reykjavík", "Inalén"),
    ],
)
def test_the_subject_of_a_life_event_or_the_addressee_is_a_person(text: str, name: str) -> None:
    assert names(text) == [name]


@pytest.mark.parametrize(
    "text",
    [
        "Hello, can you help me?",
        "Thanks, could you check the numbers?",
        "He began writing at ten.",
        "Construction began in 2019.",
        "Hope lives on in our hearts.",
        "Everyone, can we start?",
    ],
)
def test_function_words_and_other_events_are_no_names(text: str) -> None:
    assert names(text) == []


@pytest.mark.e2e
def test_every_speaker_in_a_dialogue_with_a_known_speaker_is_a_person() -> None:
    text = "Akaho: What a wife.\\nWilliam: Remember me, Al?"
    found = {text[s.start : s.end] for s in NerDetector(proper_nouns=True).detect(text) if s.entity_type == "PERSON"}
    assert {"Akaho", "William"} <= found


@pytest.mark.e2e
def test_labels_without_a_known_first_name_prove_no_dialogue() -> None:
    text = "Ingredients: flour and sugar.\\nMethod: mix them well."
    found = {text[s.start : s.end] for s in NerDetector(proper_nouns=True).detect(text) if s.entity_type == "PERSON"}
    assert "Ingredients" not in found


@pytest.mark.parametrize(
    "text", [r"Personal Info:\nPhone:\n68 90 46\n\nE-mail:", "I would like to stop receiving messages to 31 75 62"]
)
def test_a_short_number_after_a_phone_word_behind_a_literal_line_break_is_a_phone(text: str) -> None:
    assert [s.entity_type for s in LoosePhoneDetector().detect(text)] == ["PHONE_NUMBER"]


def test_a_short_number_without_a_phone_word_is_no_phone() -> None:
    assert LoosePhoneDetector().detect("The score was 12 34 56 today") == []
