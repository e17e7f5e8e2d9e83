"""What a cold `qa ask` skips: BM25 read from its on-disk cache (never a stale one), and nltk's stemmer
imported without the scipy and scikit-learn that `import nltk` would load."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ROOT
from qa.answer import bm25
from qa.answer.retrieve import Retriever
from qa.config import load_settings
from qa.imports import absent
from qa.index.ingest import ingest

Q = "When did the Quokka Lane bridge open?"


def _folders(home: Path) -> list[Path]:
    root = home / "cache" / "bm25"
    return sorted(p for p in root.iterdir()) if root.is_dir() else []


def _bm25_hits(r: Retriever, question: str) -> list[str]:
    return [p.id for p in r.retrieve(question).passages if "bm25" in p.ranks]


def test_bm25_is_cached_per_snapshot_and_rebuilt_when_the_files_change(seeded: Path, tmp_path: Path) -> None:
    first = Retriever(load_settings())
    hits = _bm25_hits(first, "Morgulov Pyongyang")
    (folder,) = _folders(seeded)  # written by the first process to need it
    assert folder.name.startswith("default.") and (folder / "rows.json").is_file()

    again = Retriever(load_settings())  # another process, as far as the cache knows
    assert bm25.load(folder) is not None
    assert _bm25_hits(again, "Morgulov Pyongyang") == hits
    assert again._snap.bm25_rows == first._snap.bm25_rows

    doc = tmp_path / "bridge.txt"
    doc.write_text("The Quokka Lane bridge opened in 1990 after four years of work.\n", encoding="utf-8")
    ingest([str(doc)], load_settings())
    after = Retriever(load_settings())
    assert any("1990" in p.text for p in after.retrieve(Q).passages if "bm25" in p.ranks)  # never the stale index
    (newer,) = _folders(seeded)  # the old one was replaced
    assert newer != folder


def test_a_damaged_cache_is_rebuilt_from_the_store(seeded: Path) -> None:
    hits = _bm25_hits(Retriever(load_settings()), "Morgulov Pyongyang")
    (folder,) = _folders(seeded)
    (folder / "rows.json").write_text("[[", encoding="utf-8")
    assert bm25.load(folder) is None
    assert _bm25_hits(Retriever(load_settings()), "Morgulov Pyongyang") == hits
    json.loads((folder / "rows.json").read_text(encoding="utf-8"))  # and it is whole again


def test_the_stemmer_loads_without_scipy_or_sklearn() -> None:
    probe = ("import sys; from qa.text import stem; print(stem('refused'), stem('invitation'), "
             "sorted(m for m in ('scipy', 'sklearn') if m in sys.modules)); import scipy.stats, sklearn")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr  # and they still import afterwards
    assert out.stdout.split() == ["refus", "invit", "[]"]


def test_only_the_calling_thread_is_refused() -> None:
    name = "colorsys"  # small, and nothing here imports it
    sys.modules.pop(name, None)
    got: list = []
    with absent(name):
        with pytest.raises(ImportError):
            importlib.import_module(name)
        t = threading.Thread(target=lambda: got.append(importlib.import_module(name)))
        t.start()
        t.join()
    assert got and got[0].__name__ == name
    sys.modules.pop(name, None)
    assert importlib.import_module(name).__name__ == name


def test_the_bench_sees_the_first_thing_drawn_on_a_terminal(seeded: Path) -> None:
    """`qa bench`'s first-output figure: a `qa ask` in a pseudo-terminal draws its spinner, and the
    bench stops it there (the time itself is the benchmark's to print, not this test's)."""
    import os

    from qa.evaluation.cold import first_output_seconds

    assert first_output_seconds(Path(os.environ["QA_HOME"]), "default", "none", "Why did Kim skip Moscow?") > 0
