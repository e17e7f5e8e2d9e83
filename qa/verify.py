"""Stage 7: citations are verified, never trusted.

The model's draft is split into sentences. Each sentence keeps a citation only if the cited passage
(one that was actually in the prompt) supports it: every number and name it states appears in that
passage, and most of what it adds beyond the question does too. A sentence citing the wrong passage
is re-cited to the one that supports it; a sentence nothing supports is dropped. Quotes are cut from
the stored passage text by offset, so a quote is by construction the source text at those offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.types import Citation, Passage, Verified
from qa.text import content_terms, names

NOT_FOUND = re.compile(r"^\W*(not found|the (documents|passages) do(es)? not (say|contain|mention|state)|i don.?t know|no answer)", re.IGNORECASE)
_CITE = re.compile(r"\s*[\[【(]\s*(?:passages?|sources?|p)?\s*(\d+(?:\s*(?:[,;&]|and|-|–)\s*\d+)*)\s*[\]】)]", re.IGNORECASE)
# A sentence ends at . ! or ? (optionally followed by a closing quote) and whitespace, but not after
# an initial or a common abbreviation ("George W. Bush", "Mr. Kim", "U.S. officials").
_SENT_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’']))\s+(?=\S)")
_NO_BREAK = re.compile(r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Col|Lt|Prof|No|vs|U\.S|U\.N|e\.g|i\.e))\.$")
_NUM = re.compile(r"\d+(?:[.,]\d+)*")
MIN_COVERAGE = 0.5


@dataclass
class Support:
    ok: bool
    coverage: float  # share of the sentence's new terms found in the evidence
    missing: list[str]  # numbers or names stated but absent from the evidence


def _numbers(text: str) -> set[str]:
    return {m.replace(",", "") for m in _NUM.findall(text)}


def support(claim: str, evidence: str, question: str) -> Support:
    """Does `evidence` state `claim`? Terms the question already contains prove nothing either way."""
    ev_terms = set(content_terms(evidence))
    q_terms = set(content_terms(question))
    ev_lower = evidence.lower()
    missing = [n for n in _numbers(claim) - _numbers(question) if n not in _numbers(evidence)]
    missing += [w for w in names(claim) - names(question) if w not in ev_lower]
    new = [t for t in dict.fromkeys(content_terms(claim)) if t not in q_terms]
    if not new:
        return Support(False, 0.0, missing)
    coverage = sum(t in ev_terms for t in new) / len(new)
    return Support(not missing and coverage >= MIN_COVERAGE, coverage, missing)


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
        claim = _CITE.sub("", piece).strip()
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


def best_quote(passage: Passage, claims: list[str]) -> tuple[int, int, float]:
    """The sentence of `passage` that best supports `claims`, or two adjacent sentences when the pair
    supports them clearly better than any single one."""
    want = set()
    for c in claims:
        want |= set(content_terms(c))
    sents = passage.sentence_texts()

    def cover(s: int, e: int) -> float:
        return len(want & set(content_terms(passage.text[s - passage.start : e - passage.start]))) / max(1, len(want))

    best = (passage.start, passage.end, 0.0)
    for s, e, _ in sents:
        score = cover(s, e)
        if score > best[2]:
            best = (s, e, score)
    single = best[2]
    for (s, _, _), (_, e, _) in zip(sents, sents[1:]):
        score = cover(s, e)
        if score > max(best[2], single + 0.15):
            best = (s, e, score)
    return best


def verify(draft: str, passages: list[Passage], question: str) -> Verified:
    """Keep supported sentences, fix their citation numbers, and build checked quotes."""
    kept: list[tuple[str, list[int]]] = []  # (claim, 0-based passage indices)
    dropped: list[str] = []
    recited = phantom = 0
    for claim, cited in split_sentences(draft):
        valid = [n - 1 for n in cited if 1 <= n <= len(passages)]
        phantom += len(cited) - len(valid)
        chosen: list[int] = []
        if valid:
            joint = support(claim, " ".join(passages[i].text for i in valid), question)
            if joint.ok:
                chosen = [i for i in valid if support(claim, passages[i].text, question).coverage > 0] or valid
        if not chosen:
            scored = [(support(claim, p.text, question), i) for i, p in enumerate(passages)]
            good = [(s.coverage, -i, i) for s, i in scored if s.ok]
            if good:
                chosen = [max(good)[2]]
                recited += 1
        if chosen:
            kept.append((claim, chosen))
        else:
            dropped.append(claim)

    numbering: dict[int, int] = {}
    parts: list[str] = []
    for claim, idxs in kept:
        for i in idxs:
            numbering.setdefault(i, len(numbering) + 1)
        body = claim.rstrip()
        marks = "".join(f"[{numbering[i]}]" for i in idxs)
        if re.search(r"[.!?][\"”’']$", body):  # keep a closing quote where the writer put it
            parts.append(f"{body} {marks}")
            continue
        end = ""
        if body and body[-1] in ".!?":
            body, end = body[:-1], body[-1]
        parts.append(f"{body} {marks}{end or '.'}")
    citations = []
    for i, n in numbering.items():
        p = passages[i]
        claims = [c for c, idxs in kept if i in idxs]
        s, e, score = best_quote(p, claims)
        quote = p.text[s - p.start : e - p.start]
        citations.append(Citation(n, p.source, s, e, quote, round(score, 3), p))
    return Verified(" ".join(parts), citations, len(kept), dropped, recited, phantom)


def is_not_found(draft: str) -> bool:
    return bool(NOT_FOUND.match(draft.strip())) or draft.strip().upper().startswith("NOT FOUND")
