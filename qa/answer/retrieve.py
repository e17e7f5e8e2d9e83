"""Stage 5: hybrid retrieval — dense (Chroma) and keyword (BM25) candidates, fused by reciprocal rank.

Dense search finds paraphrases; BM25 finds rare names and numbers that a small embedding model
blurs. Reciprocal-rank fusion needs no score calibration between the two. Only a few short,
non-overlapping passages go on to the model, because prompt length is what a CPU pays for.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from qa.answer import snapshot
from qa.answer.snapshot import Snapshot
from qa.config import Settings, qa_home
from qa.errors import QAError
from qa.index.embed import Embedder, embedder_for
from qa.index.load import page_label
from qa.index.store import Corpus, Store, embedded_path, shown
from qa.text import content_terms
from qa.types import Citation, Passage

RRF_K = 60


@dataclass
class Retrieval:
    question: str
    passages: list[Passage]  # selected for the answer, best first
    candidates: int  # how many distinct chunks either retriever proposed
    query_vector: list[float]

    @property
    def top_similarity(self) -> float:
        return max((p.similarity for p in self.passages), default=0.0)


def _passage(cid: str, doc: str, meta: dict) -> Passage:
    start = int(meta["start"])
    rel = json.loads(meta.get("sentences") or "[]") or [[0, len(doc)]]
    return Passage(cid, shown(meta["source"]), start, int(meta["end"]), doc, [(start + s, start + e) for s, e in rel])


def _same_dimension(snap: Snapshot, got: int, model: str) -> None:
    """A remote model's name can stay while the server behind it changes: vectors of another length
    (another model) must not be compared with the stored ones."""
    want = snap.entry.get("embed_dim")
    if want and got != int(want):
        raise QAError(
            f"collection {snap.name!r} was built with {model!r} giving {want}-dimensional vectors, but the endpoint now "
            f"returns {got} dimensions (another model behind the same name?): run `qa ingest --rebuild PATH`"
        )


def _same_model(snap: Snapshot, settings: Settings) -> None:
    if snap.entry.get("embed_model") != settings.embed_model:
        raise QAError(
            f"collection {settings.collection!r} was built with embedding model "
            f"{snap.entry.get('embed_model')!r}, not {settings.embed_model!r}: run `qa ingest --rebuild`"
        )


class Retriever:
    """Loaded once per process (chat, `ask -` and the server reuse it). Both halves of retrieval
    search the collection's snapshot (qa/answer/snapshot.py): rows, unit vectors and BM25 of exactly
    the committed chunks, read out of Chroma once and kept on disk for the next process, so it
    works the same against a Chroma server. An embedded store's reader opens the snapshot without
    Chroma while the store's stamp shows that nothing has written to it since.

    A long-lived retriever must not go stale: before each question it checks the stamp (an
    embedded store) or re-reads the collection's catalog entry (one small get), which every ingest
    commit rewrites. When it changed, the file map and the snapshot are reloaded from the committed
    file records, so the next question sees the new files whole and never superseded text; an
    embedded store's client is reopened too, because Chroma caches its state per process and
    would not see another process's writes."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, store: Store | None = None) -> None:
        self.settings = settings
        preloading = None
        if embedder is None:
            # The query encoder loads on a background thread (ONNX session creation is native code)
            # while this one opens the snapshot (or imports Chroma); the first embed() waits for it.
            try:
                made = embedder_for(settings, prefer_onnx=True)
                if isinstance(made, Embedder):  # a remote embedder has nothing to load
                    preloading = made
                    preloading.preload()
            except QAError:
                pass  # an unknown model: said below, once the collection has named a mismatch
        self._store = store
        self._lock = threading.Lock()  # the server retrieves from worker threads
        self._home = qa_home()
        self._path = store.path if store else (None if settings.chroma_url else embedded_path())  # None: a server
        snap = None
        if store is None and self._path is not None:
            snap = snapshot.from_pointer(self._home, str(self._path), self._path, settings.collection)
        if snap is not None:
            _same_model(snap, settings)
        self._snap = snap or self._load()
        self.embedder = embedder or preloading or embedder_for(settings, prefer_onnx=True)

    @property
    def store(self) -> Store:
        """The Chroma client, opened on first need (never, for a question answered from the pointer)."""
        if self._store is None:
            self._store = Store(self.settings)
        return self._store

    def _load(self) -> Snapshot:
        store = self.store
        before = snapshot.stamp(store.path)  # taken after opening: opening the client writes
        corpus: Corpus = store.open(self.settings.collection)
        snap = Snapshot(corpus.name, corpus.meta, list(corpus.file_records().values()), corpus=corpus, stamp=before)
        _same_model(snap, self.settings)
        return snap

    def refresh(self, force: bool = False) -> bool:
        """Reload if an ingest (here or in another process) committed since the last load.
        Returns whether it reloaded."""
        with self._lock:
            if not force and self._snap.stamp is not None and snapshot.stamp(self._path) == self._snap.stamp:
                return False  # nothing has written to the store since
            opened_now = self._store is None
            before = snapshot.stamp(self.store.path)
            entry = self.store.catalog_entry(self.settings.collection)
            if entry == self._snap.entry and not force:
                if before is not None:  # only a reader opened the store since: the snapshot holds as of `before`
                    self._snap.stamp = before
                    if self._snap.loaded:
                        snapshot.write_pointer(self._home, self.store.location, self.store.path, self._snap)
                return False
            if self.store.path is not None and not opened_now:
                from chromadb.api.client import SharedSystemClient

                SharedSystemClient.clear_system_cache()  # else the same cached, stale client comes back
                self._store = Store(self.settings)
            self._snap = self._load()
            return True

    # Read-only views of the current snapshot (status, tests).
    @property
    def snapshot(self) -> Snapshot:
        return self._snap

    @property
    def live(self) -> dict[str, str]:
        return self._snap.live

    @property
    def titles(self) -> dict[str, str]:
        return self._snap.titles

    def locate(self, c: Citation) -> Citation:
        """A citation with what a reader needs to find it: the document's title and, for paged
        formats (PDF), the page ("12", or "12-13" when the quote spans pages)."""
        c.page = page_label(self._snap.page_starts.get(c.source, ()), c.start, c.end)
        c.title = self._snap.titles.get(c.source, "")
        return c

    def _fill(self, snap: Snapshot) -> Snapshot:
        """The snapshot's rows, vectors and BM25, loaded once (from disk, or built from the store);
        then the pointer names it for the next process."""
        with self._lock:
            if not snap.loaded:
                # rows stay tuples: a Passage is made only for a hit (tens of thousands of rows, ~10 hits)
                snapshot.fill(snap, self._home, self.store.location)
                snapshot.write_pointer(self._home, self.store.location, self.store.path, snap)
        return snap

    def retrieve(self, question: str, n_passages: int | None = None) -> Retrieval:
        """One consistent snapshot per question. A rebuild elsewhere can drop the collections
        between the change check and reading them: then reload once and ask again."""
        self.refresh()
        try:
            return self._retrieve(self._snap, question, n_passages)
        except Exception as e:  # noqa: BLE001 - chroma raises assorted errors for a dropped collection
            if not type(e).__module__.startswith("chromadb"):
                raise
            self.refresh(force=True)
            return self._retrieve(self._snap, question, n_passages)

    def _retrieve(self, snap: Snapshot, question: str, n_passages: int | None) -> Retrieval:
        import numpy as np

        n_passages = n_passages or self.settings.passages
        k = self.settings.candidates
        qvec = self.embedder.embed([question])[0]
        _same_dimension(snap, len(qvec), self.settings.embed_model)
        self._fill(snap)
        pool: dict[str, Passage] = {}
        at: dict[str, int] = {}  # chunk id -> its row, for widening the chosen hits

        def add(i: int) -> Passage:
            cid = snap.rows[i][0]
            if cid not in pool:
                pool[cid], at[cid] = _passage(*snap.rows[i]), i
                pool[cid].similarity = float(sims[i])  # every candidate has one, for abstention decisions
            return pool[cid]

        if snap.rows:
            sims = similarities(snap, qvec)
            for rank, i in enumerate(np.argsort(-sims, kind="stable")[:k]):  # exact nearest chunks, best first
                add(int(i)).ranks["dense"] = rank
            terms = content_terms(question)
            if terms:
                scores = snap.bm25.scores(terms)
                for rank, i in enumerate(np.argsort(-scores, kind="stable")[:k]):  # ties in index order
                    if scores[i] <= 0:
                        break
                    p = add(int(i))
                    p.bm25 = float(scores[i])
                    p.ranks["bm25"] = rank

        for p in pool.values():
            p.score = sum(1.0 / (RRF_K + 1 + r) for r in p.ranks.values())
        ranked = sorted(pool.values(), key=lambda p: (-p.score, -p.similarity, p.id))
        chosen: list[Passage] = []
        for p in ranked:
            if len(chosen) >= n_passages:
                break
            if any(c.source == p.source and c.start < p.end and p.start < c.end for c in chosen):
                continue  # overlapping chunk of the same text: adds tokens, not evidence
            chosen.append(p)
        if self.settings.passage_window > 0:
            chosen = _widen(snap, chosen, at, self.settings.passage_window)
        others = self.settings.passage_sources
        for p in ranked:
            if others <= 0:
                break
            if all(c.source != p.source for c in chosen):
                chosen.append(p)
                others -= 1
        return Retrieval(question, chosen, len(pool), qvec)


