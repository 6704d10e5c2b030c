"""Validated pattern detectors: IBAN (mod-97), US SSN, IPv4/IPv6, MAC, URLs, dates of birth, street addresses.

Each one matches candidates with a regular expression and keeps only those that pass
a check (a checksum, a parser, a context word), so it stays precise on ordinary prose.
"""

from __future__ import annotations

import ipaddress
import re

from shared.privacy.addresses import addresses_by_context, postcodes_by_context
from shared.privacy.first_names import is_first_name
from shared.privacy.spans import Span

# --------------------------------------------------------------------------- IBAN

# Lengths by country (ISO 13616 registry); an IBAN of another length is not valid there.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
    "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21,
    "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27,
    "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24,
    "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def iban_valid(candidate: str) -> bool:
    """Whether `candidate` (no separators) is an IBAN: known country, its length, and mod-97 == 1."""
    iban = candidate.upper()
    if IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[2:4].isdigit():
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


class IbanDetector:
    """IBANs, compact or grouped by spaces/dashes, validated by country length and mod-97."""

    name = "iban"
    _pattern = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]){10,30}\b")

    def detect(self, text: str) -> list[Span]:
        """Every valid IBAN in `text`."""
        spans = []
        pos = 0
        while (match := self._pattern.search(text, pos)) is not None:
            raw = match.group()
            # The regex may run on into the next word; drop trailing groups until it validates.
            found = None
            cut = len(raw)
            while cut >= 15:
                piece = raw[:cut].rstrip(" -")
                if iban_valid(re.sub(r"[ -]", "", piece)):
                    found = piece
                    break
                cut = max(piece.rfind(" "), piece.rfind("-"))
                if cut <= 0:
                    break
            if found:
                spans.append(Span(match.start(), match.start() + len(found), "IBAN_CODE"))
                pos = match.start() + len(found)
            else:
                # Nothing valid starts here; an IBAN may start at a later word ("ref AB12 DE89 3704 ...").
                pos = match.start() + 1
        return spans


# --------------------------------------------------------------------------- SSN

_SSN_CONTEXT = re.compile(r"\b(?:ssn|social\s+security|social\s+sec|ss#|taxpayer|tin)\b", re.IGNORECASE)
CONTEXT_WINDOW_CHARS = 40  # how far before a candidate a context word still counts


def _has_context(text: str, start: int, pattern: re.Pattern[str], window: int = CONTEXT_WINDOW_CHARS) -> bool:
    return bool(pattern.search(text, max(0, start - window), start))


class SsnDetector:
    """US Social Security numbers: valid area/group/serial; unseparated ones need a context word unless `loose`."""

    name = "ssn"
    _pattern = re.compile(r"(?<![\w-])(\d{3})([- .]?)(\d{2})\2(\d{4})(?![\w-])")

    def __init__(self, loose: bool = True) -> None:
        self._loose = loose

    def detect(self, text: str) -> list[Span]:
        """Every plausible SSN in `text`."""
        spans = []
        for match in self._pattern.finditer(text):
            area, sep, group, serial = match.groups()
            if area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000":
                continue
            if not sep and not (self._loose or _has_context(text, match.start(), _SSN_CONTEXT)):
                continue
            spans.append(Span(match.start(), match.end(), "US_SSN", 0.9 if sep else 0.6))
        return spans


# --------------------------------------------------------------------------- network

class IpAddressDetector:
    """IPv4 and IPv6 addresses (with an optional port or prefix length), validated by `ipaddress`."""

    name = "ip"
    _v4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![\w.]*\d)")
    _v6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})(?:%\w+)?(?![\w:])")

    def detect(self, text: str) -> list[Span]:
        """Every valid IP address in `text`."""
        spans = []
        for match in self._v4.finditer(text):
            try:
                ipaddress.ip_interface(match.group())
            except ValueError:
                continue
            spans.append(Span(match.start(), match.end(), "IP_ADDRESS"))
        for match in self._v6.finditer(text):
            candidate = match.group().split("%")[0]
            if candidate.count(":") < 2 or not re.search(r"[0-9A-Fa-f]", candidate):
                continue
            try:
                ipaddress.IPv6Address(candidate)
            except ValueError:
                continue
            spans.append(Span(match.start(), match.end(), "IP_ADDRESS"))
        return spans


class MacAddressDetector:
    """MAC addresses: six hex pairs joined by ':' or '-', or Cisco's three dotted quads."""

    name = "mac"
    _pattern = re.compile(
        r"(?<![\w:-])(?:[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:-])"
    )

    def detect(self, text: str) -> list[Span]:
        """Every MAC address in `text`."""
        return [Span(m.start(), m.end(), "MAC_ADDRESS") for m in self._pattern.finditer(text)]


