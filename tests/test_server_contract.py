"""What `qa serve` promises its clients, checked on a real server (uvicorn on a loopback port, in a
thread of this process so that a test model can be registered): the OpenAPI document matches every
response it documents, a thrown-away draft is announced by a `reset` event, and bad requests say
what is wrong. Real embedder, real Chroma."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT, one_clean_error, run_qa

Q = "How much is annual trade between Russia and North Korea worth?"
UNSURE = [("The", -0.4), (" documents", -0.6)]  # p(abstain) ~ 0.37: the answerer asks again


class ReaskedModel:
    """First draft: "The documents do not say." (unsure, so it is asked again); then an answer.
    One-token calls (the verifier's judge) get "yes"."""

    name = "reasked"

    def __init__(self) -> None:
        self.last_usage: dict = {}
        self.last_logprobs: list = []
        self.drafts = 0

    def generate(self, messages: list[dict[str, str]], max_tokens: int, on_token: Callable[[str], None] | None = None) -> str:
        if max_tokens <= 2:
            return "yes"
        self.drafts += 1
        reply = "The documents do not say." if self.drafts % 2 else "Annual trade is worth only about $100 million [1]."
        self.last_logprobs = UNSURE if self.drafts % 2 else []
        for piece in reply.split(" "):
            if on_token:
                on_token(piece + " ")
        return reply


class BlockingModel:
    """A model that holds its turn until released: a full queue and a timeout, on demand."""

    name = "blocking"
    last_usage: dict = {}
    last_logprobs: list = []
    release = threading.Event()

    def generate(self, messages, max_tokens, on_token=None) -> str:  # noqa: ANN001
        self.release.wait(30)
        return "The documents do not say."


@pytest.fixture
def models() -> Iterator[None]:
    from qa.answer.models import REGISTRY, register

    register("reasked", lambda s: ReaskedModel())
    register("blocking", lambda s: BlockingModel())
    BlockingModel.release.clear()
    yield
    BlockingModel.release.set()
    REGISTRY.pop("reasked", None)
    REGISTRY.pop("blocking", None)


@contextmanager
def serving(**overrides: object) -> Iterator[str]:
    import uvicorn

    from qa.config import load_settings
    from qa.interfaces.server import create_app
    from qa.interfaces.service import Service

    settings = load_settings(model="none", **overrides)
    service = Service(model="none")
    service.answerer()  # loaded first, as `qa serve` does: a timeout is then the model's alone
    app = create_app(service, settings)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive()
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        BlockingModel.release.set()
        server.should_exit = True
        thread.join(20)


def call(url: str, method: str, path: str, body: dict | bytes | None = None) -> tuple[int, str, bytes]:
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("content-type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("content-type", ""), e.read()


def sse(raw: bytes) -> list[tuple[str, dict]]:
    out = []
    for block in raw.decode().split("\n\n"):
        if block.strip():
            head, data = block.split("\n", 1)
            out.append((head.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return out


@pytest.mark.slow  # over 10 s: ingests or starts servers
def test_openapi_documents_exactly_what_the_server_answers(seeded: Path, models: None) -> None:
    """Every status the OpenAPI document lists for a path is produced for real here, and its body
    validates against the documented schema (errors: {error, type}, never FastAPI's {detail})."""
    import jsonschema

    src = str(ROOT / "seeds" / "001_b4cd203a8e781f12.txt")
    with serving(server_queue=0, server_timeout_s=3) as url:
        spec = json.loads(call(url, "GET", "/openapi.json")[2])
        got: dict[tuple[str, str, int], bytes] = {}

        def hit(method: str, path: str, body: dict | bytes | None = None, query: str = "") -> None:
            status, ctype, raw = call(url, method, path + query, body)
            assert ctype.startswith("application/json"), (path, status, ctype)
            got[(path, method.lower(), status)] = raw

        # a slow answer holds the model's only place: the next is refused (429), it times out (504)
        slow = threading.Thread(target=hit, args=("POST", "/v1/ask", {"question": Q, "model": "blocking"}))
        slow.start()
        time.sleep(0.5)
        hit("POST", "/v1/ask", {"question": Q, "model": "blocking"})
        slow.join(30)
        BlockingModel.release.set()
        for path, bodies in {
            "/v1/ask": [{"question": Q}, {"question": "  "}, {"question": Q, "collection": "nope"}, b"x" * 70000, {"question": Q, "colour": 1}],
            "/v1/search": [{"query": "Morgulov"}, {"query": ""}, {"query": "x", "collection": "nope"}, b"x" * 70000, b"{not json"],
        }.items():
            for body in bodies:
                hit("POST", path, body)
        for query in (f"?path={src}&start=0&end=40", f"?path={src}&start=9", "?path=nope.txt", f"?path={src}&start=a&end=3"):
            hit("GET", "/v1/source", query=query)
        hit("GET", "/v1/status")
        hit("GET", "/healthz")

    documented = {(path, method, int(code)): resp for path, ops in spec["paths"].items() for method, op in ops.items()
                  for code, resp in op["responses"].items()}
    assert set(documented) == set(got), (set(documented) ^ set(got))
    for key, resp in documented.items():
        schema = resp["content"]["application/json"]["schema"] | {"components": spec["components"]}
        jsonschema.validate(json.loads(got[key]), schema)
        if key[2] >= 400:
            assert set(json.loads(got[key])) == {"error", "type"}, (key, got[key])
    assert "HTTPValidationError" not in json.dumps(spec["paths"])


def test_a_redrafted_answer_is_streamed_with_a_reset_between_drafts(seeded: Path, models: None) -> None:
    """The model's "do not say" draft is asked again: clients are told to drop it (a `reset`
    event) before the second draft's tokens, over HTTP, through the client, and in process."""
    from qa.interfaces.client import RemoteService
    from qa.interfaces.service import Service, ask_streaming

    with serving() as url:
        status, _, raw = call(url, "POST", "/v1/ask", {"question": Q, "model": "reasked", "stream": True})
        assert status == 200
        events = sse(raw)
        kinds = [k for k, _ in events]
        assert kinds.count("reset") == 1 and kinds[-1] == "answer", kinds
        assert kinds[:2] == ["stage", "stage"] and events[0][1]["text"] == "retrieving", events[:3]  # what a client shows before tokens
        cut = kinds.index("reset")
        before = "".join(d["text"] for k, d in events[:cut] if k == "token")
        after = "".join(d["text"] for k, d in events[cut:] if k == "token")
        assert before.strip() == "The documents do not say." and after.startswith("Annual trade") and "\n" not in after

        shown: list[str] = []
        stages: list[str] = []
        RemoteService(url).ask(Q, model="reasked", on_token=shown.append, on_reset=shown.clear, on_stage=stages.append)
        assert "".join(shown).startswith("Annual trade"), shown
        assert stages[0] == "retrieving" and stages[1].startswith("reading "), stages

    shown = []
    ask_streaming(Service().answerer(model="reasked"), Q, shown.append, shown.clear)
    assert "".join(shown).startswith("Annual trade"), shown


def test_bad_requests_say_what_is_wrong_in_their_own_words(seeded: Path) -> None:
    with serving() as url:
        status, _, raw = call(url, "POST", "/v1/search", {"query": ""})
        err = json.loads(raw)["error"]
        assert status == 400 and "empty query" in err and "qa ask" not in err
        status, _, raw = call(url, "POST", "/v1/ask", b"{not json")
        err = json.loads(raw)["error"]
        assert status == 422 and "not valid JSON" in err and "JSON decode error" not in err and "13" not in err
        status, _, raw = call(url, "GET", "/v1/source?path=nope.txt")
        assert status == 404 and "no ingested document" in json.loads(raw)["error"]


def test_the_source_endpoint_shows_what_qa_show_shows(seeded: Path) -> None:
    src = "seeds/001_b4cd203a8e781f12.txt"
    text = (ROOT / src).read_text(encoding="utf-8")
    start = text.index("Annual trade")
    end = text.index(".", start) + 1
    with serving() as url:
        status, _, raw = call(url, "GET", f"/v1/source?path={ROOT / src}&start={start}&end={end}&context=50")
    got = json.loads(raw)
    assert status == 200 and got["source"] == str(ROOT / src)
    assert got["text"][got["start"] - got["offset"] : got["end"] - got["offset"]] == text[start:end]
    shown = run_qa("show", f"{src}:{start}-{end}", "--context", "50")
    assert shown.returncode == 0 and f"\u27e6{text[start:end]}\u27e7" in shown.stdout
    assert f"shown {got['offset']}-{got['offset'] + len(got['text'])}" in shown.stdout


def test_a_second_server_on_a_busy_port_is_one_clear_error(seeded: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        one_clean_error(run_qa("serve", "--model", "none", "--port", str(s.getsockname()[1])), "cannot listen on 127.0.0.1:")
