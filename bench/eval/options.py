"""The optional confidence features on the committed splits: `python -m bench.eval.options [--splits ...]`.

For every third item of the calibration and test splits (the whole splits cost more local time than these
shared cores have) it runs k-sample self-consistency and the self-check prompt on the cached greedy answer
(bench/results/local_<split>.jsonl) and times them; on every 4th test item it also times the greedy answer
itself, side by side, so the extra local time is a ratio measured in one run. Writes
bench/results/local_<split>_options.jsonl, which bench/eval/run.py reads to measure what each option adds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from edge.evaluation import DEFAULT_EVAL_MAX_TOKENS, EvalItem, load_suite, local_messages
from edge.features import CHECK_FEATURE, SC_FEATURE
from edge.model import LocalModel
from edge.self_check import OptionSettings, self_check, self_consistency
from shared import constants as C
from shared.config import ModelSettings

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "bench" / "eval"
RESULTS = ROOT / "bench" / "results"
SETTINGS = OptionSettings(samples=3, self_check=True)  # the config defaults, with k = 3
TIMED_GREEDY_SPLIT = "test"
TIMED_GREEDY_EVERY = 4  # the greedy answer is timed again on every 4th subset item of test: enough for a ratio
SUBSET_EVERY = 3  # items 0, 3, 6, ... of each split: every template, a third of the time


def options_path(split: str) -> Path:
    """Where a split's option features are cached."""
    return RESULTS / f"local_{split}_options.jsonl"


def subset(items: list[EvalItem]) -> list[EvalItem]:
    """The items the option features are computed for."""
    return items[::SUBSET_EVERY]


def load_options(split: str, items: list[EvalItem]) -> list[dict[str, float]] | None:
    """The cached option features for exactly `subset(items)` by the bundled model, in that order, or None."""
    path = options_path(split)
    if not path.exists():
        return None
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_id = {row["id"]: row for row in rows if row.get("model") == C.BUNDLED_MODEL_NAME}
    if set(by_id) != {item.id for item in subset(items)}:
        return None
    return [by_id[item.id] for item in subset(items)]


def run_split(model: LocalModel, split: str) -> None:
    """Compute and cache one split's option features."""
    items = subset(load_suite(SUITE / f"{split}.jsonl"))
    cached = {}
    for line in (RESULTS / f"local_{split}.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        cached[record["id"]] = record["text"]
    out = []
    for index, item in enumerate(items, 1):
        prompt = model.fit_prompt(local_messages(item), DEFAULT_EVAL_MAX_TOKENS).tokens
        answer = cached[item.id]
        row: dict[str, object] = {"model": model.name, "id": item.id}
        timed = split == TIMED_GREEDY_SPLIT and index % TIMED_GREEDY_EVERY == 1
        if timed:
            t0 = time.perf_counter()
            for _ in model.generate(prompt, DEFAULT_EVAL_MAX_TOKENS, 0.0):
                pass
            row["greedy_ms"] = round(1e3 * (time.perf_counter() - t0), 1)
        t1 = time.perf_counter()
        row[SC_FEATURE] = round(self_consistency(model, prompt, answer, SETTINGS), 5)
        t2 = time.perf_counter()
        row[CHECK_FEATURE] = round(self_check(model, item.prompt, answer, item.context or ""), 5)
        t3 = time.perf_counter()
        row["sc_ms"], row["check_ms"] = round(1e3 * (t2 - t1), 1), round(1e3 * (t3 - t2), 1)
        if not timed:
            row.pop("greedy_ms", None)
        out.append(row)
        if index % 10 == 0:
            print(f"  {split}: {index}/{len(items)}", file=sys.stderr)
    options_path(split).write_text("".join(json.dumps(r) + "\n" for r in out), encoding="utf-8")


def main() -> None:
    """Compute the option features for the named splits."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--splits", nargs="+", default=["calibration", "test"])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    model = LocalModel(ModelSettings(n_threads=args.threads, seed=1234))
    for split in args.splits:
        run_split(model, split)


if __name__ == "__main__":
    main()
