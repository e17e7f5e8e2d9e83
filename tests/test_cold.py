"""What a cold `qa ask` skips: BM25 read from its on-disk cache (never a stale one), and NLTK: the
stemmer is PyStemmer's compiled Snowball, which agrees with NLTK's except where Snowball 3 changed
the English algorithm."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from qa.answer import bm25
from qa.answer.retrieve import Retriever
from qa.config import load_settings
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


def test_the_stemmer_imports_neither_nltk_nor_scipy() -> None:
    probe = ("import sys; from qa.text import stem; print(stem('refused'), stem('invitation'), "
             "sorted(m for m in ('nltk', 'scipy', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["refus", "invit", "[]"]


def test_the_stemmer_agrees_with_nltks_snowball_but_for_snowball_3s_fixes() -> None:
    """A comparison with the reference it replaced, over every word of the seeds: the same stems,
    except the over-stemming Snowball 3 fixed ("university" and "universal" were both "univers",
    "added" was "ad")."""
    from nltk.stem.snowball import SnowballStemmer

    from qa.text import stem, words

    fixed = {"university", "universal", "universities", "international", "internal", "internally", "organization",
             "organizations", "organizers", "organized", "emergency", "emergence", "added", "adding", "interstate"}
    vocab = {w for f in (ROOT / "seeds").iterdir() for w in words(f.read_text(encoding="utf-8")) if not any(c.isdigit() for c in w)}
    reference = SnowballStemmer("english")
    differ = {w for w in vocab if stem(w) != reference.stem(w)}
    assert len(vocab) > 1000 and differ <= fixed, sorted(differ - fixed)
    assert stem("university") != stem("universal") and stem("added") == stem("add")


def test_the_bench_sees_the_first_thing_drawn_on_a_terminal(seeded: Path) -> None:
    """`qa bench`'s first-output figure: a `qa ask` in a pseudo-terminal draws its spinner, and the
    bench stops it there (the time itself is the benchmark's to print, not this test's)."""
    import os

    from qa.evaluation.cold import first_output_seconds

    assert first_output_seconds(Path(os.environ["QA_HOME"]), "default", "none", "Why did Kim skip Moscow?") > 0


def test_synonyms_use_wordnets_detachment_rules_without_importing_nltk() -> None:
    """The verifier's WordNet lookups carry morphy's detachment table themselves (the same as NLTK's
    reader's), so answering never pays for `import nltk`."""
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    from qa.check.synonyms import _DETACH

    theirs = {pos: tuple(rules) for pos, rules in WordNetCorpusReader.MORPHOLOGICAL_SUBSTITUTIONS.items() if pos != "s"}
    assert _DETACH == theirs
    probe = "import sys; from qa.check import synonyms; print(sorted(synonyms.senses('refused'))[:1] != [], 'nltk' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False"]


def test_stems_are_the_same_from_many_threads() -> None:
    """The server stems on several threads at once; PyStemmer's objects are not shared between them."""
    from concurrent.futures import ThreadPoolExecutor

    from qa.text import _snowball

    vocab = [f"{w}{suffix}" for w in ("refus", "invit", "organiz", "connect", "run", "tax") for suffix in ("ed", "ing", "ation", "es", "s")]
    expected = [_snowball().stemWord(w) for w in vocab]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: [_snowball().stemWord(w) for w in vocab * 50], range(16)))
    assert all(g == expected * 50 for g in got)
    with ThreadPoolExecutor(2) as pool:
        assert pool.submit(_snowball).result() is not _snowball()


def test_numpy_is_imported_before_a_loader_thread_starts() -> None:
    """NumPy's first import, made by two threads at once, can find its C core half-initialised and
    fail (seen once in CI: the ONNX encoder's loader thread against the store's import): the caller
    imports it before the embedder's and the model's loader threads start."""
    probe = (
        "import sys, threading\n"
        "seen = []\n"
        "start = threading.Thread.start\n"
        "def watched(self):\n"
        "    seen.append((self.name, 'numpy' in sys.modules))\n"
        "    start(self)\n"
        "threading.Thread.start = watched\n"
        "from qa.config import load_settings\n"
        "from qa.index.embed import Embedder\n"
        "assert 'numpy' not in sys.modules\n"
        "Embedder(load_settings().embed_model, prefer_onnx=True).preload()\n"
        "print(seen)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[('qa-embedder-load', True)]"
