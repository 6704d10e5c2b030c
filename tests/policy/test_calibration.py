"""Fitting the logistic policy, picking thresholds, and its YAML form."""

from __future__ import annotations

import random

import pytest

from edge.calibration import (
    calibrate,
    cross_validated_l2,
    fit_logistic,
    params_from_yaml,
    params_to_yaml,
    routed_accuracy,
    threshold_for_accuracy,
    threshold_for_budget,
)
from edge.evaluation import auroc
from shared.errors import ConfigError, InvalidRequest


def _synthetic(n: int, seed: int) -> tuple[list[dict[str, float]], list[bool]]:
    """Rows where lp_mean separates right from wrong and kind_arithmetic marks most wrong ones."""
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(n):
        right = rng.random() < 0.5
        rows.append({
            "lp_mean": rng.gauss(-0.3 if right else -1.2, 0.4),
            "kind_arithmetic": float(not right and rng.random() < 0.6),
            "repetition": rng.random() * 0.1,
        })
        labels.append(right)
    return rows, labels


def test_fit_separates_held_out_data() -> None:
    rows, labels = _synthetic(300, 1)
    model = fit_logistic(rows, labels)
    test_rows, test_labels = _synthetic(300, 2)
    assert auroc([model.score(r) for r in test_rows], test_labels) > 0.85
    assert model.weights["lp_mean"] > 0 > model.weights["kind_arithmetic"]


def test_threshold_for_accuracy_is_the_lowest_rate_reaching_the_target() -> None:
    scores = [0.9, 0.8, 0.2, 0.1]
    correct = [True, True, False, False]
    threshold = threshold_for_accuracy(scores, correct, 0.95)
    assert routed_accuracy(scores, correct, threshold) == (1.0, 0.5)
    # A lower target is reached with fewer escalations.
    assert routed_accuracy(scores, correct, threshold_for_accuracy(scores, correct, 0.7))[1] == 0.25


def test_threshold_for_budget_stays_within_it() -> None:
    scores = [0.9, 0.8, 0.2, 0.1]
    correct = [True, True, False, False]
    accuracy, rate = routed_accuracy(scores, correct, threshold_for_budget(scores, correct, 0.3))
    assert rate <= 0.3 and accuracy == 0.75


def test_calibrate_rejects_bad_goals() -> None:
    rows, labels = _synthetic(40, 3)
    with pytest.raises(InvalidRequest, match="target"):
        calibrate(rows, labels, target_share=1.5)
    with pytest.raises(InvalidRequest, match="budget"):
        calibrate(rows, labels, budget=-0.1)
    with pytest.raises(InvalidRequest, match="both"):
        calibrate(rows, labels, target_share=0.9, budget=0.5)
    with pytest.raises(InvalidRequest, match="right and wrong"):
        calibrate(rows, [True] * len(rows))


def test_yaml_round_trip_keeps_scores() -> None:
    rows, labels = _synthetic(100, 4)
    params = calibrate(rows, labels, target_share=0.9, meta={"data": "synthetic"})
    again = params_from_yaml(params_to_yaml(params), "policy.yaml")
    assert again.threshold == pytest.approx(params.threshold, abs=1e-6)
    assert again.meta["data"] == "synthetic"
    for row in rows[:10]:
        assert again.model.score(row) == pytest.approx(params.model.score(row), abs=1e-5)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("kind: tree\n", "kind"),
        ("kind: logistic\nthreshold: 2\nbias: 0\nfeatures: {lp_mean: {weight: 1, mean: 0, scale: 1}}\n", "threshold"),
        ("kind: logistic\nthreshold: 0.5\nbias: x\nfeatures: {lp_mean: {weight: 1, mean: 0, scale: 1}}\n", "bias"),
        ("kind: logistic\nthreshold: 0.5\nbias: 0\nfeatures: {vibes: {weight: 1, mean: 0, scale: 1}}\n", "features.vibes"),
        ("kind: logistic\nthreshold: 0.5\nbias: 0\nfeatures: {lp_mean: {weight: 1, mean: 0, scale: 0}}\n", "lp_mean.scale"),
        ("kind: logistic\nthreshold: 0.5\nbias: 0\nfeatures: {}\n", "features"),
        ("kind: [\n", "not valid YAML"),
    ],
)
def test_bad_policy_files_name_the_field(text: str, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        params_from_yaml(text, "policy.yaml")


def test_cross_validation_picks_weak_shrinkage_for_a_strong_signal_and_strong_for_noise() -> None:
    rows, labels = _synthetic(200, 5)
    chosen, losses = cross_validated_l2(rows, labels, names=("lp_mean", "kind_arithmetic", "repetition"))
    assert set(losses) == {0.1, 0.3, 1.0, 3.0, 10.0, 30.0} and losses[chosen] == min(losses.values())
    assert chosen <= 3.0
    rng = random.Random(9)
    noise = [{f"f{j}": rng.gauss(0, 1) for j in range(20)} for _ in range(60)]
    coin = [rng.random() < 0.5 for _ in range(60)]
    assert cross_validated_l2(noise, coin, names=[f"f{j}" for j in range(20)])[0] >= 10.0
    with pytest.raises(InvalidRequest, match="at least 10 rows"):
        cross_validated_l2(rows[:5], labels[:5])
