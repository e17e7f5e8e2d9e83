"""Many files, interruptions and concurrent processes, against both stores (real CLI subprocesses).

A named pipe (FIFO) in the corpus makes the timing deterministic: `qa ingest` reads files in sorted
order, commits the batches before the pipe, and then blocks reading it until the test writes to it.
So "kill it mid-way", "ask while it runs" and "start a second ingest while the first holds the lock"
need no sleeps and no timing asserts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS, both_stores, run_qa
from qa.config import load_settings
from qa.index.store import Store

pytestmark = [both_stores, pytest.mark.slow]  # ingests of ~40 files in subprocesses

PIPE_TEXT = "The Yalu River bridge was closed for repairs in the winter of 2015, the pipe says.\n"


def _paragraphs() -> list[str]:
    out = []
    for f in sorted(SEEDS.glob("*.txt")):
        out += [p.strip() for p in f.read_text(encoding="utf-8").split("\n\n") if len(p.strip()) > 200]
    return out


def _corpus(d: Path, pipe_at: int | None = None) -> tuple[Path, Path | None]:
    """One seed paragraph per file (about 40 files of 1–2 chunks); a FIFO sorted at `pipe_at`."""
    d.mkdir()
    for i, p in enumerate(_paragraphs()):
        (d / f"p{i:03d}.txt").write_text(p + "\n", encoding="utf-8")
    fifo = None
    if pipe_at is not None:
        fifo = d / f"p{pipe_at:03d}b-pipe.txt"
        os.mkfifo(fifo)
    return d, fifo


def _feed(fifo: Path) -> threading.Thread:
    """Write the pipe's text once the ingest opens it (open() blocks until then)."""

    def write() -> None:
        with open(fifo, "w", encoding="utf-8") as f:
            f.write(PIPE_TEXT)

    t = threading.Thread(target=write, daemon=True)
    t.start()
    return t


_started: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _no_leftover_ingests():  # noqa: ANN202
    """A failed test must not leave an ingest blocked on its pipe forever."""
    yield
    while _started:
        p = _started.pop()
        if p.poll() is None:
            p.kill()
            p.wait()