def similarities(snap: Snapshot, qvec: list[float]) -> Any:
    """Cosine similarity of the question to every visible chunk (the collection's space), computed
    exactly over the snapshot's unit vectors: one matrix-vector product."""
    import numpy as np

    q = np.asarray(qvec, dtype=np.float32)
    return np.asarray(snap.vectors @ (q / max(float(np.linalg.norm(q)), 1e-12)))


def _widen(snap: Snapshot, hits: list[Passage], at: dict[str, int], window: int) -> list[Passage]:
    """Small-to-big: chunks small enough to match a question precisely are too small to hold the
    sentence before or after the one that matched, where the figure, the cause or the name often is.
    Each hit becomes the span of its own text from `window` chunks before it to `window` after;
    hits that then touch or overlap in one document become one passage, in the better hit's place."""
    spans: list[tuple[Passage, tuple[str, str], int, int]] = []  # (hit, document, first chunk, last chunk)
    for p in hits:
        m = snap.rows[at[p.id]][2]
        source, i = m["source"], int(m.get("index", -1))
        if i < 0:  # an old index without chunk numbers: the hit alone
            spans.append((p, (source, p.id), i, i))
            continue
        lo = hi = i
        while i - lo < window and snap.row_at(source, lo - 1) is not None:
            lo -= 1
        while hi - i < window and snap.row_at(source, hi + 1) is not None:
            hi += 1
        spans.append((p, (source, snap.live.get(source, "")), lo, hi))
    out: list[Passage] = []
    for hit, (source, _), a, b in _merge_spans(spans):
        if a < 0:
            out.append(hit)
            continue
        rows = [snap.rows[j] for j in (snap.row_at(source, n) for n in range(a, b + 1)) if j is not None]
        out.append(_join(hit, [_passage(hit.id, doc, meta) for _, doc, meta in rows]))
    return out


