"""Organisation names that NER cuts short or misses: legal-form suffixes, "X, Y and Z" firms, and pieces to join.

NER tags "Amkor Technology" and leaves "Inc." out, or splits "ETFS COMM/2X DAILY LONG EX-ENER"
into pieces; the name then leaks in part. Three fixes: a detector for capitalised words ending in a
legal form ("Galectin Therapeutics Inc.", "TAKEUCHI MFG.CO.LTD."), one for partnership names
("Sharp, Lynn and Jones"), and an assembly step that joins touching organisation pieces and takes
a legal form that follows one.
"""

from __future__ import annotations

import re

from shared.privacy.spans import Span

# Legal forms and fund words that end a company name (English, European, Asian registers).
_LEGAL_FORMS = (
    r"Inc\.?|Incorporated|LLC|L\.L\.C\.|Ltd\.?|Limited|Corp\.?|Corporation|Company|Co\.?(?:[ ]?Ltd\.?|,? ?Inc\.?)?|CO\.?(?:LTD\.?)?"
    r"|PLC|Plc|plc|LLP|LP|L\.P\.|GmbH|AG|SA|S\.A\.|SE|NV|N\.V\.|BV|B\.V\.|AB|ASA|A/S|Oyj|SpA|S\.p\.A\.|Srl|S\.r\.l\.|KK|K\.K\.|Pty|Bhd"
    r"|Group|Holdings?|Trust|Fund|ETF|ETN|Bancorp|Bankshares|Partners|& Sons|& Co\.?|Associates|Industries"
)
# A name word: capitalised or all capitals, possibly with digits, dots, hyphens or an ampersand inside.
_NAME_WORD = r"(?:[A-ZÀ-ÖØ-Þ][\w.&'’-]*|&|and)"
_SUFFIXED = re.compile(
    rf"(?:(?<=\\[nt])|(?<![\w.-]))(?:The[ \t]+)?[A-ZÀ-ÖØ-Þ0-9][\w.&'’-]*(?:[ \t]+{_NAME_WORD}){{0,5}}?(?:(?:,?[ \t]+|(?<=\.))(?:{_LEGAL_FORMS})(?![\w]))+"
)
_LEGAL_FORM_ONLY = re.compile(rf"(?:{_LEGAL_FORMS})")
# Partnerships named after their partners: "Johnson, Wallace and Santos", "Becton Dickinson and Company".
_PARTNERS = re.compile(r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?,[ \t]+[A-Z][a-z]+(?:-[A-Z][a-z]+)?,?[ \t]+and[ \t]+[A-Z][a-z]+\b")
# Words that look capitalised at the start of a suffixed match but are not part of a name.
_LEADING_NOISE = frozenset(["I", "We", "He", "She", "They", "You", "It", "My", "Our", "At", "In", "Of", "For", "From", "With", "By", "To", "On"])


class OrganizationDetector:
    """Company names that end in a legal form, and partnership names, as ORGANIZATION."""

    name = "organizations"

    def detect(self, text: str) -> list[Span]:
        """Every such name in `text`."""
        spans = []
        for match in _SUFFIXED.finditer(text):
            start = match.start()
            first = match.group().split(None, 1)
            if len(first) > 1 and first[0] in _LEADING_NOISE:
                start += len(first[0]) + (len(match.group()) - len(first[0]) - len(first[1]))
            # "My Company" is no name: after dropping the leading pronoun, a word must precede the legal form.
            if match.end() - start > 4 and not _LEGAL_FORM_ONLY.fullmatch(text, start, match.end()):
                spans.append(Span(start, match.end(), "ORGANIZATION", 0.7))
        spans.extend(Span(m.start(), m.end(), "ORGANIZATION", 0.6) for m in _PARTNERS.finditer(text))
        return spans


ORG_PARTS = frozenset({"ORGANIZATION", "PROPER_NOUN"})
MAX_JOIN_GAP_CHARS = 8
# Between two pieces of one name: spaces, slashes, dashes, dots, '&', and short codes ("2X", "1/1000", "N/%").
_JOIN_GAP = re.compile(r"(?:[ \t/&.+%-]|\b[A-Z0-9]{1,4}\b|\d+(?:[./]\d+)*)*")
# A legal form or code fragment right after an organisation ("Inc.", "CO.LTD.", "/GBP", "-ENER").
_TRAILING = re.compile(
    # a listed security first ("6.25% Senior Notes due 2028"), then legal forms, code fragments, short codes
    r"(?:[ \t]+\d+(?:\.\d+)?%(?:[ \t]+(?:[A-Z][\w.]*|due|of|\d{4}))*"
    rf"|,?[ \t]+(?:{_LEGAL_FORMS})(?!\w)|[/-][A-Z0-9][\w.]*(?<!\.)|[ \t]+[A-Z0-9]{{1,3}}\b(?![ \t]+[a-z]|[.,]\d))+"
)
# After an organisation written in capitals, the capitals go on ("ARLINGTON ASSET/7% RED PFD SH S B").
_TRAILING_CAPS = re.compile(r"(?:[ \t/-]+[A-Z0-9][A-Z0-9.&%/-]*(?![\w]))+")


def assemble_organizations(text: str, spans: list[Span]) -> list[Span]:
    """`spans` (sorted, non-overlapping) with touching organisation pieces joined and a following legal form taken in."""
    out: list[Span] = []
    for span in spans:
        previous = out[-1] if out else None
        if (
            previous is not None
            and span.entity_type in ORG_PARTS
            and previous.entity_type in ORG_PARTS
            and "ORGANIZATION" in (span.entity_type, previous.entity_type)
            and span.start - previous.end <= MAX_JOIN_GAP_CHARS
            and _JOIN_GAP.fullmatch(text, previous.end, span.start)
        ):
            out[-1] = Span(previous.start, span.end, "ORGANIZATION", max(previous.score, span.score))
            continue
        out.append(span)
    widened: list[Span] = []
    for index, span in enumerate(out):
        if span.entity_type == "ORGANIZATION":
            limit = out[index + 1].start if index + 1 < len(out) else len(text)
            tail = _TRAILING.match(text, span.end, limit)
            if tail:
                span = Span(span.start, tail.end(), span.entity_type, span.score)
            value = text[span.start : span.end]
            if value.isupper() and len(value) > 3:
                caps = _TRAILING_CAPS.match(text, span.end, limit)
                if caps:
                    span = Span(span.start, caps.end(), span.entity_type, span.score)
        widened.append(span)
    return widened
