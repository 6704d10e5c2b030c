"""Job titles in the places that name someone's job: a signature line, "Name, the X, said", "work as X".

A title is a head noun from a list of occupations ("operator", "nurse", "technologist") and
up to five modifier words before it ("Textile knitting and weaving machine operator"). A title
in running prose ("the engineer fixed it") is left alone: only these placements tie it to a person.
"""

from __future__ import annotations

import re

from shared.privacy.spans import Span

_HEADS = (
    "clerk|technician|chef|cook|collector|nurse|operator|repairer|reporter|technologist|specialist|tender|engineer|"
    "manager|officer|assistant|analyst|designer|developer|teacher|scientist|consultant|director|accountant|architect|"
    "attorney|lawyer|pharmacist|therapist|surgeon|physician|doctor|dentist|editor|writer|producer|planner|coordinator|"
    "administrator|supervisor|inspector|mechanic|electrician|plumber|installer|worker|driver|pilot|programmer|"
    "librarian|counselor|counsellor|psychologist|psychiatrist|economist|statistician|surveyor|auditor|broker|agent|"
    "buyer|cashier|baker|butcher|carpenter|welder|machinist|assembler|fitter|setter|cutter|sorter|packer|loader|"
    "handler|helper|aide|attendant|representative|salesperson|secretary|receptionist|paralegal|curator|archivist|"
    "translator|interpreter|journalist|photographer|artist|musician|composer|dancer|actor|hygienist|paramedic|"
    "midwife|veterinarian|optometrist|dietitian|nutritionist|chemist|physicist|biologist|geologist|investigator|"
    "detective|guard|firefighter|trainer|coach|instructor|professor|lecturer|tutor|researcher|executive|"
    "landscaper|gardener|janitor|housekeeper|cleaner|dispatcher|controller|estimator|appraiser|underwriter|adjuster|"
    "examiner|teller|banker|trader|advisor|adviser|strategist|scheduler|drafter|tester|maker|smith|finisher|polisher|"
    "caretaker|closer|keeper|sitter|groomer|porter|courier|clerk|runner|cook|server|bartender|waiter|waitress|host|"
    "hostess|usher|steward|stewardess|conductor|operator|mover|roofer|mason|painter|plasterer|glazier|upholsterer"
)
_MODIFIER = r"[A-Za-z][a-z'’-]*"
# Up to five modifiers (with "and" or a comma between two of them), then the head noun.
_TITLE = rf"(?:{_MODIFIER}(?:,?[ \t]+(?:and[ \t]+)?|[ \t]+)){{0,5}}?(?i:{_HEADS})s?"
# Room for the employer between "work for" and "as" (long fund names run to 70 characters).
MAX_EMPLOYER_CHARS = 90
_LINE_BREAK = r"(?:^|\n|\\n|\}\}[ \t]*|\?\?\?[ \t]*)"
_PLACEMENTS = re.compile(
    # A line that is only a title (signatures, letter-heads, CVs).
    rf"(?:{_LINE_BREAK}[ \t]*(?P<line>{_TITLE})[ \t]*(?=\\n|\n|$))"
    # "Zarita Akhtakhanov, the Psychiatric technician, said"
    rf"|(?:,[ \t]+the[ \t]+(?P<apposition>{_TITLE})(?=[ \t]*,))"
    # "work for UBS as Occupational health nurse", "works as a food technologist"; a full stop followed
    # by a lower-case word ends an abbreviation, not the sentence ("work for Acme Inc. as Craft artist").
    rf"|(?:\b(?:work|works|worked|working|job|employed|hired|position)\b(?:[^.\n]|\.(?=\S|[ \t]+[a-z])){{0,{MAX_EMPLOYER_CHARS}}}?"
    rf"\bas[ \t]+(?:an?[ \t]+)?(?P<role>{_TITLE})\b)",
    re.MULTILINE,
)
# Words that may precede a head noun in prose but are no part of a title.
_NOT_MODIFIERS = frozenset(["the", "a", "an", "as", "is", "was", "my", "his", "her", "their", "our", "your", "and", "of"])


class JobTitleDetector:
    """Job titles on a line of their own, in an apposition after a name, or after 'work(s) as'."""

    name = "job_title"

    def detect(self, text: str) -> list[Span]:
        """Every such title in `text`."""
        spans = []
        for match in _PLACEMENTS.finditer(text):
            group = next(g for g in ("line", "apposition", "role") if match.group(g) is not None)
            start, end = match.span(group)
            words = text[start:end].split()
            # A lazy match may still open on a function word ("and loading machine operator" is fine, "the" is not).
            while len(words) > 1 and words[0].lower().strip(",") in _NOT_MODIFIERS - {"and"}:
                start = text.index(words[1], start + len(words[0]))
                words = words[1:]
            spans.append(Span(start, end, "TITLE", 0.6))
        return spans
