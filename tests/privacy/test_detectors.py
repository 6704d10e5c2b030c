"""Pattern, secret, encoded, dictionary and NER detectors, and how overlaps resolve."""

from __future__ import annotations

import base64

import pytest

from shared.privacy import Span, detect_all, resolve_overlaps
from shared.privacy.credentials import SecretDetector
from shared.privacy.dictionary import DictionaryDetector
from shared.privacy.patterns import (
    DateOfBirthDetector,
    IbanDetector,
    IpAddressDetector,
    MacAddressDetector,
    SsnDetector,
    StreetAddressDetector,
    UrlDetector,
    iban_valid,
)
from shared.privacy.presets import build_detectors


def found(detector: object, text: str) -> list[tuple[str, str]]:
    return [(s.entity_type, text[s.start : s.end]) for s in detector.detect(text)]  # type: ignore[attr-defined]


def test_iban_mod97_accepts_valid_and_rejects_one_wrong_digit() -> None:
    assert iban_valid("DE89370400440532013000")
    assert iban_valid("GB82WEST12345698765432")
    assert not iban_valid("DE89370400440532013001")
    text = "Pay to DE89 3704 0044 0532 0130 00 today, not DE89 3704 0044 0532 0130 01."
    assert found(IbanDetector(), text) == [("IBAN_CODE", "DE89 3704 0044 0532 0130 00")]


def test_ssn_rules() -> None:
    text = "SSN 123-45-6789; invalid 000-12-3456 and 666-12-3456 and 123-00-4567; plain 123456789"
    assert found(SsnDetector(loose=False), text) == [("US_SSN", "123-45-6789")]
    assert ("US_SSN", "123456789") in found(SsnDetector(loose=True), text)
    assert found(SsnDetector(loose=False), "my ssn: 123456789") == [("US_SSN", "123456789")]


def test_ip_addresses_validated() -> None:
    text = "hosts 10.17.22.102, 999.1.1.1, 2001:db8::8a2e:370:7334 and time 12:30:45, version 1.2.3.4.5"
    assert found(IpAddressDetector(), text) == [("IP_ADDRESS", "10.17.22.102"), ("IP_ADDRESS", "2001:db8::8a2e:370:7334")]


def test_mac_addresses() -> None:
    text = "eth0 00:1A:2B:3C:4D:5E, wlan 00-1a-2b-3c-4d-5f, cisco 001a.2b3c.4d5e, not 00:1A:2B"
    assert [v for _, v in found(MacAddressDetector(), text)] == ["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5f", "001a.2b3c.4d5e"]


def test_urls_and_domains_without_trailing_punctuation() -> None:
    text = "See https://en.wikipedia.org/wiki/Foo_(bar). Or www.example.com, or acme.io/docs? Not e.g. or 3.14."
    assert [v for _, v in found(UrlDetector(), text)] == [
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "www.example.com",
        "acme.io/docs",
    ]


def test_dates_of_birth_need_context_unless_all_dates() -> None:
    text = "Meeting on 12/05/2023. I was born on March 3, 1985 and my DOB is 1985-03-03."
    assert [v for _, v in found(DateOfBirthDetector(), text)] == ["March 3, 1985", "1985-03-03"]
    assert len(DateOfBirthDetector(all_dates=True).detect(text)) == 3


def test_street_addresses() -> None:
    text = "Send it to 742 Evergreen Terrace, Springfield, IL 62704 or 1600 Pennsylvania Avenue NW, Apt 4B. PO Box 123."
    values = [v for _, v in found(StreetAddressDetector(), text)]
    assert "742 Evergreen Terrace, Springfield, IL 62704" in values
    assert any(v.startswith("1600 Pennsylvania Avenue NW") for v in values)
    assert "PO Box 123" in values
    assert found(StreetAddressDetector(), "I have 3 Big Dogs and 2 cats.") == []


@pytest.mark.parametrize(
    "secret",
    [
        "sk-proj-abcDEF1234567890abcdefGHIJ",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "AKIAIOSFODNN7EXAMPLE",
        "xoxb-123456789012-abcdefABCDEF",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "Zx9Qw3Er7Ty1Ui5Op8As2Df6Gh4Jk",  # no known prefix, but random
    ],
)
def test_secrets_found(secret: str) -> None:
    text = f"the key is here: {secret} ok"
    assert found(SecretDetector(), text) == [("API_KEY", secret)]


