"""Stage 8: one question through the pipeline — retrieve → evidence → generate → verify → decide.

`Answerer.ask` reads top to bottom as those stages. Abstention has three gates: retrieval finds
nothing close to the question (the model is not asked); the model says the evidence holds no answer
and is sure of it (its own token probabilities, not only its greedy words: a small model says "The
documents do not say" too readily, so an unsure "no" is asked again without the way out); or nothing
it wrote survives verification and no evidence sentence answers the question either.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from qa.config import Settings
from qa.errors import EndpointDown
from qa.check.claims import adds_to, similarity
from qa.answer.evidence import Pick, extract, items, rank_sentences, select
from qa.answer.models import Model
from qa.check import roles
from qa.answer.question import clean_question, question_parts
from qa.answer.prompt import ABSTAIN_TEXT, build_judge_messages, build_messages, parse_reading, read_grammar
from qa.answer.retrieve import Retriever
from qa.text import content_terms
from qa.types import Answer, Citation, Passage, Verified
from qa.check.judge import for_settings as learned_judges
from qa.check.verify import is_not_found, model_judge, split_sentences, verify


class Answerer:
    """Holds the loaded retriever and model so that many questions pay start-up once."""

    def __init__(self, settings: Settings, retriever: Retriever, model: Model | None) -> None:
        self.settings = settings
        self.retriever = retriever
        self.model = model
        self.similar = similarity(retriever.embedder)

    @property
    def model_name(self) -> str:
        return self.model.name if self.model else "none"

    def ask(self, question: str, on_token: Callable[[str], None] | None = None, on_stage: Callable[[str], None] | None = None) -> Answer:
        """`on_token` gets the draft as the model writes it; `on_stage` a few words as each stage
        starts ("retrieving", "reading 9 sentences", "checking"), so that a terminal shows what is
        happening in the seconds before the first token."""
        clock = _Clock(on_stage)
        question = clean_question(question, self.settings.max_question_chars)
        clock.tell("retrieving")

        r = self.retriever.retrieve(question)
        clock.lap("retrieve")
        if not r.passages or r.top_similarity < self.settings.min_similarity:
            return self._abstain(question, clock, f"no passage is close to the question (best {r.top_similarity:.2f})", r.passages)

        ranked = rank_sentences(question, r.query_vector, r.passages, self.retriever.embedder)
        if self.model is not None and self.settings.answer_shape == "select":
            return self._ask_select(question, clock, ranked, r.passages, on_token)
        if self.settings.evidence == "sentences":
            evidence = select(ranked, self.settings.evidence_tokens, self.settings.evidence_per_source)
        else:
            evidence = r.passages
        clock.lap("evidence")
        if self.model is None:
            return self._extractive(question, clock, ranked, r.passages, "extractive", self.settings.extractive_min_score)

        roles.warm()  # the parser verification needs loads while the model writes (a draft only)
        clock.tell(f"reading {_count(evidence, grouped=self.settings.evidence == 'sentences')}")
        try:
            draft = self._generate(question, evidence, ranked, on_token)
        except EndpointDown as e:
            return self._model_down(e, question, clock, ranked, r.passages)
        clock.lap("generate")
        if is_not_found(draft.text):
            return self._abstain(question, clock, draft.why or "the model found no answer in the evidence", r.passages, draft)

        clock.tell("checking the draft against its sources")
        spent: dict[str, float] = {}
        judge = model_judge(self.model, self.settings.entail_judge_min, spent) if self.settings.entail_judge else None
        judge, confirm = learned_judges(self.settings, judge)
        checked = verify(draft.text, evidence, question, self.similar, judge, confirm)
        if spent:  # the judge's calls are the answer's cost too
            draft = replace(draft, usage=_summed(draft.usage, spent))
        clock.lap("verify")
        return self._decide(question, clock, draft, checked, ranked, r.passages, evidence)

    # -- read: the model picks evidence sentences, then answers in a line --------------------------

    def _ask_select(self, question: str, clock: _Clock, ranked: list[Pick], passages: list[Passage], on_token: Callable[[str], None] | None) -> Answer:
        """The answer shape that can be checked by construction: the model is shown numbered
        evidence sentences and names the ones that answer the question (a grammar lets it name only
        real ones, or none), then writes a one-line answer. The sentences it names are verbatim
        source text; its own line is kept only where they state it, and otherwise the named
        sentences are the answer, so a check that cannot match a paraphrase costs wording, never
        the answer."""
        assert self.model is not None
        evidence = items(ranked, self.settings.read_tokens)
        clock.lap("evidence")
        roles.warm()  # the parser verification needs loads while the model writes
        clock.tell(f"reading {_count(evidence, grouped=True)}")
        try:
            draft = self._read(question, evidence, ranked, on_token)
        except EndpointDown as e:
            return self._model_down(e, question, clock, ranked, passages)
        clock.lap("generate")
        ids, line = parse_reading(draft.text, len(evidence))
        if not ids or is_not_found(line):
            why = draft.why or "the model found no sentence in the evidence that answers the question"
            return self._abstain(question, clock, why, passages, draft)
        chosen = [evidence[i - 1] for i in ids]
        clock.tell("checking the answer against the sentences it names")
        spent: dict[str, float] = {}
        judge = model_judge(self.model, self.settings.entail_judge_min, spent) if self.settings.entail_judge else None
        judge, confirm = learned_judges(self.settings, judge)
        marks = "".join(f"[{n}]" for n in range(1, len(chosen) + 1))
        checked = verify(f"{line} {marks}", chosen, question, self.similar, judge, confirm) if line else Verified("", [], 0, [], 0, 0)
        if spent:
            draft = replace(draft, usage=_summed(draft.usage, spent))
        clock.lap("verify")
        return self._decide_read(question, clock, draft, chosen, checked, ranked, passages)

    def _model_down(self, e: EndpointDown, question: str, clock: _Clock, ranked: list[Pick], passages: list[Passage]) -> Answer:
        """The model's endpoint is down: one clear error, or with `fallback = "extractive"` an
        extractive answer that says why."""
        if self.settings.fallback != "extractive":
            raise e
        why = f"{self.model_name} unavailable, answered extractively: {e}"
        return self._extractive(question, clock, ranked, passages, "extractive", self.settings.extractive_min_score, model="none", fallback=why)

    def _read(self, question: str, evidence: list[Passage], ranked: list[Pick], on_token: Callable[[str], None] | None) -> Draft:
        """The reader's reply. A "none" stands when the model was sure of it (the probability of
        the word, `abstain_confidence`) or no evidence sentence scores `override_score`; otherwise
        it is asked once more with "none" taken out of the grammar (small models give up readily)."""
        stream = _AnswerLine(on_token) if on_token else None
        first = self._complete(build_messages(question, evidence, "read.txt", grouped=True), stream, grammar=read_grammar(len(evidence)))
        if parse_reading(first.text, len(evidence))[0]:
            return first
        sure = _choice_probability(first.logprobs, "none")
        best = ranked[0].score if ranked else 0.0
        if (1.0 if sure is None else sure) >= self.settings.abstain_confidence or best < self.settings.override_score:
            first.why = "the model found no sentence in the evidence that answers the question" + (f" (confidence {sure:.2f})" if sure is not None else "")
            return first
        if stream:
            stream.reset()
        again = self._complete(build_messages(question, evidence, "read_forced.txt", grouped=True), stream, grammar=read_grammar(len(evidence), allow_none=False))
        again.usage = _summed(first.usage, again.usage)
        again.usage["abstain_p"] = round(sure, 4) if sure is not None else -1.0
        again.reasked = True
        return again

    def _decide_read(self, question: str, clock: _Clock, draft: Draft, chosen: list[Passage], checked: Verified, ranked: list[Pick], passages: list[Passage]) -> Answer:
        """The model's line where the sentences it named state it; else those sentences, quoted.
        Either way the quotes must bear on the question (the ranking's score, or the model's yes
        when asked), or the answer is to some other question and the reply is to abstain."""
        quotes = [Citation(n, p.source, p.start, p.end, p.text, round(p.score, 3), p) for n, p in enumerate(chosen, 1)]
        worded = bool(checked.kept) and not checked.dropped and not _echoes(question, checked.text)
        text, citations = (checked.text, checked.citations) if worded else (" ".join(f"{c.quote} [{c.n}]" for c in quotes), quotes)
        stands, judged, draft = self._bears_on(question, quotes, ranked, clock, draft)
        if not stands:
            return self._abstain(question, clock, "the sentences the model named do not bear on the question", passages, draft, checked)
        if self.settings.answer_judge_min > 0:
            doubt, draft = self._doubted(question, quotes, clock, draft)
            if doubt:
                return self._abstain(question, clock, doubt, passages, draft, checked)
        text, citations = self._complete_sources(text, citations, ranked)
        citations = [self.retriever.locate(c) for c in citations]
        notes = [] if worded else ["the model's own wording is not stated by the sentences it named: they are quoted instead"]
        notes += [_dropped_note(checked), _judged_note(checked)]
        if judged:
            notes.append("the quoted sentences score low against the question; the model judged that they answer it")
        return Answer(
            question, text, False, citations, self.model_name, clock.done(), "generated" if worded else "quoted",
            "; ".join(filter(None, notes)), draft.text, passages, draft.usage, checked,
        )

    # -- generate -------------------------------------------------------------------------------

    def _generate(self, question: str, evidence: list[Passage], ranked: list[Pick], on_token: Callable[[str], None] | None) -> Draft:
        """The model's draft. When it says the evidence holds no answer, it is asked again without
        that way out if it was unsure (probability of its "no" below `abstain_confidence`) or a
        sentence of the evidence answers the question strongly (`override_score`)."""
        assert self.model is not None
        grouped = self.settings.evidence == "sentences"
        first = self._complete(build_messages(question, evidence, grouped=grouped), on_token)
        if not is_not_found(first.text):
            return first
        sure = abstain_probability(first.logprobs)  # None: the model gives no probabilities (hosted)
        best = ranked[0].score if ranked else 0.0
        if (1.0 if sure is None else sure) >= self.settings.abstain_confidence and best < self.settings.override_score:
            first.why = "the model found no answer in the evidence" + (f" (confidence {sure:.2f})" if sure is not None else "")
            return first
        if on_token:
            on_token("\n")
        again = self._complete(build_messages(question, evidence, "answer_forced.txt", grouped), on_token)
        again.usage = _summed(first.usage, again.usage)
        again.usage["abstain_p"] = round(sure, 4) if sure is not None else -1.0
        again.reasked = True
        return again

    def _complete(
        self, messages: list[dict[str, str]], on_token: Callable[[str], None] | None, max_tokens: int | None = None, grammar: str | None = None
    ) -> Draft:
        assert self.model is not None
        if grammar is None:
            text = self.model.generate(messages, max_tokens or self.settings.max_answer_tokens, on_token)
        else:
            text = self.model.generate(messages, max_tokens or self.settings.max_answer_tokens, on_token, grammar=grammar)
        usage = dict(getattr(self.model, "last_usage", {}) or {}) | {"generations": 1}  # summed per answer: how many prompts it cost
        return Draft(text.strip(), usage, list(getattr(self.model, "last_logprobs", []) or []))

    # -- decide ---------------------------------------------------------------------------------

    def _decide(
        self, question: str, clock: _Clock, draft: Draft, checked: Verified, ranked: list[Pick], passages: list[Passage], evidence: list[Passage]
    ) -> Answer:
        """The verified draft if something of it survived and it bears on the question; else (with
        `quote_dropped`) the sentences the draft was drawn from, quoted, if they bear on it; else the
        best evidence sentences, if they answer it strongly enough; else abstain."""
        echo = checked.kept and _echoes(question, checked.text)
        answers = checked.kept and not echo
        stands = judged = False
        if answers:
            stands, judged, draft = self._bears_on(question, checked.citations, ranked, clock, draft)
        if stands and self.settings.answer_judge_min > 0:
            doubt, draft = self._doubted(question, checked.citations, clock, draft)
            if doubt:
                return self._abstain(question, clock, doubt, passages, draft, checked)
        if stands:
            text, citations = self._complete_sources(checked.text, checked.citations, ranked)
            text, citations = self._complete_parts(question, text, citations, passages)
            citations = [self.retriever.locate(c) for c in citations]
            note = "; ".join(filter(None, [_dropped_note(checked), _judged_note(checked), "the cited quote scores low against the question; the model judged that it answers it" if judged else ""]))
            return Answer(
                question, text, False, citations, self.model_name, clock.done(), "generated",
                note, draft.text, passages, draft.usage, checked,
            )
        if not checked.kept and self.settings.quote_dropped:
            quoted = self._quote_sources(question, clock, draft, checked, drawn_from(question, draft.text, checked, evidence, ranked), ranked, passages)
            if quoted is not None:
                return quoted
        if not checked.kept:
            why = "nothing the model wrote is stated by the evidence"
        elif echo:
            why = "the model's supported sentences only repeat the question"
        else:
            why = "the model's supported sentences do not answer the question"
        return self._extractive(question, clock, ranked, passages, "fallback-extractive", self.settings.override_score, draft=draft, checked=checked, why=why)

    def _quote_sources(
        self, question: str, clock: _Clock, draft: Draft, checked: Verified, picks: list[Pick], ranked: list[Pick], passages: list[Passage]
    ) -> Answer | None:
        """The sentences a dropped draft was drawn from, quoted, when they bear on the question (the
        ranking's score, else the model's yes); None otherwise. A verbatim sentence is what the
        document says, so it needs no paraphrase check; whether it answers is the question left."""
        if not picks:
            return None
        quotes = [Citation(n, p.passage.source, p.start, p.end, p.text, round(p.score, 3), p.passage) for n, p in enumerate(picks, 1)]
        stands, judged, draft = self._bears_on(question, quotes, ranked, clock, draft)
        if not stands:
            return None
        bar = max(self.settings.answer_judge_min, self.settings.quote_judge_min)
        if bar > 0:
            doubt, draft = self._doubted(question, quotes, clock, draft, bar)
            if doubt:
                return self._abstain(question, clock, doubt, passages, draft, checked)
        # Not completed from other documents (`_complete_sources`): the draft already named the
        # sources it drew on, and a completion added only sentences that are not the answer.
        text = " ".join(f"{c.quote} [{c.n}]" for c in quotes)
        citations = [self.retriever.locate(c) for c in quotes]
        notes = ["nothing the model wrote is stated by its sources as worded: the sentences it drew on are quoted instead", _dropped_note(checked)]
        if judged:
            notes.append("the quoted sentences score low against the question; the model judged that they answer it")
        return Answer(
            question, text, False, citations, self.model_name, clock.done(), "quoted", "; ".join(filter(None, notes)),
            draft.text, passages, draft.usage, checked,
        )

    def _complete_parts(self, question: str, text: str, citations: list[Citation], passages: list[Passage]) -> tuple[str, list[Citation]]:
        """A verified answer to a compound question plus, for each part none of its quotes answers,
        the evidence sentence that answers that part best, quoted (it needs no verification).
        A part counts as answered when a cited quote scores at least 0.9 of that part's best
        sentence (the share `extract` takes a second sentence at)."""
        parts = question_parts(question)
        if not self.settings.complete_parts or len(parts) < 2:
            return text, citations
        said = set(content_terms(text))
        citations = list(citations)
        embedder = self.retriever.embedder
        for part, vector in zip(parts, embedder.embed(parts)):
            if len(citations) >= self.settings.max_citations:
                break
            ranked = rank_sentences(part, vector, passages, embedder)
            if not ranked or ranked[0].score < self.settings.min_relevance:
                continue
            best = ranked[0]
            if max((_span_score(c, ranked) for c in citations), default=0.0) >= 0.9 * best.score:
                continue
            text = _add_quote(text, citations, said, best) or text
        return text, citations

    def _complete_sources(self, text: str, citations: list[Citation], ranked: list[Pick]) -> tuple[str, list[Citation]]:
        """A verified answer plus, from each document it does not cite, the evidence sentence that
        answers the question about as well as what it does cite and says something the answer does
        not: "why" has an official and a reported reason, in two articles, and a small model tends
        to give one. The added sentence is quoted, so it needs no verification."""
        best = max((_span_score(c, ranked) for c in citations), default=0.0)
        floor = max(self.settings.min_relevance, self.settings.complement_share * best)
        cited = {c.source for c in citations}
        said = set(content_terms(text))
        citations, added = list(citations), 0
        for pick in ranked:
            if len(citations) >= self.settings.max_citations or added >= self.settings.max_complements or pick.score < floor:
                break
            if pick.passage.source in cited:
                continue
            grown = _add_quote(text, citations, said, pick)
            if grown is None:
                continue
            text = grown
            cited.add(pick.passage.source)
            added += 1
        return text, citations

    def _bears_on(self, question: str, citations: list[Citation], ranked: list[Pick], clock: _Clock, draft: Draft) -> tuple[bool, bool, Draft]:
        """(stands, judged, draft): do the cited quotes bear on the question — by the ranking's
        score, else (`relevance_judge`) by the model's yes, `judged` saying it was the model's word.
        The judge's calls are the answer's cost, whatever it said."""
        if self._relevant(citations, ranked):
            return True, False, draft
        if self.model is None or not self.settings.relevance_judge:
            return False, False, draft
        clock.tell(_JUDGING)
        judged, spent = self._judged(question, citations)
        clock.lap("judge")
        return judged, judged, replace(draft, usage=_summed(draft.usage, spent))

    def _relevant(self, citations: list[Citation], ranked: list[Pick]) -> bool:
        """Does some cited quote bear on the question itself (the evidence ranking's score)?
        Guards against the small-model move of answering a nearby question from true sentences."""
        return max((_span_score(c, ranked, fit=False) for c in citations), default=0.0) >= self.settings.min_relevance

    def _doubted(self, question: str, citations: list[Citation], clock: _Clock, draft: Draft, bar: float | None = None) -> tuple[str, Draft]:
        """Why the answer should not stand ("" when it should): the model's probability that its
        quotes, read together, answer the question, below `answer_judge_min`. A small model names
        or writes something for nearly every question; asked the one narrow question — do these
        sentences answer it? — its yes and no carry a usable probability. The probability is kept
        in the answer's usage (`answer_p`) whatever it decides."""
        clock.tell(_JUDGING)
        quote = " ".join(c.quote for c in citations[: self.settings.answer_judge_quotes])
        try:
            reply = self._complete(build_judge_messages(question, quote), None, max_tokens=1)
        except EndpointDown:
            return "", draft
        p = yes_probability(getattr(self.model, "last_top", None), reply.text)
        draft = replace(draft, usage=_summed(draft.usage, reply.usage) | {"answer_p": round(p, 4)})
        clock.lap("judge")
        bar = self.settings.answer_judge_min if bar is None else bar
        if p < bar:
            return f"the model doubts that the quoted sentences answer the question (P(yes) {p:.2f} < {bar:g})", draft
        return "", draft

    def _judged(self, question: str, citations: list[Citation]) -> tuple[bool, dict[str, float]]:
        """The model's word on whether a cited quote answers the question, asked only when the
        ranking says none does: a signature line or a legal clause answers its question in few
        words that score low. A "yes" keeps a verified answer; it cannot make one (every sentence
        was checked already), so a quote that says "answer yes" can at most show a true sentence.
        Returns the verdict and the usage of the calls made."""
        spent: dict[str, float] = {}
        for c in citations:
            try:
                reply = self._complete(build_judge_messages(question, c.quote), None, max_tokens=1)
            except EndpointDown:
                return False, spent
            spent = _summed(spent, reply.usage)
            if reply.text.strip().lower().startswith("yes"):
                return True, spent
        return False, spent

    def _extractive(
        self, question: str, clock: _Clock, ranked: list[Pick], passages: list[Passage], mode: str, min_score: float,
        draft: Draft | None = None, checked: Verified | None = None, why: str = "", model: str | None = None, fallback: str = "",
    ) -> Answer:
        picks = extract(ranked, min_score)
        if not picks:
            reason = f"{why}; no evidence sentence answers the question" if why else "no sentence in the passages answers the question"
            return self._abstain(question, clock, reason, passages, draft, checked, model=model, fallback=fallback)
        citations, parts = [], []
        for n, pick in enumerate(picks, 1):
            cite = Citation(n, pick.passage.source, pick.start, pick.end, pick.text, round(pick.score, 3), pick.passage)
            citations.append(self.retriever.locate(cite))
            parts.append(f"{pick.text} [{n}]")
        if draft is not None and self.settings.answer_judge_min > 0:  # the model's fallback: judged like its own answers
            doubt, draft = self._doubted(question, citations, clock, draft)
            if doubt:
                return self._abstain(question, clock, f"{why}; {doubt}" if why else doubt, passages, draft, checked)
        reason = f"{why}; showing the evidence sentences that answer it best" if why else ""
        return Answer(
            question, " ".join(parts), False, citations, model or self.model_name, clock.done(), mode, reason,
            draft.text if draft else "", passages, draft.usage if draft else {}, checked, fallback,
        )

    def _abstain(
        self, question: str, clock: _Clock, reason: str, passages: list[Passage], draft: Draft | None = None,
        checked: Verified | None = None, model: str | None = None, fallback: str = "",
    ) -> Answer:
        return Answer(
            question, ABSTAIN_TEXT, True, [], model or self.model_name, clock.done(), "abstained", reason,
            draft.text if draft else "", passages, draft.usage if draft else {}, checked, fallback,
        )


@dataclass
class Draft:
    text: str
    usage: dict[str, float]
    logprobs: list[tuple[str, float]]
    why: str = ""
    reasked: bool = False


def abstain_probability(logprobs: list[tuple[str, float]]) -> float | None:
    """How sure the model was of "The documents do not say": the probability of the tokens that
    spell its first two words (after them the phrase is fixed). None when the model gave none."""
    want = " ".join(ABSTAIN_TEXT.split()[:2])
    text, total = "", 0.0
    for token, lp in logprobs:
        text += token
        total += lp
        if len(text.strip()) >= len(want):
            return math.exp(total) if text.strip().lower().startswith(want.lower()) else None
    return None


def yes_probability(top: list[dict[str, float]] | None, reply: str) -> float:
    """P(yes) / (P(yes) + P(no)) at the reply's first token, from the likeliest tokens there; from
    the word itself (1 or 0) when the model reports no probabilities (a hosted one may not)."""
    first = top[0] if top else {}
    yes = sum(math.exp(lp) for tok, lp in first.items() if tok.strip().lower() == "yes")
    no = sum(math.exp(lp) for tok, lp in first.items() if tok.strip().lower() == "no")
    if yes + no > 0:
        return yes / (yes + no)
    return 1.0 if reply.strip().lower().startswith("yes") else 0.0


def drawn_from(question: str, draft: str, checked: Verified, evidence: list[Passage], ranked: list[Pick]) -> list[Pick]:
    """For each dropped draft sentence, the evidence sentence it was drawn from: among the
    sentences of the passages it cites (all passages if it cites none that exist), the one holding
    most of what the sentence adds to the question's words, if it holds at least half of it. What a
    sentence adds is the answer; a sentence that adds nothing (an echo of the question) has no source."""
    asked = set(content_terms(question))
    out: list[Pick] = []
    for claim, cited in split_sentences(draft):
        if claim not in checked.dropped:
            continue
        adds = set(content_terms(claim)) - asked
        if not adds:
            continue
        given = [evidence[n - 1] for n in cited if 1 <= n <= len(evidence)]
        pool = [p for p in ranked if not given or any(_inside(p, g) for g in given)]
        held, _, best = max(((len(adds & set(content_terms(p.text))), p.score, p) for p in pool), key=lambda t: t[:2], default=(0, 0.0, None))
        if best is not None and 2 * held >= len(adds) and best not in out:
            out.append(best)
    return out


def _add_quote(text: str, citations: list[Citation], said: set[str], pick: Pick) -> str | None:
    """`text` with the sentence `pick` quoted after it and cited (`citations` and the answer's
    words `said` grown to match), or None when it would add too little the answer does not say
    (under half of its words new)."""
    terms = content_terms(pick.text)
    new = [t for t in terms if t not in said]
    if len(new) < 0.5 * len(terms):
        return None
    n = len(citations) + 1
    citations.append(Citation(n, pick.passage.source, pick.start, pick.end, pick.text, round(pick.score, 3), pick.passage))
    said.update(new)
    return f"{text} {pick.text} [{n}]"


def _inside(pick: Pick, span: Passage | Citation) -> bool:
    """Does the ranked sentence start inside this passage or cited span (same document)?"""
    return pick.passage.source == span.source and span.start <= pick.start < span.end


def _span_score(c: Citation, ranked: list[Pick], fit: bool = True) -> float:
    """The ranking's best score for a sentence inside a cited span (a quote may hold two). Without
    `fit`, the bonus for holding the kind of answer asked for is left out: a figure is not yet an answer."""
    return max((p.score - (0.0 if fit else p.fit) for p in ranked if _inside(p, c)), default=0.0)


def _choice_probability(logprobs: list[tuple[str, float]], word: str) -> float | None:
    """The probability the model gave the token that starts `word` where it wrote it (None when
    it did not write it or gave no probabilities)."""
    for token, lp in logprobs:
        if token.strip().lower() and word.startswith(token.strip().lower()):
            return math.exp(lp)
    return None


class _AnswerLine:
    """Streams only the reader's answer line: "Sentences: …" is bookkeeping, not for the reader.
    `reset` starts over for a second reply (a re-ask), telling the sink with a "\n" as before."""

    def __init__(self, sink: Callable[[str], None]) -> None:
        self.sink = sink
        self.buffer = ""
        self.open = False
        self.sent = False

    def __call__(self, piece: str) -> None:
        if self.open:
            self.sink(piece)
            self.sent = True
            return
        self.buffer += piece
        m = re.search(r"answer\s*:\s*", self.buffer, re.IGNORECASE)
        if m:
            self.open = True
            rest = self.buffer[m.end() :]
            if rest:
                self.sink(rest)
                self.sent = True

    def reset(self) -> None:
        if self.sent:
            self.sink("\n")
        self.buffer, self.open, self.sent = "", False, False


_WH = re.compile(r"^\W*(which|what|who|whom|whose|when|where|why|how)\b", re.IGNORECASE)
_POLAR = re.compile(r"\b(yes|no|not|never|n't|none)\b", re.IGNORECASE)


def _echoes(question: str, answer: str) -> bool:
    """An answer to a wh-question that adds no word of its own to the question ("Which spokesman
    said X?" → "The spokesman said X."): a small model's way of answering without the answer. A
    yes/no or negated answer says something even in the question's words."""
    return bool(_WH.match(question)) and not _POLAR.search(answer) and not adds_to(question, re.sub(r"\[\d+\]", " ", answer))


def _summed(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    """Two model calls' usage as one answer's (tokens and milliseconds add up)."""
    return {k: a.get(k, 0) + b.get(k, 0) for k in a.keys() | b.keys()}


def _dropped_note(checked: Verified) -> str:
    if not checked.dropped:
        return ""
    return f"{len(checked.dropped)} unsupported sentence(s) dropped: " + "; ".join(checked.reasons)


def _judged_note(checked: Verified) -> str:
    if not checked.judged:
        return ""
    return f"{checked.judged} sentence(s) kept on the model's judgement that the quote states them (a word of theirs is not the quote's)"


_JUDGING = "asking the model whether the quotes answer the question"  # the stage of both judges


def _count(evidence: list[Passage], grouped: bool) -> str:
    n = len(evidence)
    what = "sentence" if grouped else "passage"
    return f"{n} {what}{'' if n == 1 else 's'}"


class _Clock:
    """Milliseconds per stage, in the order the stages ran; `tell` passes on what starts next."""

    def __init__(self, on_stage: Callable[[str], None] | None = None) -> None:
        self.t0 = self.last = time.perf_counter()
        self.ms: dict[str, float] = {}
        self.on_stage = on_stage

    def tell(self, what: str) -> None:
        if self.on_stage:
            self.on_stage(what)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.ms[stage] = round((now - self.last) * 1000, 1)
        self.last = now

    def done(self) -> dict[str, float]:
        """Every stage that ran, plus "retrieve" and "generate" always (0 when skipped) and "total"."""
        out = {"retrieve": 0.0} | self.ms
        out.setdefault("generate", 0.0)
        out["total"] = round((time.perf_counter() - self.t0) * 1000, 1)
        return out
