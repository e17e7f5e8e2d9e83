"""Hosted models (`--model openai:NAME`) over real HTTP, replayed from cassettes.

The cassettes in tests/cassettes/test_hosted/ are real exchanges with llama.cpp's OpenAI-compatible
server (tests/llama_server.py) serving the packaged qwen2.5-1.5b GGUF on 127.0.0.1. By default
(`--record-mode=none`, pytest-recording's default) they are replayed: no server, no model, no
network. Retrieval runs for real against the seeded Chroma store, and requests are matched on their
body too, so a cassette only answers the exact prompt it was recorded with: if chunking, retrieval or
the prompts change, replay fails loudly instead of verifying a stale answer. Re-record with

    pytest tests/test_hosted.py --record-mode=rewrite

which starts the server (and, for the failure tests, a fault-injecting proxy) in this process.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import KEY_LIKE, ROOT, run_qa, scrubbed_vcr_config
from qa.answer.answer import Answerer
from qa.config import load_settings
from qa.errors import EndpointDown, QAError
from qa.answer.models import load_model
from qa.answer.retrieve import Retriever

CASSETTES = Path(__file__).parent / "cassettes" / "test_hosted"
SERVER_PORT = 18431  # fixed, so re-recorded cassettes differ only where the exchange did
PROXY_PORT = 18432
MODEL = "qwen2.5-1.5b"
# The key the recording server demands. Not a secret (it only ever guards a test server on
# 127.0.0.1), but treated as one: it must not appear in any cassette.
TEST_KEY = "sk-qatest-0123456789abcdefABCDEF"
WRONG_KEY = "sk-qatest-wrong-9876543210zyxwvu"
TRADE = "How much is annual trade between Russia and North Korea worth?"


@pytest.fixture(scope="module")
def vcr_config() -> dict:
    # The body is the whole prompt: a replay must be for the same retrieved passages.
    return scrubbed_vcr_config(TEST_KEY, WRONG_KEY)


pytestmark = pytest.mark.usefixtures("no_openai_env")


@pytest.fixture(scope="session")
def server_url(record_mode: str):  # noqa: ANN201
    """The server's base URL; the server itself is started only when recording."""
    url = f"http://127.0.0.1:{SERVER_PORT}/v1"
    if record_mode == "none":
        yield url
        return
    from llama_server import start
    from qa.answer.models import PACKAGED

    server, url = start(PACKAGED[MODEL].ensure(), SERVER_PORT, api_key=TEST_KEY)
    yield url
    del server


@pytest.fixture
def proxy_url(record_mode: str, server_url: str, request: pytest.FixtureRequest):  # noqa: ANN201
    """A fault-injecting proxy (tests/llama_server.py FaultyProxy) in front of the server, started
    only when recording; `fail_first` from the test's `proxy` marker."""
    url = f"http://127.0.0.1:{PROXY_PORT}/v1"
    if record_mode == "none":
        yield url
        return
    marker = request.node.get_closest_marker("proxy")
    fail_first = (marker.kwargs if marker else {}).get("fail_first", 0)
    # In a process of its own, so that only the test's own traffic is recorded, not the proxy's.
    cmd = [sys.executable, str(Path(__file__).parent / "llama_server.py"), "--proxy-to", server_url,
           "--port", str(PROXY_PORT), "--fail-first", str(fail_first), "--models", MODEL]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith("proxying"), "proxy did not start"
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def retriever(seeded_home: Path) -> Retriever:
    mp = pytest.MonkeyPatch()
    mp.setenv("QA_HOME", str(seeded_home))
    r = Retriever(load_settings())
    yield r
    mp.undo()


def _answerer(retriever: Retriever, url: str, key: str = TEST_KEY, model: str = MODEL, **overrides) -> Answerer:  # noqa: ANN003
    # The cassettes hold the free-text answer shape's requests: this file tests the transport (the
    # reader shape's logic is tested with a scripted model in tests/test_read.py).
    overrides.setdefault("answer_shape", "free")
    settings = load_settings(model=f"openai:{model}", base_url=url, api_key=key, **overrides)
    return Answerer(settings, retriever, load_model(settings.model, settings))