# Common generic and country TLDs; a bare "word.tld" counts as a domain only with one of these.
_TLDS = (
    "com|org|net|edu|gov|mil|int|io|ai|co|dev|app|info|biz|me|us|uk|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|pl|cz|ru|ua|"
    "cn|jp|kr|in|au|nz|ca|br|mx|ar|za|ie|pt|gr|tr|il|sg|hk|tw|vn|id|my|ph|th|xyz|online|site|tech|store|cloud|ly|gl|tv"
)


class UrlDetector:
    """URLs with a scheme or www., and bare domains with a known TLD (optionally with a path)."""

    name = "url"
    _pattern = re.compile(
        r"(?:(?:(?<=\\[nt])|\b)(?:https?|wss?|ftp|sftp|ssh|git|file|s3|gs)://[^\s<>\"'`\\]+"
        r"|\bwww\.[^\s<>\"'`\\]+"
        r"|(?<![\w@.-])(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)+(?:" + _TLDS + r")\b(?![.@-]?\w)(?:[/?#][^\s<>\"'`\\]*)?)",
        re.IGNORECASE,
    )

    def detect(self, text: str) -> list[Span]:
        """Every URL or domain in `text`, without trailing punctuation."""
        spans = []
        for match in self._pattern.finditer(text):
            value = match.group()
            trimmed = value.rstrip(".,;:!?)]}'\"")
            # Keep a closing parenthesis that closes one opened inside the URL (Wikipedia links).
            if value[len(trimmed) : len(trimmed) + 1] == ")" and trimmed.count("(") > trimmed.count(")"):
                trimmed += ")"
            if len(trimmed) < 4:
                continue
            spans.append(Span(match.start(), match.start() + len(trimmed), "URL", 0.8))
        return spans


# --------------------------------------------------------------------------- dates

_MONTHS = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
DATE_PATTERN = re.compile(
    r"\b(?:"
    r"\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"  # 12/31/1990, 31.12.90
    r"|\d{4}[/.-]\d{1,2}[/.-]\d{1,2}"  # 1990-12-31
    r"|\d{1,2}(?:st|nd|rd|th)?(?:\s+of)?\s+" + _MONTHS + r",?\s+\d{4}"  # 31st of December, 1990
    r"|" + _MONTHS + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"  # December 31, 1990
    r")\b",
    re.IGNORECASE,
)
_TIMESTAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
# A year after a word that places an event in time ("founded in 1970", "the Act of 1993", "a 2020 film"):
# with a birth, a job or a move, a year narrows down who someone is.
_YEAR_IN_CONTEXT = re.compile(
    r"\b(?:in|since|of|from|until|till|by|during|around|circa|a|an|the|year|early|late|mid|between|and)[ \t]+"
    r"((?:1[89]|20)\d{2})\b(?![-/.:]\d|[ \t]*(?:%|\$|€|£|people|users|items|dollars|euros|usd|eur|km|kg|mb|gb|ms|px|words|tokens))",
    re.IGNORECASE,
)
_DOB_CONTEXT = re.compile(r"\b(?:born|birth|birthday|dob|d\.o\.b|b\.|date\s+of\s+birth|birthdate|age|aged)\b", re.IGNORECASE)
DOB_CONTEXT_WINDOW_CHARS = 48


class DateOfBirthDetector:
    """Dates near a birth context word ('born', 'DOB', ...); with `all_dates`, every full date."""

    name = "date_of_birth"

    def __init__(self, all_dates: bool = False, numeric_dates: bool = False) -> None:
        self._all = all_dates
        self._numeric = numeric_dates

    def detect(self, text: str) -> list[Span]:
        """Every date of birth (or date) in `text`."""
        spans = []
        for match in DATE_PATTERN.finditer(text):
            if _has_context(text, match.start(), _DOB_CONTEXT, DOB_CONTEXT_WINDOW_CHARS):
                spans.append(Span(match.start(), match.end(), "DATE_OF_BIRTH"))
            elif self._all or (self._numeric and match.group()[:1].isdigit() and not any(c.isalpha() for c in match.group())):
                spans.append(Span(match.start(), match.end(), "DATE_TIME", 0.5))
        if self._all or self._numeric:
            spans.extend(Span(m.start(), m.end(), "DATE_TIME", 0.6) for m in _TIMESTAMP.finditer(text))
            spans.extend(Span(m.start(1), m.end(1), "DATE_TIME", 0.5) for m in _YEAR_IN_CONTEXT.finditer(text))
        return spans