def test_ordinary_text_holds_no_secrets() -> None:
    text = "The quick brown fox jumps over the lazy dog; internationalization is hard; src/app/models.py"
    assert found(SecretDetector(), text) == []
    assert found(SecretDetector(), "password: hunter2!") == [("API_KEY", "hunter2!")]


def test_encoded_values_are_found_by_the_balanced_preset() -> None:
    detectors = build_detectors("balanced", ner=False)
    b64 = base64.b64encode(b"mail me at jane.roe@example.com").decode()
    text = f"blob {b64} and link ?to=jane.roe%40example.com done"
    spans = detect_all(text, detectors)
    values = {text[s.start : s.end] for s in spans}
    assert b64 in values
    assert "?to=jane.roe%40example.com" in values


def test_dictionary_whole_words_any_case() -> None:
    detector = DictionaryDetector({"CLIENT": ["Acme Corp"], "PROJECT": ["Bluebird"]})
    text = "acme corp's BLUEBIRD launch; not Bluebirds or AcmeCorp"
    assert found(detector, text) == [("CLIENT", "acme corp"), ("PROJECT", "BLUEBIRD")]


def test_overlaps_widest_wins_then_score() -> None:
    spans = [Span(0, 5, "A"), Span(0, 10, "B", 0.5), Span(8, 12, "C"), Span(12, 14, "D"), Span(0, 10, "E", 0.9)]
    # E and B tie on width, E scores higher; C keeps the part E does not cover; A is covered entirely.
    assert resolve_overlaps(spans) == [Span(0, 10, "E", 0.9), Span(10, 12, "C"), Span(12, 14, "D")]


def test_overlap_loser_keeps_its_uncovered_part() -> None:
    text = "DE89 3704 0044 0532 0130 00 4111 1111 1111 1111, the"
    spans = detect_all(text, build_detectors("balanced", ner=False))
    covered = "".join("#" if any(s.start <= i < s.end for s in spans) else c for i, c in enumerate(text))
    assert covered.endswith(", the") and not any(c.isdigit() for c in covered)


def test_unknown_preset_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown privacy preset 'paranoid'"):
        build_detectors("paranoid")  # type: ignore[arg-type]


def test_card_followed_by_another_number_is_still_found() -> None:
    from shared.privacy.detectors import CreditCardDetector

    text = "4111 1111 1111 1111 10.0.0.42"
    assert found(CreditCardDetector(), text) == [("CREDIT_CARD", "4111 1111 1111 1111")]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("fax\\n650-752-7354x549 mobile", "650-752-7354x549"),
        ("Phone:\\n0370 5758447\\n", "0370 5758447"),
        ("mobile +447700556093 ok", "+447700556093"),
        ("You can call 61 60 34", "61 60 34"),
        ("Fax: +41 (0)89 194 09 61", "+41 (0)89 194 09 61"),
    ],
)
def test_national_phone_formats(text: str, value: str) -> None:
    spans = detect_all(text, build_detectors("balanced", ner=False))
    assert value in [text[s.start : s.end] for s in spans]


def test_ages_ids_and_context_cards() -> None:
    text = "Patient is a 28-year-old; I just turned 61. License number is yo0047868. Block card no 503838061748."
    values = {text[s.start : s.end] for s in detect_all(text, build_detectors("balanced", ner=False))}
    assert {"28-year-old", "turned 61", "yo0047868", "503838061748"} <= values
    plain = "The meeting lasted 61 minutes and cost 503 dollars."
    assert detect_all(plain, build_detectors("balanced", ner=False)) == []


def test_address_pieces_are_assembled_with_numbers_and_postcode() -> None:
    text = "Send it to 84251 Hadikgasse 49, Apt. 542, Vienna 1010 please. ZIP: 32700."
    spans = detect_all(text, build_detectors("balanced"))
    values = [text[s.start : s.end] for s in spans]
    assert "84251 Hadikgasse 49, Apt. 542, Vienna 1010" in values
    assert "32700" in values
    assert "please" in text[spans[0].end :]


def test_card_after_another_number_is_still_found() -> None:
    from shared.privacy.detectors import CreditCardDetector

    text = "123-45-6789 4111 1111 1111 1111"
    assert found(CreditCardDetector(), text) == [("CREDIT_CARD", "4111 1111 1111 1111")]


def test_iban_after_a_code_like_word_is_still_found() -> None:
    text = "ref ab12 DE89 3704 0044 0532 0130 00"
    assert found(IbanDetector(), text) == [("IBAN_CODE", "DE89 3704 0044 0532 0130 00")]
