"""What a reader needs of one committed state of a collection, kept on disk between processes.

A snapshot is the catalog entry (every ingest commit rewrites it), the committed file map (source ->
sha256: exactly which chunks are visible) and, for those chunks only, their rows (id, text, offsets,
sentence spans), their vectors and BM25 over their stemmed text. Building the last three means paging
every chunk out of Chroma and stemming it, which a one-shot `qa ask` would otherwise pay on every
run, so they are saved under $QA_HOME/cache/read in a folder named by everything that decides them:
the store, the chunks collection (a new one per rebuild or settings change), the file map and the
code that tokenizes. Any change gives another name, so a stale folder is never read; an unreadable
one is rebuilt from Chroma. Each write replaces the collection's previous folder.

Both halves of retrieval search these rows with NumPy alone: BM25 over the term weights bm25s
computed at build time (kept as its sparse arrays: reading them back needs neither bm25s nor the
SciPy it imports, 0.3–0.6 s of a cold start), and the dense half exactly (cosine over the saved
vectors), which for the sizes a laptop holds is faster than an HNSW query and never approximate.
Chroma stays the store of record: every write goes there, and every snapshot is read out of it once.

An embedded store also gets a pointer file naming its current snapshot, stamped with the identity
of Chroma's SQLite file and SQLite's own file change counter (the header field every write
transaction in rollback-journal mode increments). While the stamp holds, nothing has written to the
store since the snapshot was read, so a reader opens it from the pointer without importing Chroma
at all (1.2–1.7 s of a cold `qa ask` on a 2-core machine). A Chroma server's state cannot be
stamped from here: its readers always ask the server's catalog first.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from qa.index.store import FORMAT, FileRecord, pages, shown
from qa.text import content_terms

Row = tuple[str, str, dict[str, Any]]  # chunk id, text, metadata (source, start, end, index, sentences)
_KEPT = ("source", "start", "end", "index", "sentences")
_ROWS, _VECTORS, _POINTER, _VOCAB = "rows.json", "vectors.npy", "current.json", "vocab.json"
_WEIGHTS = ("data", "indices", "indptr")  # BM25's term-by-document weights, compressed sparse by term
_SQLITE = "chroma.sqlite3"


@cache
def _code_version() -> str:
    """Tokenization is qa/text.py plus the pinned stemmer and bm25s, and the rows keep `_KEPT`: a
    change to any is a new folder."""
    from importlib.metadata import version

    text = (Path(__file__).parent.parent / "text.py").read_bytes()
    pins = f"pystemmer {version('pystemmer')} bm25s {version('bm25s')} lucene rows {_KEPT} vectors float32 unit"
    return hashlib.sha1(text + pins.encode()).hexdigest()[:12]


@dataclass
class Keyword:
    """BM25 over the rows, as bm25s computes it ("lucene" scoring): its weights are precomputed per
    term and document at build time, so a query's score for a document is the sum of its terms'
    weights there (a term asked twice counts twice, as in bm25s). Scoring is these few lines of
    NumPy over bm25s's own arrays; tests compare it with bm25s's `get_scores`."""

    vocab: dict[str, int]
    data: Any
    indices: Any
    indptr: Any
    docs: int

    @classmethod
    def build(cls, toks: list[list[str]]) -> Keyword:
        import bm25s
        import numpy as np

        if not toks:
            return cls({}, np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int32), 0)
        index = bm25s.BM25(method="lucene")
        index.index(toks, show_progress=False)
        w = index.scores
        return cls({str(t): int(i) for t, i in index.vocab_dict.items()}, w["data"], w["indices"], w["indptr"], int(w["num_docs"]))

    def scores(self, terms: list[str]) -> Any:
        import numpy as np

        out = np.zeros(self.docs, dtype=np.float32)
        for t in terms:
            i = self.vocab.get(t)
            if i is not None:
                a, b = int(self.indptr[i]), int(self.indptr[i + 1])
                np.add.at(out, self.indices[a:b], self.data[a:b])
        return out

    def save(self, folder: Path) -> None:
        import numpy as np

        for name in _WEIGHTS:
            np.save(folder / f"{name}.npy", getattr(self, name), allow_pickle=False)
        (folder / _VOCAB).write_text(json.dumps({"docs": self.docs, "vocab": self.vocab}), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Keyword:
        import numpy as np

        head = json.loads((folder / _VOCAB).read_text(encoding="utf-8"))
        arrays = [np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _WEIGHTS]
        return cls(head["vocab"], *arrays, int(head["docs"]))


@dataclass
class Snapshot:
    """One load of a collection. `corpus` (the Chroma collections) is None when the snapshot was
    opened from its pointer; the rows, vectors and BM25 are loaded on first use."""

    name: str
    entry: dict[str, Any]
    records: list[FileRecord]
    corpus: Any = None  # qa.index.store.Corpus, when read from the store
    stamp: list | None = None  # the store's stamp when this snapshot was read (embedded stores only)
    live: dict[str, str] = field(init=False)
    page_starts: dict[str, list[int]] = field(init=False)
    titles: dict[str, str] = field(init=False)
    bm25: Keyword | None = None
    rows: list[Row] = field(default_factory=list)  # in the index's order
    vectors: Any = None  # numpy array, one unit-length row per entry of `rows`
    _by_position: dict[tuple[str, int], int] | None = None

    def __post_init__(self) -> None:
        self.live = {r.source: r.sha256 for r in self.records}
        # Keyed by the source as citations show it: where each page of a paged document (PDF)
        # starts, stored at ingest, and titles shown beside file names.
        self.page_starts = {shown(r.source): r.page_starts() for r in self.records if r.pages}
        self.titles = {shown(r.source): r.title for r in self.records if r.title}

    @property
    def loaded(self) -> bool:
        return self.bm25 is not None

    def row_at(self, source: str, index: int) -> int | None:
        """The row of a document's `index`-th chunk (visible chunks only), for widening a hit."""
        if self._by_position is None:
            self._by_position = {(m["source"], int(m["index"])): i for i, (_, _, m) in enumerate(self.rows) if "index" in m}
        return self._by_position.get((source, index))


