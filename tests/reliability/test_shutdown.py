"""SIGTERM during in-flight streams, with `tandem edge serve` / `tandem cloud serve` as real subprocesses:
in-flight requests finish, new ones are refused, children are reaped, exit is bounded."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import grpc
import pytest

from edge.sdk import EdgeClient
from protos import cloud_pb2_grpc
from shared.errors import TandemError, Unavailable
from tests.fakes.upstream import ANSWER, FakeUpstream, Plan
from tests.helpers import short_tmpdir
from tests.reliability.conftest import ask_cloud
from tests.reliability.procs import Served, alive, children_of, wait_gone, write_config

pytestmark = [pytest.mark.e2e]

TOKEN = "shutdown-test-token"
EXIT_BOUND_S = 20.0


def _cloud_streams(target: str, count: int, results: list[Any], started: threading.Semaphore) -> list[threading.Thread]:
    def one() -> None:
        text, done = "", False
        try:
            with grpc.insecure_channel(target) as channel:
                stub = cloud_pb2_grpc.CloudStub(channel)
                for index, message in enumerate(stub.Escalate(ask_cloud(), metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=30)):
                    if index == 0:
                        started.release()
                    if message.HasField("done"):
                        done = True
                    else:
                        text += message.delta
            results.append((text, done, None))
        except grpc.RpcError as exc:
            started.release()
            results.append((text, done, exc.code()))

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_cloud_signal_finishes_in_flight_streams_and_refuses_new_ones(fake: FakeUpstream, signum: int) -> None:
    fake.default = Plan(delay_s=0.15)  # about a second per answer
    workdir = short_tmpdir()
    config = write_config(
        workdir / "cloud.yaml",
        {
            "listen": {"host": "127.0.0.1", "port": 0},
            "auth": {"tokens": [TOKEN]},
            "upstreams": [{"base_url": fake.base_url, "model": "fake-model"}],
            "shutdown_grace_s": 10,
        },
    )
    served = Served("cloud", config)
    try:
        results: list[Any] = []
        started = threading.Semaphore(0)
        threads = _cloud_streams(served.where, 6, results, started)
        for _ in threads:
            assert started.acquire(timeout=30)
        served.proc.send_signal(signum)
        time.sleep(0.3)
        late: list[Any] = []
        late_threads = _cloud_streams(served.where, 1, late, threading.Semaphore(0))
        for thread in threads + late_threads:
            thread.join(30)
        assert served.wait(EXIT_BOUND_S) == 0
        assert results == [(ANSWER, True, None)] * 6  # 0 lost
        assert late[0][2] == grpc.StatusCode.UNAVAILABLE  # refused while draining
    finally:
        served.kill()


def test_edge_sigterm_finishes_in_flight_streams(tmp_path: Path) -> None:
    workdir = short_tmpdir()
    socket_path = workdir / "edge.sock"
    config = write_config(
        workdir / "edge.yaml",
        {"state_dir": str(workdir / "state"), "listen": {"socket_path": str(socket_path)}, "log_level": "WARNING"},
    )
    served = Served("edge", config)
    try:
        answers: list[Any] = []
        first_chunk = threading.Event()

        def one() -> None:
            try:
                with EdgeClient(socket_path) as client:
                    stream = client.stream("Count from one to twenty.", prefer="local", max_tokens=24, timeout=60)
                    for _ in stream:
                        first_chunk.set()
                    answers.append(stream.answer)
            except TandemError as exc:
                answers.append(exc)

        threads = [threading.Thread(target=one) for _ in range(2)]
        for thread in threads:
            thread.start()
        assert first_chunk.wait(60)
        served.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        with pytest.raises(Unavailable), EdgeClient(socket_path) as client:
            client.ask("hello", prefer="local", max_tokens=2, timeout=5)
        for thread in threads:
            thread.join(60)
        assert served.wait(EXIT_BOUND_S) == 0
        assert len(answers) == 2 and all(not isinstance(a, Exception) and a.text for a in answers), answers
        assert not socket_path.exists()
    finally:
        served.kill()


@pytest.mark.slow
def test_cloud_sigterm_reaps_the_embedded_upstream() -> None:
    workdir = short_tmpdir()
    config = write_config(
        workdir / "cloud.yaml",
        {"listen": {"host": "127.0.0.1", "port": 0}, "auth": {"tokens": [TOKEN]}, "embedded": {"n_ctx": 512}, "shutdown_grace_s": 30},
    )
    served = Served("cloud", config)
    try:
        children = served.children()
        assert children, "the embedded llama_cpp.server child should be running"
        results: list[Any] = []
        started = threading.Semaphore(0)
        threads = _cloud_streams(served.where, 1, results, started)
        assert started.acquire(timeout=60)
        served.proc.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join(60)
        assert served.wait(60) == 0
        assert results and results[0][1] and results[0][2] is None  # finished, with its Done
        for pid in children:
            assert wait_gone(pid, 10), f"orphan process {pid}"
        assert not any(alive(pid) for pid in children_of(served.pid))
    finally:
        served.kill()
