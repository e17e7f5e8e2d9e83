"""Stage 6: retrieve → prompt → generate → verify, and decide when not to answer.

Abstention uses both signals: if retrieval finds nothing close to the question the model is not
asked at all; if the model says the passages do not hold the answer, or nothing it wrote survives
verification and no passage sentence answers it either, `qa` says so and cites nothing.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable

from qa.config import Settings
from qa.errors import EndpointDown, QAError
from qa.extractive import Pick, extract, rank_sentences
from qa.models import Model
from qa.prompt import ABSTAIN_TEXT, build_messages
from qa.retrieve import Retriever
from qa.types import Answer, Citation
from qa.verify import is_not_found, verify



_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")


def clean_question(raw: str, max_chars: int) -> str:
    """Normalise whitespace and strip control characters; refuse what cannot be a question."""
    text = _ANSI.sub(" ", raw)  # pasted terminal colour codes
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QAError("empty question: ask something, e.g. qa ask \"Why did Kim skip Moscow?\"")
    if len(text) > max_chars:
        raise QAError(f"question is {len(text)} characters; the limit is {max_chars} (QA_MAX_QUESTION_CHARS)")
    return text


class Answerer:
    """Holds the loaded retriever and model so that many questions pay start-up once."""

    def __init__(self, settings: Settings, retriever: Retriever, model: Model | None) -> None:
        self.settings = settings
        self.retriever = retriever
        self.model = model

    @property
    def model_name(self) -> str:
        return self.model.name if self.model else "none"

    def ask(self, question: str, on_token: Callable[[str], None] | None = None) -> Answer:
        t0 = time.perf_counter()
        question = clean_question(question, self.settings.max_question_chars)
        r = self.retriever.retrieve(question)
        t1 = time.perf_counter()
        timings = {"retrieve": round((t1 - t0) * 1000, 1), "generate": 0.0}

        def done(text: str, abstained: bool, citations: list[Citation], mode: str, reason: str = "", **kw) -> Answer:  # noqa: ANN003
            timings["total"] = round((time.perf_counter() - t0) * 1000, 1)
            return Answer(question, text, abstained, citations, self.model_name, timings, mode, reason, passages=r.passages, **kw)

        if not r.passages or r.top_similarity < self.settings.min_similarity:
            return done(ABSTAIN_TEXT, True, [], "abstained", f"no passage is close to the question (best {r.top_similarity:.2f})")

        ranked: list[Pick] | None = None

        def ranking() -> list[Pick]:
            """Passage sentences scored against the question, computed at most once per question
            (the override check and the extractive fallback both need it)."""
            nonlocal ranked
            if ranked is None:
                ranked = rank_sentences(question, r.query_vector, r.passages, self.retriever.embedder)
            return ranked

        if self.model is None:
            return self._extractive(ranking(), done, "extractive", self.settings.extractive_min_score)

        try:
            draft, usage = self._generate(build_messages(question, r.passages), on_token)
        except EndpointDown as e:
            if self.settings.fallback != "extractive":
                raise
            ans = self._extractive(ranking(), done, "extractive", self.settings.extractive_min_score)
            ans.model = "none"
            ans.fallback = f"{self.model_name} unavailable, answered extractively: {e}"
            return ans
        if is_not_found(draft):
            # Small models say "not found" too readily. Overrule that only when a passage sentence
            # answers the question strongly; then ask again without the way out.
            evidence = max((pick.score for pick in ranking()), default=0.0)
            if evidence < self.settings.override_score:
                timings["generate"] = round((time.perf_counter() - t1) * 1000, 1)
                return done(ABSTAIN_TEXT, True, [], "abstained", "the model found no answer in the passages", draft=draft, usage=usage)
            if on_token:
                on_token("\n")
            draft, usage2 = self._generate(build_messages(question, r.passages, "answer_forced.txt"), on_token)
            usage = {k: usage.get(k, 0) + usage2.get(k, 0) for k in set(usage) | set(usage2)}
        timings["generate"] = round((time.perf_counter() - t1) * 1000, 1)
        checked = verify(draft, r.passages, question)
        if checked.kept and not self._relevant(question, r.query_vector, checked.citations):
            # Supported by the passages but not an answer to this question: the classic small-model
            # move of answering a nearby question. Let the extractive check decide instead.
            checked.dropped += [checked.text]
            checked.kept = 0
        if checked.kept == 0 or is_not_found(draft):
            ans = self._extractive(ranking(), done, "fallback-extractive", self.settings.override_score)
            ans.draft, ans.usage, ans.verification = draft, usage, checked
            if not ans.abstained:
                ans.reason = "the model's answer failed citation checks; showing the best-supporting sentences"
            return ans
        return done(checked.text, False, checked.citations, "generated", draft=draft, usage=usage, verification=checked)

    def _generate(self, messages: list[dict[str, str]], on_token: Callable[[str], None] | None) -> tuple[str, dict]:
        assert self.model is not None
        text = self.model.generate(messages, self.settings.max_answer_tokens, on_token)
        return text.strip(), dict(getattr(self.model, "last_usage", {}) or {})

    def _relevant(self, question: str, qvec: list[float], citations: list[Citation]) -> bool:
        """Does some cited quote bear on the question itself (same score as extractive picks)?"""
        from qa.extractive import sentence_score

        quotes = [c.quote for c in citations]
        scores = sentence_score(question, qvec, quotes, self.retriever.embedder)
        return max(scores, default=0.0) >= self.settings.min_relevance

    def _extractive(self, ranked: list[Pick], done, mode: str, min_score: float) -> Answer:  # noqa: ANN001
        picks = extract(ranked, min_score)
        if not picks:
            return done(ABSTAIN_TEXT, True, [], "abstained", "no sentence in the passages answers the question")
        citations, parts = [], []
        for n, pick in enumerate(picks, 1):
            citations.append(Citation(n, pick.passage.source, pick.start, pick.end, pick.text, round(pick.score, 3), pick.passage))
            parts.append(f"{pick.text} [{n}]")
        return done(" ".join(parts), False, citations, mode)