def _merge_spans(spans: list[tuple[Passage, tuple[str, str], int, int]]) -> list[tuple[Passage, tuple[str, str], int, int]]:
    """Chunk ranges of one document that touch or overlap become one range (a range can bridge two
    others), in the place of its best-ranked hit: an interval merge in document order, then back
    in rank order."""
    groups: list[list] = []  # [rank of the best hit, that hit, document, first chunk, last chunk]
    for rank, (hit, key, a, b) in sorted(enumerate(spans), key=lambda s: (s[1][1], s[1][2])):
        last = groups[-1] if groups else None
        if last is not None and last[2] == key and a <= last[4] + 1:
            if rank < last[0]:
                last[0], last[1] = rank, hit
            last[4] = max(last[4], b)
        else:
            groups.append([rank, hit, key, a, b])
    return [(hit, key, a, b) for _, hit, key, a, b in sorted(groups, key=lambda g: g[0])]


def _join(hit: Passage, parts: list[Passage]) -> Passage:
    """One passage over consecutive chunks of a document: the source's text at its offsets (overlaps
    are cut by offset; only the whitespace between two chunks may differ); a sentence inside another
    one is dropped."""
    text, start, end = parts[0].text, parts[0].start, parts[0].end
    for q in parts[1:]:
        if q.end > end:
            # the splitter drops only whitespace between chunks, and it is not stored: a gap is filled
            # with as many blanks (a space, or line breaks for a paragraph break) so offsets stay true
            gap = max(0, q.start - end)
            text += (" " if gap == 1 else "\n" * gap) + q.text[max(0, end - q.start):]
            end = q.end
    sentences = sorted({s for q in parts for s in q.sentences})
    sentences = [s for s in sentences if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in sentences)]
    return Passage(hit.id, hit.source, start, end, text, sentences, hit.similarity, hit.bm25, hit.score, dict(hit.ranks))
