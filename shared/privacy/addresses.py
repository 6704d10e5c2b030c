"""Address assembly: street, number, unit, city and postcode pieces found apart are joined into one address span.

Detectors find an address in pieces ("Hadikgasse 49", "Apt. 542", "KÖTTMANNSDORF Austria") and
leave the numbers between and around them (house numbers, postcodes) uncovered. Pieces that
touch, with only numbers and separators between them, become one STREET_ADDRESS span when at
least one of them is a street address; a place followed by a postcode takes the postcode.
"""

from __future__ import annotations

import re

from shared.privacy.spans import Span

ADDRESS_PARTS = frozenset({"STREET_ADDRESS", "LOCATION", "PROPER_NOUN"})
MAX_GAP_CHARS = 24
# Between two pieces: separators, literal "\n" escapes, and numbers only.
_GAP = re.compile(r"(?:[\s,.;:#/()-]|\\n|\d{1,6}|\b(?:and|East|West|North|South|[NSEW]|Box)\b)*")
_LEADING_NUMBERS = re.compile(r"(?:\d{1,6}[ \t]*,?[ \t]*){1,2}$")
_POSTCODE_AFTER = re.compile(
    r"^(?:[ \t]*,?[ \t]*(?:\\n)?[ \t]*)(?:[A-Z]{2}[ \t]+)?"
    r"(?:\d{3,6}(?:[ -]\d{2,4})?(?!\d)|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d\b|[A-Z]{1,2}\d[A-Z\d]?[ \t]\d[A-Z]{2}\b)"
)
# "in", "at", "near", "from" right before a proper noun: the word names a place.
_PLACE_PREPOSITION = re.compile(r"\b(?:in|at|near|from)[ \t]+$")
_POSTCODE_CONTEXT = re.compile(
    r"\b(?:zip|zip\s*code|postcode|postal\s*code|post\s*code|plz|cap)\s*(?:is|:|#)?\s*(\d{2,6}[ -]\d{2,4}|\d{3,6})\b",
    re.IGNORECASE,
)


def postcodes_by_context(text: str) -> list[Span]:
    """Postcodes named as such ('ZIP: 32700', 'my postal code is 860 13')."""
    return [Span(m.start(1), m.end(1), "ZIP_CODE", 0.8) for m in _POSTCODE_CONTEXT.finditer(text)]


def assemble_addresses(text: str, spans: list[Span]) -> list[Span]:
    """`spans` (sorted, non-overlapping) with touching address pieces merged and postcodes attached."""
    out: list[Span] = []
    group: list[Span] = []

    def close_group() -> None:
        if not group:
            return
        if len(group) > 1 and any(s.entity_type == "STREET_ADDRESS" for s in group):
            start, end = group[0].start, group[-1].end
            lead = _LEADING_NUMBERS.search(text, max(0, start - 16), start)
            if lead and lead.end() == start:
                start = lead.start()
            out.append(_widen_address(text, start, end, max(s.score for s in group)))
        else:
            for span in group:
                if span.entity_type == "STREET_ADDRESS":
                    span = _widen_address(text, span.start, span.end, span.score)
                elif span.entity_type == "LOCATION" or (
                    span.entity_type == "PROPER_NOUN" and _PLACE_PREPOSITION.search(text, max(0, span.start - 8), span.start)
                ):
                    # A proper noun after "in"/"at" and before a postcode is a town ("support X in LAHTI 15170").
                    span = Span(span.start, _with_postcode(text, span.end), span.entity_type, span.score)
                out.append(span)
        group.clear()

    for span in spans:
        if span.entity_type not in ADDRESS_PARTS:
            close_group()
            out.append(span)
            continue
        if group:
            gap = text[group[-1].end : span.start]
            if len(gap) > MAX_GAP_CHARS or not _GAP.fullmatch(gap):
                close_group()
        group.append(span)
    close_group()
    return _drop_overlaps(out)


