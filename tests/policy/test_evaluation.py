"""The evaluation harness: suite loading and scoring, routing metrics, and the committed suite itself."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from edge.evaluation import (
    EvalItem,
    LocalRecord,
    auroc,
    evaluate,
    is_correct,
    load_records,
    load_suite,
    oracle_curve,
    policy_curve,
    save_records,
    savings_at,
)
from edge.policy import LogisticPolicy
from shared import constants as C
from shared.errors import InvalidRequest

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "bench" / "eval"


def item(answer: str, match: str = "contains", **kw: object) -> EvalItem:
    return EvalItem(id="x", prompt=str(kw.get("prompt", "q?")), context=None, answer=answer, match=match)  # type: ignore[arg-type]


def test_match_rules() -> None:
    assert is_correct("The capital of France is Paris.", item("paris"))
    assert not is_correct("It is Lyon.", item("Paris"))
    assert is_correct("Paris", item("paris", "exact")) and not is_correct("Paris, France", item("Paris", "exact"))
    assert is_correct("347 * 29 = 10,063", item("10063", "numeric"))
    assert not is_correct("347 * 29 = 10,000", item("10063", "numeric"))
    assert not is_correct("seven", item("7", "numeric"))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 1: not valid JSON"),
        ("[1, 2]", "line 1: each line must be a JSON object"),
        ('{"id": "a", "prompt": "", "answer": "x"}', "field 'prompt'"),
        ('{"id": "a", "prompt": "q", "answer": "x", "match": "fuzzy"}', "field 'match'"),
        ('{"id": "a", "prompt": "q", "answer": "x", "context": 3}', "field 'context'"),
        ('{"id": "a", "prompt": "q", "answer": "many", "match": "numeric"}', "must be a number"),
    ],
)
def test_bad_suites_name_the_line_and_field(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "suite.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(InvalidRequest, match=message):
        load_suite(path)


def test_duplicate_ids_and_empty_files_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "suite.jsonl"
    row = json.dumps({"id": "a", "prompt": "q", "answer": "x"})
    path.write_text(f"{row}\n{row}\n", encoding="utf-8")
    with pytest.raises(InvalidRequest, match="appears twice"):
        load_suite(path)
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(InvalidRequest, match="no items"):
        load_suite(path)
    with pytest.raises(InvalidRequest, match="cannot read"):
        load_suite(tmp_path / "missing.jsonl")


def test_auroc_known_values() -> None:
    assert auroc([0.9, 0.8, 0.2, 0.1], [True, True, False, False]) == 1.0
    assert auroc([0.1, 0.2, 0.8, 0.9], [True, True, False, False]) == 0.0
    assert auroc([0.5, 0.5], [True, False]) == 0.5
    assert auroc([0.3, 0.6], [True, True]) == 0.5


def test_savings_policy_never_beats_the_oracle() -> None:
    edge = [True, False, True, False, True, False, False, True]
    cloud = [1.0] * len(edge)
    scores = [0.9, 0.2, 0.4, 0.3, 0.8, 0.6, 0.1, 0.7]
    policy, oracle = policy_curve(scores, edge, cloud), oracle_curve(edge, cloud)
    assert savings_at(oracle, 1.0) == pytest.approx(0.5)  # escalate exactly the 4 wrong ones
    assert savings_at(policy, 1.0) <= savings_at(oracle, 1.0)
    assert policy[0].accuracy == 0.5 and policy[-1].accuracy == 1.0


def test_suite_is_regenerated_identically() -> None:
    spec = importlib.util.spec_from_file_location("generate_suite", SUITE / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    splits = module.all_splits()
    assert set(splits) == {"calibration", "test", "shifted"}
    for split, rows in splits.items():
        lines = [json.dumps(row, ensure_ascii=False) for row in rows]
        assert (SUITE / f"{split}.jsonl").read_text(encoding="utf-8").splitlines() == lines


def test_committed_suite_shape() -> None:
    calibration, test = load_suite(SUITE / "calibration.jsonl"), load_suite(SUITE / "test.jsonl")
    assert 150 <= len(calibration) <= 300 and 150 <= len(test) <= 300
    assert not {i.prompt for i in calibration if i.context is None} & {i.prompt for i in test if i.context is None}
    kinds = {i.kind for i in test}
    assert {"arithmetic", "reasoning", "rare_fact", "capital", "lookup", "long_lookup"} <= kinds
    assert all(len(i.context or "") > 1500 for i in test if i.kind == "long_lookup")


def test_record_cache_round_trip_rescores_and_checks_the_model(tmp_path: Path) -> None:
    items = [EvalItem("a", "q?", None, "Paris", "contains"), EvalItem("b", "q?", None, "7", "numeric")]
    records = [LocalRecord("a", "It is Paris.", (-0.1,), 10, False, False, (0.4,)),
               LocalRecord("b", "8", (-1.0,), 10, False, True, (1.2,))]
    path = tmp_path / "cache.jsonl"
    save_records(path, records, "m1")
    again = load_records(path, "m1", items)
    assert again is not None and [r.correct for r in again] == [True, False]  # labels come from the match rule
    assert [r.entropies for r in again] == [(0.4,), (1.2,)]
    assert load_records(path, "other-model", items) is None
    assert load_records(path, "m1", items[:1]) is None
    # A cache written before the entropy feature is stale: the policy must not be fed blank entropies.
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "entropies"}) + "\n" for r in rows),
                    encoding="utf-8")
    assert load_records(path, "m1", items) is None


def test_report_on_the_committed_test_split() -> None:
    """The shipped policy on the cached local answers of the committed test split: every key, sane values."""
    items = load_suite(SUITE / "test.jsonl")
    records = load_records(ROOT / "bench" / "results" / "local_test.jsonl", C.BUNDLED_MODEL_NAME, items)
    if records is None:
        pytest.skip("bench/results/local_test.jsonl is missing or stale: run bench/eval/run.py")
    report = evaluate(items, records, LogisticPolicy.from_file())
    for key in ("n", "edge_accuracy", "auroc", "escalation_rate", "accuracy", "savings_at_95",
                "oracle_savings_at_95", "cloud_bytes_ratio"):
        assert 0.0 <= report[key] <= max(1.0, report["n"]), key
    assert report["n"] == len(items)
    assert report["savings_at_95"] <= report["oracle_savings_at_95"] + 1e-9
    assert report["long_context"]["cloud_bytes_ratio_all_escalated"] < 0.3
    assert report["auroc"] > report["baseline_mean_logprob"]["auroc"]
