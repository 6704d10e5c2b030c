"""A list of about 37,000 first names from many countries, loaded once, offline, to confirm a name NER missed.

The list is Jörg Michael's name dictionary as shipped in the PyPI package `gender-guesser`
(its data/nam_dict.txt); the file is read directly, the package is never imported. It
holds some ordinary words too ("Will", "May", "the"), so it only ever confirms a word that
spaCy already tags as a proper noun. If the package is missing, the list is empty: names
are then found by NER alone, as before (recall drops; nothing is sent that NER would catch).
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path

log = logging.getLogger(__name__)

NAMES_PACKAGE = "gender_guesser"
NAMES_FILE = ("data", "nam_dict.txt")
_NAME_COLUMNS = slice(3, 29)  # fixed-width: gender code, two spaces, the name padded to 26 characters

_names: frozenset[str] | None = None
_lock = threading.Lock()


def first_names() -> frozenset[str]:
    """Every first name in the list, lower-cased (empty if the data package is not installed)."""
    global _names
    if _names is None:
        with _lock:
            if _names is None:
                _names = _load()
    return _names


def is_first_name(word: str) -> bool:
    """Whether `word` (any case) is a first name in the list."""
    return word.lower() in first_names()


def _load() -> frozenset[str]:
    spec = importlib.util.find_spec(NAMES_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        log.warning("first-name list unavailable (pip install gender-guesser); names rely on NER alone")
        return frozenset()
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*NAMES_FILE)
    names = set()
    with path.open(encoding="utf-8") as source:
        for line in source:
            if line.startswith("#") or len(line) < _NAME_COLUMNS.stop:
                continue
            name = line[_NAME_COLUMNS].strip()
            # "Ann+Marie" marks a compound written with a space or a hyphen; the parts are listed on their own.
            if name and "+" not in name and " " not in name:
                names.add(name.lower())
    return frozenset(names)
