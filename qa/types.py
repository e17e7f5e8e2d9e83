"""The data every stage passes on. The ground floor: imports nothing of qa, so verification,
extraction and rendering need not import retrieval (or each other) to share a passage."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Passage:
    """A stored chunk as retrieval hands it on, with the offsets that make every quote checkable."""

    id: str
    source: str
    start: int
    end: int
    text: str
    sentences: list[tuple[int, int]]  # absolute offsets into the source text
    similarity: float = 0.0  # cosine(question, passage)
    bm25: float = 0.0
    score: float = 0.0  # fused
    ranks: dict[str, int] = field(default_factory=dict)

    def sentence_texts(self) -> list[tuple[int, int, str]]:
        return [(s, e, self.text[s - self.start : e - self.start]) for s, e in self.sentences]


@dataclass
class Citation:
    n: int
    source: str
    start: int
    end: int
    quote: str
    score: float
    passage: Passage = field(repr=False)
    page: str | None = None  # paged formats (PDF): "12", or "12-13" when the quote spans pages
    title: str = ""  # the document's title (HTML <title>, PDF metadata, first heading), if any


@dataclass
class Verified:
    text: str
    citations: list[Citation]
    kept: int
    dropped: list[str]  # sentences removed, for --verbose and the eval report
    recited: int  # sentences whose citation was corrected
    phantom: int  # citation numbers that pointed at no given passage
    reasons: list[str] = field(default_factory=list)  # why each dropped sentence was dropped
    judged: int = 0  # sentences kept on the model's word where the rules found a word unmatched


@dataclass
class Answer:
    question: str
    text: str
    abstained: bool
    citations: list[Citation]
    model: str
    timings_ms: dict[str, float]
    mode: str  # "generated", "quoted", "extractive", "fallback-extractive", "abstained"
    reason: str = ""
    draft: str = ""
    passages: list[Passage] = field(default_factory=list)
    usage: dict[str, float] = field(default_factory=dict)
    verification: Verified | None = None
    # Set when the model's endpoint was down and `fallback = "extractive"` answered instead: why.
    fallback: str = ""

    def to_json(self) -> dict:
        out = {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "mode": self.mode,
            "reason": self.reason,
            # Each sentence of the model's that verification took out, and why.
            "dropped": [{"text": s, "reason": r} for s, r in zip(self.verification.dropped, self.verification.reasons)] if self.verification else [],
            "judged": self.verification.judged if self.verification else 0,
            "citations": [
                {"n": c.n, "source": c.source, "start": c.start, "end": c.end, "quote": c.quote, "score": c.score}
                | ({"page": c.page} if c.page else {})
                | ({"title": c.title} if c.title else {})
                for c in self.citations
            ],
            "model": self.model,
            "timings_ms": self.timings_ms,
        }
        if self.fallback:
            out["fallback"] = self.fallback
        return out
