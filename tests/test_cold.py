"""What a cold `qa ask` skips: Chroma (the snapshot of rows, vectors and BM25 is read from its
on-disk cache, through a pointer that is never trusted once anything wrote to the store; never a
stale one), and NLTK: the stemmer is PyStemmer's compiled Snowball, which agrees with NLTK's except
where Snowball 3 changed the English algorithm."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, both_stores
from qa.answer import snapshot
from qa.answer.retrieve import Retriever
from qa.config import load_settings
from qa.index.ingest import ingest
from qa.index.store import Store

Q = "When did the Quokka Lane bridge open?"


def _folders(home: Path) -> list[Path]:
    root = home / "cache" / "read"
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def _bm25_hits(r: Retriever, question: str) -> list[str]:
    return [p.id for p in r.retrieve(question).passages if "bm25" in p.ranks]


def _ids(r: Retriever, question: str) -> list[tuple[str, dict]]:
    return [(p.id, dict(p.ranks)) for p in r.retrieve(question).passages]


def _bridge(tmp_path: Path) -> None:
    doc = tmp_path / "bridge.txt"
    doc.write_text("The Quokka Lane bridge opened in 1990 after four years of work.\n", encoding="utf-8")
    ingest([str(doc)], load_settings())


@both_stores
def test_the_snapshot_is_cached_and_rebuilt_when_the_files_change(seeded: Path, tmp_path: Path) -> None:
    first = Retriever(load_settings())
    hits = _bm25_hits(first, "Morgulov Pyongyang")
    (folder,) = _folders(seeded)  # written by the first process to need it
    assert folder.name.startswith("default.") and (folder / "rows.json").is_file()

    again = Retriever(load_settings())  # another process, as far as the cache knows
    assert snapshot.load(folder) is not None
    assert _bm25_hits(again, "Morgulov Pyongyang") == hits
    assert again.snapshot.rows == first.snapshot.rows

    _bridge(tmp_path)
    after = Retriever(load_settings())
    assert any("1990" in p.text for p in after.retrieve(Q).passages if "bm25" in p.ranks)  # never the stale index
    (newer,) = _folders(seeded)  # the old one was replaced
    assert newer != folder


def test_a_damaged_cache_is_rebuilt_from_the_store(seeded: Path) -> None:
    hits = _bm25_hits(Retriever(load_settings()), "Morgulov Pyongyang")
    (folder,) = _folders(seeded)
    (folder / "rows.json").write_text("[[", encoding="utf-8")
    assert snapshot.load(folder) is None
    assert _bm25_hits(Retriever(load_settings()), "Morgulov Pyongyang") == hits
    json.loads((folder / "rows.json").read_text(encoding="utf-8"))  # and it is whole again


def test_a_reader_opens_the_snapshot_without_chroma_until_the_store_is_written(seeded: Path, tmp_path: Path) -> None:
    """After one reader has read the store, the next process answers without importing Chroma and
    retrieves the same; any write to the store (here an ingest) sends the next reader back to it."""
    before = _ids(Retriever(load_settings()), "Why did Kim skip Moscow?")
    probe = ("import sys, json; from qa.config import load_settings; from qa.answer.retrieve import Retriever; "
             "r = Retriever(load_settings()); got = [(p.id, p.ranks) for p in r.retrieve('Why did Kim skip Moscow?').passages]; "
             "print(json.dumps([got, sorted(m for m in ('chromadb', 'bm25s', 'scipy') if m in sys.modules)]))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    got, imported = json.loads(out.stdout)
    assert [tuple(g) for g in got] == before and imported == []

    _bridge(tmp_path)  # a write: the pointer's stamp no longer holds
    stale = snapshot.from_pointer(seeded, str(seeded / "chroma"), seeded / "chroma", "default")
    assert stale is None
    assert any("1990" in p.text for p in Retriever(load_settings()).retrieve(Q).passages)


def test_a_long_lived_reader_opened_without_chroma_sees_a_later_ingest(seeded: Path, tmp_path: Path) -> None:
    Retriever(load_settings()).retrieve("Morgulov Pyongyang")  # reads the store, writes the pointer
    reader = Retriever(load_settings())
    assert reader.snapshot.corpus is None  # opened from the pointer
    assert not reader.refresh()  # nothing changed: no reload
    Store(load_settings()).corpora()  # a reader opening the store changes its stamp, not its content
    assert not reader.refresh()
    _bridge(tmp_path)
    assert any("1990" in p.text for p in reader.retrieve(Q).passages)


def test_exact_dense_search_finds_what_chromas_index_finds(seeded: Path) -> None:
    """The dense half searches the snapshot's vectors exactly; Chroma's HNSW index over the same
    chunks is the reference: the same nearest chunks, in the same order, with the same similarity."""
    import numpy as np

    from qa.answer.retrieve import similarities

    r = Retriever(load_settings())
    snap = r._fill(r.snapshot)
    corpus = Store(load_settings()).open("default")
    for question in ("Why did Kim skip Moscow?", "Who is Igor Morgulov?", "annual trade between Russia and North Korea"):
        qvec = r.embedder.embed([question])[0]
        sims = similarities(snap, qvec)
        mine = [(snap.rows[i][0], float(sims[i])) for i in np.argsort(-sims, kind="stable")[:20]]
        got = corpus.chunks.query(query_embeddings=[qvec], n_results=20, include=["distances"])
        theirs = [(cid, 1.0 - d) for cid, d in zip(got["ids"][0], got["distances"][0])]
        assert len(mine) == len(theirs) == 20
        assert all(abs(a[1] - b[1]) < 1e-4 for a, b in zip(mine, theirs))
        # the same chunks in the same order, but where two similarities tie to float precision
        assert [c for c, _ in mine] == [c for c, _ in theirs] or all(
            a[0] == b[0] or abs(a[1] - b[1]) < 1e-6 for a, b in zip(mine, theirs))


def test_keyword_scores_are_bm25s_scores(seeded: Path) -> None:
    """BM25 is scored from bm25s's own weights without bm25s; bm25s's `get_scores` over the same
    tokens is the reference: equal for every query, words absent from the corpus and repeated
    words included."""
    import bm25s
    import numpy as np

    from qa.text import content_terms

    r = Retriever(load_settings())
    snap = r._fill(r.snapshot)
    reference = bm25s.BM25(method="lucene")
    reference.index([content_terms(doc) or ["<empty>"] for _, doc, _ in snap.rows], show_progress=False)
    queries = [content_terms(doc)[:12] for _, doc, _ in snap.rows[::7]]
    queries += [["kim", "moscow", "kim"], ["zzzunknown", "moscow"], ["zzzunknown"]]
    for q in queries:
        assert np.array_equal(snap.bm25.scores(q), np.asarray(reference.get_scores(q), dtype=np.float32)), q


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
