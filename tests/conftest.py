"""Test fixtures: every test gets its own $QA_HOME; real embedder, real Chroma, no mocks of either."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"


def _default_models_dir() -> Path:
    from platformdirs import user_data_dir

    home = os.environ.get("QA_HOME")
    return (Path(home) if home else Path(user_data_dir("qa", appauthor=False))) / "models"


# Assembled GGUF weights are shared with the user's own $QA_HOME: reassembling 1 GB per test is waste.
# Set for the whole run (module-scoped fixtures and subprocesses included): a test that points QA_HOME
# elsewhere must never assemble another 1 GB copy there, nor have it copied into every seeded $QA_HOME.
MODELS_DIR = Path(os.environ.get("QA_MODELS_DIR") or _default_models_dir())
os.environ["QA_MODELS_DIR"] = str(MODELS_DIR)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything that runs the LLM is slow too: `pytest -m "not slow"` is the fast tier."""
    for item in items:
        if item.get_closest_marker("llm") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def local_llm(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - a qa.answer.models.Model
    """The default packaged model with default settings, loaded once for every in-process test that
    needs it (generation keeps no state between requests but llama.cpp's prompt cache)."""
    from qa.answer.models import load_model
    from qa.config import load_settings

    mp = pytest.MonkeyPatch()  # a home of its own (llama.cpp's log goes there), no QA_* settings from outside
    mp.setenv("QA_HOME", str(tmp_path_factory.mktemp("llm") / "qa-home"))
    for var in [v for v in os.environ if v.startswith("QA_") and v not in ("QA_HOME", "QA_MODELS_DIR")]:
        mp.delenv(var)
    try:
        settings = load_settings()
        return load_model(settings.model, settings)
    finally:
        mp.undo()


@pytest.fixture(autouse=True)
def qa_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "qa-home"
    monkeypatch.setenv("QA_HOME", str(home))
    monkeypatch.setenv("QA_MODELS_DIR", str(MODELS_DIR))
    for var in [v for v in os.environ if v.startswith("QA_") and v not in ("QA_HOME", "QA_MODELS_DIR")]:
        monkeypatch.delenv(var)
    return home


@pytest.fixture(scope="session")
def seeded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A $QA_HOME with the seeds ingested once per session (copied per test that needs it)."""
    home = tmp_path_factory.mktemp("seeded") / "qa-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_CHROMA_")} | {"QA_HOME": str(home)}
    subprocess.run([sys.executable, "-m", "qa", "ingest", str(SEEDS)], check=True, env=env, capture_output=True, cwd=ROOT)
    return home


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A real Chroma server (`chroma run`, shipped with chromadb) on a free localhost port, for the session."""
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = tmp_path_factory.mktemp("chroma-server")
    exe = Path(sys.executable).parent / "chroma"
    log = open(path / "server.log", "wb")  # noqa: SIM115 - open for the server's lifetime
    proc = subprocess.Popen([str(exe), "run", "--path", str(path / "data"), "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"chroma server did not start: {(path / 'server.log').read_text()[-500:]}") from None
            time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


# Run a test against both stores: `@both_stores` on a test, or `pytestmark = both_stores` in a module.
both_stores = pytest.mark.parametrize("store_mode", ["embedded", "server"], indirect=True)


@pytest.fixture(autouse=True)
def store_mode(request: pytest.FixtureRequest, qa_home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """'embedded' (the default) or 'server': then QA_CHROMA_URL points at the session's server, and
    QA_CHROMA_DATABASE at a database of this test's own (created on first use), so tests never share data."""
    mode = getattr(request, "param", "embedded")
    if mode == "server":
        import uuid

        monkeypatch.setenv("QA_CHROMA_URL", request.getfixturevalue("chroma_server"))
        monkeypatch.setenv("QA_CHROMA_DATABASE", f"test-{uuid.uuid4().hex[:12]}")
    return mode


@pytest.fixture(scope="session")
def seeded_server_db(chroma_server: str, seeded_home: Path) -> str:
    """The seeds ingested once per session into a database of the session's server (read-only tests use it)."""
    env = {**os.environ, "QA_HOME": str(seeded_home), "QA_CHROMA_URL": chroma_server, "QA_CHROMA_DATABASE": "seeded"}
    subprocess.run([sys.executable, "-m", "qa", "ingest", str(SEEDS)], check=True, env=env, capture_output=True, cwd=ROOT)
    return "seeded"


@pytest.fixture
def seeded(seeded_home: Path, qa_home: Path, store_mode: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path:
    # the embedded store; never weights (they, and the embedder's ONNX export, live in MODELS_DIR)
    shutil.copytree(seeded_home, qa_home, ignore=shutil.ignore_patterns("models"))
    if store_mode == "server":
        monkeypatch.setenv("QA_CHROMA_DATABASE", request.getfixturevalue("seeded_server_db"))
    return qa_home


def run_qa(*args: str, input: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the real CLI in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "qa", *args], capture_output=True, text=True, input=input, cwd=cwd, env=os.environ.copy())


def one_clean_error(proc: subprocess.CompletedProcess, needle: str) -> None:
    """Bad input ends in exactly one `qa: error:` line on stderr and a non-zero exit, no traceback."""
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("qa: error:") and needle in lines[0], lines[0]
    assert "Traceback" not in proc.stderr


# Key-shaped strings: never in a cassette, whatever test recorded it.
KEY_LIKE = [re.compile(r"sk-[A-Za-z0-9_-]{10,}"), re.compile(r"Bearer\s+\S+", re.IGNORECASE)]


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    for pattern in [*KEY_LIKE, *(re.compile(re.escape(s)) for s in secrets)]:
        text = pattern.sub("<scrubbed>", text)
    return text


def scrubbed_vcr_config(*secrets: str) -> dict:
    """pytest-recording settings for an OpenAI-compatible endpoint: auth headers filtered, key-shaped
    strings (and `secrets`) replaced in request and response bodies before a cassette is written,
    and requests matched on their body, so a replay answers only the exchange that was recorded."""

    def request(r):  # noqa: ANN001, ANN202
        if r.body:
            raw = r.body.decode("utf-8", "replace") if isinstance(r.body, bytes) else r.body
            r.body = scrub(raw, secrets).encode("utf-8")
        return r

    def response(resp: dict) -> dict:
        body = resp.get("body", {}).get("string")
        if isinstance(body, bytes):
            resp["body"]["string"] = scrub(body.decode("utf-8", "replace"), secrets).encode("utf-8")
        return resp

    return {
        "filter_headers": ["authorization", "api-key", "x-api-key", "openai-organization", "openai-project"],
        "before_record_request": request,
        "before_record_response": response,
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
        "decode_compressed_response": True,
    }


@pytest.fixture
def no_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shell's OpenAI variables must not reach a test's endpoint or key."""
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