# Around a street address: "the corner of" before it; after it, on the same or the next lines, a unit,
# a city, a state or region code, a postcode, a country ("Apt. 474\\n Emmer-Compascuum\\n Netherlands 2314").
_CORNER_BEFORE = re.compile(r"(?:\bthe[ \t]+)?\bcorner[ \t]+of[ \t]+$", re.IGNORECASE)
_TAIL_SEPARATOR = re.compile(r"(?:[ \t]*(?:,|\\n|\n|\}\}|\?\?\?)[ \t]*)+|[ \t]+")
_PLACE_WORD = r"(?:[A-ZÀ-ÖØ-ÞĀ-ŽΑ-ΩА-Я][\w'’-]*(?:\.[\w'’-]+)*|\((?:[A-Z][\w]*)\))"
_PLACE_JOINER = r"(?:de|del|do|da|di|la|le|les|du|des|bei|im|am|an|pri|near|y|upon|sur|en|na|nad|pod|of|on)"
_TAIL_PART = re.compile(
    r"(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Floor|Fl\.|Room|Box|#)[ \t]*#?[A-Za-z]?\d{1,6}[A-Za-z]?\b"  # a unit
    r"|[A-Z]{2,3}[ \t,]+\d{3,6}(?:[ -]\d{2,4})?\b"  # a state code and a postcode ("SH 90432")
    r"|\d{3,6}(?:[ -]\d{2,4})?(?:[ \t]?[A-Z]{2}\b)?(?!\d)"  # a postcode ("3526 BJ", "360 60")
    r"|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d\b|[A-Z]{1,2}\d[A-Z\d]?[ \t]\d[A-Z]{2}\b"  # Canadian and UK postcodes
    rf"|{_PLACE_WORD}(?:[ \t]+(?:{_PLACE_JOINER}[ \t]+)*{_PLACE_WORD}){{0,3}}"  # a city, region or country
    # A region left empty by a spreadsheet export ("Apt. 397 Erlen nan"): the missing-value marker is still its field.
    r"|(?:nan|NaN|N/A)(?![\w/])"
)
_REGION_POSTCODE = re.compile(r"[A-Za-z]{2,3}(?:[ \t]|\\n|\n)+\d{3,6}(?:[ -]\d{2,4})?\b(?![ \t]*[%$€£])")
_NAME_AND_BEFORE = re.compile(r"(?<![\w'’-])[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’-]+[ \t]+and[ \t]+$")
# Capitalised words that start a sentence or a field rather than continue an address.
_NOT_PLACES = frozenset(
    [
        "i",
        "the",
        "a",
        "an",
        "we",
        "you",
        "he",
        "she",
        "it",
        "they",
        "my",
        "our",
        "your",
        "his",
        "her",
        "their",
        "please",
        "thanks",
        "thank",
        "call",
        "if",
        "and",
        "but",
        "then",
        "this",
        "that",
        "there",
        "here",
        "it's",
        "i'm",
        "i'd",
        "i'll",
        "mobile",
        "phone",
        "tel",
        "fax",
        "desk",
        "email",
        "e-mail",
        "website",
        "web",
        "office",
        "name",
        "address",
        "date",
        "note",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)
MAX_TAIL_PARTS = 7


def _widen_address(text: str, start: int, end: int, score: float) -> Span:
    """A street address span grown over a leading building number, 'the corner of', and its unit/city/postcode tail."""
    lead = _LEADING_NUMBERS.search(text, max(0, start - 16), start)
    if lead and lead.end() == start:
        start = lead.start()
    corner = _CORNER_BEFORE.search(text, max(0, start - 20), start)
    if corner:
        start = corner.start()
    # "c/o"-style lines name someone and the street together ("Oskar and Hindsholmvej 75").
    named = _NAME_AND_BEFORE.search(text, max(0, start - 30), start)
    if named:
        start = named.start()
    for _ in range(MAX_TAIL_PARTS):
        separator = _TAIL_SEPARATOR.match(text, end)
        # After a full stop only a comma or a line break continues the address: a space starts a new sentence.
        if not separator or (text[end - 1] == "." and not separator.group().strip(" \t")):
            break
        part = _TAIL_PART.match(text, separator.end())
        # A region code may be in any case before a postcode ("Fitzroy, nan 99562", "HEIMDAL nan 7072").
        part = _REGION_POSTCODE.match(text, separator.end()) or part
        if not part or part.end() == separator.end():
            break
        words = part.group().split()
        if words[0].lower().strip(".,:") in _NOT_PLACES or text[part.end() : part.end() + 1] == ":":
            break
        end = part.end()
    return Span(start, end, "STREET_ADDRESS", score)


def _with_postcode(text: str, end: int) -> int:
    match = _POSTCODE_AFTER.match(text[end : end + 24])
    return end + match.end() if match else end


def _drop_overlaps(spans: list[Span]) -> list[Span]:
    # A postcode extension may reach into the next span; the earlier, extended span wins.
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        if kept and span.start < kept[-1].end:
            if span.end > kept[-1].end:
                kept[-1] = Span(kept[-1].start, span.end, kept[-1].entity_type, kept[-1].score)
            continue
        kept.append(span)
    return kept


# "my new address is ...", "change my address to ...", "Gordan's address:\n...", an "Address:" field: what follows,
# up to the end of the line or the clause, is the address, whatever form its street takes ("Passiewijk 103").
_ADDRESS_CUE = re.compile(
    r"(?:\b(?:my|our|your|his|her|their|new|old|home|postal|mailing|shipping|billing|delivery|office)[ \t]+address(?:es)?"
    r"(?:[ \t]+(?:is|to|as|at))?[ \t]*:?|['’]s[ \t]+address[ \t]*:|(?:^|\n|\\n)[ \t]*address[ \t]*:)(?:[ \t]|\n|\\n)*",
    re.IGNORECASE,
)
_CUED_ADDRESS = re.compile(
    r"[\w(][^\n?!]{2,90}?"
    r"(?=[ \t]+(?:for|after|before|in[ \t]+case|please|thanks|instead)\b|[ \t]*[?!\n]|\\n|\.?[ \t]*$"
    r"|\.[ \t]+(?:I|We|It|The|This|My|Please|Thanks|Can|Could|Will|Would)\b)",
    re.IGNORECASE,
)


def addresses_by_context(text: str) -> list[Span]:
    """Addresses that a cue introduces ('my new address is 4373 Bem rkp. 93.'), if they hold a number."""
    spans = []
    for cue in _ADDRESS_CUE.finditer(text):
        value = _CUED_ADDRESS.match(text, cue.end())
        # A street address has a number; an e-mail or web address is someone else's job.
        if value and any(c.isdigit() for c in value.group()) and not re.search(r"@|://|www\.", value.group()):
            spans.append(Span(value.start(), value.end(), "STREET_ADDRESS", 0.6))
    return spans
