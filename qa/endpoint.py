"""An OpenAI-compatible endpoint: the SDK client, retries with backoff, and errors a user can act
on, with the key scrubbed. Shared by hosted chat models (qa/answer/hosted.py) and remote embeddings
(qa/index/remote_embed.py), so it sits below both stages."""

from __future__ import annotations

from qa.config import OPENAI_URL
from qa.errors import EndpointDown, QAError

DEFAULT_BASE_URL = OPENAI_URL


class Endpoint:
    """One OpenAI-compatible endpoint as `qa` talks to it: the SDK client (timeouts, retries with
    backoff on connection errors, timeouts, 408/409/429 and 5xx, honouring Retry-After) and the
    one-line explanation of a failure. Shared by chat models and remote embedders, whose keys are
    paired with their own endpoints in Settings."""

    def __init__(self, remote_name: str, base_url: str | None, key, withheld: str | None, timeout: float, retries: int,  # noqa: ANN001
                 path: str = "/chat/completions", key_vars: str = "QA_API_KEY or OPENAI_API_KEY",
                 timeout_var: str = "QA_REQUEST_TIMEOUT") -> None:
        self.remote_name = remote_name
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self._key = key.get_secret_value() if key else ""
        self._withheld = withheld
        self.timeout = timeout
        self.retries = max(0, retries)
        self.path = path
        self.key_vars = key_vars
        self.timeout_var = timeout_var
        self._client = None  # built on first use: importing openai costs ~0.3 s

    def client(self):  # noqa: ANN201
        if self._client is None:
            import openai

            # Local servers (llama.cpp, Ollama, vLLM) usually need no key, but the SDK insists on one.
            self._client = openai.OpenAI(
                base_url=self.base_url,
                api_key=self._key or "no-key",
                timeout=openai.Timeout(self.timeout, connect=min(5.0, self.timeout)),
                max_retries=self.retries,
            )
        return self._client

    def explain(self, e: Exception) -> QAError:
        """One line a user can act on. Server messages are quoted only after removing the key."""
        import openai

        where = self.base_url
        tries = f"after {self.retries} retr{'y' if self.retries == 1 else 'ies'}"
        if isinstance(e, openai.AuthenticationError):
            if not self._key:
                hint = self._withheld or f"set {self.key_vars.split(' or ')[0]} (or OPENAI_API_KEY for OpenAI's URL)"
                return QAError(f"{where} wants an API key (401) and none was sent: {hint}")
            return QAError(f"{where} refused the API key (401): set {self.key_vars} to a valid key")
        if isinstance(e, openai.PermissionDeniedError):
            return QAError(f"{where} denied access to model {self.remote_name!r} (403): check the key's permissions")
        if isinstance(e, openai.NotFoundError):
            return QAError(
                f"model {self.remote_name!r} not found at {where} (404): check the name after 'openai:' "
                f"and that the base URL ends where {self.path} is served (often /v1)"
            )
        if isinstance(e, openai.APITimeoutError):
            return EndpointDown(f"{where} did not answer within {self.timeout:g} s {tries} ({self.timeout_var})")
        if isinstance(e, openai.APIConnectionError):
            cause = _root_cause(e)
            if isinstance(cause, ConnectionRefusedError) or "refused" in str(cause).lower():
                return EndpointDown(f"cannot connect to {where}: connection refused {tries} (is the server running?)")
            return EndpointDown(f"cannot connect to {where} {tries}: {self._scrub(str(cause) or type(cause).__name__)}")
        if isinstance(e, openai.APIStatusError):
            detail = self._scrub(_message(e))
            if e.status_code == 429 or e.status_code >= 500:
                return EndpointDown(f"{where} failed with HTTP {e.status_code} {tries}: {detail}")
            return QAError(f"{where} rejected the request with HTTP {e.status_code}: {detail}")
        return QAError(f"{where}: {self._scrub(str(e))}")

    def _scrub(self, text: str) -> str:
        text = " ".join(text.split())[:200]
        return text.replace(self._key, "****") if self._key else text


def _root_cause(e: BaseException) -> BaseException:
    for _ in range(20):  # chains are short; the bound only guards against a cycle
        nxt = e.__cause__ or e.__context__
        if nxt is None:
            break
        e = nxt
    return e


def _message(e) -> str:  # noqa: ANN001
    body = getattr(e, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
    return str(getattr(e, "message", "") or e)
