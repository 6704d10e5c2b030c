"""Strictness presets: which detectors run, and how eagerly, for `relaxed`, `balanced` and `strict`.

relaxed   validated patterns (no bare URLs, no entropy guesses) and NER for people only
balanced  every validated pattern, loose phone numbers, ages, IDs, secrets by entropy, encoded values,
          countries in any case, places after a travel verb ("flew to Samsø"), NER for people,
          organisations, places and nationalities, proper-noun runs that NER missed, names after a
          naming cue ("my name is ...") and of a life event's subject ("Fenton began writing")
strict    balanced plus every date, products and works of art
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from shared.privacy.credentials import SecretDetector
from shared.privacy.detectors import CreditCardDetector, Detector, EmailDetector, PhoneDetector, detect_all
from shared.privacy.dictionary import DictionaryDetector
from shared.privacy.encoded import EncodedDetector
from shared.privacy.life_events import LifeEventNameDetector
from shared.privacy.ner import BALANCED_LABELS, DEFAULT_NER_MODEL, PERSON_LABELS, STRICT_LABELS, NerDetector
from shared.privacy.organizations import OrganizationDetector
from shared.privacy.patterns import (
    AccountDetector,
    AgeAndTitleDetector,
    ContextNumberDetector,
    DateOfBirthDetector,
    IbanDetector,
    InternationalAddressDetector,
    IpAddressDetector,
    LoosePhoneDetector,
    MacAddressDetector,
    SsnDetector,
    StreetAddressDetector,
    UrlDetector,
)
from shared.privacy.places import CountryDetector, CuedPlaceDetector, NationalityDetector
from shared.privacy.street_forms import StreetFormsDetector
from shared.privacy.titles import JobTitleDetector

Preset = Literal["relaxed", "balanced", "strict"]
PRESETS: tuple[Preset, ...] = ("relaxed", "balanced", "strict")
DEFAULT_PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "IN")


def pattern_detectors(preset: Preset, phone_regions: Iterable[str] = DEFAULT_PHONE_REGIONS) -> list[Detector]:
    """The deterministic (non-NER) detectors of a preset, as the egress guard re-runs them."""
    relaxed = preset == "relaxed"
    detectors: list[Detector] = [
        EmailDetector(),
        CreditCardDetector(),
        PhoneDetector(tuple(phone_regions)),
        IbanDetector(),
        SsnDetector(loose=not relaxed),
        IpAddressDetector(),
        MacAddressDetector(),
        SecretDetector(entropy=not relaxed),
        DateOfBirthDetector(all_dates=preset == "strict", numeric_dates=not relaxed),
        StreetAddressDetector(),
    ]
    if not relaxed:
        detectors += [
            UrlDetector(),
            InternationalAddressDetector(),
            StreetFormsDetector(),
            OrganizationDetector(),
            JobTitleDetector(),
            LoosePhoneDetector(),
            AgeAndTitleDetector(),
            ContextNumberDetector(),
            AccountDetector(),
            CountryDetector(),
            NationalityDetector(),
            CuedPlaceDetector(),
            LifeEventNameDetector(),
        ]
    return detectors


def build_detectors(
    preset: Preset,
    deny_list: Mapping[str, Iterable[str]] | None = None,
    ner: bool = True,
    ner_model: str = DEFAULT_NER_MODEL,
    phone_regions: Iterable[str] = DEFAULT_PHONE_REGIONS,
    guard: bool = False,
) -> list[Detector]:
    """The detectors for `preset`, with the user's deny-list; `guard=True` leaves out NER (see EgressGuard)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown privacy preset {preset!r}; use one of {', '.join(PRESETS)}")
    detectors = pattern_detectors(preset, phone_regions)
    if deny_list:
        detectors.append(DictionaryDetector(deny_list))
    ner_detector = None
    if ner and not guard:
        labels = {"relaxed": PERSON_LABELS, "balanced": BALANCED_LABELS, "strict": STRICT_LABELS}[preset]
        ner_detector = NerDetector(labels, ner_model, proper_nouns=preset != "relaxed")
    if preset != "relaxed":
        # Decode base64 / %-encoded tokens and look inside with the same detectors (a base64 name counts too).
        inner = (*detectors, ner_detector) if ner_detector else tuple(detectors)
        detectors.append(EncodedDetector(lambda text: detect_all(text, inner)))
    if ner_detector:
        detectors.append(ner_detector)
    return detectors
