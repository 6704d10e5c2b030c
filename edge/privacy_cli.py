"""`tandem sanitize --jsonl` (batch pseudonymization) and `tandem audit` (the egress ledger), as CLI subcommands.

sanitize reads JSON lines `{"text": ...}` on stdin and writes, in order, one line per input:
`{"sanitized": ..., "entities": [{"type", "start", "end", "placeholder"}]}` with offsets into
the input text and never an original value; a bad line gets `{"line": N, "error": ...}`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from shared.errors import ConfigError, PrivacyBlocked

SANITIZE_SESSION = "sanitize"


def register(subparsers: Any) -> None:
    """Add `sanitize` and `audit` to the `tandem` command's subparsers."""
    sanitize = subparsers.add_parser("sanitize", help="pseudonymize JSON lines from stdin with the privacy filter")
    sanitize.add_argument("--jsonl", action="store_true", required=True, help='read {"text": ...} lines, write one result line each')
    sanitize.add_argument("--preset", choices=("relaxed", "balanced", "strict"), help="strictness (default: the config's)")
    sanitize.add_argument("--config", type=Path, help="edge YAML config for entity actions and the deny-list")
    sanitize.set_defaults(func=_cmd_sanitize)

    audit = subparsers.add_parser("audit", help="list the egress ledger (what left the device), or verify its chain")
    audit.add_argument("--verify", action="store_true", help="check the hash chain and report tampering (exit 1)")
    audit.add_argument("--json", action="store_true", help="machine-readable output")
    audit.add_argument("--limit", type=int, help="only the last N records")
    audit.add_argument("--config", type=Path, help="edge YAML config (its state_dir holds the ledger)")
    audit.set_defaults(func=_cmd_audit)


# ---------------------------------------------------------------- sanitize


def _cmd_sanitize(args: argparse.Namespace) -> int:
    from edge.privacy import PrivacyFilter, Vault
    from shared.config import load_edge_config

    settings = load_edge_config(args.config).privacy
    if args.preset:
        settings = settings.model_copy(update={"preset": args.preset})
    with tempfile.TemporaryDirectory(prefix="tandem-sanitize-") as tmp:
        vault = Vault(Path(tmp) / "vault.db")
        try:
            privacy = PrivacyFilter(settings, vault)
            privacy.warm_up()  # the NER model loads once, here, or the run stops with the reason
            return sanitize_stream(privacy, sys.stdin, sys.stdout)
        finally:
            vault.close()


def sanitize_stream(privacy: Any, source: IO[str], sink: IO[str]) -> int:
    """Sanitize each JSON line of `source` into `sink`, in order; 0 if every line was good, else 1."""
    failures = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            result = _sanitize_line(privacy, line)
        except ValueError as exc:
            result = {"line": number, "error": str(exc)}
            failures += 1
        except PrivacyBlocked as exc:
            result = {"line": number, "error": exc.message}
            failures += 1
        sink.write(json.dumps(result, ensure_ascii=False) + "\n")
        sink.flush()
    return 1 if failures else 0


def _sanitize_line(privacy: Any, line: str) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(item, dict) or "text" not in item:
        raise ValueError('expected an object with a "text" field')
    if not isinstance(item["text"], str):
        raise ValueError(f'"text" must be a string, not {type(item["text"]).__name__}')
    result = privacy.sanitize(item["text"], SANITIZE_SESSION)
    entities = [
        {
            "type": span.entity_type,
            "start": span.start,
            "end": span.end,
            # An `allow`-ed value stays in the text as itself; never echo it as a "placeholder".
            "placeholder": None if privacy.settings.action_for(span.entity_type) == "allow" else replacement,
        }
        for span, replacement in zip(result.spans, result.replacements, strict=True)
    ]
    return {"sanitized": result.text, "entities": entities}


# ---------------------------------------------------------------- audit


def _cmd_audit(args: argparse.Namespace) -> int:
    from edge.ledger import EgressLedger
    from shared.config import load_edge_config

    path = load_edge_config(args.config).resolved_state_dir() / "egress.db"
    if not path.exists():
        raise ConfigError(f"no egress ledger at {path} (set state_dir in the config or TANDEM_STATE_DIR)")
    ledger = EgressLedger(path)
    try:
        if args.verify:
            return _print_verify(ledger, args.json, sys.stdout)
        _print_records(ledger, args.limit, args.json, sys.stdout)
        return 0
    finally:
        ledger.close()


def _print_verify(ledger: Any, as_json: bool, out: IO[str]) -> int:
    result = ledger.verify()
    if as_json:
        out.write(json.dumps({"ok": result.ok, "records": result.records, "first_bad_seq": result.first_bad_seq, "problem": result.problem}) + "\n")
    elif result.ok:
        out.write(f"ledger OK: {result.records} record(s), hash chain intact\n")
    else:
        out.write(f"ledger TAMPERED at record {result.first_bad_seq}: {result.problem} ({result.records} record(s))\n")
    return 0 if result.ok else 1


def _print_records(ledger: Any, limit: int | None, as_json: bool, out: IO[str]) -> None:
    for record in ledger.records(limit):
        when = datetime.fromtimestamp(record.ts, UTC).isoformat(timespec="seconds")
        if as_json:
            row = {
                "seq": record.seq,
                "time": when,
                "session": record.session_id,
                "destination": record.destination,
                "bytes": len(record.payload),
                "payload_sha256": hashlib.sha256(record.payload).hexdigest(),
                "payload_b64": base64.b64encode(record.payload).decode("ascii"),
                "entities": record.entities,
                "hash": record.hash,
            }
            out.write(json.dumps(row) + "\n")
        else:
            counts = ", ".join(f"{k}={v}" for k, v in sorted(record.entities.items())) or "none"
            out.write(
                f"#{record.seq} {when} session={record.session_id} to={record.destination} "
                f"{len(record.payload)} bytes sha256={hashlib.sha256(record.payload).hexdigest()[:16]} entities: {counts}\n"
            )
