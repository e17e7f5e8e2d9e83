"""Remote embeddings (`embed_model = "openai:NAME"`) and `qa ingest --jobs N`.

Two kinds of test. The `vcr` ones replay exchanges recorded in tests/cassettes/test_remote_embed/
with qa's OpenAI-compatible embedding server (qa/evaluation/bench/embed_server.py, real MiniLM
vectors) on 127.0.0.1: by default (`--record-mode=none`) no server runs, so they pass offline.
Requests are matched on their body, so a cassette only answers the texts it was recorded with.
Re-record with

    pytest tests/test_remote_embed.py --record-mode=rewrite

The others run the real CLI against a live embedding server started by the test (a subprocess),
for what a replay cannot show: an endpoint going down mid-ingest and coming back, a server whose
model changed behind the same name, and a parallel ingest compared with a serial one.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS, one_clean_error, run_qa, scrubbed_vcr_config
from qa.config import load_settings
from qa.errors import QAError
from qa.index.ingest import ingest
from qa.index.store import Store

CASSETTES = Path(__file__).parent / "cassettes" / "test_remote_embed"
PORT = 18441  # fixed, so re-recorded cassettes differ only where the exchange did
MODEL = "openai:all-MiniLM-L6-v2"
TEST_KEY = "sk-qatest-embed-0123456789abcdef"  # guards only a test server; still never in a cassette
DOCS = {
    "bridge.txt": "The Yalu River bridge between China and North Korea was closed for repairs in the winter of 2015.\n",
    "trade.txt": "Annual trade between Russia and North Korea is worth only about $100 million, less than 2% of North Korea's trade with China.\n",
    "rail.txt": "A rail link from the Russian border town of Khasan to the port of Rajin was rebuilt to carry coal.\n",
    "visit.txt": "The deputy foreign minister visited Pyongyang in the spring to prepare a summit that never took place.\n",
}


@pytest.fixture(scope="module")
def vcr_config() -> dict:
    return scrubbed_vcr_config(TEST_KEY)


pytestmark = pytest.mark.usefixtures("no_openai_env")


@pytest.fixture
def recorded_server(record_mode: str, request: pytest.FixtureRequest):  # noqa: ANN201
    """The server's base URL; the server itself (in this process: VCR records only the client's
    side) is started only when recording, with the test's `fail_first`."""
    url = f"http://127.0.0.1:{PORT}/v1"
    if record_mode == "none":
        yield url
        return
    from qa.evaluation.bench.embed_server import EmbedServer

    marker = request.node.get_closest_marker("proxy")
    server = EmbedServer(PORT, api_key=TEST_KEY, **(marker.kwargs if marker else {}))
    yield server.base_url
    server.close()


def _docs(d: Path, docs: dict[str, str] = DOCS) -> Path:
    d.mkdir()
    for name, text in docs.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


def _settings(url: str, **overrides):  # noqa: ANN003, ANN202
    return load_settings(embed_model=MODEL, embed_base_url=url, embed_api_key=TEST_KEY, **overrides)


def _bodies(cassette) -> list[tuple[list[str], int]]:  # noqa: ANN001
    """(inputs, status) per exchange, recorded now or replayed; on replay all must have been used."""
    if cassette.rewound:
        assert cassette.all_played, f"{cassette._path}: {cassette.play_count} of {len(cassette.data)} played"
    return [(json.loads(req.body)["input"], resp["status"]["code"]) for req, resp in cassette.data]


@pytest.mark.vcr
def test_remote_ingest_batches_requests_and_retrieves(tmp_path: Path, recorded_server: str, vcr) -> None:  # noqa: ANN001
    from qa.answer.retrieve import Retriever

    settings = _settings(recorded_server, embed_batch_size=2, embed_concurrency=2)
    s = ingest([str(_docs(tmp_path / "docs"))], settings)
    assert (s.files, s.chunks) == (4, 4)
    hit = Retriever(settings).retrieve("How much is Russia's trade with North Korea worth?").passages[0]
    assert Path(hit.source).name == "trade.txt"
    exchanges = _bodies(vcr)
    sizes = [len(inputs) for inputs, _ in exchanges]
    # one probe for the dimension, the four chunks two per request, the question
    assert sizes == [1, 2, 2, 1] and all(code == 200 for _, code in exchanges), exchanges
    meta = Store(settings).catalog_entry("default")
    assert (meta["embed_model"], meta["embed_dim"]) == (MODEL, 384)
    assert all("authorization" not in {k.lower() for k in req.headers} for req, _ in vcr.data)  # the key was filtered out
    saved = CASSETTES / "test_remote_ingest_batches_requests_and_retrieves.yaml"
    if saved.exists():  # written when the test ends, when recording
        assert TEST_KEY not in saved.read_text() and "Bearer" not in saved.read_text()


