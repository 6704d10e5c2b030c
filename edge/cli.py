"""The `tandem` command line: edge serve, cloud serve, ask, demo, config show.

Errors from Tandem print as one line naming what is wrong, with exit code 2 (config, model,
request) or 1 (runtime); never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from shared.errors import ConfigError, InvalidRequest, ModelError, TandemError

EXAMPLES = """examples:
  tandem demo                                   run the built-in end-to-end demo
  tandem edge serve --config edge.yaml          run the laptop daemon
  tandem cloud serve --config cloud.yaml        run the cloud service
  tandem ask "Summarize this" --context note.txt --prefer auto
  tandem config show edge                       print the effective edge config
  tandem status --json                          daemon, model, cloud, today's escalations
  tandem edge install-service --dry-run         run the daemon at login (systemd/launchd)
"""


def _cmd_edge_serve(args: argparse.Namespace) -> int:
    from edge.daemon import serve
    from edge.status_cli import edge_progress
    from shared.config import load_edge_config
    from shared.logging import setup_logging

    config = load_edge_config(args.config)
    setup_logging(config.log_level)
    asyncio.run(serve(config, on_ready=edge_progress(config)))
    return 0


def _cmd_cloud_serve(args: argparse.Namespace) -> int:
    from cloud.loop import run as run_loop
    from cloud.server import serve
    from edge.status_cli import cloud_progress
    from shared.config import load_cloud_config
    from shared.logging import setup_logging

    config = load_cloud_config(args.config)
    setup_logging(config.log_level)
    run_loop(serve(config, on_ready=cloud_progress(config)))
    return 0


def _read_context(paths: Sequence[Path]) -> dict[str, str]:
    docs = {}
    for path in paths:
        try:
            docs[path.name] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidRequest(f"--context {path}: cannot read it ({type(exc).__name__})") from None
    return docs


def _cmd_ask(args: argparse.Namespace) -> int:
    from edge.sdk import EdgeClient

    context = _read_context(args.context)
    with EdgeClient(args.socket, target=args.target, timeout=args.timeout) as client:
        if args.json:
            answer = client.ask(args.prompt, context=context, session_id=args.session, prefer=args.prefer, max_tokens=args.max_tokens)
            print(json.dumps(asdict(answer), indent=2, ensure_ascii=False))
            return 0
        stream = client.stream(args.prompt, context=context, session_id=args.session, prefer=args.prefer, max_tokens=args.max_tokens)
        for chunk in stream:
            print(chunk.text, end="", flush=True)
        answer = stream.answer
        print()
        print(
            f"[{answer.route}{' (degraded)' if answer.degraded else ''} · confidence {answer.confidence:.2f} · "
            f"{answer.timings_ms.get('total', 0):.0f} ms · session {answer.session_id}] {answer.reason}",
            file=sys.stderr,
        )
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from edge.demo import run_demo

    return asyncio.run(run_demo(json_output=args.json))


def _cmd_config_show(args: argparse.Namespace) -> int:
    from shared.config import dump_config, load_cloud_config, load_edge_config

    loader: Callable[[Path | None], object] = load_edge_config if args.which == "edge" else load_cloud_config
    print(dump_config(loader(args.config)), end="")  # type: ignore[arg-type]
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    parser = argparse.ArgumentParser(
        prog="tandem",
        description="Tandem: a private edge model that escalates sanitized sub-queries to a cloud model.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    edge = sub.add_parser("edge", help="the laptop daemon").add_subparsers(dest="edge_command", required=True, metavar="ACTION")
    edge_serve = edge.add_parser("serve", help="run the edge daemon on a Unix socket")
    edge_serve.add_argument("--config", type=Path, help="edge YAML config (default: built-in defaults)")
    edge_serve.set_defaults(func=_cmd_edge_serve)
    __import__("edge.service_install").service_install.register(edge)

    cloud = sub.add_parser("cloud", help="the cloud service").add_subparsers(dest="cloud_command", required=True, metavar="ACTION")
    cloud_serve = cloud.add_parser("serve", help="run the cloud gRPC service")
    cloud_serve.add_argument("--config", type=Path, help="cloud YAML config (default: built-in defaults)")
    cloud_serve.set_defaults(func=_cmd_cloud_serve)

    ask = sub.add_parser("ask", help="ask the running edge daemon")
    ask.add_argument("prompt")
    ask.add_argument("--context", type=Path, action="append", default=[], help="a private document (repeatable)")
    ask.add_argument("--prefer", choices=("auto", "local", "cloud"), default="auto")
    ask.add_argument("--session", help="continue a session")
    ask.add_argument("--max-tokens", type=int)
    ask.add_argument("--socket", type=Path, help="daemon socket (default: the runtime dir)")
    ask.add_argument("--target", help="gRPC target instead of the socket, e.g. 127.0.0.1:7000")
    ask.add_argument("--timeout", type=float, default=300.0, help="seconds")
    ask.add_argument("--json", action="store_true", help="print the answer and its provenance as JSON")
    ask.set_defaults(func=_cmd_ask)

    demo = sub.add_parser("demo", help="start an embedded cloud and daemon, and run private requests through them")
    demo.add_argument("--json", action="store_true", help="print the results as JSON")
    demo.set_defaults(func=_cmd_demo)

    config = sub.add_parser("config", help="configuration").add_subparsers(dest="config_command", required=True, metavar="ACTION")
    show = config.add_parser("show", help="print the effective config (file + env overrides + defaults)")
    show.add_argument("which", choices=("edge", "cloud"))
    show.add_argument("--config", type=Path)
    show.set_defaults(func=_cmd_config_show)
    __import__("edge.privacy_cli").privacy_cli.register(sub)
    __import__("edge.status_cli").status_cli.register(sub)
    __import__("edge.eval_cli").eval_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tandem` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ConfigError, ModelError, InvalidRequest) as exc:
        print(f"tandem: {type(exc).__name__}: {exc.message}", file=sys.stderr)
        return 2
    except TandemError as exc:
        print(f"tandem: {type(exc).__name__}: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
