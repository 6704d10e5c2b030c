#!/usr/bin/env bash
# Regenerate the committed protobuf/gRPC code beside protos/*.proto. Nobody edits the output by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"
"$PY" -m grpc_tools.protoc -I. \
  --python_out=. --grpc_python_out=. --pyi_out=. \
  protos/common.proto protos/edge.proto protos/cloud.proto
