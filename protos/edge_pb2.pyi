from protos import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ContextDocument(_message.Message):
    __slots__ = ("name", "text")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    name: str
    text: str
    def __init__(self, name: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class AskOptions(_message.Message):
    __slots__ = ("prefer", "max_tokens", "temperature", "deadline_ms")
    PREFER_FIELD_NUMBER: _ClassVar[int]
    MAX_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    prefer: _common_pb2.Prefer
    max_tokens: int
    temperature: float
    deadline_ms: int
    def __init__(self, prefer: _Optional[_Union[_common_pb2.Prefer, str]] = ..., max_tokens: _Optional[int] = ..., temperature: _Optional[float] = ..., deadline_ms: _Optional[int] = ...) -> None: ...

class AskRequest(_message.Message):
    __slots__ = ("prompt", "context", "session_id", "options")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    context: _containers.RepeatedCompositeFieldContainer[ContextDocument]
    session_id: str
    options: AskOptions
    def __init__(self, prompt: _Optional[str] = ..., context: _Optional[_Iterable[_Union[ContextDocument, _Mapping]]] = ..., session_id: _Optional[str] = ..., options: _Optional[_Union[AskOptions, _Mapping]] = ...) -> None: ...

class Timings(_message.Message):
    __slots__ = ("total_ms", "queue_ms", "local_ms", "privacy_ms", "cloud_ms", "first_token_ms")
    TOTAL_MS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_MS_FIELD_NUMBER: _ClassVar[int]
    LOCAL_MS_FIELD_NUMBER: _ClassVar[int]
    PRIVACY_MS_FIELD_NUMBER: _ClassVar[int]
    CLOUD_MS_FIELD_NUMBER: _ClassVar[int]
    FIRST_TOKEN_MS_FIELD_NUMBER: _ClassVar[int]
    total_ms: float
    queue_ms: float
    local_ms: float
    privacy_ms: float
    cloud_ms: float
    first_token_ms: float
    def __init__(self, total_ms: _Optional[float] = ..., queue_ms: _Optional[float] = ..., local_ms: _Optional[float] = ..., privacy_ms: _Optional[float] = ..., cloud_ms: _Optional[float] = ..., first_token_ms: _Optional[float] = ...) -> None: ...

class Provenance(_message.Message):
    __slots__ = ("route", "confidence", "reason", "sent_text", "local_usage", "cloud_usage", "timings", "degraded", "local_model", "cloud_model", "entities", "cloud_error")
    class EntitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SENT_TEXT_FIELD_NUMBER: _ClassVar[int]
    LOCAL_USAGE_FIELD_NUMBER: _ClassVar[int]
    CLOUD_USAGE_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    LOCAL_MODEL_FIELD_NUMBER: _ClassVar[int]
    CLOUD_MODEL_FIELD_NUMBER: _ClassVar[int]
    ENTITIES_FIELD_NUMBER: _ClassVar[int]
    CLOUD_ERROR_FIELD_NUMBER: _ClassVar[int]
    route: _common_pb2.Route
    confidence: float
    reason: str
    sent_text: str
    local_usage: _common_pb2.Usage
    cloud_usage: _common_pb2.Usage
    timings: Timings
    degraded: bool
    local_model: str
    cloud_model: str
    entities: _containers.ScalarMap[str, int]
    cloud_error: _common_pb2.ErrorInfo
    def __init__(self, route: _Optional[_Union[_common_pb2.Route, str]] = ..., confidence: _Optional[float] = ..., reason: _Optional[str] = ..., sent_text: _Optional[str] = ..., local_usage: _Optional[_Union[_common_pb2.Usage, _Mapping]] = ..., cloud_usage: _Optional[_Union[_common_pb2.Usage, _Mapping]] = ..., timings: _Optional[_Union[Timings, _Mapping]] = ..., degraded: _Optional[bool] = ..., local_model: _Optional[str] = ..., cloud_model: _Optional[str] = ..., entities: _Optional[_Mapping[str, int]] = ..., cloud_error: _Optional[_Union[_common_pb2.ErrorInfo, _Mapping]] = ...) -> None: ...

class AnswerChunk(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...

class AnswerFinal(_message.Message):
    __slots__ = ("text", "provenance", "session_id")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    text: str
    provenance: Provenance
    session_id: str
    def __init__(self, text: _Optional[str] = ..., provenance: _Optional[_Union[Provenance, _Mapping]] = ..., session_id: _Optional[str] = ...) -> None: ...

class AskResponse(_message.Message):
    __slots__ = ("chunk", "final")
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    chunk: AnswerChunk
    final: AnswerFinal
    def __init__(self, chunk: _Optional[_Union[AnswerChunk, _Mapping]] = ..., final: _Optional[_Union[AnswerFinal, _Mapping]] = ...) -> None: ...

class HealthRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class HealthResponse(_message.Message):
    __slots__ = ("status", "version", "local_model", "cloud_configured", "cloud_reachable", "queue_depth", "queue_limit")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    LOCAL_MODEL_FIELD_NUMBER: _ClassVar[int]
    CLOUD_CONFIGURED_FIELD_NUMBER: _ClassVar[int]
    CLOUD_REACHABLE_FIELD_NUMBER: _ClassVar[int]
    QUEUE_DEPTH_FIELD_NUMBER: _ClassVar[int]
    QUEUE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    status: str
    version: str
    local_model: str
    cloud_configured: bool
    cloud_reachable: bool
    queue_depth: int
    queue_limit: int
    def __init__(self, status: _Optional[str] = ..., version: _Optional[str] = ..., local_model: _Optional[str] = ..., cloud_configured: _Optional[bool] = ..., cloud_reachable: _Optional[bool] = ..., queue_depth: _Optional[int] = ..., queue_limit: _Optional[int] = ...) -> None: ...
