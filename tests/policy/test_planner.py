"""Sub-query planning: snippet selection, multi-part splitting, and the declarative plan schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.planner import (
    CLOUD_SYSTEM_PROMPT,
    ContextDoc,
    Plan,
    bm25_scores,
    build_plan,
    parse_plan,
    plan_subquery,
    render_plan,
    sanitize_request,
    select_snippets,
    split_questions,
)
from edge.privacy import PrivacyFilter, Vault
from shared.config import PrivacySettings
from shared.errors import InvalidRequest
from shared.privacy import DEFAULT_DETECTORS

FILLER = [
    "The quarterly report notes that Lyon office traffic rose slightly after the renovation.",
    "A reminder that badges must be worn at all times inside the Legal wing.",
    "The cafeteria will serve green curry on Tuesdays starting next month.",
    "IT will update the laptops in the Design team overnight; please leave them plugged in.",
    "The travel policy allows economy class for flights under 6 hours.",
]
NEEDLE = "The access code for the river depot is 7712."


def long_context() -> str:
    lines = FILLER * 4
    lines.insert(9, NEEDLE)
    return "\n\n".join(" ".join(lines[i:i + 3]) for i in range(0, len(lines), 3))


def test_bm25_prefers_the_sentence_that_shares_rare_terms() -> None:
    scores = bm25_scores("access code river depot", [*FILLER, NEEDLE])
    assert scores.index(max(scores)) == len(FILLER)


def test_long_context_sends_only_the_relevant_snippet() -> None:
    context = long_context()
    snippets = select_snippets("What is the access code for the river depot?", context)
    assert NEEDLE in snippets
    assert sum(len(s) for s in snippets) < 0.3 * len(context)


def test_short_context_goes_whole() -> None:
    record = "Name: Alice Moreno\nEmployee ID: 48213"
    assert select_snippets("What is the employee ID?", record) == [record]


def test_no_match_falls_back_to_the_whole_context() -> None:
    context = long_context()
    assert select_snippets("zzz qqq", context) == [context]


def test_multi_part_requests_split_into_questions() -> None:
    assert split_questions("What is the capital of Peru? And who manages the river depot?") == [
        "What is the capital of Peru?",
        "who manages the river depot?",
    ]
    assert split_questions("Summarize this note.") == ["Summarize this note."]


def test_plan_subquery_is_small_sanitized_and_validated(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "vault.db")
    try:
        privacy = PrivacyFilter(PrivacySettings(), vault, DEFAULT_DETECTORS)
        context = long_context() + "\n\nQuestions go to dana.reyes@example.com about the river depot."
        request = sanitize_request(privacy, "s1", "What is the access code for the river depot?",
                                   [ContextDoc("notes.txt", context)])
        subquery = plan_subquery(request)
    finally:
        vault.close()
    assert subquery.messages[0] == ("system", CLOUD_SYSTEM_PROMPT)
    assert NEEDLE in subquery.sent_text and "[notes.txt]" in subquery.sent_text
    assert "dana.reyes@example.com" not in subquery.all_text  # pseudonymized before planning
    assert len(subquery.sent_text) < 0.3 * len(context)
    assert subquery.plan is not None and Plan.model_validate_json(subquery.plan.model_dump_json()) == subquery.plan


def test_build_plan_gives_each_part_its_own_snippets(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "vault.db")
    try:
        request = sanitize_request(PrivacyFilter(PrivacySettings(), vault, DEFAULT_DETECTORS), "s2",
                                   "What is the access code for the river depot? Which wing needs badges?",
                                   [ContextDoc("", long_context())])
    finally:
        vault.close()
    plan = build_plan(request)
    assert len(plan.parts) == 2
    assert any("7712" in s for s in plan.parts[0].snippets)
    assert any("badges" in s for s in plan.parts[1].snippets)
    text = render_plan(plan)
    assert "1. What is the access code" in text and "2. Which wing needs badges?" in text
    assert text.count(NEEDLE) == 1  # a snippet two parts share is sent once


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ({"parts": []}, "parts"),
        ({"parts": [{"question": ""}]}, "parts.0.question"),
        ({"parts": [{"question": "q", "run": "rm -rf /"}]}, "parts.0.run"),
        ({"parts": [{"question": "q", "snippets": "not a list"}]}, "parts.0.snippets"),
        ({"steps": []}, "parts"),
    ],
)
def test_plans_are_data_checked_against_the_schema(raw: dict[str, object], where: str) -> None:
    with pytest.raises(InvalidRequest, match=f"plan: {where}"):
        parse_plan(json.dumps(raw))


def test_a_valid_plan_parses() -> None:
    plan = parse_plan('{"parts": [{"question": "Who manages it?", "snippets": ["The depot is managed by <PERSON_1>."]}]}')
    assert plan.parts[0].snippets == ("The depot is managed by <PERSON_1>.",)


def test_each_part_records_the_entities_of_the_text_it_sends(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "vault.db")
    try:
        request = sanitize_request(
            PrivacyFilter(PrivacySettings(), vault, DEFAULT_DETECTORS), "s3",
            "Is dana.reyes@example.com still the contact? And what is 4821 + 7395? And who wrote to ops@example.org?",
            [],
        )
    finally:
        vault.close()
    assert request.entity_counts == {"EMAIL_ADDRESS": 2}
    assert plan_subquery(request, parts=[0]).entity_counts == {"EMAIL_ADDRESS": 1}
    assert plan_subquery(request, parts=[1]).entity_counts == {}  # nothing sensitive in the arithmetic part
    assert plan_subquery(request).entity_counts == {"EMAIL_ADDRESS": 2}
