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
_POSTCODE_AFTER = re.compile(r"^(?:[ \t]*,?[ \t]*(?:\\n)?[ \t]*)(?:[A-Z]{2}[ \t]+)?\d{3,6}(?:[ -]\d{2,4})?(?!\d)")
_POSTCODE_CONTEXT = re.compile(r"\b(?:zip|zip\s*code|postcode|postal\s*code|post\s*code|plz|cap)\s*(?:is|:|#)?\s*(\d{3,6}(?:[ -]\d{2,4})?)\b", re.IGNORECASE)


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
            out.append(Span(start, _with_postcode(text, end), "STREET_ADDRESS", max(s.score for s in group)))
        else:
            for span in group:
                if span.entity_type in ("STREET_ADDRESS", "LOCATION"):
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
