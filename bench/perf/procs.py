"""Servers under test as real subprocesses, and what the kernel says about them (RSS, peak RSS, CPU time)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import yaml

READY_TIMEOUT_S = 120.0
PAGE_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port that was free a moment ago on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_yaml(path: Path, data: dict[str, object]) -> Path:
    """Write a config file for a server under test."""
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


class Server:
    """A subprocess that prints a line containing `ready` once it serves; stopped on exit."""

    def __init__(self, args: list[str], ready: str, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.args = args
        self.ready = ready
        self.log_path = log_path
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> Server:
        log = open(self.log_path, "w", encoding="utf-8")  # the child inherits it; ours closes below
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, stderr=log, text=True, env=self.env, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT_S
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if self.ready in line:
                return self
        self.stop()
        raise RuntimeError(f"{' '.join(self.args[:4])} did not start; see {self.log_path}:\n{self.log_path.read_text()[-2000:]}")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def _status_kb(self, field: str) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1])
        return float("nan")

    def rss_mb(self) -> float:
        """Resident memory now, MiB."""
        return self._status_kb("VmRSS") / 1024.0

    def peak_rss_mb(self) -> float:
        """Peak resident memory since start (VmHWM), MiB."""
        return self._status_kb("VmHWM") / 1024.0

    def cpu_s(self) -> float:
        """User + system CPU seconds the process has used (all its threads)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / PAGE_TICKS


def python_module(module: str, *args: str) -> list[str]:
    """argv to run `python -m module args` with this interpreter."""
    return [sys.executable, "-m", module, *args]


def tandem(*args: str) -> list[str]:
    """argv for the real `tandem` command line with this interpreter."""
    return [sys.executable, "-c", "import sys; from edge.cli import main; sys.exit(main())", *args]
