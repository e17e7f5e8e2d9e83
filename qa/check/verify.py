"""Stage 7: citations are verified, never trusted.

The model's draft is split into sentences. Each sentence is kept only if a quote — one sentence, or
two adjacent sentences, of a passage that was actually in the prompt — states it, claim by claim
(`qa.check.claims.check`: figures with their scale and qualifier, negation, comparison, every name in the
same role, every added word). The quote is looked for first in the passages the sentence cites, then
in two of them together (a sentence that merges two facts), then in any other passage (the sentence
is re-cited); a sentence no quote states is dropped, with the reason. A quote under a heading (a
line above an indented block, as in API references and definition lists, or a Markdown heading)
may be named by it: the heading is what the quote is about. Where the rules' only objection is a
word nothing in the quote matches (a synonym WordNet lacks, a phrase), a `Judge` — the model asked
yes or no (`model_judge`), or the learned judge (`qa.check.judge`) — may keep the sentence on the
quote that shares most with it; a `confirm` judge (setting `learned_judge = "confirm"`) must also
accept every sentence the rules keep, on the quote(s) they chose. Quotes are cut from the stored
passage text by offset, so a quote is by construction the source text at those offsets.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from qa.check.claims import Similar, adds_to, check, contradicts, order_ok, undecided
from qa.text import content_terms, stem
from qa.answer.prompt import ABSTAIN_TEXT
from qa.types import Citation, Passage, Verified

NOT_FOUND = re.compile(
    r"^\W*(not found|" + re.escape(ABSTAIN_TEXT.rstrip(".")) + r"|the (documents|passages) do(es)? not (say|contain|mention|state)|i don.?t know|no answer)",
    re.IGNORECASE,
)
_CITE = re.compile(r"\s*[\[【(]\s*(?:passages?|sources?|p)?\s*(?!0)(\d+(?:\s*(?:[,;&]|and|-|–)\s*\d+)*)\s*[\]】)]", re.IGNORECASE)
# A sentence ends at . ! or ? (optionally followed by a closing quote) and whitespace, but not after
# an initial or a common abbreviation ("George W. Bush", "Mr. Kim", "U.S. officials").
_SENT_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’']))\s+(?=\S)")
_NO_BREAK = re.compile(r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Col|Lt|Prof|No|vs|U\.S|U\.N|e\.g|i\.e))\.$")

# "…, according to passage [2]." / "(see passage 3)": where the writer found it, not a claim.
_META = re.compile(r",?\s*\(?(?:according to|as (?:stated|mentioned|said) in|see|in|from)\s+(?:the\s+)?(?:passages?|sources?)\s*(?=[\[(]?\d)", re.IGNORECASE)

Span = tuple[int, int, int]  # (passage index, absolute start, absolute end)
# (claim, quote) -> does the quote state the claim? Asked only where the rules fail a sentence for
# a word of the claim its best quote lacks (never for a figure, a negation or a name).
Judge = Callable[[str, str], bool]


def split_sentences(draft: str) -> list[tuple[str, list[int]]]:
    """(claim without markers, cited numbers) for each sentence of the draft.

    Small models often put the marker after the full stop ("… Moscow. [2]"); such a leading marker
    belongs to the previous sentence.
    """
    pieces: list[str] = []
    for p in _SENT_END.split(draft.strip()):
        if pieces and _NO_BREAK.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {p}"
        elif p.strip():
            pieces.append(p)
    out: list[tuple[str, list[int]]] = []
    for piece in pieces:
        lead = re.match(r"^(\s*[\[【(]\s*(?:passages?|sources?|p)?\s*\d[\d,;&\s–-]*[\]】)])+", piece, re.IGNORECASE)
        if lead and out:
            out[-1][1].extend(_cited(lead.group(0)))
            piece = piece[lead.end() :]
        cites = _cited(piece)
        claim = _CITE.sub("", _META.sub("", piece)).strip()
        claim = re.sub(r"\s+([.,;:!?])", r"\1", claim)
        if claim.strip(" .,;:"):
            out.append((claim, cites))
        elif out:
            out[-1][1].extend(cites)
    return out


def _cited(text: str) -> list[int]:
    nums: list[int] = []
    for m in _CITE.finditer(text):
        body = m.group(1)
        for a, b in re.findall(r"(\d+)\s*[-–]\s*(\d+)", body):
            if int(b) - int(a) < 10:
                nums.extend(range(int(a), int(b) + 1))
        body = re.sub(r"(\d+)\s*[-–]\s*(\d+)", "", body)
        nums.extend(int(x) for x in re.findall(r"\d+", body))
    return list(dict.fromkeys(nums))


def _spans(p: Passage, i: int) -> list[Span]:
    """Candidate quotes of a passage: its sentences. Never two together: a bag of words from two
    sentences lends a claim details that neither states (a sentence merging two facts is split into
    clauses instead, each of which must have a sentence of its own)."""
    return [(i, s, e) for s, e in (p.sentences or [(p.start, p.end)])]


def _text(passages: list[Passage], span: Span) -> str:
    p = passages[span[0]]
    return p.text[span[1] - p.start : span[2] - p.start]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _is_heading(p: Passage, s: int, e: int) -> bool:
    """A sentence that is a whole line above an indented block ("insort_left(a, x, …)" over its
    description, a defined term over its definition) or a Markdown heading."""
    text, at = p.text, s - p.start
    line_start = text.rfind("\n", 0, at) + 1
    line_end = text.find("\n", at)
    if line_end < 0 or "\n" in text[at : e - p.start] or text[line_start:line_end].strip() != text[at : e - p.start].strip():
        return False
    if text[at] == "#":
        return True
    following = next((ln for ln in text[line_end + 1 :].split("\n") if ln.strip()), "")
    return bool(following) and _indent(following) > _indent(text[line_start:line_end])


def headings(p: Passage) -> list[tuple[int, str]]:
    """(start, name) of each heading in the passage: what the sentences below it are about
    ("insort_left" for "If x is already in a, insert it to the left…"), so a claim may name it.
    The name is the heading up to its parameter list: "insort_left", not "lo" or "hi"."""
    return [(s, p.text[s - p.start : e - p.start].split("(", 1)[0]) for s, e in p.sentences or [] if _is_heading(p, s, e)]


def _heading_above(heads: list[tuple[int, str]], start: int) -> str:
    return next((name for s, name in reversed(heads) if s < start), "")


# Where a sentence that merges two facts divides: "…internal issues, and Russia refused…".
_CLAUSE = re.compile(r"\s*(?:;|,\s+(?:and|but|while|whereas|although|though|which|who|after|before|since|when)\s+|\s+(?:because|whereas|while)\s+)", re.IGNORECASE)
# A clause must say something of its own to be checked on its own.
CLAUSE_MIN_WORDS = 3


def clauses(claim: str) -> list[str]:
    """The parts of a sentence that merges facts ("…, and…", "…; …", "… because …"). A bare "and"
    does not divide: it joins names as often as clauses ("between Russia and North Korea")."""
    parts = [c.strip(" ,.") for c in _CLAUSE.split(claim)]
    if any(len(content_terms(c)) < CLAUSE_MIN_WORDS for c in parts):
        return [claim]
    return parts


def find_quotes(
    claim: str, passages: list[Passage], cited: list[int], question: str, similar: Similar | None, context: str = "", judge: Judge | None = None
) -> tuple[list[Span], str]:
    """The quote(s) that state `claim`: one sentence of a cited passage; else, for a sentence that
    merges facts, one sentence per clause; else two adjacent sentences that each give the claim
    something of its own; then the same in the other passages (re-cited). When none does, the
    reason the first candidate failed."""
    reasons: list[tuple[int, str, Span]] = []  # (words shared with the claim, why that sentence failed, it)
    others = [i for i in range(len(passages)) if i not in cited]
    want = set(content_terms(claim))
    about = [Path(p.source).stem for p in passages]  # each quote's document name

    heads: dict[int, list[tuple[int, str]]] = {}

    def first(text: str, idxs: list[int]) -> Span | None:
        # A text made only of the question's words ("…, but they are equal" asked whether they
        # are equal) is the answer itself: the quote must say those words, not merely be near them.
        asked = question if adds_to(question, text) else ""
        for i in idxs:
            if i not in heads:
                heads[i] = headings(passages[i])
            for sp in _spans(passages[i], i):
                quote = _text(passages, sp)
                why = check(text, quote, asked, similar, context, about[i], _heading_above(heads[i], sp[1]))
                if not why:
                    return sp
                reasons.append((len(want & set(content_terms(quote))), why, sp))
        return None

    for idxs in (cited, others):
        if sp := first(claim, idxs):
            return [sp], ""
        parts = clauses(claim)
        if len(parts) > 1:
            found = [first(c, cited) or first(c, others) for c in parts]
            if all(found):
                why = order_ok(claim, " ".join(_text(passages, sp) for sp in dict.fromkeys(found)), question)
                if why:
                    reasons.append((len(want), why, found[0]))
                else:
                    # A clause that only restates the question ("Kim skipped Moscow because…") is
                    # checked like any other, but cites nothing: any sentence naming Kim "states"
                    # it, and a citation belongs to the quote that gives the answer.
                    told = [sp for c, sp in zip(parts, found) if adds_to(question, c)] or found
                    return list(dict.fromkeys(sp for sp in told if sp)), ""
        for i in idxs:
            spans = _spans(passages[i], i)
            for a, b in zip(spans, spans[1:]):
                if _both_needed(claim, _text(passages, a), _text(passages, b)) and not check(
                    claim, _text(passages, a) + " " + _text(passages, b), question, similar, context, about[i]
                ):
                    return [(i, a[1], b[2])], ""
    if not reasons:
        return [], "no passage states it"
    _, why, best = max(reasons, key=lambda r: r[0])
    # Words the rules could not match (a synonym WordNet does not list, a phrase for a word) are
    # for the model to judge, on the one quote that shares most with the claim: "pulled out" for
    # "backed out". Figures, negations, comparisons and names stay the rules' alone.
    if judge is not None and undecided(why) and judge(claim, _text(passages, best)):
        return [best], JUDGED
    return [], why


JUDGED = "judged"  # find_quotes' reason when the judge, not the rules, found the quote


# A claim that needs two adjacent sentences must take at least this many of its words from each,
# so that one sentence cannot lend the other a single detail ("…went to Moscow. A train line…").
PAIR_MIN_WORDS = 2


def _both_needed(claim: str, a: str, b: str) -> bool:
    """Each sentence gives the claim words of its own — ordinary words, not only names (a name
    borrowed from the next sentence is how an entity gets swapped)."""
    from qa.check.claims import names

    want = set(content_terms(claim)) - {stem(n) for n in names(claim, a + " " + b)}
    ta, tb = set(content_terms(a)), set(content_terms(b))
    return len(want & (ta - tb)) >= PAIR_MIN_WORDS and len(want & (tb - ta)) >= PAIR_MIN_WORDS


SELF_CONTRADICTED = "another sentence of the answer says the opposite"
NOT_CONFIRMED = "the learned judge finds that its quote does not state it"


def verify(
    draft: str, passages: list[Passage], question: str, similar: Similar | None = None, judge: Judge | None = None, confirm: Judge | None = None
) -> Verified:
    """Keep the sentences some quote states, cite exactly those quotes, and say why others went.
    With `confirm`, a sentence the rules keep must also be judged stated by its quote(s)."""
    kept: list[tuple[str, list[Span]]] = []
    dropped: list[str] = []
    reasons: list[str] = []
    recited = phantom = judged = 0
    context = " ".join(p.text for p in passages)
    for claim, cited in split_sentences(draft):
        valid = list(dict.fromkeys(n - 1 for n in cited if 1 <= n <= len(passages)))
        phantom += len(cited) - len([n for n in cited if 1 <= n <= len(passages)])
        spans, why = find_quotes(claim, passages, valid, question, similar, context, judge)
        if spans and confirm is not None and not confirm(claim, " ".join(_text(passages, sp) for sp in spans)):
            spans, why = [], NOT_CONFIRMED
        if spans:
            recited += any(sp[0] not in valid for sp in spans)
            judged += why == JUDGED
            kept.append((claim, spans))
        else:
            dropped.append(claim)
            reasons.append(why)
    said = [c for c, _ in kept] + dropped  # every sentence of the draft, already split above
    if any(contradicts(a, b, question) for a in said for b in said if a is not b):
        # the answer asserts what it also denies: nothing of it stands
        dropped += [k for k, _ in kept]
        reasons += [SELF_CONTRADICTED] * len(kept)
        kept = []

    numbering: dict[Span, int] = {}
    parts: list[str] = []
    for claim, spans in kept:
        for sp in spans:
            numbering.setdefault(sp, len(numbering) + 1)
        body = claim.rstrip()
        marks = "".join(f"[{numbering[sp]}]" for sp in spans)
        if re.search(r"[.!?][\"”’']$", body):  # keep a closing quote where the writer put it
            parts.append(f"{body} {marks}")
            continue
        end = ""
        if body and body[-1] in ".!?":
            body, end = body[:-1], body[-1]
        parts.append(f"{body} {marks}{end or '.'}")
    citations = [
        Citation(n, passages[sp[0]].source, sp[1], sp[2], _text(passages, sp), 1.0, passages[sp[0]]) for sp, n in numbering.items()
    ]
    return Verified(" ".join(parts), citations, len(kept), dropped, recited, phantom, reasons, judged)


def model_judge(model, min_probability: float, usage: dict[str, float] | None = None) -> Judge:  # noqa: ANN001 - any qa.answer.models.Model
    """A `Judge` asking `model` one word: the claim is stated when the probability of "yes" (from
    the reply's token probability; a hosted model without probabilities: its word) reaches
    `min_probability`. Each call's token counts and milliseconds are added to `usage`."""
    from qa.errors import EndpointDown
    from qa.answer.prompt import build_entail_messages

    def judge(claim: str, quote: str) -> bool:
        try:
            reply = model.generate(build_entail_messages(claim, quote), 1).strip().lower()
        except EndpointDown:  # the rules' word stands
            return False
        if usage is not None:
            for k, v in ((getattr(model, "last_usage", {}) or {}) | {"generations": 1}).items():
                usage[k] = usage.get(k, 0) + v
        logprobs = list(getattr(model, "last_logprobs", []) or [])
        sure = math.exp(logprobs[0][1]) if logprobs else 1.0
        p_yes = sure if reply.startswith("yes") else 1.0 - sure if reply.startswith("no") else 0.0
        return p_yes >= min_probability

    return judge


def is_not_found(draft: str) -> bool:
    return bool(NOT_FOUND.match(draft.strip())) or draft.strip().upper().startswith("NOT FOUND")
