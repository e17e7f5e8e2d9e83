"""Incremental ingest against a real Chroma store and the real embedding model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import SEEDS, both_stores
from qa.config import load_settings
from qa.errors import QAError
from qa.index.ingest import ingest
from qa.answer.retrieve import Retriever
from qa.index.store import Store

pytestmark = both_stores  # every test here runs against the embedded store and a real Chroma server

@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    for name in ("001_b4cd203a8e781f12.txt", "004_d1e3b79279d3dec7.txt"):
        shutil.copy(SEEDS / name, d / name)
    return d


def _state(settings) -> tuple[dict, list[str]]:  # noqa: ANN001
    corpus = Store(settings).open(settings.collection)
    recs = {Path(s).name: r.sha256 for s, r in corpus.file_records().items()}
    return recs, sorted(corpus.chunks.get(include=[])["ids"])


def test_unchanged_changed_and_new_files(corpus: Path) -> None:
    s = load_settings()
    first = ingest([str(corpus)], s)
    assert (first.files, first.skipped) == (2, 0) and first.chunks > 4
    recs1, ids1 = _state(s)
    assert len(ids1) == first.chunks

    again = ingest([str(corpus)], s)
    assert (again.files, again.chunks, again.skipped) == (0, 0, 2)
    assert _state(s) == (recs1, ids1)

    changed = corpus / "004_d1e3b79279d3dec7.txt"
    changed.write_text("Kim Jong-un visited a noodle factory in Wonsan in 2015.\n", encoding="utf-8")
    (corpus / "new.md").write_text("# Note\n\nThe summit was moved to Vladivostok, the memo says.\n", encoding="utf-8")
    third = ingest([str(corpus)], s)
    assert (third.files, third.skipped) == (2, 1)
    recs3, ids3 = _state(s)
    assert set(recs3) == {"001_b4cd203a8e781f12.txt", "004_d1e3b79279d3dec7.txt", "new.md"}
    assert recs3["001_b4cd203a8e781f12.txt"] == recs1["001_b4cd203a8e781f12.txt"]
    assert recs3["004_d1e3b79279d3dec7.txt"] != recs1["004_d1e3b79279d3dec7.txt"]
    # old chunks of the changed file are gone; no duplicates
    store = Store(s).open(s.collection)
    metas = store.chunks.get(include=["metadatas"])["metadatas"]
    changed_chunks = [m for m in metas if m["source"].endswith("004_d1e3b79279d3dec7.txt")]
    assert len(changed_chunks) == 1 and changed_chunks[0]["sha256"] == recs3["004_d1e3b79279d3dec7.txt"]
    r = Retriever(s).retrieve("Where was the noodle factory?")
    assert "noodle factory" in r.passages[0].text


def test_settings_change_triggers_rebuild(corpus: Path) -> None:
    ingest([str(corpus)], load_settings())
    _, ids_before = _state(load_settings())
    s2 = load_settings(chunk_size=64)
    summary = ingest([str(corpus / "001_b4cd203a8e781f12.txt")], s2)
    assert summary.rebuilt and summary.files == 2  # the file not named again is re-read too
    recs, ids = _state(s2)
    assert len(recs) == 2 and len(ids) > len(ids_before)
    assert Store(s2).catalog_entry("default")["chunk_size"] == 64
    # only the live collections remain
    names = [c.name for c in Store(s2).client.list_collections()]
    assert sum(n.startswith("default.") for n in names) == 2


def test_failed_ingest_leaves_store_exactly_as_it_was(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings()
    ingest([str(corpus)], s)
    before = _state(s)
    (corpus / "004_d1e3b79279d3dec7.txt").write_text("Completely new text about a summit in 2016.\n", encoding="utf-8")
    (corpus / "later.txt").write_text("Another new document about the Yalu River bridge.\n", encoding="utf-8")

    import qa.index.ingest as ingest_mod

    real_write = ingest_mod._write
    calls = {"n": 0}

    def write_then_interrupt(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        real_write(*args, **kwargs)  # really stores the chunks
        calls["n"] += 1
        raise KeyboardInterrupt  # then the user presses Ctrl-C

    monkeypatch.setattr(ingest_mod, "_write", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        ingest([str(corpus)], s, batch_files=1)
    assert calls["n"] == 1
    assert _state(s) == before
    monkeypatch.setattr(ingest_mod, "_write", real_write)
    done = ingest([str(corpus)], s)
    assert done.files == 2


def test_uncommitted_chunks_are_invisible_to_retrieval(corpus: Path) -> None:
    s = load_settings()
    ingest([str(corpus)], s)
    store = Store(s).open(s.collection)
    # a half-written file: chunks stored, but no file record names them (as after kill -9)
    store.chunks.add(
        ids=["orphan:0"], documents=["Kim Jong-un secretly visited Paris in 2015 to buy cheese."],
        metadatas=[{"source": "ghost.txt", "sha256": "x", "start": 0, "end": 56, "index": 0, "sentences": "[[0, 56]]"}],
        embeddings=Retriever(s).embedder.embed(["Kim Jong-un secretly visited Paris in 2015 to buy cheese."]),
    )
    r = Retriever(s).retrieve("Did Kim visit Paris to buy cheese?")
    assert all(p.source != "ghost.txt" for p in r.passages)


def test_widened_passages_are_exact_spans_of_the_current_text(corpus: Path) -> None:
    """Small-to-big: each hit comes back with its neighbouring chunks, and what comes back is still
    the source's text at the passage's offsets (quotes cut from it stay checkable; the whitespace
    between two chunks is not stored, so only it may differ), with no chunk
    of a superseded version of the file pulled in beside the hit."""
    s = load_settings(chunk_size=48, chunk_overlap=8)  # small chunks: every seed splits into many
    ingest([str(corpus)], s)
    question = "How much is annual trade between Russia and North Korea worth?"
    plain = Retriever(s).retrieve(question)
    wide = Retriever(load_settings(chunk_size=48, chunk_overlap=8, passage_window=1)).retrieve(question)
    assert len(wide.passages) <= len(plain.passages)
    assert sum(len(p.text) for p in wide.passages) > sum(len(p.text) for p in plain.passages)
    assert wide.passages[0].id == plain.passages[0].id and plain.passages[0].text in wide.passages[0].text
    for p in wide.passages:
        assert _same_text((corpus / Path(p.source).name).read_text(encoding="utf-8")[p.start : p.end], p.text)
        assert all(p.start <= a < b <= p.end for a, b in p.sentences)
    # a new version of the file: its old chunks are never read as neighbours
    hit = corpus / Path(wide.passages[0].source).name
    hit.write_text(hit.read_text(encoding="utf-8") + "\nA closing line added later.\n", encoding="utf-8")
    ingest([str(corpus)], s)
    again = Retriever(load_settings(chunk_size=48, chunk_overlap=8, passage_window=1)).retrieve(question)
    for p in again.passages:
        assert _same_text((corpus / Path(p.source).name).read_text(encoding="utf-8")[p.start : p.end], p.text)


def test_other_sources_get_their_own_slots_and_passages_never_overlap(corpus: Path) -> None:
    """`passage_sources` hands on, after the widened hits, the best hit of each document not yet among
    them, alone; and however hits meet, no two passages of a document overlap (one passage each)."""
    question = "Why did Kim Jong-un not go to Moscow?"
    base = dict(chunk_size=48, chunk_overlap=8, passages=1, passage_window=2)  # two documents here
    ingest([str(corpus)], load_settings(**base))
    wide = Retriever(load_settings(**base)).retrieve(question).passages
    more = Retriever(load_settings(**base, passage_sources=2)).retrieve(question).passages
    assert [(p.source, p.start, p.end) for p in more[: len(wide)]] == [(p.source, p.start, p.end) for p in wide]
    extra = more[len(wide) :]
    assert len(extra) == 1  # one other document to draw from
    assert len({p.source for p in more}) == len({p.source for p in wide}) + len(extra)  # each from a new document
    for p in extra:
        assert len(p.sentences) <= 3  # a single small chunk, not widened
    crowd = Retriever(load_settings(**base | {"passages": 8})).retrieve(question).passages  # many hits whose windows meet
    for got in (wide, more, crowd):
        for i, a in enumerate(got):
            assert not any(b.source == a.source and b.start < a.end and a.start < b.end for b in got[i + 1 :])


def _same_text(source: str, passage: str) -> bool:
    return len(source) == len(passage) and source.split() == passage.split()


def test_missing_path_is_an_error_and_changes_nothing(corpus: Path) -> None:
    s = load_settings()
    with pytest.raises(QAError, match="path not found"):
        ingest([str(corpus / "nope")], s)
    assert Store(s).catalog_entry("default") is None


def test_bad_files_in_a_folder_are_skipped(corpus: Path) -> None:
    (corpus / "empty.txt").write_text("")
    (corpus / "blob.txt").write_bytes(b"\x00\x01\x02binary\x00" * 10)
    (corpus / "latin1.txt").write_bytes("Caf\xe9 in Pyongyang served cr\xe8me br\xfbl\xe9e.".encode("latin-1"))
    (corpus / "page.html").write_text("<html><script>alert(1)</script><body><p>The parade was on May 9.</p></body></html>")
    warnings: list[str] = []
    summary = ingest([str(corpus)], load_settings(), warn=warnings.append)
    assert summary.files == 4  # two seeds, latin-1 text, html
    assert not summary.failed and len(summary.ignored) == 2 and len(warnings) == 2  # not documents, not failures
    r = Retriever(load_settings()).retrieve("When was the parade?")
    html = [p for p in r.passages if p.source.endswith("page.html")]
    assert html and "alert" not in html[0].text


def test_the_same_text_under_another_path_is_indexed_and_said(corpus: Path, tmp_path: Path) -> None:
    """A copy (or a second checkout of the same folder) is a document of its own, but its passages
    would crowd out others in a question's evidence: each such file gets one line naming the first."""
    s = load_settings()
    said: list[str] = []
    shutil.copy(corpus / "001_b4cd203a8e781f12.txt", corpus / "copy.txt")  # two copies in one run
    first = ingest([str(corpus)], s, warn=said.append)
    assert first.files == 3
    assert len(said) == 1 and "copy.txt has the same text as" in said[0] and "001_b4cd203a8e781f12.txt" in said[0], said
    other = tmp_path / "checkout" / "docs"
    shutil.copytree(corpus, other)  # a second checkout: every file already indexed elsewhere
    said.clear()
    again = ingest([str(other)], s, warn=said.append)
    assert again.files == 3 and len(said) == 3 and all(f"same text as {corpus.resolve()}{os.sep}" in line for line in said), said
    said.clear()
    assert ingest([str(corpus), str(other)], s, warn=said.append).skipped == 6 and said == []  # unchanged: nothing to say
    (other / "004_d1e3b79279d3dec7.txt").write_text("A text of its own.\n", encoding="utf-8")
    assert ingest([str(other)], s, warn=said.append).files == 1 and said == []
    big = tmp_path / "big"  # two copies that are not indexed at all (over the chunk limit): no twin to speak of
    big.mkdir()
    for name in ("a.txt", "b.txt"):
        shutil.copy(SEEDS / "000_a984c12c8d999f47.txt", big / name)
    said.clear()
    assert ingest([str(big)], load_settings(max_file_chunks=1), warn=said.append).files == 0
    assert len(said) == 2 and all(line.startswith("skipped") for line in said), said


