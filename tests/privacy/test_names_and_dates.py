"""Names NER misses (a first name opening a sentence, a speaker's label), weekdays and months left alone, years in context."""

from __future__ import annotations

import pytest

from shared.privacy import detect_all
from shared.privacy.first_names import first_names, is_first_name
from shared.privacy.patterns import DateOfBirthDetector
from shared.privacy.presets import build_detectors


def masked(text: str, preset: str = "balanced") -> dict[str, str]:
    """Value -> type of every span the preset finds in `text` (real spaCy model)."""
    return {text[s.start : s.end]: s.entity_type for s in detect_all(text, build_detectors(preset))}  # type: ignore[arg-type]


def test_first_name_list_loads_from_the_data_package() -> None:
    assert len(first_names()) > 30_000
    assert is_first_name("Teresa") and is_first_name("tuomo")
    assert not is_first_name("Thursday")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Teresa is a very sympathetic person.", "Teresa"),
        ("Gladys shouted at the neighbours again.", "Gladys"),
    ],
)
def test_a_first_name_opening_a_sentence_is_a_person(text: str, name: str) -> None:
    assert masked(text).get(name) == "PERSON"


def test_a_capitalised_word_opening_a_sentence_is_not_a_name() -> None:
    found = masked("Thanks for the help. Please send the report.")
    assert "Thanks" not in found and "Please" not in found


def test_speaker_labels_in_a_dialogue_are_people() -> None:
    text = "Calvin: Remember me, Peter?\\nMolly: You saved my life!"
    found = masked(text)
    assert found.get("Calvin") == "PERSON"
    assert found.get("Molly") == "PERSON"


def test_field_labels_are_not_speakers() -> None:
    found = masked("From: tom@example.com\nTo: ana@example.com\nSubject: plan\nSummary: the plan works.\nNote: ship it.")
    assert not [w for w in ("From", "To", "Subject", "Summary", "Note") if found.get(w) == "PERSON"]


@pytest.mark.parametrize(
    "text",
    ["Hi Ana, see you Thursday at the office.", "The report is due in March.", "Let's talk on Monday or Friday."],
)
def test_weekdays_and_months_alone_are_not_proper_nouns(text: str) -> None:
    found = masked(text)
    for word in ("Thursday", "March", "Monday", "Friday"):
        assert word not in found
    if "Ana" in text:
        assert "Ana" in found


def test_years_in_context_are_dates_in_balanced_only() -> None:
    text = "The orchestra was founded in 1970 and has 1999 members; a 2020 film."
    found = [(s.entity_type, text[s.start : s.end]) for s in DateOfBirthDetector(numeric_dates=True).detect(text)]
    assert ("DATE_TIME", "1970") in found and ("DATE_TIME", "2020") in found
    assert all(value != "1999" for _, value in found)  # "has 1999 members" places nothing in time
    assert not [f for f in DateOfBirthDetector(numeric_dates=False).detect(text)]


def test_a_first_name_with_a_middle_initial_takes_the_family_name() -> None:
    from shared.privacy.patterns import AgeAndTitleDetector

    text = "Wiktor H Ek lives here; Maria N. Bergström too; Vitamin D Supplements do not."
    found = [text[s.start : s.end] for s in AgeAndTitleDetector().detect(text) if s.entity_type == "PERSON"]
    assert found == ["Wiktor H Ek", "Maria N. Bergström"]
