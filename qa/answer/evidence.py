"""Stage 6: evidence — the passages' sentences ranked against the question once, and what goes into
the prompt.

The ranking serves every later stage: the extractive answer and the fallback quote its best
sentences, the relevance check reads the cited quotes' scores from it, and a generated answer is
completed from it with another document's best sentence. By default the prompt gets the retrieved
chunks whole (`evidence = "chunks"`: on the frozen test splits a small model answered better from
them). `evidence = "sentences"` packs instead the best sentence of every retrieved document that
bears on the question, then the next best overall, within a token budget — a shorter prompt, and
prompt length is what a CPU pays for (60-75 prompt tokens/s for the 1.5B model on 2 cores). A
selected sentence that leans on the one before it ("He said…", "This…") brings that one along;
adjacent selections are merged into one snippet, a contiguous span of its source, so quotes cut
from it are still exact source text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.index.embed import Embedder
from qa.text import content_terms, words
from qa.types import Passage


@dataclass
class Pick:
    passage: Passage
    start: int
    end: int
    text: str
    score: float
    fit: float = 0.0  # the part of `score` that is for holding the kind of answer asked for


# What kind of answer a question asks for, and how a sentence that holds one looks. A sentence of the
# right kind gets ANSWER_TYPE_BONUS: "Why…?" is answered by a sentence with a cause in it, which
# cosine similarity alone ranks below sentences that merely repeat the question's words.
_ASKS = [
    (re.compile(r"^\W*(why|what (was|is|were) the (reason|cause)|what (reason|caused|made)|how come)\b|\breasons?\b|\bcaused?\b", re.I),
     re.compile(r"\b(because|due to|since|as a result|owing to|reasons?|so that|in order to|caused?|amid|citing|over concerns?)\b", re.I)),
    (re.compile(r"^\W*(when|what (year|date|day|month|time))\b|\b(which|what) (year|date|day|month)\b", re.I),
     re.compile(r"\b(1[5-9]\d\d|20\d\d|January|February|March|April|May|June|July|August|September|October|November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today)\b")),
    (re.compile(r"^\W*how (many|much|long|large|big|old|far|often)\b|\b(what|which) (percentage|number|amount|share|figure|size)\b", re.I),
     re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|hundred|thousand|million|billion|dozen)\b", re.I)),
]
ANSWER_TYPE_BONUS = 0.06


def _scores(question: str, qvec: list[float], sentences: list[str], embedder: Embedder) -> list[tuple[float, float]]:
    """(meaning, fit) per sentence: meaning is mostly cosine to the question, partly shared terms;
    fit is a small bonus for holding the kind of answer asked for (a cause, a date, a figure)."""
    if not sentences:
        return []
    q_terms = set(content_terms(question))
    kinds = [looks for asks, looks in _ASKS if asks.search(question)]
    out = []
    for text, vec in zip(sentences, embedder.embed(sentences)):
        sim = sum(a * b for a, b in zip(qvec, vec))
        lex = len(q_terms & set(content_terms(text))) / max(1, len(q_terms))
        bonus = ANSWER_TYPE_BONUS if any(k.search(text) for k in kinds) else 0.0
        out.append((0.7 * sim + 0.3 * lex, bonus))
    return out


def rank_sentences(question: str, qvec: list[float], passages: list[Passage], embedder: Embedder) -> list[Pick]:
    """Every sentence of the passages (once, even where chunks overlap), best first."""
    cands: list[Pick] = []
    seen: set[tuple[str, int] | str] = set()
    for p in passages:
        for s, e, text in p.sentence_texts():
            if len(content_terms(text)) >= 3 and (p.source, s) not in seen and text not in seen:
                seen |= {(p.source, s), text}
                cands.append(Pick(p, s, e, text, 0.0))
    if not cands:
        return []
    for c, (meaning, fit) in zip(cands, _scores(question, qvec, [c.text for c in cands], embedder)):
        c.score, c.fit = meaning + fit, fit
    return sorted(cands, key=lambda c: (-c.score, c.passage.source, c.start))


def extract(ranked: list[Pick], min_score: float, max_sentences: int = 2) -> list[Pick]:
    """Up to `max_sentences` picks from a ranking, best first; empty means "abstain"."""
    if not ranked or ranked[0].score < min_score:
        return []
    picks = [ranked[0]]
    for c in ranked[1:]:
        if len(picks) >= max_sentences or c.score < 0.9 * ranked[0].score:
            break
        if all(c.text != p.text for p in picks):
            picks.append(c)
    return picks


# A sentence opening with one of these leans on the sentence before it.
_LEANS = frozenset("he she it they this that these those his her its their such but however also the move".split())


def _tokens(text: str) -> int:
    """Prompt tokens of English prose, near enough for a budget (Qwen: ~4.2 characters a token)."""
    return len(text) // 4 + 1


def select(ranked: list[Pick], budget_tokens: int, per_source_min: float) -> list[Passage]:
    """The prompt's snippets: each source's best sentence (if it scores at least `per_source_min`
    of the best), then the rest by rank, within `budget_tokens`; merged where adjacent."""
    if not ranked:
        return []
    top = ranked[0].score
    chosen: dict[tuple[str, int], Pick] = {}
    used = 0

    def take(pick: Pick) -> bool:
        nonlocal used
        key = (pick.passage.source, pick.start)
        if key in chosen:
            return True
        extra = [pick]
        prev = _previous(pick)
        if prev is not None and (prev.passage.source, prev.start) not in chosen and _leans(pick.text):
            extra.insert(0, prev)
        cost = sum(_tokens(x.text) for x in extra)
        if used + cost > budget_tokens and chosen:
            return False
        for x in extra:
            chosen[(x.passage.source, x.start)] = x
        used += cost
        return True

    firsts: dict[str, Pick] = {}
    for pick in ranked:
        firsts.setdefault(pick.passage.source, pick)
    for pick in firsts.values():
        if pick.score >= per_source_min * top:
            take(pick)
    for pick in ranked:
        if used >= budget_tokens:
            break
        take(pick)
    return _snippets(list(chosen.values()), order=[p.passage.source for p in ranked])


def items(ranked: list[Pick], budget_tokens: int) -> list[Passage]:
    """The reader's numbered evidence: the best sentences in rank order, within `budget_tokens`,
    each a passage of its own (the unit a reader names and a check reads). A sentence that leans
    on the one before it ("He said…") is shown joined to it, as one contiguous span of its source.
    Rank order, not document order: where a small model just names the first items, it names the
    retriever's best guesses."""
    out: list[Passage] = []
    used = 0
    for pick in ranked:
        start = pick.start
        prev = _previous(pick) if _leans(pick.text) else None
        if prev is not None:
            start = prev.start
        p = pick.passage
        held = next((o for o in out if o.source == p.source and o.start < pick.end and start < o.end), None)
        if held is not None:
            if prev is not None and held.end == prev.end and pick.start not in (s for s, _ in held.sentences):
                held.text = p.text[held.start - p.start : pick.end - p.start]  # the item it leans on, extended
                held.end = pick.end
                held.sentences.append((pick.start, pick.end))
                used += _tokens(pick.text)
            continue
        text = p.text[start - p.start : pick.end - p.start]
        cost = _tokens(text)
        if used + cost > budget_tokens and out:
            break
        spans = [(prev.start, prev.end), (pick.start, pick.end)] if prev is not None else [(pick.start, pick.end)]
        out.append(Passage(f"{p.id}:{start}", p.source, start, pick.end, text, spans, p.similarity, p.bm25, pick.score))
        used += cost
    return out


