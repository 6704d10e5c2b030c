"""Gazetteers of country names and nationalities, matched in any case: NER misses "belarus", "usa", "djiboutians"."""

from __future__ import annotations

import re

from shared.privacy.spans import Span

# UN member states and common short forms; multi-word names first so the longest wins.
COUNTRIES = (
    "Afghanistan|Albania|Algeria|Andorra|Angola|Antigua and Barbuda|Argentina|Armenia|Australia|Austria|Azerbaijan|"
    "Bahamas|Bahrain|Bangladesh|Barbados|Belarus|Belgium|Belize|Benin|Bhutan|Bolivia|Bosnia and Herzegovina|Bosnia|"
    "Botswana|Brazil|Brunei|Bulgaria|Burkina Faso|Burundi|Cabo Verde|Cape Verde|Cambodia|Cameroon|Canada|"
    "Central African Republic|Chad|Chile|China|Colombia|Comoros|Congo|Costa Rica|Croatia|Cuba|Cyprus|Czechia|"
    "Czech Republic|Denmark|Djibouti|Dominica|Dominican Republic|Ecuador|Egypt|El Salvador|Equatorial Guinea|Eritrea|"
    "Estonia|Eswatini|Ethiopia|Fiji|Finland|France|Gabon|Gambia|Georgia|Germany|Ghana|Greece|Greenland|Grenada|"
    "Guatemala|Guinea-Bissau|Guinea|Guyana|Haiti|Honduras|Hong Kong|Hungary|Iceland|India|Indonesia|Iran|Iraq|"
    "Ireland|Israel|Italy|Ivory Coast|Jamaica|Japan|Jordan|Kazakhstan|Kenya|Kiribati|Kosovo|Kuwait|Kyrgyzstan|Laos|"
    "Latvia|Lebanon|Lesotho|Liberia|Libya|Liechtenstein|Lithuania|Luxembourg|Macau|Madagascar|Malawi|Malaysia|"
    "Maldives|Mali|Malta|Marshall Islands|Mauritania|Mauritius|Mexico|Micronesia|Moldova|Monaco|Mongolia|Montenegro|"
    "Morocco|Mozambique|Myanmar|Namibia|Nauru|Nepal|Netherlands|New Zealand|Nicaragua|Niger|Nigeria|North Korea|"
    "North Macedonia|Norway|Oman|Pakistan|Palau|Palestine|Panama|Papua New Guinea|Paraguay|Peru|Philippines|Poland|"
    "Portugal|Qatar|Romania|Russia|Rwanda|Saint Lucia|Samoa|San Marino|Saudi Arabia|Senegal|Serbia|Seychelles|"
    "Sierra Leone|Singapore|Slovakia|Slovenia|Solomon Islands|Somalia|South Africa|South Korea|South Sudan|Spain|"
    "Sri Lanka|Sudan|Suriname|Sweden|Switzerland|Syria|Taiwan|Tajikistan|Tanzania|Thailand|Timor-Leste|Togo|Tonga|"
    "Trinidad and Tobago|Tunisia|Turkey|Türkiye|Turkmenistan|Tuvalu|Uganda|Ukraine|United Arab Emirates|UAE|"
    "United Kingdom|UK|United States of America|United States|USA|Uruguay|Uzbekistan|Vanuatu|Vatican City|Venezuela|"
    "Vietnam|Yemen|Zambia|Zimbabwe"
)
_NAMES = sorted(COUNTRIES.split("|"), key=len, reverse=True)
_COUNTRY = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in _NAMES) + r")(?![\w-])", re.IGNORECASE)
# Short upper-case forms must stay upper-case: "uk" or "usa" in lower case are too often something else.
_CASE_SENSITIVE = frozenset({"UK", "UAE"})


class CountryDetector:
    """Country names in any case (short forms like UK only in capitals)."""

    name = "country"

    def detect(self, text: str) -> list[Span]:
        """Every country name in `text`."""
        spans = []
        for match in _COUNTRY.finditer(text):
            value = match.group()
            if value.upper() in _CASE_SENSITIVE and value != value.upper():
                continue
            spans.append(Span(match.start(), match.end(), "LOCATION", 0.7))
        return spans