def _start_ingest(*args: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa", "ingest", "-v", *args], cwd=ROOT, env=os.environ.copy(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    _started.append(proc)
    return proc


def _wait_for_line(proc: subprocess.Popen, needle: str, timeout: float = 600) -> list[str]:
    """Read the process's stderr up to a line containing `needle` (a watchdog kills a hung process,
    which ends the stream and fails the test instead of hanging it)."""
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    seen = []
    try:
        for line in proc.stderr:
            seen.append(line)
            if needle in line:
                return seen
    finally:
        watchdog.cancel()
    raise AssertionError(f"{needle!r} never appeared in: {''.join(seen)[-2000:]}")


def _state(collection: str) -> tuple[dict, list[str]]:
    corpus = Store(load_settings(collection=collection)).open(collection)
    recs = {s: (r.sha256, r.chunks) for s, r in corpus.file_records().items()}
    return recs, sorted(corpus.chunks.get(include=[])["ids"])


def test_sigkill_mid_ingest_then_rerun_gives_exactly_the_clean_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_INGEST_BATCH_FILES", "2")
    docs, fifo = _corpus(tmp_path / "docs", pipe_at=30)
    proc = _start_ingest(str(docs))
    _wait_for_line(proc, "committed batch 1:")
    proc.send_signal(signal.SIGKILL)  # mid-way: the ingest cannot get past the pipe, nobody writes to it
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    recs, _ = _state("default")
    total = len(list(docs.iterdir()))
    assert 2 <= len(recs) <= 30 < total  # some batches committed, not all
    fifo.unlink()
    fifo.write_text(PIPE_TEXT, encoding="utf-8")  # the pipe becomes an ordinary file for the re-run

    rerun = run_qa("ingest", str(docs))
    assert rerun.returncode == 0, rerun.stderr
    assert f"skipped {len(recs)} unchanged" in rerun.stdout  # committed batches were kept, not redone
    clean = run_qa("ingest", str(docs), "--collection", "clean")
    assert clean.returncode == 0, clean.stderr

    resumed_recs, resumed_ids = _state("default")
    clean_recs, clean_ids = _state("clean")
    assert len(resumed_recs) == total
    assert resumed_recs == clean_recs
    assert resumed_ids == clean_ids  # exactly the same chunks: no duplicates, none lost
    assert len(resumed_ids) == sum(n for _, n in clean_recs.values())
    status = json.loads(run_qa("status", "--json").stdout)
    counts = {c["name"]: (c["files"], c["chunks"], c["stored_chunks"]) for c in status["collections"]}
    assert counts["default"] == counts["clean"] == (total, len(clean_ids), len(clean_ids))


def test_asks_while_an_ingest_writes_never_fail_or_cite_uncommitted_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = tmp_path / "first"
    first.mkdir()
    (first / "trade.txt").write_text((SEEDS / "001_b4cd203a8e781f12.txt").read_text(encoding="utf-8"), encoding="utf-8")
    assert run_qa("ingest", str(first)).returncode == 0
    monkeypatch.setenv("QA_INGEST_BATCH_FILES", "2")
    docs, fifo = _corpus(tmp_path / "docs", pipe_at=10)
    proc = _start_ingest(str(docs))
    _wait_for_line(proc, "committed batch 1:")
    questions = ["How much is annual trade between Russia and North Korea worth?", "When was the Yalu River bridge closed for repairs?"]

    asked = 0

    def ask_and_check() -> None:
        nonlocal asked
        out = run_qa("ask", "--json", "--model", "none", questions[asked % 2])
        asked += 1
        assert out.returncode == 0, out.stderr
        answer = json.loads(out.stdout)
        for c in answer["citations"]:  # every quote is the committed text of a whole file
            text = PIPE_TEXT if c["source"] == str(fifo) else Path(c["source"]).read_text(encoding="utf-8")
            assert text[c["start"] : c["end"]] == c["quote"]

    for _ in range(2):  # the ingest is certainly running: it is waiting on the pipe
        ask_and_check()
    assert proc.poll() is None
    _feed(fifo)
    while proc.poll() is None:  # and while it writes the rest
        ask_and_check()
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    ask_and_check()
    assert asked >= 3
    last = json.loads(run_qa("ask", "--json", "--model", "none", questions[1]).stdout)
    assert "2015" in last["answer"] and any(c["source"].endswith("pipe.txt") for c in last["citations"])


def test_two_ingests_into_one_collection_are_serialised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_INGEST_BATCH_FILES", "2")
    docs, fifo = _corpus(tmp_path / "docs", pipe_at=3)
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.md").write_text("# Note\n\nThe summit was moved to Vladivostok, the memo says.\n", encoding="utf-8")
    a = _start_ingest(str(docs))
    _wait_for_line(a, "committed batch 1:")  # a holds the lock and is blocked on the pipe
    b = _start_ingest(str(other))
    waiting = _wait_for_line(b, "waiting for another ingest")[-1]
    assert f"waiting for another ingest into 'default' (pid {a.pid}" in waiting
    assert b.poll() is None  # b waits for a
    _feed(fifo)
    a_out, a_err = a.communicate()
    b_out, b_err = b.communicate()
    assert a.returncode == 0, a_err
    assert b.returncode == 0, b_err
    recs, ids = _state("default")
    assert len(recs) == len(list(docs.iterdir())) + 1
    assert len(ids) == sum(n for _, n in recs.values())


def test_prune_and_status(tmp_path: Path) -> None:
    docs, _ = _corpus(tmp_path / "docs")
    assert run_qa("ingest", str(docs)).returncode == 0
    before = json.loads(run_qa("status", "--json", "--files").stdout)["collections"][0]
    gone = sorted(docs.iterdir())[:3]
    for f in gone:
        f.unlink()
    proc = run_qa("ingest", "--prune", str(docs))
    assert proc.returncode == 0, proc.stderr
    assert "3 removed" in proc.stdout
    st = json.loads(run_qa("status", "--json", "--files").stdout)
    after = st["collections"][0]
    assert after["files"] == before["files"] - 3
    assert after["chunks"] == after["stored_chunks"] == sum(f["chunks"] for f in after["file_list"])
    assert not {str(f) for f in gone} & {f["source"] for f in after["file_list"]}
    assert after["embed_model"] == "all-MiniLM-L6-v2" and after["chunk_size"] == 96
    text = run_qa("status").stdout
    assert f"default: {after['files']} files, {after['chunks']} chunks, embed all-MiniLM-L6-v2" in text
    if os.environ.get("QA_CHROMA_URL"):
        assert st["store"].startswith(os.environ["QA_CHROMA_URL"]) and st["size_bytes"] is None
    else:
        assert st["store"].endswith("chroma") and st["size_bytes"] > 0


def test_another_machine_asks_with_nothing_local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_mode: str) -> None:
    """Server mode: a fresh $QA_HOME (another machine: no local store, no ONNX export) answers from
    the server alone, BM25 included. Embedded mode: the same fresh home has nothing ingested."""
    docs, _ = _corpus(tmp_path / "docs")
    assert run_qa("ingest", str(docs)).returncode == 0
    other_home = tmp_path / "other-machine"
    monkeypatch.setenv("QA_HOME", str(other_home))
    proc = run_qa("ask", "--json", "--model", "none", "How much is annual trade between Russia and North Korea worth?")
    if store_mode == "embedded":
        assert proc.returncode != 0 and "nothing ingested" in proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert "100 million" in answer["answer"] and answer["citations"]
    assert not (other_home / "chroma").exists()
    from qa.answer.retrieve import Retriever

    r = Retriever(load_settings())
    assert r.retrieve("Morgulov Pyongyang").passages  # forces the snapshot, paged out of the server
    assert len(r.snapshot.rows) == len(r.snapshot.vectors) == sum(rec.chunks for rec in r.snapshot.records)


