"""`tandem edge install-service`: run the edge daemon as a per-user service (systemd on Linux, launchd on macOS).

Writes a systemd user unit or a launchd agent plist that starts `python -m edge edge serve`
with the same interpreter (so a virtual environment keeps working), never as root.
`--dry-run` prints the file instead of writing it; nothing is enabled behind the user's back:
the command prints the one line that loads the service.
"""

from __future__ import annotations

import argparse
import json
import os
import plistlib
import sys
from dataclasses import dataclass
from pathlib import Path

from shared.errors import ConfigError, InvalidRequest

SYSTEMD_UNIT_NAME = "tandem-edge.service"
LAUNCHD_LABEL = "dev.tandem.edge"
RESTART_DELAY_S = 5

EXAMPLES = """examples:
  tandem edge install-service --dry-run                     print the unit for this OS
  tandem edge install-service --config ~/.config/tandem/edge.yaml
  tandem edge install-service --platform macos --dry-run    print the launchd plist
  tandem edge install-service --json --dry-run              machine-readable
"""


@dataclass(frozen=True)
class ServiceFile:
    """A service definition: where it goes, what it holds, and how to load it."""

    platform: str
    path: Path
    content: str
    next_steps: tuple[str, ...]


def daemon_command(config: Path | None, python: str | None = None) -> list[str]:
    """The daemon's command line, with the current interpreter."""
    command = [python or sys.executable, "-m", "edge", "edge", "serve"]
    if config is not None:
        command += ["--config", str(config)]
    return command


def _systemd_quote(arg: str) -> str:
    # systemd splits ExecStart= on whitespace and treats quotes, backslashes and % specially.
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'"{escaped}"' if any(c.isspace() for c in arg) or escaped != arg else escaped


def systemd_unit(command: list[str], home: Path) -> ServiceFile:
    """A systemd user unit for `command`."""
    exec_start = " ".join(_systemd_quote(a) for a in command)
    content = f"""[Unit]
Description=Tandem edge daemon (private local model, sanitized cloud escalation)
After=network-online.target

[Service]
Type=simple
ExecStart={exec_start}
Restart=on-failure
RestartSec={RESTART_DELAY_S}
# Sockets, vault and ledger are private to the user.
UMask=0077
NoNewPrivileges=yes
Environment=PYTHONUNBUFFERED=1

[Install]
WantedBy=default.target
"""
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return ServiceFile(
        "linux",
        config_home / "systemd" / "user" / SYSTEMD_UNIT_NAME,
        content,
        (
            "systemctl --user daemon-reload",
            f"systemctl --user enable --now {SYSTEMD_UNIT_NAME}",
            f"journalctl --user -u {SYSTEMD_UNIT_NAME} -f",
        ),
    )


def launchd_plist(command: list[str], home: Path) -> ServiceFile:
    """A launchd agent plist for `command`."""
    logs = home / "Library" / "Logs"
    plist = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": command,
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},  # restart after a crash, not after a clean stop
        "ThrottleInterval": RESTART_DELAY_S,
        "ProcessType": "Background",
        "Umask": 0o077,
        "EnvironmentVariables": {"PYTHONUNBUFFERED": "1"},
        "StandardOutPath": str(logs / "tandem-edge.log"),
        "StandardErrorPath": str(logs / "tandem-edge.log"),
    }
    path = home / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
    return ServiceFile(
        "macos",
        path,
        plistlib.dumps(plist).decode("utf-8"),
        (f"launchctl bootstrap gui/$(id -u) {path}", f"launchctl kickstart -k gui/$(id -u)/{LAUNCHD_LABEL}"),
    )


def current_platform() -> str:
    """'linux' or 'macos'; InvalidRequest elsewhere."""
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "darwin":
        return "macos"
    raise InvalidRequest(f"--platform: no user-service manager is supported on {sys.platform}; use linux or macos")


def service_file(platform: str, config: Path | None, home: Path | None = None, python: str | None = None) -> ServiceFile:
    """The service file for `platform` ('auto', 'linux' or 'macos')."""
    if platform == "auto":
        platform = current_platform()
    command = daemon_command(config, python)
    home = home or Path.home()
    if platform == "linux":
        return systemd_unit(command, home)
    if platform == "macos":
        return launchd_plist(command, home)
    raise InvalidRequest(f"--platform: must be auto, linux or macos, not {platform!r}")


def _cmd_install_service(args: argparse.Namespace) -> int:
    from shared.config import load_edge_config

    config: Path | None = None
    if args.config is not None:
        config = args.config.expanduser().resolve()
        load_edge_config(config)  # a bad config fails now, with its field named, not at the next login
    service = service_file(args.platform, config)
    path = args.output.expanduser() if args.output else service.path
    if args.json:
        print(json.dumps({"platform": service.platform, "path": str(path), "written": not args.dry_run,
                          "next_steps": list(service.next_steps), "content": service.content}, indent=2))
    elif args.dry_run:
        print(f"# {path}")
        print(service.content, end="")
    if args.dry_run:
        return 0
    if path.exists() and not args.force:
        raise ConfigError(f"{path}: already exists; pass --force to replace it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(service.content, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write it ({exc.strerror})") from None
    if not args.json:
        print(f"wrote {path}\nto start it now and at every login, run:")
        for step in service.next_steps:
            print(f"  {step}")
    return 0


def register(edge_actions: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `install-service` to the `tandem edge` actions."""
    parser = edge_actions.add_parser(
        "install-service",
        help="run the edge daemon as a per-user service (systemd or launchd)",
        description=__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, help="edge YAML config the service runs with (checked now)")
    parser.add_argument("--platform", choices=("auto", "linux", "macos"), default="auto", help="which service manager")
    parser.add_argument("--output", type=Path, help="write here instead of the standard location")
    parser.add_argument("--dry-run", action="store_true", help="print the file; write nothing")
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=_cmd_install_service)