@pytest.mark.vcr
@pytest.mark.proxy(fail_first=1)
def test_429_is_retried_with_backoff(tmp_path: Path, recorded_server: str, vcr) -> None:  # noqa: ANN001
    settings = _settings(recorded_server, embed_batch_size=8, embed_concurrency=1, embed_retries=2)
    s = ingest([str(_docs(tmp_path / "docs"))], settings)
    assert s.files == 4
    assert [code for _, code in _bodies(vcr)] == [429, 200, 200]  # the probe was refused once, then answered


@pytest.mark.slow  # over 10 s: ingests or starts servers
def test_query_with_another_models_vectors_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store built through an endpoint giving 384 dimensions, queried after the server behind the
    same model name changed to 128: one line, never a comparison of unlike vectors. Ingesting again
    rebuilds (the dimension is in the fingerprint)."""
    docs = _docs(tmp_path / "docs")
    with _live_server() as url:
        _remote_env(monkeypatch, url)
        assert run_qa("ingest", str(docs)).returncode == 0
    with _live_server("--dim", "128") as url:
        _remote_env(monkeypatch, url)
        one_clean_error(run_qa("ask", "--model", "none", "--no-server", "Who visited Pyongyang?"), "128 dimensions")
        again = run_qa("ingest", str(docs))
        assert again.returncode == 0 and "rebuilt" in again.stdout, again.stderr
        assert Store(load_settings()).catalog_entry("default")["embed_dim"] == 128


def test_local_store_queried_with_remote_model_is_one_clear_error(seeded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_EMBED_MODEL", MODEL)
    monkeypatch.setenv("QA_EMBED_BASE_URL", "http://127.0.0.1:9/v1")  # never reached: the name differs first
    one_clean_error(run_qa("ask", "--model", "none", "--no-server", "Who visited Pyongyang?"), "was built with embedding model")


@pytest.mark.slow  # over 10 s: ingests or starts servers
def test_endpoint_down_mid_ingest_rolls_back_and_a_rerun_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two files a batch, one request a batch: the server answers the probe and two batches, then
    stops listening. The third batch fails after its retries and is rolled back (one clear line);
    the two committed stay. With the server back, a re-run embeds only the rest, and the store
    equals a clean ingest's."""
    docs = tmp_path / "docs"
    docs.mkdir()
    paragraphs = [p.strip() for f in sorted(SEEDS.glob("*.txt")) for p in f.read_text(encoding="utf-8").split("\n\n") if 200 < len(p.strip()) < 500]
    for i, p in enumerate(paragraphs[:10]):
        (docs / f"p{i:02d}.txt").write_text(p + "\n", encoding="utf-8")
    monkeypatch.setenv("QA_INGEST_BATCH_FILES", "2")
    monkeypatch.setenv("QA_EMBED_BATCH_SIZE", "64")
    monkeypatch.setenv("QA_EMBED_RETRIES", "1")
    with _live_server("--down-after", "3") as url:
        _remote_env(monkeypatch, url)
        first = run_qa("ingest", str(docs))
    # "connection refused", or "server disconnected" when a request races the shutdown: either way
    # the one line says the endpoint could not be reached
    one_clean_error(first, "cannot connect to")
    corpus = Store(load_settings()).open("default")
    committed = corpus.file_records()
    assert len(committed) == 4  # two batches of two
    visible = {m["source"] for m in corpus.chunks.get(include=["metadatas"])["metadatas"]}
    assert visible == set(committed)  # the failed batch left no chunks behind
    with _live_server() as url:
        _remote_env(monkeypatch, url)
        rerun = run_qa("ingest", str(docs))
        assert rerun.returncode == 0, rerun.stderr
        assert "ingested 6 files" in rerun.stdout and "skipped 4 unchanged" in rerun.stdout, rerun.stdout
        clean = run_qa("ingest", str(docs), "--collection", "clean")
        assert clean.returncode == 0, clean.stderr
    a, b = (Store(load_settings()).open(c) for c in ("default", "clean"))
    assert sorted(a.chunks.get(include=[])["ids"]) == sorted(b.chunks.get(include=[])["ids"])