# --------------------------------------------------------------------------- addresses

# A word starts after a non-word character, or right after a literal "\\n" / "\\t" escape (JSON, code).
_WORD_START = r"(?:(?<=\\[nt])|\b)"
# USPS street suffixes (Publication 28, common forms) and their abbreviations.
_STREET_SUFFIXES = (
    "Alley|Aly|Annex|Arcade|Avenue|Ave|Av|Bayou|Beach|Bend|Bluffs?|Bottom|Boulevard|Blvd|Branch|Bridge|Brooks?|"
    "Burgs?|Bypass|Camp|Canyon|Cape|Causeway|Center|Ctr|Centers|Circles?|Cir|Cliffs?|Club|Common|Corners?|Course|"
    "Courts?|Ct|Coves?|Creek|Crescent|Cres|Crest|Crossing|Crossroad|Curve|Dale|Dam|Divide|Drives?|Dr|Estates?|"
    "Expressway|Expy|Extensions?|Falls?|Ferry|Fields?|Flats?|Fords?|Forest|Forges?|Forks?|Fort|Freeway|Fwy|Gardens?|"
    "Gateway|Glens?|Greens?|Groves?|Harbors?|Haven|Heights|Hts|Highway|Hwy|Hills?|Hollow|Inlet|Islands?|Isle|"
    "Junctions?|Keys?|Knolls?|Lakes?|Land|Landing|Lane|Ln|Light|Lights|Loaf|Locks?|Lodge|Loop|Mall|Manors?|Meadows?|"
    "Mews|Mill|Mills|Mission|Motorway|Mount|Mountains?|Mtn|Neck|Orchard|Oval|Overpass|Park|Parks|Parkway|Pkwy|"
    "Pass|Passage|Path|Pike|Pines?|Place|Pl|Plains?|Plaza|Plz|Points?|Ports?|Prairie|Radial|Ramp|Ranch|Rapids?|Rest|"
    "Ridges?|River|Road|Rd|Roads|Route|Rte|Row|Rue|Run|Shoals?|Shores?|Skyway|Springs?|Spurs?|Squares?|Sq|Station|"
    "Sta|Stravenue|Streams?|Street|St|Str|Streets|Summit|Terrace|Ter|Throughway|Trace|Track|Trafficway|Trail|Trl|"
    "Trailer|Tunnel|Turnpike|Tpke|Underpass|Unions?|Valleys?|Viaduct|Views?|Villages?|Ville|Vista|Walks?|Wall|Way|"
    "Ways|Wells?|Close|Rise|Parade|Promenade|Esplanade|Quay|Wharf|Chase|Grange|Vale|Wynd"
)
_SECONDARY = r"(?:,?\s+(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Room|Rm\.?|Floor|Fl\.?|#)\s*[A-Za-z0-9-]+)?"
_CITY_STATE_ZIP = r"(?:,?\s+(?:[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2},?\s+)?[A-Z]{2}\s+\d{5}(?:-\d{4})?)?"
ADDRESS_PATTERN = re.compile(
    _WORD_START + r"\d{1,6}[A-Za-z]?\s+(?:(?:[NSEW]|North|South|East|West|N\.|S\.|E\.|W\.)\s+)?"
    r"(?:(?:[A-Z][A-Za-z'’.-]*|\d{1,3}(?:st|nd|rd|th))\s+){1,4}"
    r"(?:" + _STREET_SUFFIXES + r")\b\.?(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b\.?)?" + _SECONDARY + _CITY_STATE_ZIP,
)
# A PO box, and a US "City, ST 12345" tail that stands alone.
_PO_BOX = re.compile(_WORD_START + r"P\.?\s?O\.?\s+Box\s+\d+\b", re.IGNORECASE)
_CITY_ZIP = re.compile(_WORD_START + r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2},\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?\b")
_UK_POSTCODE = re.compile(_WORD_START + r"[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b")


class StreetAddressDetector:
    """Street addresses: a number, capitalised street words and a USPS suffix, with unit and 'City, ST 12345'."""

    name = "street_address"

    def detect(self, text: str) -> list[Span]:
        """Every street address, PO box, US city/ZIP line or UK postcode in `text`."""
        spans = [Span(m.start(), m.end(), "STREET_ADDRESS") for m in ADDRESS_PATTERN.finditer(text)]
        spans.extend(postcodes_by_context(text))
        for pattern in (_PO_BOX, _CITY_ZIP, _UK_POSTCODE):
            spans.extend(Span(m.start(), m.end(), "STREET_ADDRESS", 0.7) for m in pattern.finditer(text))
        return spans


