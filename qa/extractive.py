"""Extractive answering: the best-supporting sentences of the top passages, cited, no LLM.

Used for `--model none` and as the fallback when a model's draft fails verification. Sentences are
ranked by meaning (cosine to the question, with the already-loaded embedder) and by how many of the
question's terms they contain; the answer is abstained when even the best is weak.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.embed import Embedder
from qa.types import Passage
from qa.text import content_terms


@dataclass
class Pick:
    passage: Passage
    start: int
    end: int
    text: str
    score: float


def sentence_score(question: str, qvec: list[float], sentences: list[str], embedder: Embedder) -> list[float]:
    """How directly each sentence answers the question: mostly meaning, partly shared terms."""
    if not sentences:
        return []
    q_terms = set(content_terms(question))
    out = []
    for text, vec in zip(sentences, embedder.embed(sentences)):
        sim = sum(a * b for a, b in zip(qvec, vec))
        lex = len(q_terms & set(content_terms(text))) / max(1, len(q_terms))
        out.append(0.7 * sim + 0.3 * lex)
    return out


def rank_sentences(question: str, qvec: list[float], passages: list[Passage], embedder: Embedder) -> list[Pick]:
    cands: list[Pick] = []
    for p in passages:
        for s, e, text in p.sentence_texts():
            if len(content_terms(text)) >= 3:
                cands.append(Pick(p, s, e, text, 0.0))
    if not cands:
        return []
    for c, score in zip(cands, sentence_score(question, qvec, [c.text for c in cands], embedder)):
        c.score = score
    return sorted(cands, key=lambda c: (-c.score, c.passage.source, c.start))


def extract(ranked: list[Pick], min_score: float, max_sentences: int = 2) -> list[Pick]:
    """Up to `max_sentences` picks from a `rank_sentences` ranking, best first; empty means "abstain"."""
    if not ranked or ranked[0].score < min_score:
        return []
    picks = [ranked[0]]
    for c in ranked[1:]:
        if len(picks) >= max_sentences or c.score < 0.9 * ranked[0].score:
            break
        if all(c.text != p.text for p in picks):
            picks.append(c)
    return picks