# Nationalities and other demonyms (NRP); plurals in -s are matched too ("norwegians"), except for the -ese/-ish/-ch forms.
NATIONALITIES = (
    "Afghan|Albanian|Algerian|American|Andorran|Angolan|Argentine|Argentinian|Armenian|Australian|Austrian|"
    "Azerbaijani|Bahamian|Bahraini|Bangladeshi|Barbadian|Belarusian|Belgian|Belizean|Beninese|Bhutanese|Bolivian|"
    "Bosnian|Botswanan|Brazilian|British|Bruneian|Bulgarian|Burkinabe|Burmese|Burundian|Cambodian|Cameroonian|"
    "Canadian|Cape Verdean|Chadian|Chilean|Chinese|Colombian|Comoran|Congolese|Costa Rican|Croatian|Cuban|Cypriot|"
    "Czech|Danish|Djiboutian|Dominican|Dutch|Ecuadorian|Egyptian|Emirati|English|Eritrean|Estonian|Ethiopian|"
    "Fijian|Filipino|Finnish|French|Gabonese|Gambian|Georgian|German|Ghanaian|Greek|Greenlander|Greenlandic|"
    "Grenadian|Guatemalan|Guinean|Guyanese|Haitian|Honduran|Hungarian|Icelandic|Icelander|Indian|Indonesian|"
    "Iranian|Iraqi|Irish|Israeli|Italian|Ivorian|Jamaican|Japanese|Jordanian|Kazakh|Kenyan|Korean|Kosovar|Kuwaiti|"
    "Kyrgyz|Laotian|Latvian|Lebanese|Liberian|Libyan|Liechtensteiner|Lithuanian|Luxembourger|Luxembourgish|"
    "Macedonian|Malagasy|Malawian|Malaysian|Maldivian|Malian|Maltese|Mauritanian|Mauritian|Mexican|Moldovan|"
    "Monegasque|Mongolian|Montenegrin|Moroccan|Mozambican|Namibian|Nepalese|Nepali|New Zealander|Nicaraguan|"
    "Nigerian|Nigerien|Norwegian|Omani|Pakistani|Palestinian|Panamanian|Papua New Guinean|Papuan|Paraguayan|"
    "Peruvian|Polish|Portuguese|Qatari|Romanian|Russian|Rwandan|Salvadoran|Samoan|Saudi|Scottish|Senegalese|"
    "Serbian|Singaporean|Slovak|Slovakian|Slovenian|Solomon Islander|Somali|South African|Spanish|Sri Lankan|"
    "Sudanese|Surinamese|Swazi|Swedish|Swiss|Syrian|Taiwanese|Tajik|Tanzanian|Thai|Togolese|Tongan|Trinidadian|"
    "Tunisian|Turkish|Turkmen|Ugandan|Ukrainian|Uruguayan|Uzbek|Venezuelan|Vietnamese|Welsh|Yemeni|Zambian|"
    "Zimbabwean|Middle-Eastern|Middle Eastern|Arab|Hispanic|Latino|Latina|"
    # Nouns for a people that are not the adjective ("a Briton", "a Scot", "a Dutchwoman", "a Motswana").
    "Briton|Brit|Scot|Scotsman|Scotswoman|Scotsmen|Scotswomen|Englishman|Englishwoman|Englishmen|Englishwomen|"
    "Frenchman|Frenchwoman|Frenchmen|Frenchwomen|Irishman|Irishwoman|Irishmen|Irishwomen|Welshman|Welshwoman|"
    "Welshmen|Welshwomen|Dutchman|Dutchwoman|Dutchmen|Dutchwomen|Tswana|Motswana|Batswana|Basotho|Mosotho|Kiwi|"
    "Aussie|Pole|Dane|Finn|Swede|Turk|Greenlander|Faroese|Uzbekistani|Kazakhstani"
)
_NATIONALITY_NAMES = sorted(NATIONALITIES.split("|"), key=len, reverse=True)
_NATIONALITY = re.compile(
    r"(?<![\w-])(?:" + "|".join(re.escape(n).replace(r"\ ", r"\s?") for n in _NATIONALITY_NAMES) + r")(?:s)?(?![\w-])",
    re.IGNORECASE,
)
# Lower-case forms that are ordinary words too ("polish the floor"): only capitalised.
_CAPITALISED_ONLY = frozenset({"polish", "swiss", "thai", "arab", "kiwi", "pole", "dane", "finn", "turk", "brit"})


