"""The escalation-policy evaluation: `python -m bench.eval.run [--write-default]`.

Runs the bundled model on both committed splits (reusing bench/results/local_<split>.jsonl when it was made
by the same model), fits the policy on the calibration split, and measures it on the test split against the
mean-logprob baseline, random and oracle routing, all in this one run, and on the shifted suite it never saw.
Calibration stability is checked both ways: fitted on one split, measured on the other. The ridge strength is
chosen by cross-validation on the calibration split alone, and feature-set ablations (without the top-k entropy
features; with the optional self-consistency and self-check features when bench/eval/options.py has cached them)
are measured in the same run (the snippet rankers are measured by bench/eval/snippets.py).
Writes bench/results/eval.json and eval_test.png (and, with --write-default, edge/default_policy.yaml).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.eval.options import load_options, subset
from edge.calibration import DEFAULT_L2, PolicyParams, calibrate, cross_validated_l2, fit_logistic, params_to_yaml
from edge.evaluation import (
    DEFAULT_EVAL_MAX_TOKENS,
    EvalItem,
    LocalRecord,
    auroc,
    evaluate,
    load_records,
    load_suite,
    oracle_curve,
    plot_report,
    policy_curve,
    record_features,
    run_local,
    save_records,
    savings_at,
)
from edge.features import CHECK_FEATURE, FEATURE_NAMES, SC_FEATURE
from edge.policy import LogisticPolicy
from shared import constants as C

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "bench" / "eval"
RESULTS = ROOT / "bench" / "results"
SPLITS = ("calibration", "test")
UNSEEN = "shifted"  # other templates and facts; no policy is fitted on it
COMMAND = "python -m bench.eval.run --write-default"


def local_records(split: str, items: list[EvalItem], threads: int | None) -> list[LocalRecord]:
    """Cached local answers for a split, generated when missing or made by another model."""
    cache = RESULTS / f"local_{split}.jsonl"
    cached = load_records(cache, C.BUNDLED_MODEL_NAME, items)
    if cached is not None:
        return cached
    from edge.model import LocalModel
    from shared.config import ModelSettings

    model = LocalModel(ModelSettings(n_threads=threads))
    started = time.perf_counter()
    records = run_local(model, items, DEFAULT_EVAL_MAX_TOKENS,
                        lambda done, total: print(f"  {split}: {done}/{total}", file=sys.stderr) if done % 25 == 0 else None)
    print(f"  {split}: {len(items)} local answers in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    save_records(cache, records, model.name)
    return records


ENTROPY_FEATURES = ("ent_mean", "ent_max", "ent_head_mean", "ent_high_share")
NO_ENTROPY = tuple(n for n in FEATURE_NAMES if n not in ENTROPY_FEATURES)
OPTION_SETS: dict[str, tuple[str, ...]] = {
    "self_consistency": (SC_FEATURE,), "self_check": (CHECK_FEATURE,), "both": (SC_FEATURE, CHECK_FEATURE),
}


def fit(split: str, items: list[EvalItem], records: list[LocalRecord], l2: float = DEFAULT_L2,
        names: Sequence[str] = FEATURE_NAMES, extras: Sequence[Mapping[str, float]] | None = None) -> PolicyParams:
    """The policy calibrated on one split for 95% of (oracle) cloud-only accuracy."""
    return calibrate(record_features(items, records, extras), [r.correct for r in records], target_share=0.95, l2=l2,
                     names=names, meta={"model": C.BUNDLED_MODEL_NAME, "data": f"bench/eval/{split}.jsonl",
                                        "max_tokens": DEFAULT_EVAL_MAX_TOKENS})


def brief(report: dict[str, Any]) -> dict[str, float]:
    """The routing figures the goals name."""
    keys = ("auroc", "savings_at_95", "oracle_savings_at_95", "savings_vs_oracle", "escalation_rate", "accuracy")
    return {k: round(report[k], 4) for k in keys}


def ablations(data: dict[str, list[EvalItem]], records: dict[str, list[LocalRecord]], l2: float) -> dict[str, Any]:
    """Feature sets and ridge strengths, each fitted on the calibration split, measured on test and shifted."""
    variants = {
        "without_entropy_l2_1": (NO_ENTROPY, DEFAULT_L2),
        "with_entropy_l2_1": (FEATURE_NAMES, DEFAULT_L2),
        "without_entropy_l2_cv": (NO_ENTROPY, l2),
        f"with_entropy_l2_cv (shipped, l2={l2})": (FEATURE_NAMES, l2),
    }
    out = {}
    for name, (names, strength) in variants.items():
        policy = LogisticPolicy(fit("calibration", data["calibration"], records["calibration"], strength, names))
        out[name] = {split: brief(evaluate(data[split], records[split], policy)) for split in ("test", UNSEEN)}
    return out


def cv_scores(rows: Sequence[Mapping[str, float]], labels: Sequence[bool], names: Sequence[str],
              l2: float, folds: int = 5) -> list[float]:
    """Each row's score from a policy fitted on the other folds (row i is in fold i mod folds)."""
    scores = [0.0] * len(rows)
    for fold in range(folds):
        train = [i for i in range(len(rows)) if i % folds != fold]
        model = fit_logistic([rows[i] for i in train], [labels[i] for i in train], l2, names)
        for i in range(fold, len(rows), folds):
            scores[i] = model.score(rows[i])
    return scores


