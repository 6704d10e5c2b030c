"""Fitting the logistic-regression escalation policy and choosing its threshold.

The model is plain numbers: per-feature mean and scale (standardization), weights and a bias. It is fitted
with Newton's method on an L2-penalized log-likelihood in numpy (a few hundred rows, a few dozen features,
so this takes milliseconds), and saved as YAML that anyone can read and diff.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from edge.features import FEATURE_NAMES, OPTIONAL_FEATURES
from shared.errors import ConfigError, InvalidRequest

DEFAULT_L2 = 1.0  # ridge strength on standardized features: keeps weights small on ~200 rows
NEWTON_STEPS = 50
MIN_SCALE = 1e-6  # a constant feature gets scale 1 so it cannot blow up the standardization
DEFAULT_MAX_ENTITIES = 50  # more sensitive spans than this in one request count as high sensitivity


@dataclass(frozen=True)
class LogisticModel:
    """P(local answer is correct) = sigmoid(bias + Σ weight·(x − mean)/scale)."""

    weights: Mapping[str, float]
    means: Mapping[str, float]
    scales: Mapping[str, float]
    bias: float

    def score(self, features: Mapping[str, float]) -> float:
        """The modelled probability that the local answer is right, in (0, 1)."""
        z = self.bias
        for name, weight in self.weights.items():
            z += weight * (features.get(name, 0.0) - self.means[name]) / self.scales[name]
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


@dataclass(frozen=True)
class PolicyParams:
    """A calibrated policy: the model, the escalation threshold on its score, rules and where it came from."""

    model: LogisticModel
    threshold: float
    max_entities: int = DEFAULT_MAX_ENTITIES
    meta: dict[str, Any] = field(default_factory=dict)


def fit_logistic(rows: Sequence[Mapping[str, float]], labels: Sequence[bool], l2: float = DEFAULT_L2,
                 names: Sequence[str] = FEATURE_NAMES) -> LogisticModel:
    """Fit the weights on feature rows and right/wrong labels."""
    if len(rows) != len(labels) or not rows:
        raise InvalidRequest("calibration needs as many labels as feature rows, and at least one row")
    x = np.array([[row.get(name, 0.0) for name in names] for row in rows], dtype=float)
    y = np.array(labels, dtype=float)
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales < MIN_SCALE] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - means) / scales])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[0] = 0.0  # the bias is not shrunk
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -50, 50)))
        gradient = z.T @ (p - y) + penalty * w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return LogisticModel(
        weights={name: float(w[i + 1]) for i, name in enumerate(names)},
        means={name: float(means[i]) for i, name in enumerate(names)},
        scales={name: float(scales[i]) for i, name in enumerate(names)},
        bias=float(w[0]),
    )


L2_GRID: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
CV_FOLDS = 5


def cross_validated_l2(rows: Sequence[Mapping[str, float]], labels: Sequence[bool],
                       names: Sequence[str] = FEATURE_NAMES, grid: Sequence[float] = L2_GRID,
                       folds: int = CV_FOLDS) -> tuple[float, dict[float, float]]:
    """The ridge strength with the lowest held-out log loss over `folds` interleaved folds of these rows only,
    and the loss of each candidate. Folds are fixed (row i goes to fold i mod folds), so the choice is repeatable."""
    if len(rows) < 2 * folds:
        raise InvalidRequest(f"cross-validation needs at least {2 * folds} rows, got {len(rows)}")
    losses: dict[float, float] = {}
    for l2 in grid:
        total = 0.0
        for fold in range(folds):
            train = [i for i in range(len(rows)) if i % folds != fold]
            held = [i for i in range(len(rows)) if i % folds == fold]
            model = fit_logistic([rows[i] for i in train], [labels[i] for i in train], l2, names)
            for i in held:
                p = min(max(model.score(rows[i]), 1e-6), 1 - 1e-6)
                total -= math.log(p if labels[i] else 1.0 - p)
        losses[l2] = total / len(rows)
    return min(grid, key=lambda l2: (losses[l2], l2)), losses


def routed_accuracy(scores: Sequence[float], correct: Sequence[bool], threshold: float,
                    cloud_accuracy: float = 1.0) -> tuple[float, float]:
    """(accuracy, escalation rate) when items scoring below `threshold` go to a cloud of the given accuracy."""
    n = len(scores)
    escalated = [s < threshold for s in scores]
    right = sum(cloud_accuracy if e else float(c) for e, c in zip(escalated, correct, strict=True))
    return right / n, sum(escalated) / n


def candidate_thresholds(scores: Sequence[float]) -> list[float]:
    """Thresholds that realize every distinct routing of these scores, from escalating none to all."""
    distinct = sorted(set(scores))
    return [0.0, *distinct, 1.0 + 1e-9]


def threshold_for_accuracy(scores: Sequence[float], correct: Sequence[bool], target_share: float,
                           cloud_accuracy: float = 1.0) -> float:
    """The threshold with the lowest escalation rate whose accuracy reaches `target_share` of cloud-only accuracy."""
    goal = target_share * cloud_accuracy
    for threshold in candidate_thresholds(scores):  # ascending threshold = ascending escalation rate
        accuracy, _ = routed_accuracy(scores, correct, threshold, cloud_accuracy)
        if accuracy >= goal - 1e-12:
            return threshold
    return 1.0 + 1e-9


def threshold_for_budget(scores: Sequence[float], correct: Sequence[bool], budget: float,
                         cloud_accuracy: float = 1.0) -> float:
    """The threshold with the best accuracy whose escalation rate stays within `budget` (a share of requests)."""
    best, best_accuracy = 0.0, -1.0
    for threshold in candidate_thresholds(scores):
        accuracy, rate = routed_accuracy(scores, correct, threshold, cloud_accuracy)
        if rate <= budget + 1e-12 and accuracy > best_accuracy:
            best, best_accuracy = threshold, accuracy
    return best


# ---------------------------------------------------------------- YAML


def params_to_yaml(params: PolicyParams) -> str:
    """The policy as YAML: plain numbers, one line per feature."""
    model = params.model
    doc = {
        "kind": "logistic",
        "threshold": round(params.threshold, 6),
        "rules": {"max_entities": params.max_entities},
        "bias": round(model.bias, 6),
        "features": {
            name: {"weight": round(model.weights[name], 6), "mean": round(model.means[name], 6),
                   "scale": round(model.scales[name], 6)}
            for name in model.weights
        },
        "meta": params.meta,
    }
    return "# Tandem escalation policy: P(local answer right) = sigmoid(bias + Σ weight·(x−mean)/scale);\n" \
           "# escalate when it is below `threshold`. Written by `tandem calibrate`.\n" + yaml.safe_dump(doc, sort_keys=False)


def params_from_yaml(text: str, source: str) -> PolicyParams:
    """Parse and validate a policy file; any problem is a ConfigError naming the field."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict) or doc.get("kind") != "logistic":
        raise ConfigError(f"{source}: kind: must be 'logistic'")
    threshold = _number(doc.get("threshold"), f"{source}: threshold")
    if not 0.0 <= threshold <= 1.0 + 1e-6:
        raise ConfigError(f"{source}: threshold: must be between 0 and 1")
    bias = _number(doc.get("bias"), f"{source}: bias")
    features = doc.get("features")
    if not isinstance(features, dict) or not features:
        raise ConfigError(f"{source}: features: must be a mapping of feature name to weight, mean and scale")
    weights, means, scales = {}, {}, {}
    for name, entry in features.items():
        if name not in FEATURE_NAMES and name not in OPTIONAL_FEATURES:
            known = ", ".join((*FEATURE_NAMES, *OPTIONAL_FEATURES))
            raise ConfigError(f"{source}: features.{name}: unknown feature (known: {known})")
        if not isinstance(entry, dict):
            raise ConfigError(f"{source}: features.{name}: must hold weight, mean and scale")
        weights[name] = _number(entry.get("weight"), f"{source}: features.{name}.weight")
        means[name] = _number(entry.get("mean"), f"{source}: features.{name}.mean")
        scales[name] = _number(entry.get("scale"), f"{source}: features.{name}.scale")
        if scales[name] <= 0:
            raise ConfigError(f"{source}: features.{name}.scale: must be positive")
    rules = doc.get("rules") or {}
    if not isinstance(rules, dict):
        raise ConfigError(f"{source}: rules: must be a mapping")
    max_entities = rules.get("max_entities", DEFAULT_MAX_ENTITIES)
    if not isinstance(max_entities, int) or max_entities < 0:
        raise ConfigError(f"{source}: rules.max_entities: must be a non-negative integer")
    meta = doc.get("meta") or {}
    return PolicyParams(LogisticModel(weights, means, scales, bias), threshold, max_entities,
                        meta if isinstance(meta, dict) else {})