# International street forms: a street word first ("Via Roma 12", "Rue de la Paix 5") or a German compound.
_STREET_FIRST = re.compile(
    _WORD_START + r"(?:Via|Viale|Piazza|Corso|Largo|Rua|Rúa|R\.|C/|Travessa|Praça|Trg|Plac|Aleja|Al\.|Avenida|Av\.|Calle|Carrer|Paseo|Rue|Chemin|Boulevard|Allée|Place|"
    r"Straße|Strasse|Ulica|ul\.|Calea|Strada)\s+(?:(?:[a-z]{1,3}\s+){0,2}[A-ZÀ-Ý][\w'’.-]*\s+){1,4}\d{1,5}[A-Za-z]?\b"
)
_STREET_COMPOUND = re.compile(_WORD_START + r"[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer)\s+\d{1,5}[a-z]?\b")
_UNIT_ALONE = re.compile(_WORD_START + r"(?:Apt\.?|Apartment|Suite|Ste\.)\s*#?\d{1,5}[A-Za-z]?\b")


class InternationalAddressDetector:
    """Street addresses in continental forms (street word first, or a German compound), lone apartment/suite
    numbers, and whatever an address cue introduces ('my new address is ...')."""

    name = "intl_address"

    def detect(self, text: str) -> list[Span]:
        """Every such address part in `text`."""
        spans = [
            Span(m.start(), m.end(), "STREET_ADDRESS", 0.8)
            for pattern in (_STREET_FIRST, _STREET_COMPOUND, _UNIT_ALONE)
            for m in pattern.finditer(text)
        ]
        spans.extend(addresses_by_context(text))
        return spans


# Digit groups that read as a phone number in any national format: 7-15 digits in 2+ groups, or 10-11 together.
# Before a number: not a word character, unless it is a literal "\n" / "\t" escape from code or JSON.
_NUMBER_START = r"(?:(?<=\\[nt])|(?<![\w.,/:-]))"
_LOOSE_PHONE = re.compile(
    _NUMBER_START
    + r"(?:(?:\+|00)?\(?\d{1,4}\)?(?:[ .-]?\(?\d{1,8}\)?){1,6}(?:\s?(?:x|ext\.?)\s?\d{1,5})?|\+\d{8,15})"
    + r"(?![\w,/:]|[.-]\d)"
)


# A phone word may follow a literal "\n" escape ("Info:\nPhone:"), where \b sees no word boundary.
_PHONE_WORDS = re.compile(
    r"(?:\b|(?<=\\[nt]))(?:call|phone|tel|telephone|mobile|cell|fax|office|registered|number|whatsapp|sms|text|messages?)\b",
    re.IGNORECASE,
)
PHONE_CONTEXT_CHARS = 30


def _near_phone_word(text: str, start: int, end: int) -> bool:
    """Whether a phone word sits just before or just after text[start:end] (short national numbers need one)."""
    return bool(
        _PHONE_WORDS.search(text, max(0, start - PHONE_CONTEXT_CHARS), start)
        or _PHONE_WORDS.search(text, end, min(len(text), end + PHONE_CONTEXT_CHARS))
    )


class LoosePhoneDetector:
    """Phone-like digit groups that libphonenumber cannot validate without knowing the country."""

    name = "loose_phone"

    def detect(self, text: str) -> list[Span]:
        """Every phone-like number in `text`."""
        spans = []
        for match in _LOOSE_PHONE.finditer(text):
            digits = sum(c.isdigit() for c in match.group())
            short_ok = digits == 6 and _near_phone_word(text, match.start(), match.end())
            if 7 <= digits <= 15 or short_ok:
                spans.append(Span(match.start(), match.end(), "PHONE_NUMBER", 0.5))
        return spans


_AGE = re.compile(
    r"\b(?:aged?\s*:?\s*\d{1,3}\b|age\s+of\s+\d{1,3}\b|turn(?:ed|s|ing)?\s+\d{1,3}\b|\d{1,3}[ -](?:years?|yrs?)[ -]old\b"
    r"|\d{1,3}\s*y/?o\b"
    # "he was 21" only when the number ends the clause, not "he was 21 minutes late".
    r"|(?:I|he|she|they|we|you)\s+(?:was|is|am|are|were)\s+\d{1,3}(?=\s*(?:[.,;!?)]|$|\s+(?:and|but|when|now)\b)))",
    re.IGNORECASE,
)
# A lower-case title counts only with its full stop ("with ms. Florence"; "in ms Word" is no name).
_TITLED_NAME = re.compile(r"\b(?:(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Dame|Madam|Mme|Mlle|Herr|Frau)\.?|(?:mr|mrs|ms|mx|dr|prof)\.)\s+[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’-]+(?:\s+[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’-]+){0,2}")


