"""`tandem calibrate` and `tandem eval`: fit the escalation policy on labelled data, and measure routing.

Both run the local model on the data (or reuse a `--cache` of its answers made by the same model), so
they need nothing but the device; `tandem eval --cloud URL` also asks an OpenAI-compatible endpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared.constants import DEFAULT_EVAL_MAX_TOKENS
from shared.errors import InvalidRequest, PrivacyBlocked, Unavailable, UpstreamError

if TYPE_CHECKING:
    from edge.evaluation import EvalItem, LocalRecord

# edge.evaluation (the model, the privacy filter, spaCy) is imported inside each command: every `tandem`
# command builds this parser, and `tandem cloud serve` must not carry the edge's NER (about 65 MB of RSS).

CLOUD_ORACLE = "oracle"
CLOUD_EVAL_MAX_TOKENS = 128


def _local_records(items: Sequence[EvalItem], args: argparse.Namespace) -> tuple[list[LocalRecord], str]:
    """Local answers for `items`: from the cache when it matches the model, else generated (and cached)."""
    from edge.evaluation import load_records, run_local, save_records
    from edge.model import LocalModel
    from shared.config import ModelSettings

    settings = ModelSettings(path=args.model, n_threads=args.threads)
    model_name = _model_name(settings)
    cache: Path | None = args.cache
    if cache is not None:
        cached = load_records(cache, model_name, items)
        if cached is not None:
            return cached, model_name
    model = LocalModel(settings)

    def progress(done: int, total: int) -> None:
        if not getattr(args, "json", False) and (done % 25 == 0 or done == total):
            print(f"  local model: {done}/{total}", file=sys.stderr, flush=True)

    records = run_local(model, items, args.max_tokens, progress)
    if cache is not None:
        save_records(cache, records, model.name)
    return records, model.name


def _option_extras(items: Sequence[EvalItem], records: Sequence[LocalRecord],
                   args: argparse.Namespace) -> list[dict[str, float]] | None:
    """The optional features (--self-consistency K, --self-check) of each local answer, or None when both are off."""
    from edge.evaluation import local_messages
    from edge.model import LocalModel
    from edge.self_check import OptionSettings, option_features
    from shared.config import ModelSettings

    settings = OptionSettings(samples=args.self_consistency, self_check=args.self_check)
    if not settings.enabled:
        return None
    model = LocalModel(ModelSettings(path=args.model, n_threads=args.threads))
    extras = []
    for item, record in zip(items, records, strict=True):
        prompt = model.fit_prompt(local_messages(item), args.max_tokens).tokens
        extras.append(dict(option_features(model, settings, prompt, item.prompt, record.text, item.context or "")))
    return extras


def _model_name(settings: Any) -> str:
    from shared import constants as C

    return C.BUNDLED_MODEL_NAME if settings.path is None else Path(settings.path).stem


def _share(value: float | None) -> float | None:
    """Accept 0.95 or 95 for "95% of cloud-only accuracy"."""
    if value is None:
        return None
    return value / 100.0 if 1.0 < value <= 100.0 else value


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from edge.calibration import calibrate, cross_validated_l2, params_to_yaml
    from edge.evaluation import load_suite, record_features
    from edge.features import FEATURE_NAMES
    from edge.self_check import OptionSettings

    items = load_suite(args.data)
    records, model_name = _local_records(items, args)
    extras = _option_extras(items, records, args)
    names = (*FEATURE_NAMES, *OptionSettings(samples=args.self_consistency, self_check=args.self_check).enabled)
    rows, labels = record_features(items, records, extras), [r.correct for r in records]
    l2 = cross_validated_l2(rows, labels, names)[0] if args.l2 == "cv" else float(args.l2)
    params = calibrate(
        rows,
        labels,
        target_share=_share(args.target_accuracy),
        budget=args.budget,
        l2=l2,
        meta={"model": model_name, "data": args.data.name, "max_tokens": args.max_tokens},
        names=names,
    )
    text = params_to_yaml(params)
    if args.out is None:
        print(text, end="")
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        meta = params.meta
        print(
            f"wrote {args.out}: threshold {params.threshold:.3f}; on {meta['n']} items the local model is right "
            f"{sum(r.correct for r in records) / len(records):.0%}, routed accuracy {meta['fit_accuracy']:.0%} "
            f"at escalation rate {meta['fit_escalation_rate']:.0%}",
            file=sys.stderr,
        )
    return 0


def _cloud_correctness(items: Sequence[EvalItem], url: str, token_env: str, model: str) -> list[float]:
    """Ask an OpenAI-compatible endpoint each item's planned sub-query, and score its answers.

    Eval data may be private, so each item leaves the device the way an escalation does:
    pseudonymized by the privacy filter, scanned again by the egress guard, and written to the
    egress ledger (the edge config's state dir) before it is sent. An item that is blocked, or
    whose scan fails, is not sent and scores as a cloud miss; the answer is restored before scoring.
    """
    import tempfile

    from openai import OpenAI, OpenAIError

    from edge.evaluation import is_correct
    from edge.ledger import EgressLedger
    from edge.planner import ContextDoc, plan_subquery, sanitize_request
    from edge.privacy import EgressGuard, PrivacyFilter, Vault, restore_text
    from edge.storage import ensure_private_dir
    from shared.config import load_edge_config

    config = load_edge_config(None)
    client = OpenAI(base_url=url, api_key=os.environ.get(token_env) or "unused", max_retries=1)
    try:
        model = model or client.models.list().data[0].id
    except (OpenAIError, IndexError) as exc:
        raise Unavailable(f"--cloud {url}: cannot list its models ({type(exc).__name__}); give --cloud-model") from None
    right = []
    ledger = EgressLedger(ensure_private_dir(config.resolved_state_dir()) / "egress.db")
    with tempfile.TemporaryDirectory(prefix="tandem-eval-") as tmp:
        vault = Vault(Path(tmp) / "vault.db")
        privacy, guard = PrivacyFilter(config.privacy, vault), EgressGuard.from_settings(config.privacy)
        try:
            for item in items:
                session = f"eval-{item.id}"
                docs = [ContextDoc("", item.context)] if item.context else []
                try:
                    request = sanitize_request(privacy, session, item.prompt, docs)
                    subquery = plan_subquery(request)
                    guard.check(subquery.all_text)
                except PrivacyBlocked as exc:
                    print(f"tandem eval: item {item.id} not sent: {exc.message}", file=sys.stderr)
                    right.append(0.0)
                    continue
                if request.blocked_types:
                    print(f"tandem eval: item {item.id} not sent: it holds {', '.join(sorted(request.blocked_types))}",
                          file=sys.stderr)
                    right.append(0.0)
                    continue
                messages = [{"role": r, "content": c} for r, c in subquery.messages]
                ledger.append(session, url, json.dumps(messages).encode("utf-8"), subquery.entity_counts)
                try:
                    reply = client.chat.completions.create(model=model, messages=messages,  # type: ignore[arg-type]
                                                           max_tokens=CLOUD_EVAL_MAX_TOKENS, temperature=0.0)
                except OpenAIError as exc:
                    raise UpstreamError(f"--cloud {url}: item {item.id}: {type(exc).__name__}") from None
                answer = restore_text(reply.choices[0].message.content or "", vault.originals(session))
                right.append(float(is_correct(answer, item)))
        finally:
            vault.close()
            ledger.close()
    return right


def _cmd_eval(args: argparse.Namespace) -> int:
    from edge.evaluation import evaluate, load_suite, plot_report
    from edge.policy import LogisticPolicy
    from edge.self_check import OptionSettings

    items = load_suite(args.data)
    policy = LogisticPolicy.from_file(args.policy)
    missing = policy.optional_features - set(OptionSettings(samples=args.self_consistency, self_check=args.self_check).enabled)
    if missing:
        raise InvalidRequest(f"--policy weighs {', '.join(sorted(missing))}: add --self-consistency K and/or --self-check")
    records, _ = _local_records(items, args)
    extras = _option_extras(items, records, args)
    cloud = None if args.cloud == CLOUD_ORACLE else _cloud_correctness(items, args.cloud, args.cloud_token_env, args.cloud_model)
    report = evaluate(items, records, policy, cloud, extras)
    report["data"] = str(args.data)
    report["cloud"] = args.cloud
    if args.plot is not None:
        plot_report(report, args.plot, title=args.data.stem)
    if args.json:
        print(json.dumps(report if args.curves else {k: v for k, v in report.items() if k != "curves"}, indent=2))
        return 0
    print(
        f"n={report['n']}  edge accuracy {report['edge_accuracy']:.1%}  AUROC {report['auroc']:.3f} "
        f"(mean logprob {report['baseline_mean_logprob']['auroc']:.3f})\n"
        f"at threshold {report['threshold']:.3f}: escalation rate {report['escalation_rate']:.1%}, "
        f"accuracy {report['accuracy']:.1%}\n"
        f"savings at 95% of cloud-only: {report['savings_at_95']:.1%} (oracle {report['oracle_savings_at_95']:.1%})\n"
        f"cloud bytes ratio {report['cloud_bytes_ratio']:.3f}; long context "
        f"{report['long_context']['cloud_bytes_ratio_all_escalated']:.3f} when every item is escalated"
    )
    return 0


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="labelled JSONL: id, prompt, context, answer, match")
    parser.add_argument("--cache", type=Path, help="JSONL cache of the local model's answers (reused when it matches)")
    parser.add_argument("--model", type=Path, help="GGUF model (default: the bundled SmolLM2-135M)")
    parser.add_argument("--threads", type=_positive_int, help="CPU threads for the local model")
    parser.add_argument("--max-tokens", type=_positive_int, default=DEFAULT_EVAL_MAX_TOKENS, help="local answer length cap")
    parser.add_argument("--self-consistency", type=int, default=0, metavar="K", choices=range(0, 11),
                        help="add the sc_agreement feature from K sampled answers (0-10; the daemon then needs "
                             "policy.self_consistency_samples: K)")
    parser.add_argument("--self-check", action="store_true",
                        help="add the self_check_yes feature (the daemon then needs policy.self_check: true)")


def register(subparsers: Any) -> None:
    """Add `calibrate` and `eval` to the `tandem` command line."""
    cal = subparsers.add_parser("calibrate", help="fit the escalation policy on labelled data")
    _add_common(cal)
    goal = cal.add_mutually_exclusive_group()
    goal.add_argument("--target-accuracy", type=float,
                      help="reach this share of cloud-only accuracy (0.95 or 95) at the lowest escalation rate")
    goal.add_argument("--budget", type=float, help="best accuracy escalating at most this share of requests (0-1)")
    cal.add_argument("--out", type=Path, help="write the policy YAML here (default: print it)")
    cal.add_argument("--l2", type=_l2_value, default=1.0,
                     help="ridge strength (default 1.0), or 'cv' to choose it by 5-fold cross-validation")
    cal.set_defaults(func=_cmd_calibrate)

    ev = subparsers.add_parser("eval", help="measure the escalation policy on labelled data")
    _add_common(ev)
    ev.add_argument("--cloud", default=CLOUD_ORACLE, help="'oracle' (a perfect large model) or an OpenAI-compatible URL")
    ev.add_argument("--cloud-model", default="", help="model name for the --cloud URL (default: its first model)")
    ev.add_argument("--cloud-token-env", default="OPENAI_API_KEY", help="variable holding the --cloud URL's API key")
    ev.add_argument("--policy", type=Path, help="policy YAML (default: the one shipped in the package)")
    ev.add_argument("--json", action="store_true", help="print the report as one JSON object")
    ev.add_argument("--curves", action="store_true", help="include the accuracy/escalation curves in --json")
    ev.add_argument("--plot", type=Path, help="write a PNG of accuracy against escalation rate")
    ev.set_defaults(func=_cmd_eval)


def _l2_value(text: str) -> float | str:
    """An argparse type for --l2: a positive number, or 'cv'."""
    if text == "cv":
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number or 'cv'") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be positive")
    return value


def _positive_int(text: str) -> int:
    """An argparse type for counts that must be at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value
