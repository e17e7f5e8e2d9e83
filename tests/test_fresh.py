"""A long-lived retriever (chat, `qa serve`) sees another process's ingest before its next question:
new text, never the superseded text, and no "damaged store" after a rebuild elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_qa
from qa.config import load_settings
from qa.index.ingest import ingest
from qa.answer.retrieve import Retriever

Q = "When did the Quokka Lane bridge open?"


def _texts(r: Retriever, q: str) -> str:
    return " ".join(p.text for p in r.retrieve(q).passages)


@pytest.mark.slow  # over 10 s: ingests or starts servers
def test_retriever_sees_other_process_ingest_and_rebuild(seeded: Path, tmp_path: Path) -> None:
    doc = tmp_path / "bridge.txt"
    doc.write_text("The Quokka Lane bridge opened in 1990 after four years of work.\n", encoding="utf-8")
    ingest([str(doc)], load_settings())
    r = Retriever(load_settings())
    assert "1990" in _texts(r, Q)  # BM25 and the file map are loaded now

    doc.write_text("The Quokka Lane bridge opened in 1995 after nine years of work.\n", encoding="utf-8")
    proc = run_qa("ingest", str(doc))  # another process
    assert proc.returncode == 0, proc.stderr
    got = _texts(r, Q)
    assert "1995" in got and "1990" not in got  # the new version, whole; never the superseded text

    proc = run_qa("ingest", "--rebuild", str(doc))  # drops the collections this retriever opened
    assert proc.returncode == 0, proc.stderr
    got = _texts(r, Q)
    assert "1995" in got
    assert r.snapshot.entry["chunks"] == r.store.catalog_entry("default")["chunks"]  # the rebuilt collection
    assert not r.refresh()  # nothing changed since: no reload