class NationalityDetector:
    """Nationalities and demonyms in any case, singular or plural (a few only when capitalised)."""

    name = "nationality"

    def detect(self, text: str) -> list[Span]:
        """Every nationality in `text`."""
        spans = []
        for match in _NATIONALITY.finditer(text):
            value = match.group()
            lower = value.lower()
            if (lower in _CAPITALISED_ONLY or lower[:-1] in _CAPITALISED_ONLY) and not value[:1].isupper():
                continue
            spans.append(Span(match.start(), match.end(), "NRP", 0.6))
        return spans


# A travel verb or "home city" right before a capitalised name: the name is a place ("flew to Samsø",
# "arrived at Vila Franca do Campo", "home city MÖLNDAL"), whether or not NER knows the town.
_PLACE_CUE = (
    r"\b(?:(?:flew|flown|fly|flies|flying|travell?ed|travell?ing|moved|moving|relocated|drove|returned|arrived|arriving|"
    r"headed|lives|lived|living|born|grew[ \t]+up)[ \t]+(?:back[ \t]+)?(?:to|in|at|into|from)"
    r"|home[ \t]?(?:city|town)|hometown|(?:city|town|village)[ \t]+of)[ \t]+"
)
_PLACE_WORD = r"[A-ZÀ-ÖØ-ÞĀ-ŽΑ-ΩА-Я][\w'’-]*"
# Small words inside town names ("Neustadt an der Weinstraße", "Loka pri Zidanem Mostu", "Vila Franca do Campo").
_PLACE_JOINER = r"(?:de|del|do|da|di|dos|das|la|le|les|du|des|der|den|an|am|im|pri|na|nad|pod|upon|sur|en|y|op|aan|bei)"
_CUED_PLACE = re.compile(
    rf"{_PLACE_CUE}(?P<place>(?:THE[ \t]+)?{_PLACE_WORD}(?:[ \t]+(?:{_PLACE_JOINER}[ \t]+)*{_PLACE_WORD}){{0,4}})"
)
# Capitalised words after a cue that are no place ("moved to I", "flew to Paris on Monday").
_NOT_PLACE_WORDS = frozenset(
    ["i", "the", "a", "an", "my", "our", "your", "his", "her", "their", "this", "that", "there", "here", "work", "school",
     "home", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
     "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
)  # fmt: skip


class CuedPlaceDetector:
    """A capitalised name right after a travel verb or 'home city' ('flew to Samsø'), as a place."""

    name = "cued_place"

    def detect(self, text: str) -> list[Span]:
        """Every such place in `text`."""
        spans = []
        for match in _CUED_PLACE.finditer(text):
            start, end = match.span("place")
            words = text[start:end].split()
            # Drop trailing words that are no place ("Samsø on Thursday" never matches, but "Paris Monday" may).
            while words and _no_place(words[-1]):
                words.pop()
            # "THE CHANNON": an article in capitals belongs to the name.
            first = words[1] if len(words) > 1 and words[0] == "THE" else (words[0] if words else "")
            if not first or _no_place(first):
                continue
            spans.append(Span(start, _end_of(text, start, words), "LOCATION", 0.6))
        return spans


def _no_place(word: str) -> bool:
    # "Monday's meeting" is no place either.
    return word.lower().removesuffix("'s").removesuffix("’s") in _NOT_PLACE_WORDS


def _end_of(text: str, start: int, words: list[str]) -> int:
    # Words may be separated by tabs or several spaces: find where the last kept word ends.
    position = start
    for word in words:
        position = text.index(word, position) + len(word)
    return position
