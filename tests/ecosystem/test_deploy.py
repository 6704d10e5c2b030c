"""Deployment artefacts: `tandem edge install-service`, the Kubernetes manifests, the Dockerfile and the health probe."""

from __future__ import annotations

import json
import os
import plistlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.config import CloudConfig, parse_config
from shared.net import free_port
from tests.conftest import CloudHandle

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def tandem(*args: str, home: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the real CLI with HOME pointed at `home`."""
    env = {k: v for k, v in os.environ.items() if k != "XDG_CONFIG_HOME"}
    env["HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "edge", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


# ---------------------------------------------------------------- install-service


def test_install_service_dry_run_prints_a_systemd_user_unit(tmp_path: Path) -> None:
    config = tmp_path / "my edge.yaml"
    config.write_text("log_level: INFO\n")
    result = tandem("edge", "install-service", "--platform", "linux", "--dry-run", "--config", str(config), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"# {tmp_path}/.config/systemd/user/tandem-edge.service\n")
    exec_start = next(line for line in result.stdout.splitlines() if line.startswith("ExecStart="))
    # The same interpreter (so a venv keeps working); a path with a space is quoted for systemd.
    assert exec_start == f'ExecStart={sys.executable} -m edge edge serve --config "{config}"'
    assert "WantedBy=default.target" in result.stdout and "UMask=0077" in result.stdout
    assert not (tmp_path / ".config").exists(), "--dry-run must write nothing"


def test_install_service_dry_run_prints_a_launchd_plist(tmp_path: Path) -> None:
    result = tandem("edge", "install-service", "--platform", "macos", "--dry-run", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["path"] == f"{tmp_path}/Library/LaunchAgents/dev.tandem.edge.plist" and data["written"] is False
    plist = plistlib.loads(data["content"].encode())
    assert plist["Label"] == "dev.tandem.edge"
    assert plist["ProgramArguments"] == [sys.executable, "-m", "edge", "edge", "serve"]
    assert plist["RunAtLoad"] is True and plist["KeepAlive"] == {"SuccessfulExit": False}
    assert any("launchctl bootstrap" in step for step in data["next_steps"])


def test_install_service_writes_once_and_checks_the_config(tmp_path: Path) -> None:
    first = tandem("edge", "install-service", "--platform", "linux", home=tmp_path)
    unit = tmp_path / ".config/systemd/user/tandem-edge.service"
    assert first.returncode == 0, first.stderr
    assert unit.read_text().startswith("[Unit]")
    assert "systemctl --user enable --now tandem-edge.service" in first.stdout
    again = tandem("edge", "install-service", "--platform", "linux", home=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    assert tandem("edge", "install-service", "--platform", "linux", "--force", home=tmp_path).returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("listen:\n  http_port: 99999\n")
    broken = tandem("edge", "install-service", "--platform", "linux", "--dry-run", "--config", str(bad), home=tmp_path)
    assert broken.returncode == 2 and "listen.http_port" in broken.stderr
    assert "Traceback" not in broken.stderr


def test_install_service_help_has_examples(tmp_path: Path) -> None:
    result = tandem("edge", "install-service", "--help", home=tmp_path)
    assert result.returncode == 0 and "examples:" in result.stdout and "--dry-run" in result.stdout


# ---------------------------------------------------------------- manifests and image


def _manifests() -> dict[str, dict[str, Any]]:
    docs: dict[str, dict[str, Any]] = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") != "Kustomization":
                docs[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return docs


def test_kubernetes_manifests_are_complete_and_consistent() -> None:
    docs = _manifests()
    for key in ("Deployment/tandem-cloud", "Service/tandem-cloud", "HorizontalPodAutoscaler/tandem-cloud",
                "Secret/tandem-cloud-tokens", "Secret/tandem-cloud-tls", "ConfigMap/tandem-cloud-config"):
        assert key in docs, key
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(p.name for p in (DEPLOY / "k8s").glob("*.yaml") if p.name != "kustomization.yaml")

    # The ConfigMap holds a config the service accepts.
    config = parse_config(CloudConfig, yaml.safe_load(docs["ConfigMap/tandem-cloud-config"]["data"]["cloud.yaml"]), "configmap")
    container = docs["Deployment/tandem-cloud"]["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"grpc": config.listen.port, "metrics": config.metrics.port}
    # Probes speak grpc.health.v1 through the TLS-aware probe.
    for probe in ("readinessProbe", "livenessProbe"):
        assert "tandem-health-probe" in " ".join(container[probe]["exec"]["command"])
    # The tokens come from the Secret, hashed.
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    assert config.auth.tokens_env in env and env[config.auth.tokens_env]["name"] == "tandem-cloud-tokens"
    tokens = docs["Secret/tandem-cloud-tokens"]["stringData"]["tokens"]
    assert all(entry.startswith("sha256:") for entry in tokens.split(","))
    grace = docs["Deployment/tandem-cloud"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert config.shutdown_grace_s < grace
    assert docs["HorizontalPodAutoscaler/tandem-cloud"]["spec"]["scaleTargetRef"]["name"] == "tandem-cloud"


def test_example_cloud_config_and_dockerfile_sources_exist() -> None:
    parse_config(CloudConfig, yaml.safe_load((DEPLOY / "cloud.example.yaml").read_text()), "cloud.example.yaml")
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    sources = re.findall(r"^COPY (?!--from)(\S+)", dockerfile, flags=re.MULTILINE)
    assert sources, "the Dockerfile copies the sources"
    for source in sources:
        assert (ROOT / source).exists(), f"Dockerfile COPY {source}: not in the repository"
    assert 'ENTRYPOINT ["tandem", "cloud", "serve"]' in dockerfile


@pytest.mark.e2e
def test_health_probe_reports_the_real_service(cloud: CloudHandle, tmp_path: Path) -> None:
    config = tmp_path / "cloud.yaml"
    config.write_text(yaml.safe_dump({"listen": {"host": "127.0.0.1", "port": cloud.service.port}}))
    probe = [sys.executable, str(DEPLOY / "health_probe.py"), "--config", str(config)]
    up = subprocess.run(probe, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert up.returncode == 0 and up.stdout.strip() == "SERVING", up.stderr
    config.write_text(yaml.safe_dump({"listen": {"host": "127.0.0.1", "port": free_port()}}))
    down = subprocess.run([*probe, "--timeout", "1"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert down.returncode == 1 and "not serving" in down.stderr