def load_params(path: Path) -> PolicyParams:
    """Read a policy YAML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"policy file {path}: cannot read ({exc.strerror})") from None
    return params_from_yaml(text, str(path))


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}: must be a finite number")
    return float(value)


DEFAULT_TARGET_SHARE = 0.95


def calibrate(
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[bool],
    target_share: float | None = None,
    budget: float | None = None,
    cloud_accuracy: float = 1.0,
    l2: float = DEFAULT_L2,
    meta: Mapping[str, Any] | None = None,
    names: Sequence[str] = FEATURE_NAMES,
) -> PolicyParams:
    """Fit the model, then pick the threshold: the lowest escalation rate reaching `target_share` of cloud-only
    accuracy (default 95%), or the best accuracy within an escalation `budget`; never both."""
    if target_share is not None and budget is not None:
        raise InvalidRequest("give either a target accuracy or a budget, not both")
    if target_share is not None and not 0.0 < target_share <= 1.0:
        raise InvalidRequest(f"--target-accuracy: {target_share} must be a share of cloud-only accuracy in (0, 1]")
    if budget is not None and not 0.0 <= budget <= 1.0:
        raise InvalidRequest(f"--budget: {budget} must be a share of requests in [0, 1]")
    if len(set(labels)) < 2:
        raise InvalidRequest("calibration data must hold both right and wrong local answers")
    model = fit_logistic(rows, labels, l2, names)
    scores = [model.score(row) for row in rows]
    if budget is not None:
        threshold = threshold_for_budget(scores, labels, budget, cloud_accuracy)
        goal = {"budget": budget}
    else:
        share = target_share if target_share is not None else DEFAULT_TARGET_SHARE
        threshold = threshold_for_accuracy(scores, labels, share, cloud_accuracy)
        goal = {"target_share": share}
    accuracy, rate = routed_accuracy(scores, labels, threshold, cloud_accuracy)
    info = {**(meta or {}), **goal, "n": len(rows), "fit_accuracy": round(accuracy, 4),
            "fit_escalation_rate": round(rate, 4), "l2": l2}
    return PolicyParams(model, min(threshold, 1.0), DEFAULT_MAX_ENTITIES, info)
