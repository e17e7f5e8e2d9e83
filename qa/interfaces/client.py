"""Talking to a running `qa serve` from `qa ask` and `qa chat`.

The stdlib's http.client on purpose: a warm-server `qa ask` is a new process each time, and its
import cost is most of the end-to-end time. Answers come back as the server's JSON and are turned
into `Answer` objects whose `to_json()` is exactly what the server sent, so every output path prints
the same as in-process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from qa.errors import NothingIngested, QAError
from qa.home import qa_home
from qa.paths import rebased, shown
from qa.types import Answer, Citation, Passage

if TYPE_CHECKING:
    from qa.config import Settings

DISCOVERY = "server.json"


def discovery_file():  # noqa: ANN201
    """Written by `qa serve` once it listens, removed when it stops: how `qa ask` finds it."""
    return qa_home() / DISCOVERY


def server_url(configured: str | None) -> tuple[str | None, bool]:
    """(url, explicit): the configured server_url (QA_SERVER_URL), else the discovery file of a
    live local server."""
    if configured:
        return configured.rstrip("/"), True
    try:
        info = json.loads(discovery_file().read_text(encoding="utf-8"))
        os.kill(int(info["pid"]), 0)  # a server that died without cleaning up is not used
        return str(info["url"]).rstrip("/"), False
    except (OSError, ValueError, KeyError, TypeError):
        return None, False


@dataclass
class WireAnswer(Answer):
    """An answer received from a server: rendered like any Answer; its JSON is what the server sent."""

    wire: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {k: v for k, v in self.wire.items() if k not in ("passages", "standalone")}


def answer_from_json(d: dict) -> WireAnswer:
    """The server's JSON as an Answer, its paths shown from this folder (the server sends them absolute)."""
    d = rebased(d, shown)
    passages = {(p["source"], p["start"], p["end"]): p for p in d.get("passages", [])}
    citations = []
    for c in d["citations"]:
        p = next((p for (s, a, b), p in passages.items() if s == c["source"] and a <= c["start"] and c["end"] <= b), None)
        passage = Passage(p["id"], p["source"], p["start"], p["end"], p["text"], []) if p else Passage(
            "", c["source"], c["start"], c["end"], c["quote"], [(c["start"], c["end"])])
        citations.append(Citation(c["n"], c["source"], c["start"], c["end"], c["quote"], c["score"], passage, c.get("page"), c.get("title", "")))
    return WireAnswer(
        d["question"], d["answer"], d["abstained"], citations, d["model"], d["timings_ms"], d.get("mode", ""),
        d.get("reason", ""), fallback=d.get("fallback", ""), wire=d,
    )


class Unreachable(QAError):
    """The server could not be reached at all (not an error answer from it)."""


