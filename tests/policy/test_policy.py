"""The escalation policies' rules and the default logistic policy, without any server."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.calibration import params_to_yaml
from edge.policy import (
    LocalAttempt,
    LogisticPolicy,
    Prefer,
    RequestFacts,
    Route,
    ThresholdPolicy,
    build_policy,
)
from shared.config import PolicySettings
from shared.errors import ConfigError

CONFIDENT = LocalAttempt("The capital of France is Paris.", (-0.02, -0.01, -0.03, -0.01, -0.02), 30,
                         question="What is the capital of France?", entropies=(0.1, 0.05, 0.1, 0.05, 0.08))
UNSURE = LocalAttempt("To solve this problem, we need to combine the fractions", (-1.9, -2.5, -0.9, -3.1), 30,
                      question="What is 347 * 29?", entropies=(1.9, 2.1, 1.2, 2.0))


def facts(prefer: Prefer = Prefer.AUTO, cloud: bool = True, blocked: frozenset[str] = frozenset(),
          entities: int = 0, spent: bool = False) -> RequestFacts:
    return RequestFacts(prefer, cloud, blocked, entity_count=entities, budget_exhausted=spent)


@pytest.fixture(scope="module")
def policy() -> LogisticPolicy:
    return LogisticPolicy.from_file()


def test_default_policy_keeps_easy_answers_and_escalates_arithmetic(policy: LogisticPolicy) -> None:
    assert policy.confidence(CONFIDENT) > policy.threshold > policy.confidence(UNSURE)
    # An attempt recorded without entropies reads as unsure (the empty-answer values), never as sure.
    blind = LocalAttempt(CONFIDENT.text, CONFIDENT.logprobs, 30, question=CONFIDENT.question)
    assert policy.confidence(blind) < policy.confidence(CONFIDENT)
    keep = policy.after_local(facts(), CONFIDENT)
    assert keep.route is Route.LOCAL and "≥ threshold" in keep.reason
    escalate = policy.after_local(facts(), UNSURE)
    assert escalate.route is Route.CLOUD and "< threshold" in escalate.reason
    assert 0.0 <= escalate.confidence <= 1.0


def test_blocked_entities_never_escalate(policy: LogisticPolicy) -> None:
    decision = policy.after_local(facts(blocked=frozenset({"CREDIT_CARD"})), UNSURE)
    assert decision.route is Route.LOCAL and "blocks CREDIT_CARD" in decision.reason
    refused = policy.before_local(facts(Prefer.CLOUD, blocked=frozenset({"CREDIT_CARD"})))
    assert refused is not None and refused.route is Route.REFUSED


def test_high_sensitivity_never_escalates(policy: LogisticPolicy) -> None:
    many = policy.params.max_entities + 1
    decision = policy.after_local(facts(entities=many), UNSURE)
    assert decision.route is Route.LOCAL and "sensitive spans" in decision.reason
    refused = policy.before_local(facts(Prefer.CLOUD, entities=many))
    assert refused is not None and refused.route is Route.REFUSED


def test_spent_budget_stays_local(policy: LogisticPolicy) -> None:
    decision = policy.after_local(facts(spent=True), UNSURE)
    assert decision.route is Route.LOCAL and "budget" in decision.reason
    up_front = policy.before_local(facts(Prefer.CLOUD, spent=True))
    assert up_front is not None and up_front.route is Route.LOCAL and "budget" in up_front.reason


def test_prefer_is_honoured(policy: LogisticPolicy) -> None:
    local = policy.before_local(facts(Prefer.LOCAL))
    assert local is not None and local.route is Route.LOCAL and "local" in local.reason
    cloud = policy.before_local(facts(Prefer.CLOUD))
    assert cloud is not None and cloud.route is Route.CLOUD
    assert policy.before_local(facts(Prefer.CLOUD, cloud=False)) is None
    no_cloud = policy.after_local(facts(Prefer.CLOUD, cloud=False), UNSURE)
    assert no_cloud.route is Route.LOCAL and "no cloud is configured" in no_cloud.reason
    assert policy.after_local(facts(cloud=False), UNSURE).route is Route.LOCAL


def test_threshold_policy_is_still_selectable() -> None:
    chosen = build_policy(PolicySettings(kind="threshold", confidence_threshold=0.5))
    assert isinstance(chosen, ThresholdPolicy)
    assert chosen.after_local(facts(), CONFIDENT).route is Route.LOCAL
    assert chosen.after_local(facts(), UNSURE).route is Route.CLOUD
    assert isinstance(build_policy(PolicySettings()), LogisticPolicy)


def test_policy_file_from_config(tmp_path: Path, policy: LogisticPolicy) -> None:
    strict = type(policy.params)(policy.params.model, 0.999, policy.params.max_entities, {})
    path = tmp_path / "policy.yaml"
    path.write_text(params_to_yaml(strict), encoding="utf-8")
    chosen = build_policy(PolicySettings(file=path))
    assert chosen.after_local(facts(), CONFIDENT).route is Route.CLOUD  # the file's threshold is used
    with pytest.raises(ConfigError, match="cannot read"):
        build_policy(PolicySettings(file=tmp_path / "missing.yaml"))


def test_unknown_policy_kind_is_a_config_error() -> None:
    from shared.config import load_edge_config

    with pytest.raises(ConfigError, match=r"policy\.kind"):
        load_edge_config(None, {"TANDEM_EDGE__POLICY__KIND": "vibes"})
