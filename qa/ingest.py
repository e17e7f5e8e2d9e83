"""Load → split → embed → store, incrementally and all-or-nothing.

New chunks are written first (invisible to retrieval), then one upsert of file records makes them
visible, then superseded chunks are deleted. An interrupted run therefore changes nothing a reader
can see; its finished work is found by id and reused on the next run instead of re-embedded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from qa.config import Settings, qa_home
from qa.embed import Embedder
from qa.errors import QAError
from qa.load import Document, SkipFile, discover, read
from qa.split import SPLITTER_VERSION, split
from qa.store import Corpus, FileRecord, Store, fingerprint, source_key, validate_collection_name


@dataclass
class Summary:
    files: int = 0  # files (re)indexed in this run
    chunks: int = 0
    skipped: int = 0  # unchanged since the last ingest
    failed: list[str] = field(default_factory=list)  # one line each
    removed: int = 0
    rebuilt: bool = False
    seconds: float = 0.0


Progress = Callable[[str, int, int], None]  # (label, done, total)


def _chunk_ids(doc: Document, n: int) -> list[str]:
    key = source_key(doc.source)
    return [f"{key}:{doc.sha256[:16]}:{i}" for i in range(n)]


def ingest(
    paths: list[str],
    settings: Settings,
    *,
    rebuild: bool = False,
    prune: bool = False,
    progress: Progress | None = None,
    warn: Callable[[str], None] = lambda line: None,
    batch_files: int = 64,
) -> Summary:
    t0 = time.perf_counter()
    name = validate_collection_name(settings.collection)
    found = list(discover(paths))  # raises on a missing path before anything is touched
    if not found:
        raise QAError(f"no supported files (.txt .md .html .pdf) under {' '.join(paths)}")
    embedder = Embedder(settings.embed_model)
    store = Store(settings, recover=rebuild)
    if getattr(store, "moved_aside", None):
        warn(f"the store was unreadable; moved it to {store.moved_aside} and started a new one")
    fp = fingerprint(settings, SPLITTER_VERSION)
    from filelock import FileLock, Timeout

    lock_path = qa_home() / "locks" / f"{name}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path))
    try:
        lock.acquire(timeout=0.1)
    except Timeout:
        warn(f"another ingest into {name!r} is running; waiting for it to finish…")
        lock.acquire()
    try:
        return _ingest_locked(found, settings, store, embedder, fp, rebuild, prune, progress, warn, batch_files, t0)
    finally:
        lock.release()


def _ingest_locked(found, settings, store: Store, embedder: Embedder, fp, rebuild, prune, progress, warn, batch_files, t0):  # noqa: ANN001, ANN202, PLR0913
    name = settings.collection
    summary = Summary()
    entry = store.catalog_entry(name)
    summary.rebuilt = entry is not None and (rebuild or entry.get("fingerprint") != fp["id"])
    corpus = store.open_for_write(name, fp, fresh=summary.rebuilt)
    committed: dict[str, FileRecord] = {}
    if summary.rebuilt:
        # Re-read everything the old index held, not just the paths named now.
        named_now = {s for s, _, _ in found}
        try:
            old_records = Corpus(name, entry, None, store.client.get_collection(entry["files"])).file_records()
        except Exception:  # noqa: BLE001 - a damaged old index: rebuild from the paths given now
            old_records = {}
            warn(f"the old index of {name!r} is unreadable; rebuilding from the paths given")
        for rec in old_records.values():
            if rec.source not in named_now and Path(rec.path).exists():
                found.append((rec.source, Path(rec.path), False))
    elif entry is not None:
        committed = corpus.file_records()

    records: list[FileRecord] = []
    to_delete: list[str] = []  # sources whose old chunks go once the new ones are live
    written: list[str] = []  # chunk ids written in this run, removed again if it fails
    total = len(found)
    try:
        batch: list[tuple[Document, list]] = []
        for i, (source, path, named) in enumerate(found):
            if progress:
                progress(source, i, total)
            try:
                doc = read(source, path, int(settings.max_file_mb * 1_000_000))
            except SkipFile as e:
                if named:
                    raise
                summary.failed.append(str(e))
                warn(f"skipped {e}")
                continue
            old = committed.get(source)
            if old and old.sha256 == doc.sha256:
                summary.skipped += 1
                continue
            chunks = split(doc.text, settings.chunk_size, settings.chunk_overlap, embedder.count_tokens)
            if not chunks or len(chunks) > settings.max_file_chunks:
                why = "no text to index" if not chunks else f"{len(chunks)} chunks, over the {settings.max_file_chunks} limit (QA_MAX_FILE_CHUNKS)"
                if named:
                    raise SkipFile(f"{source}: {why}")
                summary.failed.append(f"{source}: {why}")
                warn(f"skipped {source}: {why}")
                continue
            batch.append((doc, chunks))
            if old:
                to_delete.append(source)
            if len(batch) >= batch_files:
                _write(corpus, embedder, batch, records, summary, written)
                batch = []
        if batch:
            _write(corpus, embedder, batch, records, summary, written)
        if progress:
            progress("", total, total)
        if prune:
            present = {s for s, _, _ in found}
            gone = [s for s in committed if s not in present]
            if gone:
                corpus.files.delete(ids=[source_key(s) for s in gone])
                to_delete += gone
                summary.removed = len(gone)
        # Commit: file records name the new chunks' sha256 (one upsert), then the catalog points here.
        if records:
            corpus.files.upsert(
                ids=[source_key(r.source) for r in records],
                metadatas=[{"source": r.source, "path": r.path, "sha256": r.sha256, "chunks": r.chunks} for r in records],
                embeddings=[[1.0]] * len(records),
            )
        if records or summary.rebuilt or entry is None or prune:
            store.commit_catalog(name, corpus.meta)
    except BaseException:
        # Failed or interrupted: remove what this run added so the store is exactly as it was.
        if written:
            try:
                corpus.chunks.delete(ids=written)
            except Exception:  # noqa: BLE001 - best effort; uncommitted chunks are invisible anyway
                pass
        raise
    # After commit: drop superseded chunks and collections. Failing here loses nothing visible.
    live = {r.source: r.sha256 for r in records}
    for source in to_delete:
        where = {"source": source}
        got = corpus.chunks.get(where=where, include=["metadatas"])
        stale = [cid for cid, m in zip(got["ids"], got["metadatas"]) if m["sha256"] != live.get(source)]
        if stale:
            corpus.chunks.delete(ids=stale)
    store.drop_stale(name, keep={corpus.meta["chunks"], corpus.meta["files"]})
    if summary.files:
        from qa.embed import export_onnx

        export_onnx(embedder.path)  # once per model: makes `qa ask` start fast
    summary.seconds = time.perf_counter() - t0
    return summary


def _write(corpus: Corpus, embedder: Embedder, batch, records: list[FileRecord], summary: Summary, written: list[str]) -> None:  # noqa: ANN001
    """Embed and store a batch of files' chunks; reuse chunks an interrupted run already stored.
    Ids go into `written` before each add, so an interruption at any point can be rolled back."""
    ids: list[str] = []
    texts: list[str] = []
    metas: list[dict] = []
    for doc, chunks in batch:
        cids = _chunk_ids(doc, len(chunks))
        existing = set(corpus.chunks.get(ids=cids, include=[])["ids"])
        for cid, c in zip(cids, chunks):
            if cid in existing:
                continue
            ids.append(cid)
            texts.append(c.text)
            metas.append(
                {
                    "source": doc.source,
                    "sha256": doc.sha256,
                    "start": c.start,
                    "end": c.end,
                    "index": c.index,
                    "sentences": c.sentences_json(),
                }
            )
        records.append(FileRecord(doc.source, str(doc.path), doc.sha256, len(chunks)))
        summary.files += 1
        summary.chunks += len(chunks)
    step = 256
    for k in range(0, len(ids), step):
        vecs = embedder.embed(texts[k : k + step])
        written.extend(ids[k : k + step])
        corpus.chunks.add(ids=ids[k : k + step], documents=texts[k : k + step], metadatas=metas[k : k + step], embeddings=vecs)
