"""Stage 5: hybrid retrieval — dense (Chroma) and keyword (BM25) candidates, fused by reciprocal rank.

Dense search finds paraphrases; BM25 finds rare names and numbers that a small embedding model
blurs. Reciprocal-rank fusion needs no score calibration between the two. Only a few short,
non-overlapping passages go on to the model, because prompt length is what a CPU pays for.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from qa.config import Settings
from qa.errors import QAError
from qa.index.embed import Embedder, embedder_for
from qa.index.load import page_label
from qa.index.store import Corpus, Store, shown
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


@dataclass
class _Snapshot:
    """What one load of the collection saw: the catalog entry (the change marker), the committed
    file map (source -> sha256: only chunks of committed versions are visible) and, built lazily,
    BM25 over exactly those chunks."""

    entry: dict | None
    corpus: Corpus
    live: dict[str, str]
    page_starts: dict[str, list[int]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    bm25: Any = None
    bm25_rows: list[tuple[str, str, dict]] = field(default_factory=list)  # (id, text, metadata), in the index's order

    def visible(self, meta: dict) -> bool:
        return self.live.get(meta.get("source")) == meta.get("sha256")


def _passage(cid: str, doc: str, meta: dict) -> Passage:
    start = int(meta["start"])
    rel = json.loads(meta.get("sentences") or "[]") or [[0, len(doc)]]
    return Passage(cid, shown(meta["source"]), start, int(meta["end"]), doc, [(start + s, start + e) for s, e in rel])


def _same_dimension(corpus: Corpus, got: int, model: str) -> None:
    """A remote model's name can stay while the server behind it changes: vectors of another length
    (another model) must not be compared with the stored ones."""
    want = corpus.meta.get("embed_dim")
    if want and got != int(want):
        from qa.errors import QAError

        raise QAError(
            f"collection {corpus.name!r} was built with {model!r} giving {want}-dimensional vectors, but the endpoint now "
            f"returns {got} dimensions (another model behind the same name?): run `qa ingest --rebuild PATH`"
        )


class Retriever:
    """Loaded once per process (chat, `ask -` and the server reuse it); the BM25 index is built on
    first use from what Chroma holds, so it works the same against a Chroma server, and kept on
    disk for the next process (qa/answer/bm25.py).

    A long-lived retriever must not go stale: before each question it re-reads the collection's
    catalog entry (one small get), which every ingest commit rewrites. When it changed, the file
    map and BM25 are rebuilt from the committed file records, so the next question sees the new
    files whole and never superseded text; an embedded store's client is reopened too, because
    Chroma caches the vector index per process and would not see another process's writes."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, store: Store | None = None) -> None:
        self.settings = settings
        preloading = None
        if embedder is None:
            # The query encoder loads on a background thread (ONNX session creation is native code)
            # while this one imports Chroma and reads the catalog; the first embed() waits for it.
            try:
                made = embedder_for(settings, prefer_onnx=True)
                if isinstance(made, Embedder):  # a remote embedder has nothing to load
                    preloading = made
                    preloading.preload()
            except QAError:
                pass  # an unknown model: said below, once the collection has named a mismatch
        self.store = store or Store(settings)
        self._lock = threading.Lock()  # the server retrieves from worker threads
        self._snap = self._load(self.store.catalog_entry(settings.collection))  # first: it names a mismatched embedder
        self.embedder = embedder or preloading or embedder_for(settings, prefer_onnx=True)

    def _load(self, entry: dict | None) -> _Snapshot:
        corpus: Corpus = self.store.open(self.settings.collection)
        if corpus.meta.get("embed_model") != self.settings.embed_model:
            raise QAError(
                f"collection {self.settings.collection!r} was built with embedding model "
                f"{corpus.meta.get('embed_model')!r}, not {self.settings.embed_model!r}: run `qa ingest --rebuild`"
            )
        records = corpus.file_records().values()
        live = {r.source: r.sha256 for r in records}
        # Keyed by the source as citations show it: where each page of a paged document (PDF)
        # starts, stored at ingest, and titles shown beside file names.
        page_starts = {shown(r.source): r.page_starts() for r in records if r.pages}
        titles = {shown(r.source): r.title for r in records if r.title}
        return _Snapshot(entry, corpus, live, page_starts, titles)

    def refresh(self, force: bool = False) -> bool:
        """Reload if an ingest (here or in another process) committed since the last load.
        Returns whether it reloaded."""
        with self._lock:
            entry = self.store.catalog_entry(self.settings.collection)
            if entry == self._snap.entry and not force:
                return False
            if self.store.path is not None:
                from chromadb.api.client import SharedSystemClient

                SharedSystemClient.clear_system_cache()  # else the same cached, stale client comes back
                self.store = Store(self.settings)
            self._snap = self._load(entry)
            return True

    # Read-only views of the current snapshot (status, tests).
    @property
    def corpus(self) -> Corpus:
        return self._snap.corpus

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

    def _bm25_index(self, snap: _Snapshot):  # noqa: ANN202
        with self._lock:
            if snap.bm25 is None:
                from qa.answer import bm25
                from qa.config import qa_home

                # rows stay tuples: a Passage is made only for a hit (tens of thousands of rows, ~10 hits)
                snap.bm25, snap.bm25_rows = bm25.cached(qa_home(), self.store.location, snap.corpus, snap.live)
        return snap.bm25

    def retrieve(self, question: str, n_passages: int | None = None) -> Retrieval:
        """One consistent snapshot per question. A rebuild elsewhere can drop the collections
        between the change check and the query: then reload once and ask again."""
        self.refresh()
        try:
            return self._retrieve(self._snap, question, n_passages)
        except Exception as e:  # noqa: BLE001 - chroma raises assorted errors for a dropped collection
            if not type(e).__module__.startswith("chromadb"):
                raise
            self.refresh(force=True)
            return self._retrieve(self._snap, question, n_passages)

    def _retrieve(self, snap: _Snapshot, question: str, n_passages: int | None) -> Retrieval:
        n_passages = n_passages or self.settings.passages
        k = self.settings.candidates
        qvec = self.embedder.embed([question])[0]
        _same_dimension(snap.corpus, len(qvec), self.settings.embed_model)
        pool: dict[str, Passage] = {}
        metas: dict[str, dict] = {}  # chunk id -> stored metadata, for widening the chosen hits

        count = snap.corpus.chunks.count()
        if count:
            got = snap.corpus.chunks.query(
                query_embeddings=[qvec], n_results=min(count, 2 * k), include=["documents", "metadatas", "distances"]
            )
            rank = 0
            for cid, doc, meta, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0]):
                if not snap.visible(meta) or rank >= k:
                    continue
                p = pool.setdefault(cid, _passage(cid, doc, meta))
                metas[cid] = meta
                p.similarity = 1.0 - float(dist)
                p.ranks["dense"] = rank
                rank += 1

        terms = content_terms(question)
        index = self._bm25_index(snap)
        if terms and snap.bm25_rows:
            import numpy as np

            scores = np.asarray(index.get_scores(terms))
            order = np.argsort(-scores, kind="stable")[:k]  # best first, ties in index order
            for rank, i in enumerate(order):
                if scores[i] <= 0:
                    break
                cid = snap.bm25_rows[i][0]
                p = pool.setdefault(cid, _passage(*snap.bm25_rows[i]))
                metas.setdefault(cid, snap.bm25_rows[i][2])
                p.bm25 = float(scores[i])
                p.ranks["bm25"] = rank

        missing = [cid for cid, p in pool.items() if "dense" not in p.ranks]
        if missing:  # BM25-only hits still need a similarity for abstention decisions
            got = snap.corpus.chunks.get(ids=missing, include=["embeddings"])
            for cid, emb in zip(got["ids"], got["embeddings"]):
                pool[cid].similarity = float(sum(a * b for a, b in zip(qvec, emb)))

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
            chosen = _widen(snap, chosen, metas, self.settings.passage_window)
        others = self.settings.passage_sources
        for p in ranked:
            if others <= 0:
                break
            if all(c.source != p.source for c in chosen):
                chosen.append(p)
                others -= 1
        return Retrieval(question, chosen, len(pool), qvec)



