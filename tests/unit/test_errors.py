"""The error ↔ gRPC status table works in both directions."""

from __future__ import annotations

import grpc
import pytest

from shared import errors
from shared.errors import STATUS_BY_ERROR, TandemError, from_status, status_for, trailing_metadata_for


@pytest.mark.parametrize("cls", list(STATUS_BY_ERROR))
def test_every_error_round_trips_through_status_and_trailers(cls: type[TandemError]) -> None:
    error = cls("something specific")
    rebuilt = from_status(status_for(error), error.message, trailing_metadata_for(error))
    assert type(rebuilt) is cls
    assert rebuilt.message == "something specific"


def test_status_without_trailers_maps_to_a_typed_error() -> None:
    assert isinstance(from_status(grpc.StatusCode.UNAVAILABLE, "down"), errors.Unavailable)
    assert isinstance(from_status(grpc.StatusCode.RESOURCE_EXHAUSTED, "full"), errors.Overloaded)
    assert isinstance(from_status(grpc.StatusCode.UNAUTHENTICATED, "no"), errors.Unauthenticated)


def test_transport_errors_are_retryable_and_status_errors_are_not() -> None:
    assert errors.Unavailable("x").retryable
    assert not errors.UpstreamError("x").retryable
    assert not errors.InvalidRequest("x").retryable
