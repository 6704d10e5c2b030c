"""Optional confidence features: self-consistency agreement and the self-check P(yes), with the real model and
with fakes for the logic; and the config check that a policy weighing them gets them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from edge.calibration import LogisticModel, PolicyParams, params_to_yaml
from edge.model import LocalModel, TokenEvent
from edge.policy import LocalAttempt, LogisticPolicy, build_policy
from edge.self_check import (
    CHECK_FEATURE,
    SC_FEATURE,
    OptionSettings,
    agreement,
    answer_key,
    option_features,
    self_check,
    self_consistency,
)
from shared.config import ModelSettings, PolicySettings
from shared.errors import ConfigError


class ScriptedModel:
    """Answers from a script and fixed next-token logprobs: for the agreement and P(yes) arithmetic only."""

    def __init__(self, samples: Sequence[str], scored: list[tuple[int, float]]) -> None:
        self.samples = list(samples)
        self.scored = scored
        self.temperatures: list[float] = []

    def generate(self, prompt: Sequence[int], max_tokens: int, temperature: float) -> Iterator[TokenEvent]:
        self.temperatures.append(temperature)
        yield TokenEvent(self.samples.pop(0), -0.1)

    def prompt_tokens(self, messages: Sequence[dict[str, str]]) -> list[int]:
        return [1, 2, 3]

    def next_token_logprobs(self, prompt: Sequence[int], candidates: Sequence[str]) -> list[tuple[int, float]]:
        assert len(candidates) == len(self.scored)
        return self.scored


def test_answer_keys_compare_numbers_or_leading_content_words() -> None:
    assert answer_key("The answer is 1,250.") == frozenset({"1250"})
    assert answer_key("The capital of Peru is Lima.") == frozenset({"capital", "peru", "lima"})
    assert agreement("It is 42.", ["42", "42 exactly", "41"]) == pytest.approx(2 / 3)
    assert agreement("Lima", []) == 0.0


def test_self_consistency_samples_k_answers_at_a_temperature() -> None:
    model = ScriptedModel(["Lima.", "Lima, Peru", "Cusco"], [])
    settings = OptionSettings(samples=3, temperature=0.9)
    score = self_consistency(model, [1], "Lima is the capital.", settings)
    assert model.temperatures == [0.9, 0.9, 0.9]
    assert 0.0 < score < 1.0
    assert self_consistency(ScriptedModel(["12"] * 3, []), [1], "12", settings) == 1.0


def test_self_check_normalizes_yes_over_no_and_counts_a_shared_token_once() -> None:
    # Yes, yes, " Yes", " yes" -> tokens 1, 1, 2, 2 (shared first tokens); No variants -> 3, 3, 4, 4.
    scored = [(1, -1.0), (1, -1.0), (2, -2.0), (2, -2.0), (3, -1.0), (3, -1.0), (4, -2.0), (4, -2.0)]
    assert self_check(ScriptedModel([], scored), "Q?", "A") == pytest.approx(0.5)
    scored_yes = [(1, -0.1), (1, -0.1), (2, -3.0), (2, -3.0), (3, -4.0), (3, -4.0), (4, -5.0), (4, -5.0)]
    assert self_check(ScriptedModel([], scored_yes), "Q?", "A") > 0.95


def test_options_off_compute_nothing() -> None:
    model = ScriptedModel([], [])
    assert option_features(model, OptionSettings(), [1], "Q?", "A") == {}
    assert OptionSettings().enabled == ()
    assert OptionSettings(samples=2, self_check=True).enabled == (SC_FEATURE, CHECK_FEATURE)


def _policy_file(tmp_path: Path, weights: dict[str, float]) -> Path:
    names = {"lp_mean": 1.0, **weights}
    model = LogisticModel(names, {n: 0.0 for n in names}, {n: 1.0 for n in names}, 0.0)
    path = tmp_path / "policy.yaml"
    path.write_text(params_to_yaml(PolicyParams(model, 0.5)), encoding="utf-8")
    return path


def test_a_policy_weighing_an_option_needs_it_turned_on(tmp_path: Path) -> None:
    path = _policy_file(tmp_path, {SC_FEATURE: 1.5, CHECK_FEATURE: 0.0})
    with pytest.raises(ConfigError, match=r"sc_agreement.*self_consistency_samples"):
        build_policy(PolicySettings(file=path))
    policy = build_policy(PolicySettings(file=path, self_consistency_samples=3))
    assert isinstance(policy, LogisticPolicy) and policy.optional_features == {SC_FEATURE}
    # The option's value moves the score: agreeing samples mean a more trusted answer.
    low = LocalAttempt("Lima", (-0.2,), 10, question="Capital of Peru?", extra=((SC_FEATURE, 0.0),))
    high = LocalAttempt("Lima", (-0.2,), 10, question="Capital of Peru?", extra=((SC_FEATURE, 1.0),))
    assert policy.confidence(high) > policy.confidence(low)


@pytest.fixture(scope="module")
def model() -> LocalModel:
    return LocalModel(ModelSettings(n_threads=1))


@pytest.mark.e2e
def test_options_with_the_real_model(model: LocalModel) -> None:
    prompt = model.prompt_tokens([{"role": "user", "content": "What is the capital of France?"}])
    answer = "".join(event.text for event in model.generate(prompt, 16, 0.0)).strip()
    features = option_features(model, OptionSettings(samples=2, max_tokens=8, self_check=True), prompt,
                               "What is the capital of France?", answer)
    assert set(features) == {SC_FEATURE, CHECK_FEATURE}
    assert 0.0 <= features[SC_FEATURE] <= 1.0
    assert 0.0 < features[CHECK_FEATURE] < 1.0
    scored = model.next_token_logprobs(prompt, ["Paris", "The"])
    assert all(lp <= 0.0 for _, lp in scored) and scored[0][0] != scored[1][0]


def test_eval_cli_refuses_a_policy_whose_options_are_off(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    suite = tmp_path / "suite.jsonl"
    suite.write_text(json.dumps({"id": "a", "prompt": "What is 2 + 2?", "answer": "4", "match": "numeric"}) + "\n",
                     encoding="utf-8")
    policy = _policy_file(tmp_path, {CHECK_FEATURE: 0.8})
    done = subprocess.run([sys.executable, "-m", "edge", "eval", "--data", str(suite), "--policy", str(policy)],
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 2, done.stderr
    assert "self_check_yes" in done.stderr and "--self-check" in done.stderr and "Traceback" not in done.stderr
    bad_l2 = subprocess.run([sys.executable, "-m", "edge", "calibrate", "--data", str(suite), "--l2", "-1"],
                            capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert bad_l2.returncode == 2 and "--l2" in bad_l2.stderr and "must be positive" in bad_l2.stderr