def test_a_file_is_indexed_once_however_it_is_named(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`qa ingest docs` then `qa ingest $PWD/docs`, or a symlink to an indexed file: one file, not two."""
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    first = ingest(["docs"], s)
    recs1, ids1 = _state(s)
    again = ingest([str(corpus)], s)  # the same folder, by its absolute path
    assert (again.files, again.skipped) == (0, 2)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "link.txt").symlink_to(corpus / "001_b4cd203a8e781f12.txt")
    both = ingest([str(elsewhere), "docs/../docs"], s)  # a symlink to an indexed file, and a third spelling
    assert (both.files, both.skipped) == (0, 2)  # link.txt is 001 (skipped), docs/../docs holds 001 and 004
    assert _state(s) == (recs1, ids1) and len(recs1) == 2 and len(ids1) == first.chunks
    # what users see is short: relative to the current directory when under it, else absolute
    r = Retriever(s).retrieve("How much is annual trade between Russia and North Korea worth?")
    assert r.passages[0].source == "docs/001_b4cd203a8e781f12.txt"
    monkeypatch.chdir(corpus.parent.parent)
    r = Retriever(s).retrieve("How much is annual trade between Russia and North Korea worth?")
    assert Path(r.passages[0].source) == Path(tmp_path.name) / "docs" / "001_b4cd203a8e781f12.txt"
    monkeypatch.chdir(elsewhere)
    r = Retriever(s).retrieve("How much is annual trade between Russia and North Korea worth?")
    assert r.passages[0].source == str((corpus / "001_b4cd203a8e781f12.txt").resolve())


def test_prune_forgets_only_files_gone_from_the_paths_given(corpus: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "memo.md").write_text("# Memo\n\nThe summit was moved to Vladivostok, the memo says.\n", encoding="utf-8")
    (other / "note.txt").write_text("The delegation flew home on a Tuesday, the note says.\n", encoding="utf-8")
    s = load_settings()
    ingest([str(corpus)], s)
    ingest([str(other)], s)
    (corpus / "004_d1e3b79279d3dec7.txt").unlink()
    (other / "note.txt").unlink()  # gone too, but `other` is not being pruned
    summary = ingest([str(corpus)], s, prune=True)
    assert summary.removed == 1
    recs, ids = _state(s)
    assert set(recs) == {"001_b4cd203a8e781f12.txt", "memo.md", "note.txt"}
    assert len(ids) == sum(r.chunks for r in Store(s).open(s.collection).file_records().values())
    assert ingest([str(other)], s, prune=True).removed == 1
    assert set(_state(s)[0]) == {"001_b4cd203a8e781f12.txt", "memo.md"}