# "Wiktor H Ek", "Inunnguaq J. Kristiansen": a given name, a middle initial, a family name.
_INITIALED_NAME = re.compile(r"\b([A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’-]+)[ \t]+[A-Z]\.?[ \t]+[A-ZÀ-ÖØ-Þ][\w'’-]*[a-zà-öø-ÿ][\w'’-]*")


class AgeAndTitleDetector:
    """Ages ('aged 42', '42 years old') and honorific-led names ('Mrs. Jane Roe')."""

    name = "age_title"

    def detect(self, text: str) -> list[Span]:
        """Every age and titled name in `text`."""
        spans = [Span(m.start(), m.end(), "AGE", 0.8) for m in _AGE.finditer(text)]
        spans.extend(Span(m.start(), m.end(), "PERSON", 0.8) for m in _TITLED_NAME.finditer(text))
        # Only after a known first name: "Vitamin D Supplements" has the same shape.
        spans.extend(Span(m.start(), m.end(), "PERSON", 0.7) for m in _INITIALED_NAME.finditer(text) if is_first_name(m.group(1)))
        return spans


_CARD_CONTEXT = re.compile(r"\b(?:card|cc|credit|debit|visa|master\s?card|amex|maestro|pan)\b", re.IGNORECASE)
_CARD_LIKE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){11,18}(?![\w-])")
_ID_NUMBER = re.compile(
    r"\b(?:licen[cs]e|passport|account|acct|member(?:ship)?|policy|customer|employee|patient|student|tax|national\s+id|id)"
    r"\s*(?:number|no\.?|num|#|id)?\s*(?:is|:|=)?\s*#?([A-Za-z]{0,3}\d[A-Za-z0-9-]{4,19})\b",
    re.IGNORECASE,
)


class ContextNumberDetector:
    """Numbers that a context word marks as private: card numbers failing Luhn after 'card', and ID numbers."""

    name = "context_number"

    def detect(self, text: str) -> list[Span]:
        """Every card-like number after a card word, and every ID after a licence/passport/account word."""
        spans = [
            Span(m.start(), m.end(), "CREDIT_CARD", 0.6)
            for m in _CARD_LIKE.finditer(text)
            if _has_context(text, m.start(), _CARD_CONTEXT)
        ]
        spans.extend(Span(m.start(1), m.end(1), "ID_NUMBER", 0.6) for m in _ID_NUMBER.finditer(text))
        return spans


# Home directories name their user: /home/ada/..., /Users/ada/..., C:\\Users\\ada\\...
_USER_PATH = re.compile(
    r"(?:(?<![\w/])/(?:home|Users|user|usr/home)/[^\s/\"'“”]+(?:/[^\s\"'“”<>]*)?"
    r"|\b[A-Za-z]:\\(?:Users|Documents and Settings)\\[^\s\\\"'“”]+(?:\\[^\s\"'“”<>]*)?)",
    re.IGNORECASE,
)
# Mixed letter/digit identifiers: customer, order or member numbers such as c2048537720, AB-1234567.
_CODE_ID = re.compile(r"(?<![\w-])[A-Za-z]{1,4}[-_]?\d{6,}(?![\w-])")
# Social handles and user@host without a domain suffix.
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_]{3,30}\b(?!\.\w)|\b[A-Za-z0-9._-]{2,}@[A-Za-z0-9_-]{2,}\b(?![.@]\w)")


class AccountDetector:
    """Traces of an account: home-directory paths, mixed letter/digit IDs, @handles and user@host names."""

    name = "account"

    def detect(self, text: str) -> list[Span]:
        """Every user path, code-like ID and handle in `text`."""
        spans = [Span(m.start(), m.end(), "FILE_PATH", 0.7) for m in _USER_PATH.finditer(text)]
        spans.extend(Span(m.start(), m.end(), "ID_NUMBER", 0.6) for m in _CODE_ID.finditer(text))
        spans.extend(Span(m.start(), m.end(), "USERNAME", 0.6) for m in _HANDLE.finditer(text))
        return spans
