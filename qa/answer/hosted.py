"""Hosted models: any OpenAI-compatible chat API (OpenAI, vLLM, Ollama, a llama.cpp server).

`--model openai:NAME` sends the same prompts as the local model to `POST {base_url}/chat/completions`
with model NAME, temperature 0 and seed 0, streamed; the answer then goes through the same citation
verification and abstention as any other `Model`. The `openai` client does the transport: per-attempt
timeouts, and retries with exponential backoff on connection errors, timeouts, 408/409/429 and 5xx.
Every failure becomes one `QAError` line that names the endpoint and never the key; a dead
endpoint raises `EndpointDown`, which `--fallback extractive` turns into an extractive answer.
"""

from __future__ import annotations

from collections.abc import Callable

from qa.config import OPENAI_URL, Settings, key_withheld
from qa.endpoint import Endpoint
from qa.errors import QAError

PREFIX = "openai:"
DEFAULT_BASE_URL = OPENAI_URL


class OpenAIModel:
    """A `Model` behind an OpenAI-compatible `/chat/completions` endpoint."""

    def __init__(self, remote_name: str, settings: Settings) -> None:
        if not remote_name:
            raise QAError("hosted model needs a name: --model openai:NAME (e.g. openai:gpt-4o-mini)")
        self.name = PREFIX + remote_name
        self.remote_name = remote_name
        # Settings already paired the key with its endpoint: a shell-wide OPENAI_API_KEY is not here
        # when base_url points at another server.
        self.endpoint = Endpoint(remote_name, settings.base_url, settings.api_key, key_withheld(settings),
                                 settings.request_timeout, settings.retries)
        self.base_url = self.endpoint.base_url
        self.last_usage: dict[str, float] = {}

    def client(self):  # noqa: ANN201
        return self.endpoint.client()

    def generate(
        self, messages: list[dict[str, str]], max_tokens: int, on_token: Callable[[str], None] | None = None, grammar: str | None = None
    ) -> str:
        """Streams the reply (`grammar` is not sent: OpenAI-compatible APIs differ on it, and the
        answerer parses the reply leniently); the final chunk's usage (and llama.cpp's timings, when the server sends
        them) become `last_usage`. Ctrl-C closes the stream and raises KeyboardInterrupt."""
        import openai

        pieces: list[str] = []
        self.last_usage = {}
        try:
            stream = self.client().chat.completions.create(
                model=self.remote_name,
                messages=messages,  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=0.0,
                seed=0,
                stream=True,
                stream_options={"include_usage": True},
            )
            with stream:
                for chunk in stream:
                    for choice in chunk.choices:
                        piece = choice.delta.content if choice.delta else None
                        if piece:
                            pieces.append(piece)
                            if on_token:
                                on_token(piece)
                    self._note_usage(chunk)
        except openai.APIError as e:
            raise self.endpoint.explain(e) from None
        return "".join(pieces)

    def _note_usage(self, chunk) -> None:  # noqa: ANN001
        usage = getattr(chunk, "usage", None)
        if usage:
            self.last_usage["prompt_tokens"] = usage.prompt_tokens or 0
            self.last_usage["completion_tokens"] = usage.completion_tokens or 0
        timings = (chunk.model_extra or {}).get("timings") if hasattr(chunk, "model_extra") else None
        if isinstance(timings, dict):
            self.last_usage["prompt_ms"] = timings.get("prompt_ms", 0.0)
            self.last_usage["generate_ms"] = timings.get("predicted_ms", 0.0)

def factory(remote_name: str, settings: Settings) -> OpenAIModel:
    return OpenAIModel(remote_name, settings)