def option_study(data: dict[str, list[EvalItem]], records: dict[str, list[LocalRecord]], l2: float) -> dict[str, Any] | None:
    """What self-consistency and the self-check add, from bench/eval/options.py's cache: 5-fold cross-validation on
    the calibration subset it covers (the shifted suite is not touched), and on the test subset when that is cached
    too (fitted on calibration); with their local time per item."""
    cal_rows = load_options("calibration", data["calibration"])
    if cal_rows is None:
        return None
    keys = (SC_FEATURE, CHECK_FEATURE)
    items = subset(data["calibration"])
    kept = [records["calibration"][data["calibration"].index(item)] for item in items]
    labels = [r.correct for r in kept]
    rows = record_features(items, kept, [{k: float(row[k]) for k in keys} for row in cal_rows])
    study: dict[str, Any] = {
        "n_calibration_subset": len(items),
        "samples": 3,
        "max_tokens": 16,
        "feature_alone_auroc": {k: round(auroc([row[k] for row in rows], labels), 4) for k in keys},
        "cv_on_calibration_subset": {},
        "local_ms_per_item": {
            "self_consistency": round(sum(float(r["sc_ms"]) for r in cal_rows) / len(cal_rows), 1),
            "self_check": round(sum(float(r["check_ms"]) for r in cal_rows) / len(cal_rows), 1),
        },
    }
    for name, added in {"none": (), **OPTION_SETS}.items():
        scores = cv_scores(rows, labels, (*FEATURE_NAMES, *added), l2)
        curve = policy_curve(scores, labels, [1.0] * len(labels))
        oracle = savings_at(oracle_curve(labels, [1.0] * len(labels)), 1.0)
        study["cv_on_calibration_subset"][name] = {
            "auroc": round(auroc(scores, labels), 4),
            "savings_vs_oracle": round(savings_at(curve, 1.0) / oracle, 4) if oracle else 0.0,
        }
    test_rows = load_options("test", data["test"])
    if test_rows is not None:
        test_items = subset(data["test"])
        test_kept = [records["test"][data["test"].index(item)] for item in test_items]
        extras = [{k: float(row[k]) for k in keys} for row in test_rows]
        study["test_subset"] = {}
        for name, added in {"none": (), **OPTION_SETS}.items():
            params = fit("calibration", items, kept, l2, (*FEATURE_NAMES, *added),
                         [{k: float(row[k]) for k in keys} for row in cal_rows])
            study["test_subset"][name] = brief(evaluate(test_items, test_kept, LogisticPolicy(params), extras=extras))
        timed = [r for r in test_rows if "greedy_ms" in r]  # the items whose greedy answer was timed beside them
        greedy = sum(float(r["greedy_ms"]) for r in timed)
        study["local_time_vs_greedy"] = {
            "items_timed": len(timed),
            "self_consistency_extra": round(sum(float(r["sc_ms"]) for r in timed) / greedy, 3),
            "self_check_extra": round(sum(float(r["check_ms"]) for r in timed) / greedy, 3),
        }
    return study


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """The report without its curves and per-kind table."""
    return {k: v for k, v in report.items() if k not in ("curves", "by_kind")}


def main() -> None:
    """Run the evaluation and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write-default", action="store_true", help="also write edge/default_policy.yaml")
    parser.add_argument("--threads", type=int, help="CPU threads for the local model")
    args = parser.parse_args()

    data = {split: load_suite(SUITE / f"{split}.jsonl") for split in (*SPLITS, UNSEEN)}
    records = {split: local_records(split, items, args.threads) for split, items in data.items()}
    # The ridge strength comes from the calibration split alone; the shifted suite stays unseen.
    l2, cv_losses = cross_validated_l2(record_features(data["calibration"], records["calibration"]),
                                       [r.correct for r in records["calibration"]])
    fitted = {split: fit(split, data[split], records[split], l2) for split in SPLITS}
    shifted = evaluate(data[UNSEEN], records[UNSEEN], LogisticPolicy(fitted["calibration"]))
    if args.write_default:
        (ROOT / "edge" / "default_policy.yaml").write_text(params_to_yaml(fitted["calibration"]), encoding="utf-8")

    main_report = evaluate(data["test"], records["test"], LogisticPolicy(fitted["calibration"]))
    plot_report(main_report, RESULTS / "eval_test.png", title="test split")
    stability = {}
    for fit_on, measure_on in (("calibration", "test"), ("test", "calibration")):
        held_out = evaluate(data[measure_on], records[measure_on], LogisticPolicy(fitted[fit_on]))
        stability[f"fit_{fit_on}_measure_{measure_on}"] = {
            "target_accuracy_share": 0.95,
            "fit_accuracy": fitted[fit_on].meta["fit_accuracy"],
            "fit_escalation_rate": fitted[fit_on].meta["fit_escalation_rate"],
            "held_out_accuracy": held_out["accuracy"],
            "held_out_escalation_rate": held_out["escalation_rate"],
            "accuracy_gap_points": 100 * (held_out["accuracy"] - 0.95 * held_out["cloud_accuracy"]),
            "escalation_gap_points": 100 * (held_out["escalation_rate"] - fitted[fit_on].meta["fit_escalation_rate"]),
            "auroc": held_out["auroc"],
        }
    in_sample = evaluate(data["calibration"], records["calibration"], LogisticPolicy(fitted["calibration"]))
    results = {
        "command": COMMAND,
        "model": C.BUNDLED_MODEL_NAME,
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "test": main_report,
        "calibration_in_sample": headline(in_sample),
        "shifted_unseen": {**headline(shifted), "by_kind": shifted["by_kind"]},
        "stability": stability,
        "l2_cross_validation": {"chosen": l2, "held_out_log_loss": {str(k): round(v, 4) for k, v in cv_losses.items()}},
        "ablations": ablations(data, records, l2),
        "options": option_study(data, records, l2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "eval.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"test": headline(main_report), "shifted_unseen": headline(shifted), "stability": stability,
                      **{k: results[k] for k in ("l2_cross_validation", "ablations", "options")}},
                     indent=2))


if __name__ == "__main__":
    main()
