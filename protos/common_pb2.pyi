from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Prefer(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PREFER_UNSPECIFIED: _ClassVar[Prefer]
    PREFER_AUTO: _ClassVar[Prefer]
    PREFER_LOCAL: _ClassVar[Prefer]
    PREFER_CLOUD: _ClassVar[Prefer]

class Route(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTE_UNSPECIFIED: _ClassVar[Route]
    ROUTE_LOCAL: _ClassVar[Route]
    ROUTE_CLOUD: _ClassVar[Route]
    ROUTE_REFUSED: _ClassVar[Route]
PREFER_UNSPECIFIED: Prefer
PREFER_AUTO: Prefer
PREFER_LOCAL: Prefer
PREFER_CLOUD: Prefer
ROUTE_UNSPECIFIED: Route
ROUTE_LOCAL: Route
ROUTE_CLOUD: Route
ROUTE_REFUSED: Route

class Usage(_message.Message):
    __slots__ = ("prompt_tokens", "completion_tokens")
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    prompt_tokens: int
    completion_tokens: int
    def __init__(self, prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ...) -> None: ...

class ErrorInfo(_message.Message):
    __slots__ = ("kind", "message")
    KIND_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    message: str
    def __init__(self, kind: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...