def test_remote_key_goes_only_to_its_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """OPENAI_API_KEY set shell-wide is not sent to a third-party embedding server."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-shellwide-0123456789")
    s = load_settings(embed_model=MODEL, embed_base_url="http://127.0.0.1:9/v1")
    assert s.embed_api_key is None and "QA_EMBED_API_KEY" in s._sdk["embed_api_key_withheld"]
    s = load_settings(embed_model=MODEL, embed_base_url="http://127.0.0.1:9/v1", embed_api_key="sk-own-0123456789abc")
    assert s.embed_api_key.get_secret_value() == "sk-own-0123456789abc"


def test_remote_embed_error_names_the_endpoint_never_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _live_server("--api-key", "sk-right-0123456789abc") as url:
        _remote_env(monkeypatch, url)
        monkeypatch.setenv("QA_EMBED_API_KEY", "sk-wrong-0123456789abc")
        proc = run_qa("ingest", str(_docs(tmp_path / "docs")))
    one_clean_error(proc, "(401)")
    assert "sk-wrong" not in proc.stderr and "QA_EMBED_API_KEY" in proc.stderr
    with pytest.raises(QAError, match="needs a name"):
        from qa.index.embed import embedder_for

        embedder_for(load_settings(embed_model="openai:"))


@pytest.mark.slow  # over 10 s: ingests or starts servers
@pytest.mark.parametrize("remote", [False, True], ids=["local-processes", "remote-requests"])
def test_parallel_ingest_stores_what_a_serial_one_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, remote: bool) -> None:
    """`--jobs 2` and a serial ingest of the seeds: same ids, documents, metadata and file records,
    and vectors equal within float tolerance (batches are padded differently)."""
    import numpy as np

    monkeypatch.setenv("QA_INGEST_BATCH_FILES", "2")
    server = _live_server() if remote else None
    if server:
        _remote_env(monkeypatch, server.__enter__())
    try:
        serial = run_qa("ingest", str(SEEDS), "--collection", "serial")
        parallel = run_qa("ingest", str(SEEDS), "--collection", "parallel", "--jobs", "2")
    finally:
        if server:
            server.__exit__(None, None, None)
    assert serial.returncode == 0 and parallel.returncode == 0, serial.stderr + parallel.stderr
    store = Store(load_settings())
    got = {}
    for name in ("serial", "parallel"):
        c = store.open(name)
        rows = c.chunks.get(include=["documents", "metadatas", "embeddings"])
        order = np.argsort(rows["ids"])
        got[name] = ([rows["ids"][i] for i in order], [rows["documents"][i] for i in order], [rows["metadatas"][i] for i in order],
                     np.array(rows["embeddings"])[order], {s: (r.sha256, r.chunks) for s, r in c.file_records().items()})
    s, p = got["serial"], got["parallel"]
    assert s[0] == p[0] and len(s[0]) > 50
    assert s[1] == p[1] and s[2] == p[2] and s[4] == p[4]
    assert np.allclose(s[3], p[3], atol=1e-5), float(np.abs(s[3] - p[3]).max())


# -- a live embedding server in a subprocess ------------------------------------------------------


class _live_server:  # noqa: N801 - used as a context manager
    def __init__(self, *args: str) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.args = args

    def __enter__(self) -> str:
        self.proc = subprocess.Popen([sys.executable, "-m", "qa.evaluation.bench.embed_server", "--port", str(self.port), "--threads", "1", *self.args],
                                     cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("serving embeddings at"), line
        return line.split(" at ")[1].strip()

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _remote_env(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("QA_EMBED_MODEL", MODEL)
    monkeypatch.setenv("QA_EMBED_BASE_URL", url)