def _leans(text: str) -> bool:
    w = words(text[:40])
    return bool(w) and (w[0] in _LEANS or (len(w) > 1 and " ".join(w[:2]) in _LEANS))


def _previous(pick: Pick) -> Pick | None:
    sents = pick.passage.sentences
    for (s0, e0), (s1, _) in zip(sents, sents[1:]):
        if s1 == pick.start:
            p = pick.passage
            return Pick(p, s0, e0, p.text[s0 - p.start : e0 - p.start], 0.0)
    return None


def _snippets(picks: list[Pick], order: list[str]) -> list[Passage]:
    """Picks merged into contiguous snippets, grouped by source in rank order, in document order
    within a source."""
    rank = {src: i for i, src in reversed(list(enumerate(order)))}
    picks.sort(key=lambda x: (rank.get(x.passage.source, len(rank)), x.start))
    out: list[Passage] = []
    for pick in picks:
        last = out[-1] if out else None
        p = pick.passage
        if last is not None and last.source == p.source and _adjacent(p, last.sentences[-1], (pick.start, pick.end)):
            gap_text = p.text[last.end - p.start : pick.end - p.start] if p.start <= last.end else ""
            if gap_text:
                last.text += gap_text
                last.end = pick.end
                last.sentences.append((pick.start, pick.end))
                continue
        out.append(Passage(f"{p.id}:{pick.start}", p.source, pick.start, pick.end, pick.text, [(pick.start, pick.end)], p.similarity, p.bm25, p.score))
    return out


def _adjacent(p: Passage, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Is sentence `b` the one right after `a` in passage `p`?"""
    sents = p.sentences
    return any(x == a and y == b for x, y in zip(sents, sents[1:]))
