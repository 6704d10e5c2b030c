"""The escalation-policy evaluation: `python -m bench.eval.run [--write-default]`.

Runs the bundled model on both committed splits (reusing bench/results/local_<split>.jsonl when it was made
by the same model), fits the policy on the calibration split, and measures it on the test split against the
mean-logprob baseline, random and oracle routing, all in this one run, and on the shifted suite it never saw.
Calibration stability is checked both ways: fitted on one split, measured on the other. Writes
bench/results/eval.json and eval_test.png.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from edge.calibration import PolicyParams, calibrate, params_to_yaml
from edge.evaluation import (
    DEFAULT_EVAL_MAX_TOKENS,
    EvalItem,
    LocalRecord,
    evaluate,
    load_records,
    load_suite,
    plot_report,
    record_features,
    run_local,
    save_records,
)
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


def fit(split: str, items: list[EvalItem], records: list[LocalRecord]) -> PolicyParams:
    """The policy calibrated on one split for 95% of (oracle) cloud-only accuracy."""
    return calibrate(record_features(items, records), [r.correct for r in records], target_share=0.95,
                     meta={"model": C.BUNDLED_MODEL_NAME, "data": f"bench/eval/{split}.jsonl",
                           "max_tokens": DEFAULT_EVAL_MAX_TOKENS})


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
    fitted = {split: fit(split, data[split], records[split]) for split in SPLITS}
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
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "eval.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"test": headline(main_report), "shifted_unseen": headline(shifted), "stability": stability},
                     indent=2))


if __name__ == "__main__":
    main()
