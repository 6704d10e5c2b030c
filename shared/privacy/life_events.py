"""People named by what they do: the subject of a life event ('Fenton began writing as a teenager',
'Tuomo lives on Metsanurga 48') and the person addressed at the start of a request ('Demelza, can I ...').

These catch names that no list holds and that spaCy misreads at the start of a sentence. Only a
capitalised word that is no English function word counts, and only in these placements.
"""

from __future__ import annotations

import re

from shared.privacy.spacy_import import import_spacy
from shared.privacy.spans import Span


def _english_stop_words() -> frozenset[str]:
    import_spacy()  # `spacy.lang.en` imports the spacy package first; this way it comes without its CLI
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


STOP_WORDS = _english_stop_words()

_START = r"(?:^|(?<=[.!?])[ \t]+|(?<=\n)|(?<=\\n)|(?<=\}\})[ \t]*)"
_NAME = r"(?P<name>[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’-]+)"
# Life events only a person has: starting an art or a trade, living at a numbered address or in a town.
_EVENTS = (
    r"(?:began|begins|started|starts)[ \t]+(?:writing|working|studying|painting|performing|acting|singing|composing|"
    r"drawing|teaching|coaching|competing|modelling|modeling|recording|directing|designing)\b"
    r"|(?:lives|lived|resides|resided)[ \t]+(?:on|at)\b(?=[^.\n]{0,40}\d)"  # "lives on Ártún 58 street"
    r"|(?:lives|lived|resides|resided|grew[ \t]+up|was[ \t]+born)[ \t]+in[ \t]+[A-ZÀ-ÖØ-ÞĀ-Ž]"
    r"|spent[ \t]+(?:a|one|two|three|several|many)[ \t]+(?:year|month|week|summer|semester)s?[ \t]+(?:at|in|with)\b"
)
_LIFE_EVENT = re.compile(rf"{_START}{_NAME}[ \t]+(?:{_EVENTS})", re.MULTILINE)
# "Demelza, can I please speak to your boss?": a request opening with the name of whoever is addressed.
_VOCATIVE = re.compile(rf"{_START}{_NAME},[ \t]+(?:can|could|would|will)[ \t]+(?:I|you|we)\b", re.MULTILINE)
# Capitalised openers that address no one ("Hello, can you ...", "Sorry, could I ...").
_NOT_NAMES = frozenset(
    ["hello", "hi", "hey", "thanks", "thank", "sorry", "please", "ok", "okay", "yes", "no", "well", "so", "now",
     "also", "however", "honestly", "seriously", "listen", "look", "excuse", "guys", "everyone", "folks", "sir",
     "madam", "friends", "team", "all", "today", "tomorrow", "yesterday", "then", "first", "second", "finally",
     "next", "lastly", "alternatively", "additionally", "sure", "great", "good", "fine", "right", "wait", "oh", "ah",
     "dear", "darling", "honey", "mom", "dad", "mum", "doctor", "teacher", "officer", "boss", "chatgpt", "assistant",
     "bot", "computer", "siri", "alexa"]
)  # fmt: skip


class LifeEventNameDetector:
    """A capitalised word that is the subject of a life event or opens a request by addressing someone."""

    name = "life_event_name"

    def detect(self, text: str) -> list[Span]:
        """Every such name in `text`."""
        spans = []
        for pattern in (_LIFE_EVENT, _VOCATIVE):
            for match in pattern.finditer(text):
                word = match.group("name").lower()
                if word in STOP_WORDS or word in _NOT_NAMES:
                    continue
                spans.append(Span(match.start("name"), match.end("name"), "PERSON", 0.6))
        return spans