def _widen(snap: _Snapshot, hits: list[Passage], metas: dict[str, dict], window: int) -> list[Passage]:
    """Small-to-big: chunks small enough to match a question precisely are too small to hold the
    sentence before or after the one that matched, where the figure, the cause or the name often is.
    Each hit becomes the span of its own text from `window` chunks before it to `window` after;
    hits that then touch or overlap in one document become one passage, in the better hit's place."""
    wanted: dict[tuple[str, str], set[int]] = {}
    for p in hits:
        m = metas[p.id]
        i = int(m.get("index", -1))
        if i >= 0:
            wanted.setdefault((m["source"], snap.live.get(m["source"], "")), set()).update(range(max(0, i - window), i + window + 1))
    rows: dict[tuple[str, str], dict[int, tuple[str, dict]]] = {}
    for (source, sha), idx in wanted.items():
        got = snap.corpus.chunks.get(
            where={"$and": [{"source": source}, {"sha256": sha}, {"index": {"$in": sorted(idx)}}]},
            include=["documents", "metadatas"],
        )
        rows[(source, sha)] = {int(m["index"]): (d, m) for d, m in zip(got["documents"], got["metadatas"])}
    spans: list[tuple[Passage, tuple[str, str], int, int]] = []  # (hit, document, first chunk, last chunk)
    for p in hits:
        m = metas[p.id]
        key, i = (m["source"], snap.live.get(m["source"], "")), int(m.get("index", -1))
        have = rows.get(key, {})
        lo = hi = i
        while lo - 1 in have and i - lo < window:
            lo -= 1
        while hi + 1 in have and hi - i < window:
            hi += 1
        spans.append((p, key, lo, hi))
    spans = _merge_spans(spans)
    out: list[Passage] = []
    for hit, key, a, b in spans:
        have = rows.get(key, {})
        if a not in have:  # no neighbours found (an old index without chunk numbers): the hit alone
            out.append(hit)
            continue
        parts = [_passage(hit.id, *have[j]) for j in range(a, b + 1) if j in have]
        out.append(_join(hit, parts))
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