# -- the folder of rows, vectors and BM25 ----------------------------------------------------------
def _where(location: str) -> str:
    return hashlib.sha1(location.encode()).hexdigest()[:8]


def cache_folder(home: Path, location: str, snap: Snapshot) -> Path:
    """Where this exact snapshot's rows live: `<collection>.<store>.<content>` under
    $QA_HOME/cache/read (collection names have no dots, so one collection's folders never match
    another's)."""
    what = json.dumps([snap.entry.get("chunks"), sorted(snap.live.items()), _code_version()])
    return home / "cache" / "read" / f"{snap.name}.{_where(location)}.{hashlib.sha1(what.encode()).hexdigest()[:16]}"


def build(corpus: Any, live: dict[str, str]) -> tuple[Keyword, list[Row], Any]:
    """BM25, rows and unit vectors of the chunks of committed file versions only, read from the store."""
    import numpy as np

    rows: list[Row] = []
    toks: list[list[str]] = []
    vecs: list[Any] = []
    for got in pages(corpus.chunks, ["documents", "metadatas", "embeddings"]):
        for cid, doc, meta, emb in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"]):
            if live.get(meta.get("source")) != meta.get("sha256"):
                continue
            rows.append((cid, doc, {k: meta[k] for k in _KEPT if k in meta}))
            toks.append(content_terms(doc) or ["<empty>"])
            vecs.append(emb)
    vectors = np.asarray(vecs, dtype=np.float32).reshape(len(rows), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors /= np.where(norms > 0, norms, 1.0)  # cosine, as the collection's space is
    return Keyword.build(toks), rows, vectors


def load(folder: Path) -> tuple[Keyword, list[Row], Any] | None:
    """The saved BM25, rows and vectors, or None when there are none (or they cannot be read)."""
    if not (folder / _ROWS).is_file():
        return None
    try:
        import numpy as np

        rows = [(cid, doc, meta) for cid, doc, meta in json.loads((folder / _ROWS).read_text(encoding="utf-8"))]
        vectors = np.load(folder / _VECTORS, mmap_mode="r", allow_pickle=False)
        keyword = Keyword.load(folder)
        if vectors.shape[0] != len(rows) or keyword.docs != len(rows):
            return None
        return keyword, rows, vectors
    except (OSError, ValueError, KeyError, TypeError):  # removed by a newer write meanwhile, or damaged
        return None


def save(folder: Path, keyword: Keyword, rows: list[Row], vectors: Any) -> None:
    """Written whole into a private folder, then renamed into place; older folders of the same
    collection and store are removed. A failure only costs the next process a rebuild."""
    if not rows:
        return
    import numpy as np

    tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        keyword.save(tmp)
        np.save(tmp / _VECTORS, vectors, allow_pickle=False)
        (tmp / _ROWS).write_text(json.dumps(rows), encoding="utf-8")
        try:
            tmp.rename(folder)
        except OSError:  # another process wrote the same snapshot first
            return
        prefix = folder.name.rsplit(".", 1)[0] + "."
        for old in folder.parent.iterdir():
            if old.name.startswith(prefix) and old.name != folder.name and old.name.count(".") == 2 and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(folder.parent.parent / "bm25", ignore_errors=True)  # where earlier versions kept BM25 alone
    except OSError:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fill(snap: Snapshot, home: Path, location: str) -> None:
    """Load the snapshot's rows, vectors and BM25: from disk when an earlier process saved them,
    else built from the store (which a snapshot opened from its pointer always has on disk)."""
    folder = cache_folder(home, location, snap)
    got = load(folder)
    if got is None:
        if snap.corpus is None:
            raise FileNotFoundError(folder)  # removed since the pointer was read: the caller reads the store
        got = build(snap.corpus, snap.live)
        shutil.rmtree(folder, ignore_errors=True)  # a damaged one, else the rename in save() would keep it
        save(folder, *got)
    snap.bm25, snap.rows, snap.vectors = got


# -- the pointer: opening an embedded store's snapshot without Chroma --------------------------------
def stamp(store_path: Path | None) -> list | None:
    """What changes whenever anything writes to an embedded store: its SQLite file's identity and
    size and the file change counter in its header (and a write-ahead log's size and time, should
    the store ever use one). None for a server, or when the file cannot be read."""
    if store_path is None:
        return None
    db = store_path / _SQLITE
    try:
        with open(db, "rb") as f:
            header = f.read(100)
            st = os.fstat(f.fileno())
        out: list = [st.st_dev, st.st_ino, st.st_size, header[24:28].hex()]
        wal = db.with_name(_SQLITE + "-wal")
        if wal.exists():
            ws = wal.stat()
            out += [ws.st_size, ws.st_mtime_ns]
        return out if len(header) == 100 else None
    except OSError:
        return None


def _pointer(home: Path, location: str, name: str) -> Path:
    return home / "cache" / "read" / f"{name}.{_where(location)}.{_POINTER}"


def write_pointer(home: Path, location: str, store_path: Path | None, snap: Snapshot) -> None:
    """Record `snap` as the store's current snapshot, only if nothing has written to the store since
    it was read (its stamp then still holds): a reader that finds the stamp unchanged may then skip
    Chroma. Best effort: a failure costs the next process a read of the store."""
    if snap.stamp is None or stamp(store_path) != snap.stamp:
        return
    path = _pointer(home, location, snap.name)
    body = {"stamp": snap.stamp, "entry": snap.entry, "records": [r.metadata() for r in snap.records]}
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(body), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def from_pointer(home: Path, location: str, store_path: Path | None, name: str) -> Snapshot | None:
    """The snapshot the pointer names, with rows, vectors and BM25 loaded, when the store's stamp
    still matches it; else None (read the store)."""
    path = _pointer(home, location, name)
    now = stamp(store_path)
    if now is None or not path.is_file():
        return None
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        if body.get("stamp") != now or body["entry"].get("format") != FORMAT:
            return None  # the store changed, or another version wrote it: the store says what to do
        snap = Snapshot(name, body["entry"], [FileRecord.from_metadata(m) for m in body["records"]], stamp=now)
        fill(snap, home, location)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return snap
