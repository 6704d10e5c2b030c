"""The local model: a GGUF loaded through llama.cpp, generating token by token with each token's logprob.

Logprobs come from the last row of logits that llama.cpp keeps anyway, so the model
runs with `logits_all=False`: computing one log-softmax per generated token costs far
less than keeping every position's logits.
"""

from __future__ import annotations

import codecs
import logging
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shared import constants as C
from shared.config import ModelSettings
from shared.errors import InvalidRequest, ModelError
from shared.model_files import resolve_model, verify_model

log = logging.getLogger(__name__)

ChatMessage = dict[str, str]


@dataclass(frozen=True, slots=True)
class TokenEvent:
    """One generated token: its text (possibly empty mid-UTF-8 sequence) and log-probability."""

    text: str
    logprob: float
    # Entropy (nats) of the top-k next-token probabilities this token was drawn from: a flat head means the
    # model hesitated between candidates even when the one it chose was likely.
    entropy: float = 0.0


@dataclass(frozen=True, slots=True)
class PromptInfo:
    """The tokenized prompt the model will see."""

    tokens: list[int]
    truncated: bool


def llama_options(settings: ModelSettings) -> dict[str, Any]:
    """Keyword arguments for `llama_cpp.Llama` from the model settings (the benchmark's raw baseline uses them too)."""
    import llama_cpp

    quantized_kv = settings.kv_cache_type == "q8_0"
    kv_type = llama_cpp.GGML_TYPE_Q8_0 if quantized_kv else llama_cpp.GGML_TYPE_F16
    return {
        "n_ctx": settings.n_ctx,
        "n_threads": settings.n_threads,
        "n_gpu_layers": settings.gpu_layers,
        "seed": settings.seed,
        # The compute buffer is sized for n_ubatch tokens; llama.cpp's default ties it to n_batch.
        "n_batch": settings.n_batch,
        "n_ubatch": settings.n_batch,
        "type_k": kv_type,
        "type_v": kv_type,
        # A quantized V cache only works with flash attention; f16 keeps llama.cpp's default path.
        "flash_attn": quantized_kv,
        "logits_all": False,
        "verbose": False,
    }


