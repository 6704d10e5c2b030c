"""The evaluation harness: load a labelled suite, run the local model on it, score answers, and measure a
policy's routing (AUROC, accuracy against escalation rate, savings at 95% of cloud-only accuracy, cloud bytes).

Everything here runs on the device; `--cloud oracle` simulates a perfect large model, so no network is needed.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from edge.features import RequestShape, extract_features
from edge.model import LocalModel
from edge.pipeline import LOCAL_SYSTEM_PROMPT
from edge.planner import SNIPPET_MIN_CONTEXT_CHARS, ContextDoc, Ranker, bm25_scores, plan_subquery, sanitize_request
from edge.policy import LogisticPolicy, mean_logprob_confidence
from edge.privacy import PrivacyFilter, Vault
from shared.config import PrivacySettings
from shared.constants import DEFAULT_EVAL_MAX_TOKENS as DEFAULT_EVAL_MAX_TOKENS  # re-exported for bench/eval
from shared.errors import InvalidRequest
from shared.privacy import DEFAULT_DETECTORS

Match = Literal["contains", "exact", "numeric"]
MATCHES: tuple[str, ...] = ("contains", "exact", "numeric")
TARGET_SHARE = 0.95  # savings are measured where accuracy reaches 95% of cloud-only accuracy

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_NON_WORD = re.compile(r"[^\w\s]")


@dataclass(frozen=True, slots=True)
class EvalItem:
    """One labelled question."""

    id: str
    prompt: str
    context: str | None
    answer: str
    match: Match
    kind: str = ""


@dataclass(frozen=True, slots=True)
class LocalRecord:
    """The local model's attempt at one item, with what the policy needs and whether it was right."""

    id: str
    text: str
    logprobs: tuple[float, ...]
    prompt_tokens: int
    truncated: bool
    correct: bool
    entropies: tuple[float, ...] = ()  # per-token top-k entropies, beside `logprobs`


def load_suite(path: Path) -> list[EvalItem]:
    """Read a JSONL suite; any bad line is an InvalidRequest naming the file, line and field."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidRequest(f"--data: cannot read {path}: {exc.strerror}") from None
    items: list[EvalItem] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}: line {number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidRequest(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(raw, dict):
            raise InvalidRequest(f"{where}: each line must be a JSON object")
        item = _parse_item(raw, where)
        if item.id in seen:
            raise InvalidRequest(f"{where}: id {item.id!r} appears twice")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise InvalidRequest(f"{path}: holds no items")
    return items


def _parse_item(raw: dict[str, Any], where: str) -> EvalItem:
    for key in ("id", "prompt", "answer"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise InvalidRequest(f"{where}: field {key!r} must be a non-empty string")
    context = raw.get("context")
    if context is not None and not isinstance(context, str):
        raise InvalidRequest(f"{where}: field 'context' must be a string or null")
    match = raw.get("match", "contains")
    if match not in MATCHES:
        raise InvalidRequest(f"{where}: field 'match' must be one of {', '.join(MATCHES)}, not {match!r}")
    if match == "numeric" and _to_number(raw["answer"]) is None:
        raise InvalidRequest(f"{where}: field 'answer' must be a number when match is 'numeric'")
    kind = raw.get("kind", "")
    if not isinstance(kind, str):
        raise InvalidRequest(f"{where}: field 'kind' must be a string")
    return EvalItem(raw["id"], raw["prompt"], context or None, raw["answer"], match, kind)


def _normalize(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


def _to_number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def is_correct(output: str, item: EvalItem) -> bool:
    """Whether `output` answers `item` under its match rule."""
    if item.match == "numeric":
        target = _to_number(item.answer)
        found = (_to_number(m.group()) for m in _NUMBER.finditer(output))
        return any(value is not None and target is not None and math.isclose(value, target) for value in found)
    if item.match == "exact":
        return _normalize(output) == _normalize(item.answer)
    return _normalize(item.answer) in _normalize(output)


def local_messages(item: EvalItem) -> list[dict[str, str]]:
    """The chat the daemon's pipeline would give the local model for this item (no history)."""
    user = item.prompt if item.context is None else f"Context:\n{item.context}\n\nQuestion: {item.prompt}"
    return [{"role": "system", "content": LOCAL_SYSTEM_PROMPT}, {"role": "user", "content": user}]


