"""Job titles where they name someone's job, and nationalities in any case."""

from __future__ import annotations

import pytest

from shared.privacy.places import NationalityDetector
from shared.privacy.titles import JobTitleDetector
from tests.helpers import span_texts


def titles(text: str) -> list[str]:
    return span_texts(text, JobTitleDetector().detect(text))


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Taus Korgay\\nTextile knitting and weaving machine operator\\nFUJITOMI CO.LTD.", "Textile knitting and weaving machine operator"),
        ('Zarita Akhtakhanov, the Psychiatric technician, said: "fine"', "Psychiatric technician"),
        ("I used to work for UBS-ETF MSCI EM.M/USD as Occupational health nurse, but quit.", "Occupational health nurse"),
        ("Emilia Artemieva\nDredge, excavating, and loading machine operator\nTellurian Inc.", "Dredge, excavating, and loading machine operator"),
        ("She works as a food technologist in Oslo.", "food technologist"),
        ("Edna H. McCoy, the Veterinary assistants and laboratory animal caretaker, said", "Veterinary assistants and laboratory animal caretaker"),
    ],
)
def test_titles_tied_to_a_person(text: str, title: str) -> None:
    assert title in titles(text)


@pytest.mark.parametrize("text", ["The engineer fixed the bug.", "Ask the nurse about it, please.", "Managers and operators met."])
def test_titles_in_running_prose_are_left_alone(text: str) -> None:
    assert titles(text) == []


def test_nationalities_any_case_and_plural() -> None:
    text = "I am djiboutian but we are proud norwegians, Solomon Islanders and Middle-Eastern."
    found = span_texts(text, NationalityDetector().detect(text))
    assert found == ["djiboutian", "norwegians", "Solomon Islanders", "Middle-Eastern"]


def test_nationalities_that_are_ordinary_words_need_a_capital() -> None:
    text = "Please polish the swiss army knife; the Polish team won."
    assert span_texts(text, NationalityDetector().detect(text)) == ["Polish"]
