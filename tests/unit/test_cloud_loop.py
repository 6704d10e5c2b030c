"""`tandem cloud serve` runs on uvloop when it is installed (cloud/loop.py), and returns what its coroutine returns."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest

from cloud.loop import run


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


@pytest.mark.skipif(importlib.util.find_spec("uvloop") is None, reason="uvloop is not installed (the cloud extra brings it)")
def test_the_cloud_runs_on_uvloop_when_installed() -> None:
    assert run(_loop_module()).startswith("uvloop")


def test_run_returns_the_result_and_raises_the_error() -> None:
    async def fail() -> None:
        raise ValueError("boom")

    assert isinstance(run(_loop_module()), str)
    with pytest.raises(ValueError, match="boom"):
        run(fail())