def _check_quotes(answer) -> None:  # noqa: ANN001
    assert answer.citations
    for c in answer.citations:
        assert (ROOT / c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote


def _exchanges(cassette) -> list[tuple[dict, dict]]:  # noqa: ANN001
    """(request, response) of every exchange this test made, recorded now or replayed. On replay
    every recorded exchange must have been used: the cassette is exactly what the code did."""
    if cassette.rewound:
        assert cassette.all_played, f"{cassette._path}: {cassette.play_count} of {len(cassette.data)} played"
    out = []
    for req, resp in cassette.data:
        body = resp["body"]["string"]
        headers = {k.lower(): v for k, v in resp["headers"].items()}
        out.append(({"body": json.loads(req.body or b"{}")}, {"status": resp["status"]["code"], "headers": headers,
                    "body": body.decode("utf-8") if isinstance(body, bytes) else body}))
    return out


@pytest.mark.vcr
def test_answer_with_verified_citations(retriever: Retriever, server_url: str, vcr) -> None:  # noqa: ANN001
    a = _answerer(retriever, server_url).ask(TRADE)
    assert a.mode == "generated" and not a.abstained, (a.mode, a.text)
    assert a.model == "openai:qwen2.5-1.5b"
    assert "100 million" in a.text
    assert any(Path(c.source).name == "001_b4cd203a8e781f12.txt" and "100 million" in c.quote for c in a.citations)
    _check_quotes(a)
    assert a.usage.get("prompt_tokens", 0) > 100 and a.usage.get("completion_tokens", 0) > 5
    assert a.verification is not None and a.verification.phantom == 0
    # One request, or two when the model first says "not found" and strong evidence asks again.
    exchanges = _exchanges(vcr)
    assert 1 <= len(exchanges) <= 2 and all(resp["status"] == 200 for _, resp in exchanges)
    for req, _ in exchanges:
        body = req["body"]
        assert (body["model"], body["temperature"], body["seed"], body["max_tokens"]) == (MODEL, 0, 0, 160)


@pytest.mark.vcr
def test_abstains_when_model_finds_nothing(retriever: Retriever, server_url: str, vcr) -> None:  # noqa: ANN001
    """Close enough to the passages to ask the model (so this is a real HTTP exchange), but not in them."""
    a = _answerer(retriever, server_url).ask("What is Kim Jong-un's favourite food?")
    assert a.abstained and a.citations == []
    assert a.reason == "the model found no answer in the evidence"  # a hosted model gives no token probabilities
    assert [resp["status"] for _, resp in _exchanges(vcr)] == [200]


@pytest.mark.vcr
def test_streams_tokens(retriever: Retriever, server_url: str, vcr) -> None:  # noqa: ANN001
    pieces: list[str] = []
    a = _answerer(retriever, server_url).ask("Which Russian deputy foreign minister visited Pyongyang?", on_token=pieces.append)
    assert len(pieces) > 5, pieces
    assert "".join(pieces).strip().endswith(a.draft)  # after a first "not found" draft, if any
    assert "Morgulov" in a.text and not a.abstained
    _check_quotes(a)
    for req, resp in _exchanges(vcr):
        assert req["body"]["stream"] is True
        assert resp["headers"]["content-type"][0].startswith("text/event-stream")
        assert resp["body"].rstrip().endswith("data: [DONE]")
    assert resp["body"].count("data: ") > 5


@pytest.mark.vcr
def test_bad_api_key_is_one_clear_line(retriever: Retriever, server_url: str, vcr) -> None:  # noqa: ANN001
    """A real 401 from llama.cpp's server, which was started requiring TEST_KEY."""
    with pytest.raises(QAError) as err:
        _answerer(retriever, server_url, key=WRONG_KEY).ask(TRADE)
    assert not isinstance(err.value, EndpointDown)  # a wrong key is not an outage: no fallback
    msg = str(err.value)
    assert "(401)" in msg and "API key" in msg and "\n" not in msg
    assert WRONG_KEY not in msg and "sk-" not in msg
    assert [resp["status"] for _, resp in _exchanges(vcr)] == [401]  # not retried


@pytest.mark.vcr
def test_bad_api_key_no_fallback(retriever: Retriever, server_url: str) -> None:
    """Even with --fallback extractive, a configuration error (401) is reported, not hidden."""
    with pytest.raises(QAError, match="401"):
        _answerer(retriever, server_url, key=WRONG_KEY, fallback="extractive").ask(TRADE)


@pytest.mark.vcr
@pytest.mark.proxy(fail_first=1)
def test_500_then_success_is_retried(retriever: Retriever, proxy_url: str, vcr) -> None:  # noqa: ANN001
    """Recorded through tests/llama_server.py's FaultyProxy: its first chat request got a real HTTP
    500 from the proxy (llama.cpp does not fail on demand); the client retried after a backoff and
    the proxy forwarded the retry to the real server. The cassette holds both responses in order."""
    a = _answerer(retriever, proxy_url, retries=2).ask(TRADE)
    assert a.mode == "generated" and "100 million" in a.text
    _check_quotes(a)
    codes = [resp["status"] for _, resp in _exchanges(vcr)]
    assert codes[:2] == [500, 200] and set(codes[2:]) <= {200}, codes


@pytest.mark.vcr
def test_unknown_model_is_one_clear_line(retriever: Retriever, proxy_url: str, vcr) -> None:  # noqa: ANN001
    """llama.cpp serves its one model under any name, so the 404 comes from FaultyProxy, shaped like
    OpenAI's `model_not_found` reply (which is what OpenAI and vLLM send for an unknown model)."""
    with pytest.raises(QAError) as err:
        _answerer(retriever, proxy_url, model="no-such-model").ask(TRADE)
    msg = str(err.value)
    assert "'no-such-model' not found" in msg and "(404)" in msg and "\n" not in msg
    assert not isinstance(err.value, EndpointDown)
    assert [resp["status"] for _, resp in _exchanges(vcr)] == [404]


def _dead_port() -> socket.socket:
    """A bound, never-listening socket: connecting to it is refused, and no one else can take it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s


def test_connection_refused_is_one_clear_line(seeded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _dead_port() as s:
        monkeypatch.setenv("QA_BASE_URL", f"http://127.0.0.1:{s.getsockname()[1]}/v1")
        monkeypatch.setenv("QA_API_KEY", TEST_KEY)
        proc = run_qa("ask", "--model", f"openai:{MODEL}", TRADE)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("qa: error: cannot connect to http://127.0.0.1:"), proc.stderr
    assert "connection refused" in lines[0] and "Traceback" not in proc.stderr
    assert TEST_KEY not in proc.stderr + proc.stdout


@pytest.mark.slow  # over 10 s: ingests or starts servers
def test_connection_refused_falls_back_to_extractive(seeded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _dead_port() as s:
        monkeypatch.setenv("QA_BASE_URL", f"http://127.0.0.1:{s.getsockname()[1]}/v1")
        monkeypatch.setenv("QA_API_KEY", TEST_KEY)
        proc = run_qa("ask", "--json", "--model", f"openai:{MODEL}", "--fallback", "extractive", TRADE)
        monkeypatch.setenv("QA_FALLBACK", "extractive")  # the same from the environment
        plain = run_qa("ask", "--model", f"openai:{MODEL}", TRADE)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["model"] == "none" and not out["abstained"] and "100 million" in out["answer"]
    assert "connection refused" in out["fallback"] and "answered extractively" in out["fallback"]
    assert proc.stderr.startswith("qa: warning: openai:qwen2.5-1.5b unavailable, answered extractively")
    assert plain.returncode == 0 and "100 million" in plain.stdout and "Sources:" in plain.stdout
    assert "answered extractively" in plain.stderr
    for text in (proc.stdout, proc.stderr, plain.stdout, plain.stderr):
        assert TEST_KEY not in text


def test_chat_with_endpoint_down_falls_back_for_rewrite_and_answer(retriever: Retriever) -> None:
    """In chat the hosted model also rewrites follow-ups; with the endpoint down and the extractive
    fallback, both the rewrite and the answer carry on without it."""
    from qa.interfaces.chat import Conversation

    with _dead_port() as s:
        url = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
        conv = Conversation(_answerer(retriever, url, retries=0, fallback="extractive"))
        first = conv.ask("Who invited Kim Jong-un to Moscow?")
        assert first.answer.fallback and "Putin" in first.answer.text
        follow = conv.ask("What anniversary was it marking?")
        assert follow.standalone == "What anniversary was it marking? (context: Who invited Kim Jong-un to Moscow?)"
        assert follow.answer.fallback
        strict = Conversation(_answerer(retriever, url, retries=0))
        with pytest.raises(EndpointDown, match="connection refused"):
            strict.ask("Who invited Kim Jong-un to Moscow?")


def test_timeout_is_one_clear_line(retriever: Retriever) -> None:
    """A server that accepts the connection and never answers (a listening socket nobody reads)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        url = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
        with pytest.raises(EndpointDown) as err:
            _answerer(retriever, url, request_timeout=0.5, retries=1).ask(TRADE)
        assert "did not answer within 0.5 s after 1 retry" in str(err.value)
        a = _answerer(retriever, url, request_timeout=0.5, retries=0, fallback="extractive").ask(TRADE)
        assert a.fallback and "100 million" in a.text


def test_cassettes_hold_no_keys() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) >= 7, files
    for f in files:
        text = f.read_text(encoding="utf-8")
        for pattern in [*KEY_LIKE, re.compile(re.escape(TEST_KEY)), re.compile(re.escape(WRONG_KEY))]:
            assert not pattern.search(text), f"{f.name}: {pattern.pattern}"
        assert "authorization" not in text.lower().replace("authorization_error", "")