class RemoteService:
    """The Service API over HTTP (same method names and results as qa.interfaces.service.Service)."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 600.0) -> None:
        u = urlparse(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise QAError(f"QA_SERVER_URL must look like http://HOST:PORT, not {url!r}")
        self.url, self.u, self.token, self.timeout = url, u, token, timeout

    def _connect(self):  # noqa: ANN202
        import http.client

        cls = http.client.HTTPSConnection if self.u.scheme == "https" else http.client.HTTPConnection
        return cls(self.u.hostname, self.u.port or (443 if self.u.scheme == "https" else 80), timeout=self.timeout)

    def _request(self, method: str, path: str, body: dict | None = None):  # noqa: ANN202
        headers = {"Accept": "application/json, text/event-stream"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        conn = self._connect()
        try:
            conn.request(method, self.u.path.rstrip("/") + path, body=data, headers=headers)
            resp = conn.getresponse()
        except OSError as e:
            conn.close()
            raise Unreachable(f"cannot reach the qa server at {self.url}: {e.strerror or e} (start `qa serve`, unset QA_SERVER_URL, or use --no-server)") from None
        if resp.status >= 400:
            raw = resp.read()
            conn.close()
            try:
                err = json.loads(raw)
            except ValueError:
                err = {"error": raw.decode("utf-8", "replace")[:200] or f"HTTP {resp.status}"}
            cls = NothingIngested if err.get("type") == "NothingIngested" else QAError
            raise cls(err.get("error") or f"HTTP {resp.status} from {self.url}")
        return conn, resp

    def _json(self, method: str, path: str, body: dict | None = None) -> Any:
        conn, resp = self._request(method, path, body)
        try:
            return json.loads(resp.read())
        finally:
            conn.close()

    def ask(self, question: str, *, collection: str | None = None, model: str | None = None, passages: int | None = None,
            fallback: str | None = None, on_token: Callable[[str], None] | None = None,
            history: list[dict] | None = None, on_rewrite: Callable[[str], None] | None = None,
            on_reset: Callable[[], None] | None = None, on_stage: Callable[[str], None] | None = None) -> WireAnswer:
        body: dict[str, Any] = {"question": question}
        for k, v in (("collection", collection), ("model", model), ("passages", passages), ("fallback", fallback), ("history", history)):
            if v is not None:
                body[k] = v
        if history is not None:
            body["include_passages"] = True
        if on_token is None and on_rewrite is None:
            return answer_from_json(self._json("POST", "/v1/ask", body))
        body["stream"] = True
        conn, resp = self._request("POST", "/v1/ask", body)
        try:
            for event, data in _sse(resp):
                if event == "token" and on_token:
                    on_token(data["text"])
                elif event == "stage" and on_stage:
                    on_stage(data["text"])
                elif event == "reset" and on_reset:
                    on_reset()  # the draft so far was thrown away; a new one follows
                elif event == "rewrite" and on_rewrite:
                    on_rewrite(data["standalone"])
                elif event == "answer":
                    return answer_from_json(data)
                elif event == "error":
                    cls = NothingIngested if data.get("type") == "NothingIngested" else QAError
                    raise cls(data["error"])
        finally:
            conn.close()
        raise QAError(f"the qa server at {self.url} closed the stream without an answer")

    def search(self, query: str, *, collection: str | None = None, k: int | None = None) -> list[dict]:
        return rebased(self._json("POST", "/v1/search", {"query": query, "collection": collection, "k": k}), shown)["passages"]

    def status(self) -> dict:
        return self._json("GET", "/v1/status")


def _sse(resp) -> Iterator[tuple[str, dict]]:  # noqa: ANN001
    """Server-sent events: `event:` and `data:` lines, a blank line ends an event."""
    event, data = "message", []
    while True:
        line = resp.readline()
        if not line:
            return
        line = line.decode("utf-8").rstrip("\r\n")
        if not line:
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())


def connect(settings: Settings, no_server: bool = False) -> RemoteService | None:
    """The running server to use, or None for in-process. A server named by QA_SERVER_URL must
    answer (a setting that points nowhere is an error to fix); a discovered one that does not
    is skipped quietly."""
    if no_server:
        return None
    token = settings.server_token.get_secret_value() if settings.server_token else None
    return reach(settings.server_url, token)


def reach(configured: str | None, token: str | None) -> RemoteService | None:
    """`connect` for callers that hold the two settings as plain strings (qa/interfaces/entry.py)."""
    url, explicit = server_url(configured)
    if not url:
        return None
    remote = RemoteService(url, token)
    if explicit:
        return remote
    try:
        remote._json("GET", "/healthz")
    except QAError:
        return None
    return remote


class RemoteAnswerer:
    """What `qa ask` and `qa chat` need of an Answerer, answered by the server."""

    def __init__(self, remote: RemoteService, collection: str | None, model: str | None, fallback: str | None) -> None:
        self.remote, self.collection, self.model, self.fallback = remote, collection, model, fallback
        self.passages: int | None = None
        from qa.config import load_settings

        self.settings = load_settings(collection=collection)

    @property
    def model_name(self) -> str:
        return self.model or "the server's default model"

    def ask(self, question: str, on_token: Callable[[str], None] | None = None, **kw: Any) -> WireAnswer:
        return self.remote.ask(question, collection=self.collection, model=self.model, passages=self.passages,
                               fallback=self.fallback, on_token=on_token, **kw)