class LocalModel:
    """One llama.cpp model instance; `generate` must only run on one thread at a time (the daemon serializes it)."""

    def __init__(self, settings: ModelSettings) -> None:
        path, digest = resolve_model(settings.path, settings.sha256)
        self.path: Path = verify_model(path, digest)
        self.name = C.BUNDLED_MODEL_NAME if settings.path is None else self.path.stem
        self.n_ctx = settings.n_ctx
        self._llm = self._load(settings)
        self._eos = self._llm.token_eos()
        self._n_vocab = self._llm.n_vocab()
        self._formatter = self._chat_formatter()
        import llama_cpp

        self._is_eog = llama_cpp.llama_vocab_is_eog
        self._vocab = self._llm._model.vocab
        self._guard = threading.Lock()

    def _load(self, settings: ModelSettings) -> Any:
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError("llama-cpp-python is not installed: pip install 'tandem[edge]'") from exc
        try:
            return Llama(model_path=str(self.path), **llama_options(settings))
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"failed to load model {self.path}: {exc}") from None

    def _chat_formatter(self) -> Any:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelError(f"model {self.path} has no chat template in its metadata")
        eos = self._llm.detokenize([self._eos], special=True).decode("utf-8", "replace")
        bos = self._llm.detokenize([self._llm.token_bos()], special=True).decode("utf-8", "replace")
        return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)

    def _is_end_of_turn(self, token: int) -> bool:
        return token == self._eos or bool(self._is_eog(self._vocab, token))

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes."""
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def prompt_tokens(self, messages: Sequence[ChatMessage]) -> list[int]:
        """The chat-formatted prompt as tokens."""
        prompt = self._formatter(messages=list(messages)).prompt
        return list(self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

    def fit_prompt(self, messages: list[ChatMessage], max_tokens: int) -> PromptInfo:
        """Tokenize `messages`, dropping the oldest history turns and then trimming the last message to leave room for the answer."""
        budget = self.n_ctx - max_tokens
        if budget < 32:
            raise InvalidRequest(f"max_tokens {max_tokens} leaves no room for a prompt in a {self.n_ctx}-token window")
        tokens = self.prompt_tokens(messages)
        truncated = False
        while len(tokens) > budget and len(messages) > 2:
            # Keep the system message (index 0) and the current one (last); drop the oldest turn.
            messages = [messages[0], *messages[2:]]
            tokens = self.prompt_tokens(messages)
            truncated = True
        if len(tokens) > budget:
            last = messages[-1]
            excess = len(tokens) - budget
            content_tokens = self._llm.tokenize(last["content"].encode("utf-8"), add_bos=False, special=False)
            keep = max(0, len(content_tokens) - excess - 8)
            text = self._llm.detokenize(content_tokens[:keep]).decode("utf-8", "ignore")
            messages = [*messages[:-1], {"role": last["role"], "content": text}]
            tokens = self.prompt_tokens(messages)
            truncated = True
        return PromptInfo(tokens, truncated)

    def generate(
        self,
        prompt: Sequence[int],
        max_tokens: int,
        temperature: float,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[TokenEvent]:
        """Yield tokens until end of turn, `max_tokens`, or `should_stop()`; blocking, one caller at a time."""
        if not self._guard.acquire(blocking=False):
            raise RuntimeError("LocalModel.generate is not reentrant")
        try:
            decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
            llm = self._llm
            for produced, token in enumerate(llm.generate(list(prompt), temp=temperature, top_k=40, top_p=0.95, reset=True), 1):
                if self._is_end_of_turn(token):
                    break
                # llama-cpp-python no longer copies logits out without logits_all; read the last row directly.
                logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(self._n_vocab,))
                logprob, entropy = _token_stats(logits, token)
                yield TokenEvent(decoder.decode(llm.detokenize([token])), logprob, entropy)
                if produced >= max_tokens or should_stop():
                    break
            tail = decoder.decode(b"", final=True)
            if tail:
                yield TokenEvent(tail, 0.0)
        finally:
            self._guard.release()

    def next_token_logprobs(self, prompt: Sequence[int], candidates: Sequence[str]) -> list[tuple[int, float]]:
        """(token id, log P(next token)) after `prompt` for the first token of each candidate text (e.g. "Yes", "No")."""
        if not self._guard.acquire(blocking=False):
            raise RuntimeError("LocalModel.next_token_logprobs is not reentrant")
        try:
            llm = self._llm
            # One sampling step evaluates the prompt (reusing the cached prefix); its logits row is all we need.
            next(iter(llm.generate(list(prompt), temp=0.0, reset=True)))
            logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(self._n_vocab,))
            shifted, log_norm = _shifted_log_norm(logits)
            result = []
            for text in candidates:
                ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
                if not ids:
                    raise InvalidRequest(f"candidate {text!r} has no tokens")
                result.append((ids[0], float(shifted[ids[0]]) - log_norm))
            return result
        finally:
            self._guard.release()


TOP_K_ENTROPY = 10  # candidates the entropy feature looks at
_ENTROPY_WINDOW = 12.0  # logits this far below the peak have p < 6e-6 × p_max: nothing to the top-k entropy


def _shifted_log_norm(logits: np.ndarray) -> tuple[np.ndarray, float]:
    """(logits − max, log Σ exp of that): log softmax(logits)[i] is shifted[i] − log_norm, computed stably."""
    shifted = logits - logits.max()
    return shifted, math.log(float(np.exp(shifted).sum()))


def _token_stats(logits: np.ndarray, token: int, k: int = TOP_K_ENTROPY) -> tuple[float, float]:
    """(log softmax(logits)[token], top-k entropy in nats), from one pass of exp over the vocabulary.

    The top-k entropy is −Σ p·log p over the k most likely tokens, with p the full-vocabulary probabilities.
    A full-vocabulary argpartition costs more than the softmax itself, so the candidates are first cut to the
    logits within `_ENTROPY_WINDOW` of the peak (usually a handful); a token left out below that window would
    add under 1e-4 nats.
    """
    shifted, log_norm = _shifted_log_norm(logits)  # `shifted` serves the candidate cut too: one pass fewer
    near = shifted[shifted >= -_ENTROPY_WINDOW]
    if near.size > k:
        near = np.partition(near, near.size - k)[near.size - k:]
    top = near.astype(np.float64) - log_norm
    entropy = float(-(np.exp(top) * top).sum())
    return float(shifted[token]) - log_norm, entropy