def test_config_show_masks_secrets_and_names_sources(qa_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    qa_home.mkdir(parents=True, exist_ok=True)
    (qa_home / "config.toml").write_text('base_url = "http://toml.example/v1"\nretries = 5\n', encoding="utf-8")
    env = {"QA_API_KEY": TEST_KEY, "OPENAI_API_KEY": WRONG_KEY, "OPENAI_BASE_URL": "http://openai-env.example/v1", "QA_RETRIES": "3"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    proc = run_qa("config", "show", "--json", "--model", "openai:gpt-x")
    text = run_qa("config", "show")
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    assert shown["api_key"] == {"value": "********", "from": "env QA_API_KEY"}
    assert shown["base_url"] == {"value": "http://toml.example/v1", "from": str(qa_home / "config.toml")}  # toml beats OPENAI_*
    assert shown["retries"] == {"value": "3", "from": "env QA_RETRIES"}  # QA_* env beats toml
    assert shown["model"] == {"value": "openai:gpt-x", "from": "flag"}
    assert shown["fallback"] == {"value": "none", "from": "default"}
    for out in (proc.stdout, text.stdout):
        assert TEST_KEY not in out and WRONG_KEY not in out
    assert re.search(r"^api_key\s+\*{8}\s+env QA_API_KEY$", text.stdout, re.MULTILINE), text.stdout


def test_openai_env_is_the_fallback_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://openai-env.example/v1")
    monkeypatch.setenv("OPENAI_API_KEY", WRONG_KEY)
    s = load_settings()
    assert s.base_url == "http://openai-env.example/v1" and s.api_key.get_secret_value() == WRONG_KEY
    assert WRONG_KEY not in repr(s) and WRONG_KEY not in str(s.model_dump())
    monkeypatch.setenv("QA_BASE_URL", "http://qa-env.example/v1")
    assert load_settings().base_url == "http://qa-env.example/v1"
    assert load_settings(base_url="http://flag.example/v1").base_url == "http://flag.example/v1"


def test_hosted_model_loads_without_network_or_openai_import() -> None:
    """Choosing a hosted model does no I/O; `qa --help` never imports the openai SDK."""
    m = load_model("openai:some-model", load_settings(base_url="http://127.0.0.1:9/v1"))
    assert m is not None and m.name == "openai:some-model"
    with pytest.raises(QAError, match="openai:NAME"):
        load_model("openai:", load_settings())
    code = "import sys, qa.interfaces.cli, qa.answer.models, qa.answer.answer; assert 'openai' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


class _HeaderRecorder:
    """A real HTTP listener on 127.0.0.1 that records every request's Authorization header and
    answers 401, standing in for any third-party OpenAI-compatible server."""

    def __init__(self) -> None:
        import http.server
        import threading

        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                seen.append(self.headers.get("Authorization"))
                body = b'{"error": {"message": "no", "type": "invalid_request_error"}}'
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ask(self) -> str:
        """One hosted generation with the settings as the environment and config.toml make them."""
        with pytest.raises(QAError) as err:
            load_model("openai:gpt-x", load_settings(retries=0)).generate([{"role": "user", "content": "hi"}], 5)
        return str(err.value)


def test_the_openai_key_never_reaches_a_third_party_endpoint(qa_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    third = _HeaderRecorder()
    try:
        monkeypatch.setenv("OPENAI_API_KEY", WRONG_KEY)  # set shell-wide for other tools
        monkeypatch.setenv("QA_BASE_URL", third.url)
        msg = third.ask()
        assert third.seen == ["Bearer no-key"]  # the SDK's placeholder, never the OpenAI key
        assert "none was sent" in msg and "OPENAI_API_KEY is not sent" in msg and WRONG_KEY not in msg
        monkeypatch.delenv("QA_BASE_URL")
        qa_home.mkdir(parents=True, exist_ok=True)
        (qa_home / "config.toml").write_text(f'base_url = "{third.url}"\n', encoding="utf-8")
        third.ask()
        assert third.seen == ["Bearer no-key"] * 2
        from qa.config import describe

        shown = {name: origin for name, _, origin in describe()}
        assert "OPENAI_API_KEY is not sent" in shown["api_key"]
        # qa's own key goes with qa's own endpoint; OPENAI_API_KEY with OPENAI_BASE_URL
        monkeypatch.setenv("QA_API_KEY", TEST_KEY)
        assert "refused the API key" in third.ask()
        (qa_home / "config.toml").unlink()
        monkeypatch.delenv("QA_API_KEY")
        monkeypatch.setenv("OPENAI_BASE_URL", third.url)
        third.ask()
        assert third.seen[2:] == [f"Bearer {TEST_KEY}", f"Bearer {WRONG_KEY}"]
        # QA_API_KEY does not follow a shell-wide OPENAI_BASE_URL either
        monkeypatch.delenv("OPENAI_API_KEY")
        monkeypatch.setenv("QA_API_KEY", TEST_KEY)
        assert "QA_API_KEY" in third.ask() and third.seen[4] == "Bearer no-key"
    finally:
        third.server.shutdown()
