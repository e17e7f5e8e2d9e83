"""Stage 5: hybrid retrieval — dense (Chroma) and keyword (BM25) candidates, fused by reciprocal rank.

Dense search finds paraphrases; BM25 finds rare names and numbers that a small embedding model
blurs. Reciprocal-rank fusion needs no score calibration between the two. Only a few short,
non-overlapping passages go on to the model, because prompt length is what a CPU pays for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from qa.config import Settings
from qa.embed import Embedder
from qa.load import page_label
from qa.store import Corpus, Store, pages
from qa.text import content_terms
from qa.types import Answer, Passage

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
    return Passage(cid, meta["source"], start, int(meta["end"]), doc, [(start + s, start + e) for s, e in rel])


class Retriever:
    """Loaded once per process (chat and `ask -` reuse it); the BM25 index is built on first use
    from what Chroma holds, so it works the same against a Chroma server."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings)
        self.corpus: Corpus = self.store.open(settings.collection)
        if self.corpus.meta.get("embed_model") != settings.embed_model:
            from qa.errors import QAError

            raise QAError(
                f"collection {settings.collection!r} was built with embedding model "
                f"{self.corpus.meta.get('embed_model')!r}, not {settings.embed_model!r}: run `qa ingest --rebuild`"
            )
        self.embedder = embedder or Embedder(settings.embed_model, prefer_onnx=True)
        records = self.corpus.file_records().values()
        self.live = {r.source: r.sha256 for r in records}
        # Where each page of a paged document (PDF) starts, stored at ingest: citations get pages from it.
        self.page_starts = {r.source: r.page_starts() for r in records if r.pages}
        self.titles = {r.source: r.title for r in records if r.title}  # shown beside file names
        self._bm25 = None
        self._bm25_ids: list[str] = []
        self._bm25_rows: dict[str, Passage] = {}

    def page(self, source: str, start: int, end: int) -> str | None:
        """The page (or "12-13") that text[start:end] of `source` lies on; None for unpaged formats."""
        return page_label(self.page_starts.get(source, ()), start, end)

    def cite_pages(self, answer: Answer) -> Answer:
        """Give each citation of `answer` its page(s). (Belongs where citations are made, in
        answer.py; called by the CLI and chat until it moves there.)"""
        for c in answer.citations:
            c.page = self.page(c.source, c.start, c.end)
        return answer

    def _visible(self, meta: dict) -> bool:
        return self.live.get(meta.get("source")) == meta.get("sha256")

    def _bm25_index(self):  # noqa: ANN202
        if self._bm25 is None:
            import bm25s

            ids, toks = [], []
            for got in pages(self.corpus.chunks, ["documents", "metadatas"]):
                for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                    if not self._visible(meta):
                        continue
                    ids.append(cid)
                    toks.append(content_terms(doc) or ["<empty>"])
                    self._bm25_rows[cid] = _passage(cid, doc, meta)
            index = bm25s.BM25()
            if ids:
                index.index(toks, show_progress=False)
            self._bm25, self._bm25_ids = index, ids
        return self._bm25

    def retrieve(self, question: str, n_passages: int | None = None) -> Retrieval:
        n_passages = n_passages or self.settings.passages
        k = self.settings.candidates
        qvec = self.embedder.embed([question])[0]
        pool: dict[str, Passage] = {}

        count = self.corpus.chunks.count()
        if count:
            got = self.corpus.chunks.query(
                query_embeddings=[qvec], n_results=min(count, 2 * k), include=["documents", "metadatas", "distances"]
            )
            rank = 0
            for cid, doc, meta, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0]):
                if not self._visible(meta) or rank >= k:
                    continue
                p = pool.setdefault(cid, _passage(cid, doc, meta))
                p.similarity = 1.0 - float(dist)
                p.ranks["dense"] = rank
                rank += 1

        terms = content_terms(question)
        index = self._bm25_index()
        if terms and self._bm25_ids:
            scores = index.get_scores(terms)
            order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]
            for rank, i in enumerate(order):
                if scores[i] <= 0:
                    break
                cid = self._bm25_ids[i]
                p = pool.setdefault(cid, self._bm25_rows[cid])
                p.bm25 = float(scores[i])
                p.ranks["bm25"] = rank

        missing = [cid for cid, p in pool.items() if "dense" not in p.ranks]
        if missing:  # BM25-only hits still need a similarity for abstention decisions
            got = self.corpus.chunks.get(ids=missing, include=["embeddings"])
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
        return Retrieval(question, chosen, len(pool), qvec)