def run_local(
    model: LocalModel,
    items: Sequence[EvalItem],
    max_tokens: int = DEFAULT_EVAL_MAX_TOKENS,
    progress: Callable[[int, int], None] | None = None,
) -> list[LocalRecord]:
    """Answer every item greedily with the local model."""
    records = []
    for index, item in enumerate(items):
        prompt = model.fit_prompt(local_messages(item), max_tokens)
        text, logprobs, entropies = "", [], []
        for event in model.generate(prompt.tokens, max_tokens, 0.0):
            text += event.text
            logprobs.append(event.logprob)
            entropies.append(event.entropy)
        text = text.strip()
        records.append(
            LocalRecord(item.id, text, tuple(logprobs), len(prompt.tokens), prompt.truncated, is_correct(text, item),
                        tuple(entropies))
        )
        if progress is not None:
            progress(index + 1, len(items))
    return records


def save_records(path: Path, records: Iterable[LocalRecord], model_name: str) -> None:
    """Cache local attempts as JSONL, tagged with the model that made them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            row = asdict(record)
            row["logprobs"] = [round(v, 5) for v in record.logprobs]
            row["entropies"] = [round(v, 5) for v in record.entropies]
            out.write(json.dumps({"model": model_name, **row}) + "\n")


def load_records(path: Path, model_name: str, items: Sequence[EvalItem]) -> list[LocalRecord] | None:
    """Cached attempts for exactly these items by this model, or None when the cache does not match."""
    if not path.exists():
        return None
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    # A cache from before the entropy feature lacks `entropies`: regenerate it rather than feed the policy blanks.
    by_id = {row["id"]: row for row in rows if row.get("model") == model_name and "entropies" in row}
    if set(by_id) != {item.id for item in items}:
        return None
    records = []
    for item in items:
        row = by_id[item.id]
        # Correctness is re-scored, so a changed match rule never reads a stale label.
        records.append(
            LocalRecord(item.id, row["text"], tuple(row["logprobs"]), row["prompt_tokens"], row["truncated"],
                        is_correct(row["text"], item), tuple(row["entropies"]))
        )
    return records


# ---------------------------------------------------------------- routing metrics


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the ROC curve of `scores` for `labels` (ties count half); 0.5 when one class is missing."""
    positives = [s for s, y in zip(scores, labels, strict=True) if y]
    negatives = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not positives or not negatives:
        return 0.5
    # Rank-sum form: O(n log n), with average ranks for ties.
    ordered = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and scores[ordered[j + 1]] == scores[ordered[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[ordered[k]] = (i + j) / 2 + 1
        i = j + 1
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """Accuracy reached at an escalation rate."""

    escalation_rate: float
    accuracy: float


def policy_curve(scores: Sequence[float], edge: Sequence[bool], cloud: Sequence[float]) -> list[CurvePoint]:
    """Accuracy against escalation rate, escalating the lowest-scoring items first (ties together)."""
    n = len(scores)
    order = sorted(range(n), key=lambda i: scores[i])
    right = float(sum(edge))
    points = [CurvePoint(0.0, right / n)]
    k = 0
    while k < n:
        j = k
        while j < n and scores[order[j]] == scores[order[k]]:
            right += cloud[order[j]] - float(edge[order[j]])
            j += 1
        k = j
        points.append(CurvePoint(k / n, right / n))
    return points


def oracle_curve(edge: Sequence[bool], cloud: Sequence[float]) -> list[CurvePoint]:
    """The perfect router: escalate first where the cloud gains most over the local answer."""
    gains = sorted((c - float(e) for e, c in zip(edge, cloud, strict=True)), reverse=True)
    n = len(gains)
    right = float(sum(edge))
    points = [CurvePoint(0.0, right / n)]
    for k, gain in enumerate(gains, 1):
        right += gain
        points.append(CurvePoint(k / n, right / n))
    # Escalating past the useful items only loses accuracy; a perfect router stops there.
    best = 0.0
    return [CurvePoint(p.escalation_rate, best := max(best, p.accuracy)) for p in points]


def savings_at(curve: Sequence[CurvePoint], cloud_only_accuracy: float, share: float = TARGET_SHARE) -> float:
    """Share of cloud calls saved against cloud-only at the lowest escalation rate reaching `share` of its accuracy."""
    goal = share * cloud_only_accuracy - 1e-12
    reached = [p.escalation_rate for p in curve if p.accuracy >= goal]
    return 1.0 - min(reached) if reached else 0.0


# ---------------------------------------------------------------- features, bytes and the report


def record_features(items: Sequence[EvalItem], records: Sequence[LocalRecord],
                    extras: Sequence[Mapping[str, float]] | None = None) -> list[dict[str, float]]:
    """The policy's features for each local attempt, exactly as the daemon computes them; `extras` holds each item's
    optional features (self-consistency, self-check) when they were computed."""
    rows = [
        extract_features(RequestShape(item.prompt, item.context or ""), record.text, record.logprobs, record.entropies)
        for item, record in zip(items, records, strict=True)
    ]
    if extras is not None:
        rows = [{**row, **extra} for row, extra in zip(rows, extras, strict=True)]
    return rows


def full_bytes(item: EvalItem) -> int:
    """Bytes of the naive escalation: the prompt with its whole context."""
    return len(item.prompt.encode("utf-8")) + (len(item.context.encode("utf-8")) + 2 if item.context else 0)


def subquery_bytes(items: Sequence[EvalItem], ranker: Ranker = bm25_scores) -> list[int]:
    """Bytes of the sanitized sub-query the planner would send for each item (user message only)."""
    return [len(text.encode("utf-8")) for text in subquery_texts(items, ranker)]


def subquery_texts(items: Sequence[EvalItem], ranker: Ranker = bm25_scores) -> list[str]:
    """The sanitized sub-query (user message) the planner would send for each item, snippets picked by `ranker`.

    The pattern detectors pseudonymize here; NER would only swap names for placeholders of similar length.
    """
    with tempfile.TemporaryDirectory(prefix="tandem-eval-") as tmp:
        vault = Vault(Path(tmp) / "vault.db")
        try:
            privacy = PrivacyFilter(PrivacySettings(), vault, DEFAULT_DETECTORS)
            texts = []
            for item in items:
                docs = [ContextDoc("", item.context)] if item.context else []
                request = sanitize_request(privacy, f"eval-{item.id}", item.prompt, docs)
                texts.append(plan_subquery(request, ranker=ranker).sent_text)
        finally:
            vault.close()
    return texts


def answer_kept(item: EvalItem, sent_text: str) -> bool:
    """Whether the sub-query still holds the item's answer, so a cloud model could read it off the snippets."""
    return _normalize(item.answer) in _normalize(sent_text)


def long_context_ids(items: Sequence[EvalItem]) -> list[int]:
    """Indices of the items whose context is long enough for snippet selection."""
    return [i for i, item in enumerate(items) if item.context and len(item.context) >= SNIPPET_MIN_CONTEXT_CHARS]


def _rate_accuracy(scores: Sequence[float], edge: Sequence[bool], cloud: Sequence[float],
                   threshold: float) -> tuple[float, float, list[bool]]:
    escalated = [s < threshold for s in scores]
    right = sum(c if e else float(ok) for e, ok, c in zip(escalated, edge, cloud, strict=True))
    return right / len(scores), sum(escalated) / len(scores), escalated


def evaluate(
    items: Sequence[EvalItem],
    records: Sequence[LocalRecord],
    policy: LogisticPolicy,
    cloud: Sequence[float] | None = None,
    extras: Sequence[Mapping[str, float]] | None = None,
    ranker: Ranker = bm25_scores,
) -> dict[str, Any]:
    """The evaluation report: `cloud` is each item's cloud correctness (None: the oracle, always right); `extras`
    the optional features per item; `ranker` how sub-queries pick snippets."""
    n = len(items)
    edge = [r.correct for r in records]
    cloud_right = list(cloud) if cloud is not None else [1.0] * n
    cloud_only = sum(cloud_right) / n
    rows = record_features(items, records, extras)
    scores = [policy.params.model.score(row) for row in rows]
    baseline = [mean_logprob_confidence(r.logprobs) for r in records]
    accuracy, rate, escalated = _rate_accuracy(scores, edge, cloud_right, policy.threshold)
    curve, base_curve = policy_curve(scores, edge, cloud_right), policy_curve(baseline, edge, cloud_right)
    oracle = oracle_curve(edge, cloud_right)
    texts = subquery_texts(items, ranker)
    sent = [len(text.encode("utf-8")) for text in texts]
    full = [full_bytes(item) for item in items]
    long_ids = long_context_ids(items)
    savings, oracle_savings = savings_at(curve, cloud_only), savings_at(oracle, cloud_only)
    report: dict[str, Any] = {
        "n": n,
        "edge_accuracy": sum(edge) / n,
        "cloud_accuracy": cloud_only,
        "auroc": auroc(scores, edge),
        "threshold": policy.threshold,
        "escalation_rate": rate,
        "accuracy": accuracy,
        "accuracy_share_of_cloud": accuracy / cloud_only if cloud_only else 0.0,
        "savings_at_95": savings,
        "oracle_savings_at_95": oracle_savings,
        "savings_vs_oracle": savings / oracle_savings if oracle_savings else 0.0,
        "cloud_bytes_ratio": sum(s for s, e in zip(sent, escalated, strict=True) if e) / sum(full),
        "baseline_mean_logprob": {
            "auroc": auroc(baseline, edge),
            "savings_at_95": savings_at(base_curve, cloud_only),
        },
        "long_context": {
            "n": len(long_ids),
            "cloud_bytes_ratio": sum(sent[i] for i in long_ids if escalated[i]) / max(1, sum(full[i] for i in long_ids)),
            "cloud_bytes_ratio_all_escalated": sum(sent[i] for i in long_ids) / max(1, sum(full[i] for i in long_ids)),
            "answer_kept_share": sum(answer_kept(items[i], texts[i]) for i in long_ids) / max(1, len(long_ids)),
        },
        "by_kind": _by_kind(items, edge, escalated),
        "curves": {
            "policy": [asdict(p) for p in curve],
            "mean_logprob": [asdict(p) for p in base_curve],
            "oracle": [asdict(p) for p in oracle],
        },
    }
    return report


def _by_kind(items: Sequence[EvalItem], edge: Sequence[bool], escalated: Sequence[bool]) -> dict[str, dict[str, float]]:
    kinds: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        kinds.setdefault(item.kind or "unlabelled", []).append(i)
    return {
        kind: {
            "n": len(ids),
            "edge_accuracy": sum(edge[i] for i in ids) / len(ids),
            "escalation_rate": sum(escalated[i] for i in ids) / len(ids),
        }
        for kind, ids in sorted(kinds.items())
    }


def plot_report(report: dict[str, Any], path: Path, title: str = "Tandem routing") -> None:
    """Accuracy against escalation rate: the policy, mean logprob, random and oracle routing."""
    try:
        import matplotlib
    except ImportError:
        raise InvalidRequest("--plot needs matplotlib: pip install 'tandem[bench]'") from None
    matplotlib.use("Agg")  # no display on a server or in CI
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    curves = report["curves"]
    for key, label, style in (("policy", "Tandem policy (logistic)", "-"), ("mean_logprob", "mean token logprob", "--"),
                              ("oracle", "oracle router", ":")):
        points = curves[key]
        ax.plot([p["escalation_rate"] for p in points], [p["accuracy"] for p in points], style, label=label,
                drawstyle="steps-post" if key != "oracle" else "default")
    edge, cloud = report["edge_accuracy"], report["cloud_accuracy"]
    ax.plot([0, 1], [edge, cloud], "-.", color="grey", label="random routing")
    ax.axhline(TARGET_SHARE * cloud, color="lightgrey", linewidth=0.8, label="95% of cloud-only")
    ax.plot([report["escalation_rate"]], [report["accuracy"]], "o", color="black", label="calibrated threshold")
    ax.set_xlabel("escalation rate (share of requests sent to the cloud)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{title}: AUROC {report['auroc']:.2f}, n={report['n']}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
