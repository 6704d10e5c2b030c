"""Street addresses in forms the US pattern misses: military mail, and streets whose house number comes after the name.

"Unit 3848 Box 3726 DPO AE 51928", "USS Lindqvist FPO AE 67601" (US military mail);
"750 Wilgenlaan 40", "Bécsi utca 35.", "Orrspelsv 49" after "on"/"at" (continental European
forms, where the number follows the street name and a building number may come first).
A street name is one to five words, each capitalised or a short lower-case particle
("de", "út", "ul."); the assembly step (addresses.py) then adds the unit, city and postcode.
"""

from __future__ import annotations

import re

from shared.privacy.spans import Span

# A number or word starts after a non-word character, or right after a literal "\\n" / "\\t" escape.
_START = r"(?:(?<=\\[nt])|(?<![\w.,/:-]))"
_MILITARY = re.compile(
    _START
    + r"(?:(?:Unit|PSC)[ \t]+\d{3,5},?[ \t]+Box[ \t]+\d{3,5}|(?:USNS|USNV|USS|USCGC)[ \t]+[^\W\d_][\w'’-]*)"
    r"(?:[ \t,]|\\n|\n)+[ADF]PO[ \t]+A[AEP][ \t]+\d{5}\b",
    re.IGNORECASE,
)

# One word of a street name: capitalised (any script), or a lower-case particle or street word. Particles are
# listed, not "any short word": "at 3 PM on 5" must not read as a street.
_CAP_WORD = r"[A-ZÀ-ÖØ-ÞĀ-ŽΑ-ΩА-Я][\w'’-]*\.?"
_PARTICLE = r"(?:de|del|della|di|da|do|dos|das|du|des|la|le|les|los|las|van|von|der|den|het|y|el|sur|im|bei|pri|na|nad|pod|út|u\.|ul\.|χλμ|utca|körút|krt\.|ulica|gate|gata|gatan|vej|veg|vei|vegur|väg|vägen|rue|terrasse|avenue|avenida|boulevard|allee|allé|straße|strasse)"
_STREET_WORD = rf"(?:{_CAP_WORD}|{_PARTICLE})"
_HOUSE_NUMBER = r"\d{1,5}[A-Za-z]?\b\.?"

# A building number, (a second number), a street name that starts with a capital or a particle, a house number.
_NUMBER_NAME_NUMBER = re.compile(
    _START
    + rf"\d{{1,6}}[ \t]+(?:\d{{1,4}}[ \t]+)?(?:{_CAP_WORD}|{_PARTICLE}[ \t]+{_CAP_WORD})(?:[ \t]+{_STREET_WORD}){{0,4}}[ \t]+{_HOUSE_NUMBER}"
)
# Street-type words of Nordic, Dutch, German, Hungarian, Slavic and Baltic addresses, as a word or a word ending.
_STREET_ENDINGS = (
    "vej|vejen|vägen|väg|veien|vegen|veg|vei|gata|gatan|gate|gaten|stræde|stræti|straeti|stígur|braut|vegur|gränd|"
    "laan|straat|weg|plein|hof|gracht|singel|kade|dreef|steeg|pad|"
    "straße|strasse|str\\.|gasse|platz|allee|ring|damm|ufer|"
    "utca|út|u\\.|körút|krt\\.|tér|sor|"
    "ulica|ul\\.|cesta|ulice|nábřeží|náměstí|"
    "tie|katu|kuja|polku|tänav|põik|iela|gatvė|bakken|stien|rakpart|etorbidea|kalea"
)
_ENDING_STREET = re.compile(
    rf"\b(?:{_CAP_WORD}[ \t]+){{0,3}}[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’-]*(?:{_STREET_ENDINGS})(?:[ \t]+{_PARTICLE})?[ \t]+{_HOUSE_NUMBER}"
    rf"|\b(?:{_CAP_WORD}[ \t]+){{1,3}}(?:{_STREET_ENDINGS})[ \t]+{_HOUSE_NUMBER}"
)
# "The bus station is on Escuadro 26", "lives at Baarlandhof 68": a name and a number after a place preposition.
_AFTER_PREPOSITION = re.compile(
    rf"(?<=\b(?:on|at)[ \t])(?:the[ \t]+\w+[ \t]+side[ \t]+of[ \t]+)?{_CAP_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_CAP_WORD}){{0,2}}[ \t]+\d{{1,4}}\b"
    r"(?![.:,/]\d|[ \t]*(?:%|am\b|pm\b|a\.m|p\.m|percent|minutes?|hours?|days?|years?|times?|people|items?))"
)

# "the corner of Põllu 59 and Teruyoshi Courts": two streets, up to the end of the clause.
_CORNER = re.compile(
    r"(?:(?<=\\[nt])|\b)(?:the[ \t]+)?corner[ \t]+of[ \t]+(?:[^.,;:!?\n\\]|\.(?=[ \t])){2,60}?[ \t]+and[ \t]+[^.,;:!?\n\\]{2,40}?(?=[ \t]*(?:[.,;:!?\n\\]|$))",
    re.IGNORECASE,
)
# French and Belgian order: number, street word, name ("46 rue Nationale", "12, avenue de la Gare").
_NUMBER_STREET_WORD_NAME = re.compile(
    _START
    + r"\d{1,5}(?:[ \t]*(?:bis|ter))?,?[ \t]+(?i:rue|avenue|av\.|boulevard|bd|allée|chemin|impasse|quai|route|cours)[ \t]+"
    + rf"(?:(?:de|du|des|la|le|l'|d')[ \t]*)*{_CAP_WORD}(?:[ \t]+(?:{_CAP_WORD}|de|du|des|la|le))*"
)


class StreetFormsDetector:
    """Military mail addresses and continental street forms (name then number), as STREET_ADDRESS."""

    name = "street_forms"

    def detect(self, text: str) -> list[Span]:
        """Every such address in `text`."""
        spans = [Span(m.start(), m.end(), "STREET_ADDRESS", 0.85) for m in _MILITARY.finditer(text)]
        for pattern in (_NUMBER_NAME_NUMBER, _ENDING_STREET, _AFTER_PREPOSITION, _CORNER, _NUMBER_STREET_WORD_NAME):
            spans.extend(Span(m.start(), m.end(), "STREET_ADDRESS", 0.7) for m in pattern.finditer(text))
        return spans
