#!/usr/bin/env python3
"""gRPC health probe for the Tandem cloud service (grpc.health.v1), TLS-aware.

Kubernetes' built-in `grpc:` probe cannot speak TLS, and the cloud service requires TLS
whenever it listens beyond loopback, so the pod runs this instead. It reads the same
config file as the service: the port from `listen.port`, and TLS when `tls.cert` is set,
trusting `--ca` (default: ca.crt beside the certificate, as cert-manager writes it, else
the certificate itself); `--server-name` is a name in the certificate.
Exit status 0 means SERVING.

    tandem-health-probe --config /etc/tandem/cloud.yaml [--ca ca.crt] [--server-name tandem-cloud] [--timeout 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shared.config import load_cloud_config


def main(argv: list[str] | None = None) -> int:
    """Probe the local service; print one line and return 0 when SERVING."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=Path("/etc/tandem/cloud.yaml"))
    parser.add_argument("--server-name", default=None, help="TLS name in the service's certificate")
    parser.add_argument("--ca", type=Path, default=None, help="PEM CA that issued the service's certificate")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds")
    args = parser.parse_args(argv)
    config = load_cloud_config(args.config)
    target = f"127.0.0.1:{config.listen.port}"
    if config.tls.cert is not None:
        cert = Path(config.tls.cert)
        ca = args.ca or (cert.parent / "ca.crt" if (cert.parent / "ca.crt").exists() else cert)
        credentials = grpc.ssl_channel_credentials(root_certificates=ca.read_bytes())
        options = [("grpc.ssl_target_name_override", args.server_name)] if args.server_name else []
        channel = grpc.secure_channel(target, credentials, options=options)
    else:
        channel = grpc.insecure_channel(target)
    with channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=args.timeout)
        except grpc.RpcError as exc:
            print(f"not serving: {exc.code().name}", file=sys.stderr)
            return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    print(status)
    return 0 if reply.status == health_pb2.HealthCheckResponse.SERVING else 1


if __name__ == "__main__":
    sys.exit(main())
