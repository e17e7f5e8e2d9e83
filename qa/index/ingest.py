"""Load → split → embed → store, incrementally, in batches, each batch all-or-nothing.

Files are read, split and embedded `ingest_batch_files` at a time, so memory is bounded whatever
the corpus size. Each batch's chunks are written first (invisible to retrieval), then one upsert of
its file records makes them visible (the commit point), then the chunks they supersede are deleted.
So a reader never sees half a file; an interrupted run keeps every batch it committed; Ctrl-C rolls
back the batch in flight; and after kill -9 the uncommitted batch's chunks, invisible, are found by
their content-addressed ids and reused by the next run instead of being written twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qa.config import Settings
from qa.index.embed import Embedder, embedder_for
from qa.errors import QAError
from qa.index.load import LOADER_VERSION, Document, SkipFile, Unreadable, discover, read
from qa.index.split import SPLITTER_VERSION, split
from qa.index.store import Corpus, FileRecord, Store, fingerprint, pages, shown, source_key, validate_collection_name

STAGES = ("read", "split", "embed", "write")
EMBED_STEP = 256  # chunks embedded and added per Chroma write; a big file spans several writes


@dataclass
class Summary:
    files: int = 0  # files (re)indexed in this run
    chunks: int = 0
    skipped: int = 0  # unchanged since the last ingest
    failed: list[str] = field(default_factory=list)  # documents that could not be read: one line each
    ignored: list[str] = field(default_factory=list)  # files that are not documents qa reads (other formats, empty…): one line each
    removed: int = 0
    rebuilt: bool = False
    seconds: float = 0.0
    batches: int = 0  # batches committed
    # Where the time went, seconds: read files, split into chunks, embed (the model load is
    # `load`), write to Chroma (lookups, adds, commits, deletes). The rest is startup and locking.
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("load", *STAGES), 0.0))


# (label, files done, files total, chunks embedded so far)
Progress = Callable[[str, int, int, int], None]


class _Clock:
    def __init__(self, timings: dict[str, float], stage: str) -> None:
        self.timings, self.stage = timings, stage

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timings[self.stage] += time.perf_counter() - self.t0


def _chunk_ids(doc: Document, n: int) -> list[str]:
    key = source_key(str(doc.path))
    return [f"{key}:{doc.sha256[:16]}:{i}" for i in range(n)]


def _unique(found: Iterable[tuple[str, Path, bool]]) -> list[tuple[str, Path, bool]]:
    """One entry per file. A file is its resolved path, so `seeds` and `$PWD/seeds`, or a symlink
    and its target, are one file and are indexed once (the first name seen labels its messages)."""
    out: dict[Path, tuple[str, Path, bool]] = {}
    for label, path, named in found:
        prev = out.get(path)
        out[path] = (prev[0], path, prev[2] or named) if prev else (label, path, named)
    return list(out.values())


def _under(path: str, roots: list[Path]) -> bool:
    p = Path(path)
    return any(p.is_relative_to(root) for root in roots)


def ingest(
    paths: list[str],
    settings: Settings,
    *,
    rebuild: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
    warn: Callable[[str], None] = lambda line: None,
    batch_files: int | None = None,
    on_commit: Callable[[Summary], None] | None = None,
    embedder: Embedder | None = None,
) -> Summary:
    """Index `paths` into `settings.collection`. `on_commit` is called after each committed batch.
    `embedder` lets a long-lived caller (`--watch`) load the model once. `settings.ingest_jobs`
    (`--jobs N`) embeds in N processes (local model) or N concurrent requests (remote)."""
    from qa.index.lock import ingest_lock

    t0 = time.perf_counter()
    name = validate_collection_name(settings.collection)
    passed_over: list[str] = []  # files in the folders that are not documents qa reads
    found = _unique(discover(paths, passed_over.append))  # paths only; raises on a missing path before anything is touched
    for line in passed_over:
        warn(f"skipped {line}")
    if not found:
        raise QAError(f"no supported files (text, .html .pdf .docx .epub) under {' '.join(paths)}")
    embedder, pool = _embedder(settings, embedder)
    try:
        # A remote model's vector length is asked before anything is touched (a dead endpoint fails here).
        fp = fingerprint(settings, f"{SPLITTER_VERSION}+{LOADER_VERSION}", embed_dim=None if embedder.path else embedder.dimension)
        # The embedded store is opened (and, with --rebuild, an unreadable one moved aside) only while
        # holding the lock; a server's lease lives in the server, so that client is needed first.
        store = Store(settings) if settings.chroma_url else None
        with ingest_lock(store, name, settings, warn) as lock:
            store = store or Store(settings, recover=rebuild)
            if getattr(store, "moved_aside", None):
                warn(f"the store was unreadable; moved it to {store.moved_aside} and started a new one")
            run = _Run(settings, store, embedder, fp, progress, warn, on_commit, lock)
            roots = [Path(p).resolve() for p in paths]
            summary = run.go(found, rebuild, roots if prune else None, batch_files or settings.ingest_batch_files)
    finally:
        if pool is not None:
            pool.close()
    summary.ignored[:0] = passed_over
    summary.seconds = time.perf_counter() - t0
    return summary


def _embedder(settings: Settings, given: Embedder | None):  # noqa: ANN202
    """(embedder, pool to close afterwards or None): the caller's, or the one settings name, in
    `ingest_jobs` worker processes when that is above 1 and the model is local."""
    if given is not None:
        return given, None
    embedder = embedder_for(settings, prefer_onnx=True)
    if (settings.ingest_jobs or 1) > 1 and embedder.path is not None:
        from qa.index.embed_pool import EmbedPool

        pool = EmbedPool(embedder, settings.ingest_jobs)
        return pool, pool
    return embedder, None


class _Run:
    """One ingest, holding the collection's lock."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder, fp: dict, progress, warn, on_commit, lock) -> None:  # noqa: ANN001
        self.settings, self.store, self.embedder, self.fp, self.lock = settings, store, embedder, fp, lock
        self.progress, self.warn, self.on_commit = progress, warn, on_commit
        self.summary = Summary()
        self.t = self.summary.timings
        self.written: list[str] = []  # chunk ids of the batch in flight, removed again if it fails
        self.done = 0  # files finished (indexed, skipped or failed), for progress
        self.total = 0

    def go(self, found: list, rebuild: bool, prune: list[Path] | None, batch_files: int) -> Summary:  # noqa: C901
        """`prune`: the resolved PATHS of a `--prune` run; only files under them can be forgotten."""
        name, summary, settings = self.settings.collection, self.summary, self.settings
        entry = self.store.catalog_entry(name)
        summary.rebuilt = entry is not None and (rebuild or entry.get("fingerprint") != self.fp["id"])
        corpus = self.store.open_for_write(name, self.fp, fresh=summary.rebuilt, resume=not rebuild)
        self.corpus = corpus
        # Live files, or the files an interrupted rebuild into these collections already finished.
        committed = corpus.file_records()
        self.catalog_live = entry is not None and not summary.rebuilt
        if summary.rebuilt:
            # Re-read everything the old index held, not just the paths named now.
            named_now = {str(p) for _, p, _ in found}
            try:
                old_records = Corpus(name, entry, None, self.store.client.get_collection(entry["files"])).file_records()
            except Exception:  # noqa: BLE001 - a damaged old index: rebuild from the paths given now
                old_records = {}
                self.warn(f"the old index of {name!r} is unreadable; rebuilding from the paths given")
            for rec in old_records.values():
                if rec.path not in named_now and Path(rec.path).exists():  # `path`: resolved in every format
                    found.append((shown(rec.path), Path(rec.path), False))

        self.total = len(found)
        # Content already indexed under another path (a copy, a second checkout of the same folder):
        # indexed again, since each path is a document of its own, but said, because every copy's
        # passages then compete for the same places in a question's evidence.
        same_text = {r.sha256: r.path for r in committed.values()}
        try:
            batch: list[tuple[Document, list]] = []
            for source, path, named in found:
                try:
                    with _Clock(self.t, "read"):
                        doc = read(source, path, int(settings.max_file_mb * 1_000_000))
                except SkipFile as e:
                    self._skip(e, source, named)
                    continue
                old = committed.get(str(path))
                if old and old.sha256 == doc.sha256:
                    summary.skipped += 1
                    self._tick(source)
                    continue
                with _Clock(self.t, "split"):
                    chunks = split(doc.text, settings.chunk_size, settings.chunk_overlap, self.embedder.count_tokens)
                if not chunks or len(chunks) > settings.max_file_chunks:
                    why = "no text to index" if not chunks else f"{len(chunks)} chunks, over the {settings.max_file_chunks} limit (QA_MAX_FILE_CHUNKS)"
                    self._skip(SkipFile(f"{source}: {why}"), source, named)
                    continue
                twin = same_text.setdefault(doc.sha256, str(path))
                if twin != str(path):
                    self.warn(f"{source} has the same text as {shown(twin)}: both are indexed, so a question may be shown the same passage twice")
                batch.append((doc, chunks))
                if len(batch) >= batch_files:
                    self._write_and_commit(batch, committed)
                    batch = []
            if batch:
                self._write_and_commit(batch, committed)
            self.lock.check()  # still ours before the last commits (prune, catalog)
            if prune is not None:
                # Forget only what is gone from under the PATHS given: other folders' files stay.
                present = {str(p) for _, p, _ in found}
                gone = [s for s in committed if s not in present and _under(s, prune)]
                with _Clock(self.t, "write"):
                    if gone:
                        corpus.files.delete(ids=[source_key(s) for s in gone])
                        summary.removed = len(gone)
                    self._collect_garbage(set(gone))
            if self.summary.batches or summary.rebuilt or entry is None or prune is not None:
                self.store.commit_catalog(name, corpus.meta)
        except BaseException:
            # Failed or interrupted: remove the uncommitted batch so the store is as after the last commit.
            if self.written:
                try:
                    corpus.chunks.delete(ids=self.written)
                except Exception:  # noqa: BLE001 - best effort; uncommitted chunks are invisible anyway
                    pass
            raise
        if self.progress:
            self.progress("", self.total, self.total, summary.chunks)
        self.store.drop_stale(name, keep={corpus.meta["chunks"], corpus.meta["files"]})
        return summary

    def _skip(self, e: SkipFile, source: str, named: bool) -> None:
        """A file that cannot be indexed: an error when named directly, else one warning line."""
        if named:
            raise e
        (self.summary.failed if isinstance(e, Unreadable) else self.summary.ignored).append(str(e))
        self.warn(f"skipped {e}")
        self._tick(source)

    def _tick(self, label: str) -> None:
        self.done += 1
        if self.progress:
            self.progress(label, self.done, self.total, self.summary.chunks)

    def _write_and_commit(self, batch: list, committed: dict[str, FileRecord]) -> None:  # noqa: ANN001
        """Embed and store a batch's chunks (reusing any an interrupted run stored), then commit it:
        file records first (the new chunks become visible, superseded ones invisible), then delete
        what was superseded, then rewrite the catalog entry (a new corpus goes live; long-lived
        readers see the entry change and reload)."""
        corpus, t, summary = self.corpus, self.t, self.summary
        records = _write(corpus, self.embedder, batch, self.written, t, self._embedded, self.fp.get("embed_dim"))
        self.lock.check()  # a lease lost while stalled: roll back rather than commit beside the new holder
        with _Clock(t, "write"):
            corpus.files.upsert(
                ids=[source_key(r.source) for r in records],
                metadatas=[r.metadata() for r in records],
                embeddings=[[1.0]] * len(records),
            )
            self.written = []  # committed: no longer ours to roll back
            for r in records:
                if r.source in committed:
                    _delete_superseded(corpus, r.source, r.sha256)
                committed[r.source] = r
            if not summary.rebuilt:
                # A new corpus goes live; a live one's rewritten entry tells long-lived readers
                # (chat, `qa serve`) to reload their file map and BM25 before the next question.
                self.store.commit_catalog(self.settings.collection, corpus.meta)
                self.catalog_live = True
        summary.files += len(records)
        summary.chunks += sum(r.chunks for r in records)
        summary.batches += 1
        if self.on_commit:
            self.on_commit(summary)

    def _embedded(self, label: str, files: int, chunks: int) -> None:
        self.done += files
        if self.progress:
            self.progress(label, self.done, self.total, self.summary.chunks + chunks)

    def _collect_garbage(self, gone: set[str]) -> None:
        """With --prune: delete chunks no file record names (removed files, and leftovers of
        interrupted runs whose files changed before the re-run). One pass over chunk metadata."""
        live = {r.source: r.sha256 for r in self.corpus.file_records().values()}
        ids: list[str] = []
        for got in pages(self.corpus.chunks, ["metadatas"]):
            for cid, m in zip(got["ids"], got["metadatas"]):
                if live.get(m.get("source")) != m.get("sha256"):
                    ids.append(cid)
        for k in range(0, len(ids), 5000):
            self.corpus.chunks.delete(ids=ids[k : k + 5000])