def test_a_reader_never_sees_part_of_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files of many chunks, each written to Chroma in several writes: with the ingest paused after
    writing part of a file's chunks, a reader (dense and BM25 retrieval) sees none of that file and
    all of every committed one; once the ingest ends, all of every file."""
    import qa.index.ingest as ingest_mod
    from qa.index.ingest import ingest
    from qa.answer.retrieve import Retriever, _passage

    docs = tmp_path / "docs"
    docs.mkdir()
    for f in sorted(SEEDS.glob("*.txt"))[:3]:  # 9, 6 and 30 chunks
        (docs / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(ingest_mod, "EMBED_STEP", 8)
    paused, resume = threading.Event(), threading.Event()

    class PausingEmbedder(ingest_mod.Embedder):  # the real embedder; its 5th batch (the 2nd of a 30-chunk file) waits
        calls = 0

        def embed(self, texts: list[str]) -> list:
            PausingEmbedder.calls += 1
            if PausingEmbedder.calls == 5:
                paused.set()
                assert resume.wait(300)
            return super().embed(texts)

    settings = load_settings(ingest_batch_files=1)
    done: list = []
    pausing = PausingEmbedder(settings.embed_model)  # handed in: ingest builds its own otherwise
    writer = threading.Thread(target=lambda: done.append(ingest([str(docs)], settings, embedder=pausing)), daemon=True)
    writer.start()
    try:
        assert paused.wait(300)
        corpus = Store(settings).open(settings.collection)
        records = corpus.file_records()
        assert records and all(r.chunks > 1 for r in records.values())  # whole files committed
        files = [str(p.resolve()) for p in docs.iterdir()]
        half = {f: len(corpus.chunks.get(where={"source": f}, include=[])["ids"]) for f in files if f not in records}
        half = {f: n for f, n in half.items() if n}
        assert len(half) == 1  # part of one file is in the store...
        (second, stored), = half.items()
        reader = Retriever(settings)
        reader._fill(reader.snapshot)
        seen: dict[str, int] = {}
        for row in reader.snapshot.rows:
            src = _passage(*row).source
            seen[src] = seen.get(src, 0) + 1
        assert seen == {_shown(f): r.chunks for f, r in records.items()}  # ...none of it is visible
        text = Path(second).read_text(encoding="utf-8")
        probe = text[: text.index(".", 100) + 1]  # the half-written file's opening sentence(s)
        assert all(p.source != _shown(second) for p in reader.retrieve(probe).passages)
    finally:
        resume.set()
        writer.join(300)
    assert done and done[0].files == 3
    assert stored < Store(settings).open(settings.collection).file_records()[second].chunks  # it really was half
    reader = Retriever(settings)
    reader._fill(reader.snapshot)
    assert len(reader.snapshot.rows) == sum(r.chunks for r in reader.snapshot.records) == done[0].chunks


def _shown(source: str) -> str:
    from qa.index.store import shown

    return shown(source)
