"""Generated protobuf and gRPC code for the tandem.v1 API (made by scripts/gen_protos.sh; do not edit)."""