def _delete_superseded(corpus: Corpus, source: str, sha256: str) -> None:
    got = corpus.chunks.get(where={"source": source}, include=["metadatas"])
    stale = [cid for cid, m in zip(got["ids"], got["metadatas"]) if m["sha256"] != sha256]
    if stale:
        corpus.chunks.delete(ids=stale)


def _write(corpus: Corpus, embedder: Embedder, batch, written: list[str], t: dict[str, float], embedded, dim: int | None = None) -> list[FileRecord]:  # noqa: ANN001
    """Embed and store a batch of files' chunks; reuse chunks an interrupted run already stored.
    Ids go into `written` before each add, so an interruption at any point can be rolled back.
    Returns the batch's file records, not yet committed."""
    ids: list[str] = []
    texts: list[str] = []
    metas: list[dict] = []
    ends: list[tuple[int, str]] = []  # (index into ids after this file's new chunks, source)
    records: list[FileRecord] = []
    for doc, chunks in batch:
        cids = _chunk_ids(doc, len(chunks))
        with _Clock(t, "write"):
            existing = set(corpus.chunks.get(ids=cids, include=[])["ids"])
        for cid, c in zip(cids, chunks):
            if cid in existing:
                continue
            ids.append(cid)
            texts.append(c.text)
            metas.append(
                {
                    "source": str(doc.path),  # the file's identity: its resolved path
                    "sha256": doc.sha256,
                    "start": c.start,
                    "end": c.end,
                    "index": c.index,
                    "sentences": c.sentences_json(),
                }
            )
        ends.append((len(ids), doc.source))
        records.append(FileRecord(str(doc.path), str(doc.path), doc.sha256, len(chunks), doc.title, json.dumps(doc.pages) if doc.pages else ""))
    if ids:
        with _Clock(t, "load"):
            embedder.prepare()  # load the model now (once), so `embed` times only embedding
    step = EMBED_STEP
    reported = 0
    for k in range(0, len(ids), step):
        with _Clock(t, "embed"):
            vecs = embedder.embed(texts[k : k + step])
        if dim and any(len(v) != dim for v in vecs):
            raise QAError(f"{embedder.name} returned {len(vecs[0])}-dimensional vectors mid-ingest, not the {dim} it gave at the start "
                          "(the endpoint's model changed?): the batch was rolled back; run `qa ingest` again")
        with _Clock(t, "write"):
            written.extend(ids[k : k + step])
            corpus.chunks.add(ids=ids[k : k + step], documents=texts[k : k + step], metadatas=metas[k : k + step], embeddings=vecs)
        finished = [src for end, src in ends[reported:] if end <= k + step]
        if finished:
            reported += len(finished)
            embedded(finished[-1], len(finished), min(k + step, len(ids)))
    if reported < len(ends):  # files whose chunks were all reused
        embedded(ends[-1][1], len(ends) - reported, len(ids))
    return records
