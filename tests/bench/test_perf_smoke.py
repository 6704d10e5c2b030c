"""The performance harness runs end to end at its tiny size: real subprocesses, every section, JSON, table and plots."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.perf.stats import paired_difference, paired_ratio, percentile, summary

REPO = Path(__file__).resolve().parents[2]


def test_stats_pair_runs_in_order() -> None:
    """Ratios and differences pair the i-th subject run with the i-th baseline run."""
    assert paired_ratio([2.0, 3.0, 8.0], [1.0, 3.0, 4.0])["median"] == 2.0
    assert paired_difference([5.0, 7.0], [4.0, 4.0]) == summary([1.0, 3.0])
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile(list(map(float, range(101))), 99) == 99.0


@pytest.mark.e2e
@pytest.mark.slow
def test_perf_harness_runs_at_tiny_size(tmp_path: Path) -> None:
    """`python -m bench.perf --size tiny` writes every section, the table and the plots."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.perf", "--size", "tiny", "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "perf.json").read_text())
    for section in ("edge_decode", "edge_queue", "edge_cloud_path", "cloud_memory", "cloud_hop", "cloud_hop_paced", "cloud_per_core",
                    "cloud_scaling"):
        assert results.get(section), f"section {section} is missing"
    decode = results["edge_decode"]
    # The SDK path and the raw loop must decode the very same tokens, or the ratio compares different work.
    assert decode["completion_tokens"]["sdk_daemon"] == decode["completion_tokens"]["raw_generate"]
    assert all(hop["errors"] == {"direct": 0, "cloud": 0} for hop in [*results["cloud_hop"], results["cloud_hop_paced"]])
    # Paced answers (5 deltas 100 ms apart) take at least half a second either way: the stub really paced them.
    assert results["cloud_hop_paced"]["p50_direct_ms"]["min"] >= 500.0
    assert results["edge_cloud_path"]["routes"] == ["cloud"]
    assert results["cloud_memory"]["failures"] == 0
    assert results["memory"]["daemon_peak_rss_mb"] > results["model"]["file_mb"]
    table = (tmp_path / "perf.md").read_text()
    assert "| Edge decode tokens/s" in table and "make bench" in table
    for plot in ("perf_cloud_scaling.png", "perf_edge_queue.png", "perf_edge_decode.png"):
        assert (tmp_path / plot).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.e2e
def test_memory_steps_account_for_the_model_file() -> None:
    """`python -m bench.perf.memory_steps` reports each start-up step; loading and running the model adds its file."""
    from shared.model_files import bundled_model_path

    done = subprocess.run(
        [sys.executable, "-m", "bench.perf.memory_steps", "--ctx", "256"], cwd=REPO, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    steps = {s["step"]: s for s in json.loads(done.stdout)["steps"]}
    assert any(name.startswith("load the NER model") for name in steps)
    model_mb = bundled_model_path().stat().st_size / 2**20
    model_steps = [s["added_mb"] for name, s in steps.items() if name.startswith(("load the model", "generate"))]
    assert len(model_steps) == 2 and sum(model_steps) >= 0.9 * model_mb
