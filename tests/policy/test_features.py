"""Confidence features: task-kind rules, logprob statistics and answer-form checks, in isolation."""

from __future__ import annotations

import math

import pytest

from edge.features import (
    EMPTY_LOGPROB,
    FEATURE_NAMES,
    RequestShape,
    context_novelty,
    expects_number,
    extract_features,
    form_features,
    grounding,
    logprob_features,
    repetition,
    task_kind,
)


@pytest.mark.parametrize(
    ("question", "has_context", "kind"),
    [
        ("What is 347 * 29?", False, "arithmetic"),
        ("Multiply 15 by 17.", False, "arithmetic"),
        ("Add 1178 and 6505.", False, "arithmetic"),
        ("Tom has 17 apples and gives 5 away, then buys 3 times as many. How many now?", False, "reasoning"),
        ("What is the employee ID in this record?", True, "extraction"),
        ("What is the capital of France?", False, "lookup"),
        ("Write a short poem about the sea.", False, "open"),
    ],
)
def test_task_kind_rules(question: str, has_context: bool, kind: str) -> None:
    assert task_kind(question, has_context) == kind


def test_quantity_questions_expect_a_number() -> None:
    assert expects_number("How many legs does a spider have?")
    assert expects_number("In what year did Sputnik 1 launch?")
    assert not expects_number("What is the capital of Peru?")


def test_logprob_statistics_are_length_aware_and_ordered() -> None:
    stats = logprob_features([-0.1, -2.0, -0.2, -0.05, -3.0])
    assert stats["lp_min"] == -3.0
    assert stats["lp_mean"] == pytest.approx(-1.07)
    assert stats["lp_min"] <= stats["lp_q10"] <= stats["lp_q25"] <= stats["lp_mean"] + 1
    assert stats["low_share"] == pytest.approx(2 / 5)
    assert stats["log_tokens"] == pytest.approx(math.log1p(5))


def test_empty_answer_is_maximally_unsure() -> None:
    stats = logprob_features([])
    assert stats["lp_mean"] == EMPTY_LOGPROB and stats["low_share"] == 1.0
    assert form_features("What is 2 + 2?", "  ", "")["empty"] == 1.0


def test_answer_form_flags() -> None:
    assert form_features("Who wrote it?", "I'm sorry, I don't know.", "")["refusal"] == 1.0
    assert form_features("How many days are in a week?", "A week has seven days.", "")["wrong_type"] == 1.0
    assert form_features("How many days are in a week?", "7 days.", "")["wrong_type"] == 0.0
    assert repetition("the cat sat the cat sat the cat sat the cat sat") > 0.5
    assert repetition("The capital of France is Paris.") == 0.0


def test_context_grounding_and_novelty() -> None:
    context = "Name: Alice Moreno\nEmployee ID: 48213\nDepartment: Finance"
    question = "What is the employee ID in this record?"
    assert grounding("48213", context) == 1.0
    assert grounding("anything", "") == 0.0
    # An answer that brings a value from the context scores above one that only echoes the question.
    assert context_novelty(question, "The employee ID is 48213.", context) > context_novelty(
        question, "The employee ID in this record.", context
    )


def test_every_feature_is_named_and_finite() -> None:
    row = extract_features(RequestShape("What is 12 * 13?", "", 2), "156", [-0.3, -0.2])
    assert tuple(row) == FEATURE_NAMES
    assert all(math.isfinite(v) for v in row.values())
    assert row["kind_arithmetic"] == 1.0 and row["operand_digits"] == 4.0 and row["log_entities"] == math.log1p(2)
