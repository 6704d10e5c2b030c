"""Pattern detectors with validation: emails, phone numbers (libphonenumber), payment cards (Luhn).

Each detector is a small object with `detect(text) -> list[Span]`, so richer ones
(NER, dictionaries) plug in beside these without touching the callers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol

import phonenumbers

from shared.privacy.addresses import assemble_addresses
from shared.privacy.ner import worth_hiding
from shared.privacy.organizations import assemble_organizations
from shared.privacy.spans import Span, resolve_overlaps


class Detector(Protocol):
    """Finds sensitive spans of the types it knows."""

    name: str

    def detect(self, text: str) -> list[Span]:
        """Spans found in `text`."""
        ...


class EmailDetector:
    """RFC-5322-ish addresses: local part, @, a dotted domain with a letter TLD."""

    name = "email"
    _pattern = re.compile(
        r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
    )

    def detect(self, text: str) -> list[Span]:
        """Every email address in `text`."""
        return [Span(m.start(), m.end(), "EMAIL_ADDRESS") for m in self._pattern.finditer(text)]


def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn checksum."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


class CreditCardDetector:
    """13–19 digit card numbers, optionally grouped by spaces or dashes, that pass Luhn."""

    name = "credit_card"
    _pattern = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")

    def detect(self, text: str) -> list[Span]:
        """Every Luhn-valid card number in `text`."""
        spans = []
        pos = 0
        while (match := self._pattern.search(text, pos)) is not None:
            raw = match.group()
            # The match may run on into a neighbouring number ("4111 ... 1111 10.0.0.1"): try shorter
            # group boundaries, longest first, until one validates.
            ends = [len(raw)] + [i for i in range(len(raw) - 1, 0, -1) if raw[i] in " -"]
            for end in ends:
                digits = re.sub(r"\D", "", raw[:end])
                if 13 <= len(digits) <= 19 and luhn_valid(digits) and len(set(digits)) > 1:
                    spans.append(Span(match.start(), match.start() + len(raw[:end].rstrip(" -")), "CREDIT_CARD"))
                    pos = match.start() + end
                    break
            else:
                # Nothing valid starts here; a card may start at a later group ("123-45-6789 4111 ...").
                pos = match.start() + 1
        return spans


class PhoneDetector:
    """Phone numbers as libphonenumber finds and validates them (international, and national for the regions listed)."""

    name = "phone"

    def __init__(self, regions: Sequence[str] = ("US", "GB", "DE", "FR", "IN")) -> None:
        self._regions = tuple(regions)

    def detect(self, text: str) -> list[Span]:
        """Every valid phone number in `text`."""
        spans: list[Span] = []
        for region in self._regions:
            for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
                spans.append(Span(match.start, match.end, "PHONE_NUMBER"))
        return resolve_overlaps(spans)


DEFAULT_DETECTORS: tuple[Detector, ...] = (EmailDetector(), CreditCardDetector(), PhoneDetector())


def detect_all(text: str, detectors: Iterable[Detector] = DEFAULT_DETECTORS) -> list[Span]:
    """Spans from every detector, overlaps resolved (widest wins).

    A detector marked `guesses = True` (NER) may swallow a validated value into a wider
    entity ("Email john@x.org" as one PERSON); such a guess is first cut around the
    validated spans, so each value keeps its own, precise type.
    """
    precise: list[Span] = []
    guessed: list[Span] = []
    for detector in detectors:
        (guessed if getattr(detector, "guesses", False) else precise).extend(detector.detect(text))
    if guessed and precise:
        guessed = [piece for span in guessed for piece in trim_around(span, precise, text)]
    found = resolve_overlaps(propagate(text, resolve_overlaps(precise + guessed, text)), text)
    return assemble_organizations(text, assemble_addresses(text, found))


PROPAGATE_MIN_CHARS = 3  # shorter values ("Al", "Jo") would hide too many ordinary words


def propagate(text: str, spans: list[Span]) -> list[Span]:
    """`spans` plus every other whole-word occurrence, in any case, of a value already found.

    NER finds "John" in one sentence and misses "john" or "JOHN" in the next; a value
    once known to be private is private wherever it appears in the same text.
    """
    extra: list[Span] = []
    seen: set[str] = set()
    for span in spans:
        value = text[span.start : span.end]
        # A person's first or last name alone ("Ranveer" after "Ranveer Allahbadia") is theirs too.
        parts = [p for p in value.split() if p[:1].isupper() and p.lower().strip(".") not in _NAME_TITLES] if span.entity_type == "PERSON" else []
        for candidate in (value, *parts) if len(parts) > 1 else (value,):
            key = candidate.lower()
            if key in seen or len(candidate) < PROPAGATE_MIN_CHARS or not any(c.isalpha() for c in candidate):
                continue
            seen.add(key)
            pattern = re.compile(rf"(?<!\w){re.escape(candidate)}(?!\w)", re.IGNORECASE)
            extra.extend(Span(m.start(), m.end(), span.entity_type, span.score) for m in pattern.finditer(text))
    return spans + extra


_NAME_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "the", "von", "van", "der", "de", "la", "le", "jr", "sr"})


def trim_around(span: Span, anchors: Sequence[Span], text: str) -> list[Span]:
    """The parts of `span` outside every anchor span, stripped of spaces and punctuation; empty parts dropped."""
    pieces = [(span.start, span.end)]
    for anchor in anchors:
        if anchor.end <= span.start or anchor.start >= span.end:
            continue
        next_pieces = []
        for start, end in pieces:
            if anchor.end <= start or anchor.start >= end:
                next_pieces.append((start, end))
                continue
            if start < anchor.start:
                next_pieces.append((start, anchor.start))
            if anchor.end < end:
                next_pieces.append((anchor.end, end))
        pieces = next_pieces
    kept = []
    for start, end in pieces:
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and not text[end - 1].isalnum():
            end -= 1
        # A cut-down guess ("Email" left of an address) must still be worth hiding on its own.
        if end - start > 1 and ((start, end) == (span.start, span.end) or worth_hiding(text[start:end])):
            kept.append(Span(start, end, span.entity_type, span.score))
    return kept
