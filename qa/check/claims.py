"""Claim-level support: does this quoted sentence state this claim?

The verifier asks this of every answer sentence against the one or two sentences it quotes — never
against the whole passage, where a neighbouring sentence could lend a claim a word it does not have.
A claim is supported only when every one of these holds:

- numbers: each figure of the claim is in the quote with the same value after scale (million ≠
  billion), the same unit ($, %, ordinal) and no opposite qualifier ("less than" ≠ "more than");
- polarity: a negation the claim states is in the quote, and a word the quote negates is not
  asserted by the claim;
- comparison: a directional word of the claim (more/less, before/after, largest/smallest,
  rose/fell) has the same direction in the quote, of the same kind (a comparison does not vouch
  for a change: "more recently" says nothing of a rise), never the opposite — and the word that
  joins two clauses checked one by one (", before …") is not the opposite of their quotes';
- names: every name the claim adds is in the quote, in the same role: from where to where (the
  preposition before it), and who did what to whom (subject, object and recipient of a verb the
  claim and quote share, from a dependency parse: qa/check/roles.py);
- content: every other word the claim adds (beyond the question) is in the quote, inflections
  matched by a Snowball stemmer, synonyms by a shared WordNet sense ("weighing" for
  "considering", qa/check/synonyms.py) and, when a word-similarity function is given, paraphrases
  matched by meaning ("declined" for "refused") — but never by a sibling, another kind of the same
  thing in WordNet ("coal" for "oil"), nor by a quote word the claim also says ("naval military"
  for "military" adds "naval"). The heading a quote stands under counts as the quote's: in an API
  reference, "insert it to the left…" is about the `insort_left(…)` line above it.

Each check returns a reason when it fails, so `qa ask -v` can say why a sentence was dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from qa.check.roles import nominalised, roles_ok
from qa.check.synonyms import entailed, opposite, siblings
from qa.text import STOPWORDS, content_terms, same_name, stem, words

# word-similarity function: (claim words, quote words) -> best cosine per claim word
Similar = Callable[[list[str], list[str]], list[float]]

# A paraphrase must be at least this close in meaning (MiniLM cosine of the single words) to a
# word of the quote: "declined"/"refused" 0.63, "trip"/"visit" 0.66; "airplane"/"train" 0.37.
PARAPHRASE_MIN = 0.6

_SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "mln": 1e6, "billion": 1e9, "bn": 1e9, "bln": 1e9, "b": 1e9, "trillion": 1e12}
# A currency named after the figure ("10.3 billion dlrs", "250 dollars", "1.2 billion U.S. dlrs") is
# the same unit as its sign; cents are hundredths of a dollar ("34 cts" is $0.34).
_CURRENCY_WORD = {"dlr": "$", "dlrs": "$", "dollar": "$", "dollars": "$", "yen": "¥", "pound": "£", "pounds": "£", "euro": "€", "euros": "€",
                  "cents": "$", "cts": "$"}
_HUNDREDTHS = frozenset(("cents", "cts"))  # "34 cents" is $0.34
_WORDNUM = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12}
_LOWER = r"less than|fewer than|under|below|at most|up to|as much as|as many as|as high as|no more than|nearly|almost|just under"
_UPPER = r"more than|over|above|at least|greater than|just over|upwards of|in excess of"
_QUANTITY = re.compile(
    rf"(?:(?P<qual>{_LOWER}|{_UPPER}|about|around|approximately|roughly|some|only|just)\s+)?"
    r"(?P<cur>US\$|\$|€|£|¥)?\s?"
    rf"(?P<num>\d+(?:[,.]\d+)*|\b(?:{'|'.join(sorted(_WORDNUM, key=len, reverse=True))})\b)"
    r"(?P<frac>(?:-|\s)[1-9]\d?/[1-9]\d?\b)?(?P<ord>st|nd|rd|th)?"  # "7-1/2", "7 1/2": 7.5
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|bn|mn|mln|bln|k|m|b)\b)?"
    r"\s?(?P<unit>%|percent\b|per cent\b|pct\b)?"
    rf"(?:\s?(?P<curword>(?:U\.S\.\s?|US\s)?(?:{'|'.join(sorted(_CURRENCY_WORD, key=len, reverse=True))}))\b)?"
    r"(?:\s*or\s+(?P<post>fewer|less|below|under|more|greater|above|over)\b)?",  # "ten or fewer"
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str  # a currency sign ("$", "€", "£", "¥"), "%", "th" (ordinal), or "" (plain)
    direction: str  # "<", ">", "" (exact or approximate)
    raw: str


def quantities(text: str) -> list[Quantity]:
    out = []
    for m in _QUANTITY.finditer(text):
        num = m.group("num").lower()
        if num in _WORDNUM:
            value = float(_WORDNUM[num])
        else:
            digits = num.replace(",", "")
            if digits.count(".") > 1:
                digits = digits.replace(".", "")
            try:
                value = float(digits)
            except ValueError:
                continue
        if num in _WORDNUM and not (m.group("scale") or m.group("cur") or m.group("curword") or m.group("unit")) and value < 2:
            continue  # "one of the", "zero-sum": words, not figures
        if m.group("frac"):
            top, bottom = m.group("frac").strip(" -").split("/")
            value += int(top) / int(bottom)
        scale = (m.group("scale") or "").lower()
        if scale in ("m", "b", "k") and not (m.group("cur") or m.group("curword")):
            scale = ""  # "5 m" is metres more often than millions; only "$5m" is money
        value *= _SCALE.get(scale, 1.0)
        curword = (re.findall(r"[a-z]+", (m.group("curword") or "").lower()) or [""])[-1]  # "U.S. dlrs": "dlrs"
        if curword in _HUNDREDTHS:
            value /= 100
        cur = (m.group("cur") or "").replace("US$", "$") or _CURRENCY_WORD.get(curword, "")
        unit = cur or ("%" if m.group("unit") else "th" if m.group("ord") else "")
        qual = (m.group("qual") or "").lower()
        direction = "<" if re.fullmatch(_LOWER, qual) else ">" if re.fullmatch(_UPPER, qual) else ""
        post = (m.group("post") or "").lower()
        if post:
            direction = "<" if post in ("fewer", "less", "below", "under") else ">"
        out.append(Quantity(value, unit, direction, m.group(0).strip()))
    return out


def _numbers_ok(claim: str, quote: str, question: str) -> str:
    asked = {q.value for q in quantities(question)}
    have = quantities(quote)
    for q in quantities(claim):
        if q.value in asked and not any(h.value == q.value for h in have):
            continue  # the question's own figure, repeated
        same = [h for h in have if abs(h.value - q.value) <= 1e-9 * max(1.0, abs(q.value))]
        if not same:
            return f"the figure {q.raw!r} is not in the quote"
        if q.unit and not any(h.unit == q.unit or (not h.unit and q.unit == "th") for h in same):
            return f"the figure {q.raw!r} has another unit in the quote"
        if q.direction and not any(h.direction == q.direction for h in same):
            return f"{q.raw!r} qualifies the figure differently from the quote"
        if any(h.direction and q.direction and h.direction != q.direction for h in same):
            return f"{q.raw!r} is the opposite bound of the quote's"
    return ""


# Words that negate what follows, and verbs that carry a negation in themselves.
_NEGATORS = frozenset("not n't never no none nobody nothing neither nor without cannot".split())
_NEG_VERBS = ("refus", "declin", "deni", "reject", "fail", "lack", "absent", "unabl", "cancel", "avoid", "skip", "prevent")


def adds_to(question: str, text: str) -> bool:
    """Does `text` say anything `question` does not — a word or figure of its own, or a negation?
    A clause or answer that adds nothing only restates what was asked."""
    asked, said = set(content_terms(question)), set(words(question))
    return any(t not in asked for t in content_terms(text)) or any(w in _NEGATORS and w not in said for w in words(text))


def _toks(text: str) -> list[str]:
    """Lower-case tokens, keeping negators that `words` would merge ("didn't" -> "did", "n't");
    "yet to be confirmed" is "not confirmed"."""
    text = re.sub(r"\b(?:has|have|had|is|are|was|were)\s+yet\s+to\b", " not ", text, flags=re.IGNORECASE)
    return words(text.replace("n’t", " n't").replace("n't", " n't"))


# A negation does not reach past a clause break: "separators=None, default=None" negates nothing.
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]{}=<>|—–]|\s-\s|[.!?](?:\s|$)")


def _scopes(text: str, triggers: frozenset[str] = _NEGATORS | {"n't"}) -> list[list[str]]:
    """Per negator (or other trigger: a hedge), the content words it governs, in order (the next
    few, up to a clause break): "does not return a generator and does not pull the data" has two
    scopes."""
    out: list[list[str]] = []
    for clause in _CLAUSE_BREAK.split(text):
        tokens = _toks(clause)
        for i, t in enumerate(tokens):
            if t in triggers:
                scope: list[str] = []
                for w in tokens[i + 1 : i + 5]:
                    if w in ("and", "but", "or", "which", "while"):
                        break
                    if w not in STOPWORDS and w not in _NEGATORS:
                        scope.append(w)
                if scope:
                    out.append(scope)
    return out


def _stem_in(s: str, stems: set[str]) -> bool:
    """`s` or a word of its family: stemmers leave "intend"/"intent", "decide"/"decis" apart."""
    return s in stems or (len(s) >= 5 and any(t[:5] == s[:5] for t in stems if len(t) >= 5))


def _negated(text: str) -> set[str]:
    """Stems of the content words that some negator governs."""
    return {stem(w) for scope in _scopes(text) for w in scope}


def _polarity_ok(claim: str, quote: str, question: str) -> str:
    """A negation must govern the same words in claim and quote: "does not pull the data" is not
    "does not return a generator" just because the quote says "not" somewhere."""
    ct, qt = _toks(claim), _toks(quote)
    scopes = _scopes(claim)
    claim_neg = {stem(w) for scope in scopes for w in scope}
    quote_neg = _negated(quote)
    quote_stems = {stem(t) for t in qt}
    lexical = any(stem(t).startswith(_NEG_VERBS) for t in qt)
    asked_neg = _negated(question)
    # Every negation of the claim must be the quote's: the word it negates first (the verb or
    # adjective it denies) negated there too, said with a negative verb ("refused"), or asked.
    for scope in scopes:
        head = stem(scope[0])
        if _stem_in(head, quote_neg) or (lexical and _stem_in(head, quote_stems)) or _stem_in(head, asked_neg):
            continue
        return "the claim negates what the quote does not"
    claim_stems = {stem(t) for t in ct if t not in STOPWORDS}
    flipped = (quote_neg & claim_stems) - claim_neg
    claim_negative = bool(claim_neg) or any(stem(t).startswith(_NEG_VERBS) for t in ct)
    if flipped and not claim_negative:
        return f"the quote negates {sorted(flipped)[0]!r}, the claim asserts it"
    return ""


# Closed-class words that set what a sentence commits to: how many (all, only), how sure (will;
# may, apparently, expects) and why (because). Stopword lists drop them, so the content check never
# sees them, yet each changes what is true. Classes, not words, are compared: "entire" says "all",
# "sole" says "only", "due to" says "because".
_UNIVERSAL = frozenset("all every each entire entirely whole always only sole solely exclusively".split())
_CERTAIN = frozenset("will shall must definitely certainly".split())
_HEDGE_WORDS = frozenset("may might could possibly perhaps probably likely unlikely apparently reportedly allegedly presumably".split())
# verbs that hedge only as "expects to…", "hopes that…" ("the plan" is no hedge)
_HEDGE_VERBS = frozenset(
    "expect expects expected expecting plan plans planned planning propose proposes proposed proposing "
    "intend intends intended hope hopes hoped seek seeks sought consider considers considering".split()
)
_DETERMINERS = frozenset("the a an its this that these their his her our your".split())


def _hedges(tokens: list[str], loose: bool = False) -> set[str]:
    """The hedging words of a token list: modals and adverbs ("May 1" is a date), and the verbs
    above where they take a clause ("expected to", "hopes that"); `loose`: any verb use ("he hopes
    the bank…"), only a noun ("the plan") excluded."""
    out = set()
    for i, t in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        prev = tokens[i - 1] if i else ""
        if t in _HEDGE_WORDS and not (t == "may" and nxt[:1].isdigit()):
            out.add(t)
        elif t in _HEDGE_VERBS and (nxt in ("to", "that") or (loose and prev not in _DETERMINERS)):
            out.add(t)
    return out


_CAUSE = re.compile(
    r"\b(?:because|due to|owing to|caus(?:e|ed|es|ing)|le(?:d|ads?) to|result(?:ed|s|ing)? (?:in|from)|as a result|"
    r"therefore|thus|hence|prompt(?:ed|s|ing)?|so that|in order to|thanks to)\b",
    re.IGNORECASE,
)


def _commitment_ok(claim: str, quote: str, question: str) -> str:
    """The claim commits to no more than its quote: no "all" or "only" the quote lacks, no "will"
    where the quote says "may", no plain statement of what the quote hedges ("is apparently the
    bidder"), and no cause the quote does not give ("because" where it says "after")."""
    ctoks, qtoks, atoks = _toks(claim), _toks(quote), _toks(question)
    ct, qt, asked = set(ctoks), set(qtoks), set(atoks)
    for cls, what in ((_UNIVERSAL, "how many"), (_CERTAIN, "how sure")):
        extra = sorted((ct & cls) - qt - asked)
        if extra and not (qt & cls):
            return f"the claim says {extra[0]!r}, the quote does not ({what})"
    if _CAUSE.search(claim) and not _CAUSE.search(quote) and not _CAUSE.search(question):
        return "the claim gives a cause the quote does not"
    # the claim hedging in any form ("he hopes Caesars…") keeps the quote's hedge
    quote_hedges = _hedges(qtoks)
    if _hedges(ctoks, loose=True) or _hedges(atoks, loose=True):
        return ""
    if ct & _CERTAIN and quote_hedges:
        return f"the quote only says {sorted(quote_hedges)[0]!r}"
    claim_stems = {stem(t) for t in ct}
    for scope in _scopes(quote, frozenset(quote_hedges)):
        if stem(scope[0]) in claim_stems:
            return f"the quote hedges {scope[0]!r}, the claim states it plainly"
    return ""


def contradicts(a: str, b: str, question: str) -> bool:
    """Do two sentences of one answer say the same thing with opposite polarity or direction ("…
    would comment" and "…would not comment")? Such an answer has misread its evidence, and neither
    sentence can be trusted to show the reader what it says."""
    ta, tb = set(content_terms(a)), set(content_terms(b))
    if not ta or len(ta & tb) < 0.5 * len(ta) or {q.value for q in quantities(a)} ^ {q.value for q in quantities(b)}:
        return False  # about other things, or other figures (another year, another amount)
    return bool(_polarity_ok(a, b, question) or _directions_ok(a, b, question, only_opposite=True))


# Directional words: a claim may not turn one into its opposite, nor add one the quote lacks.
# Comparison and change are kinds of their own: "More recently, the collapse in oil prices…" says
# nothing of a rise.
_DIRECTIONS = [
    ({"more", "greater", "higher", "larger", "bigger", "exceed", "most", "largest", "biggest", "highest", "maximum"},
     {"less", "fewer", "lower", "smaller", "least", "smallest", "lowest", "minimum"}),
    ({"increas", "rise", "rose", "grow", "grew", "surg", "jump", "soar", "climb", "boom"},
     {"decreas", "fall", "fell", "drop", "shrink", "shrank", "collaps", "plung", "slump", "crash"}),
    ({"before", "earlier", "prior", "preced"}, {"after", "later", "follow", "subsequ"}),
    ({"first"}, {"last"}),  # an order in a series, not a time relation: "first visited" is no "before"
    # Places as often as comparisons ("a right of consent over the sale"; a figure's bound is the
    # figure check's): only turning one into its opposite fails.
    ({"over", "above"}, {"under", "below"}),
]
_OPPOSITE_ONLY = frozenset({len(_DIRECTIONS) - 1})


def _direction(tok: str) -> tuple[int, int] | None:
    s = stem(tok)
    for i, (up, down) in enumerate(_DIRECTIONS):
        if tok in up or s in up or any(s.startswith(u) for u in up if len(u) > 4):
            return i, 1
        if tok in down or s in down or any(s.startswith(d) for d in down if len(d) > 4):
            return i, -1
    return None


def _than(tokens: list[str]) -> set[str]:
    """Stems of what a comparison is made against: the content words right after "than"."""
    out: set[str] = set()
    for i, t in enumerate(tokens):
        if t == "than":
            out |= {stem(w) for w in tokens[i + 1 : i + 4] if w not in STOPWORDS}
    return out


def _comparison_ok(claim: str, quote: str, question: str) -> str:
    ct, qt = _toks(claim), _toks(quote)
    # a figure's own bound ("at most ten", "ten or fewer") is the figure check's business
    claim, quote, question = (_QUANTITY.sub(lambda m: " " if m.group("qual") or m.group("post") else m.group(0), t) for t in (claim, quote, question))
    if "than" in ct and "than" in qt:
        c_than, q_than = _than(ct), _than(qt)
        swapped = (c_than - q_than) & {stem(t) for t in qt}
        # or what the quote compares against is, in the claim, the thing compared ("X is faster
        # than Y" for "Y is faster than X", where the quote calls X "this")
        moved = q_than & {stem(t) for t in ct[: ct.index("than")]}
        if (swapped or moved) and not (c_than & q_than):
            return f"the comparison is against {sorted(swapped or moved)[0]!r} in the claim, not in the quote"
    return _directions_ok(claim, quote, question)


def _directions_ok(claim: str, quote: str, question: str, only_opposite: bool = False) -> str:
    asked = {d for t in _toks(question) if (d := _direction(t))}
    have = {d for t in _toks(quote) if (d := _direction(t))}
    for t in _toks(claim):
        d = _direction(t)
        if d is None or d in have:
            continue
        if d in asked and (d[0], -d[1]) not in asked:
            continue  # the question's own framing ("before I owe notice"), repeated
        if (d[0], -d[1]) in have:
            return f"{t!r} is the opposite of the quote"
        if d not in asked and not only_opposite and d[0] not in _OPPOSITE_ONLY:
            return f"the quote does not say {t!r} (a comparison it does not make)"
    return ""


def order_ok(claim: str, quotes: str, question: str) -> str:
    """For a sentence whose clauses were checked one by one: the word that joined them ("…, before
    Putin first visited…") is checked against all their quotes together, as no clause carries it.
    Only a word turned into its opposite fails: clauses from two sentences may be joined by a
    relation the writer infers."""
    return _directions_ok(claim, quotes, question, only_opposite=True) or _commitment_ok(claim, quotes, question)


# Prepositions before a name, grouped by the role they give it: a claim may not move a name from
# one group to another ("from Moscow to Pyongyang" is not "from Pyongyang to Moscow"; "trade with
# China" is not "trade between China and…"). Subjects and objects are read from the parse
# (qa/check/roles.py).
_ROLE_GROUPS = {
    "in": "at", "at": "at", "on": "at", "to": "to", "into": "to", "toward": "to", "towards": "to", "from": "from",
    "by": "by", "than": "than", "against": "against", "for": "for", "with": "with", "between": "between",
}  # not "of": "a writer of Sino-NK" is "writes for Sino-NK"
_ROLES = frozenset(_ROLE_GROUPS)
_NAME = re.compile(r"\b([A-Z][\w’'-]*(?:\s+(?:[A-Z][\w’'-]*|of|de|al))*)")


def _bare(word: str) -> str:
    """A capitalised word without its possessive: "Finland's" → "finland"."""
    w = word.lower().replace("’", "'")
    return w[:-2] if w.endswith("'s") else w.strip("'")


def name_runs(text: str, known: str = "") -> list[list[str]]:
    """Capitalised words, run by run ("Russian Deputy Foreign Minister Igor Morgulov"). A
    capitalised word that opens a sentence is a name only where it is capitalised inside a sentence
    too, of `text` or of `known` ("Kim invited…" yes, "Following its invasion…" no: that is an
    ordinary word, checked as one)."""
    inner = {_bare(m.group(1)) for m in re.finditer(r"(?<![.!?:]\s)(?<!^)(?<=\s)([A-Z][\w’'-]*)", f"{text} {known}")}
    runs = []
    for m in _NAME.finditer(text):
        parts = [p for p in re.split(r"\s+", m.group(1)) if p[:1].isupper()]
        starts = m.start() == 0 or bool(re.search(r"[.!?:\n]\W*$", text[: m.start()]))
        # "Finland's leader…" opens with a name when "Finland" is capitalised elsewhere
        while parts and (parts[0].lower().strip("’'") in STOPWORDS or (starts and _bare(parts[0]) not in inner)):
            parts.pop(0)
            starts = False
        run = []
        for p in parts:
            w = _bare(p)
            if w and w not in STOPWORDS and not w.isdigit():
                run.append(w)
        if run:
            runs.append(run)
    return runs


def names(text: str, known: str = "") -> list[str]:
    """Capitalised words and runs ("North Korea", "Kim Jong-un"), once each (see `name_runs`)."""
    return list(dict.fromkeys(w for run in name_runs(text, known) for w in run))


def _positions(name: str, tokens: list[str]) -> list[int]:
    exact = [i for i, t in enumerate(tokens) if t == name]
    return exact or [i for i, t in enumerate(tokens) if same_name(name, t)]


def _role(tokens: list[str], i: int) -> str:
    """The preposition that governs token i, looking back over its title and first names
    ("from Russian President Vladimir Putin" → "from"), never across punctuation ("a snub to
    Pyongyang, Xi broke…": Xi has no preposition). Tokens keep their case and carry a leading
    "," when punctuation came before them (see `_cased`)."""
    if tokens[i].startswith(","):
        return ""
    for t in reversed(tokens[max(0, i - 4) : i]):
        word = t.lstrip(",")
        if word.lower() in _ROLES:
            return word.lower()
        if t.startswith(",") or (word.lower() not in ("the", "a", "an") and not word[:1].isupper()):
            break
    return ""


def _cased(text: str) -> list[str]:
    """`words(text)` with each token's original case, and a "," prefixed to a token that follows
    punctuation (same tokens, same order; lower-case them to compare)."""
    out, low, last = [], words(text), 0
    for m in re.finditer(r"[\w$%][\w'’.$%-]*[\w%]|[\w$%]", text):
        tok = m.group(0).replace("’", "'").strip(".'-")
        if tok.lower().endswith("'s"):
            tok = tok[:-2]
        if tok:
            out.append(("," if re.search(r"[,;:()\[\]—–]", text[last : m.start()]) else "") + tok)
        last = m.end()
    return out if len(out) == len(low) else low


def _contiguous(run: list[str], tokens: list[str]) -> bool:
    """Do the words of `run` stand together, in order, somewhere in `tokens`?"""
    n = len(run)
    return any(all(same_name(w, t) for w, t in zip(run, tokens[i : i + n])) for i in range(len(tokens) - n + 1))


@lru_cache(maxsize=4)
def _vocabulary(context: str) -> frozenset[str]:
    """The evidence's words: one set per answer, though every (claim, quote) check consults it."""
    return frozenset(words(context))


def _names_ok(claim: str, quote: str, question: str, context: str = "", about: str = "") -> str:
    """`about` is the name of the quote's document ("gpl-3.0"): a legal text says "this License",
    never its own name, so a claim about "the GPL" is about that document's quotes."""
    named = set(re.findall(r"[a-z]+", about.lower()))
    # A name the question supplies may go unsaid in the quote ("…skip the Victory Day parade?" →
    # "Kim skipped it because…"), but only if the evidence speaks of it at all: asked for a GDP, a
    # claim that puts the evidence's trade figure on "GDP" states what no passage says. A run
    # counts as spoken of when any of its words is ("Kim Jong-un" where the evidence says "Mr Kim").
    pools = (set(words(quote)), _vocabulary(context), named)  # looked up in place: no copy of the evidence's words

    def spoken(w: str) -> bool:
        return any(w in p for p in pools) or any(same_name(w, x) for p in pools for x in p)

    runs = name_runs(re.sub(r"['’]s\b", ",", question), quote + " " + context)  # "Korea's GDP": two names
    asked = [a for run in runs if any(spoken(w) for w in run) for a in run]
    cn = names(claim, quote + " " + context)
    qcased, ccased = _cased(quote), _cased(claim)
    qtok = [w.lstrip(",").lower() for w in qcased]
    ctok = [w.lstrip(",").lower() for w in ccased]
    qnames = names(quote, claim)
    present = [n for n in cn if any(same_name(n, q) for q in qnames) or _positions(n, qtok) or n in named]
    for n in cn:
        if n not in present and not any(same_name(n, a) for a in asked):
            return f"the name {n!r} is not in the quote"
    if cn and not present:  # names the question supplies may go unsaid, but not all of them
        return f"the quote is not about {cn[0]!r}"
    # A run of names is one name: its words stand together in the quote too, so a title cannot be
    # moved onto another person ("Deputy Foreign Minister Vladimir Putin" where the quote has
    # "Deputy Foreign Minister Igor Morgulov … Vladimir Putin").
    for run in name_runs(claim, quote + " " + context):
        found = [bool(_positions(w, qtok)) for w in run]
        if all(found):
            if not _contiguous(run, qtok):
                return f"{' '.join(run)!r} is not one name in the quote"
            continue
        for i in range(len(run) - 1):  # a word the quote lacks is the presence check's business
            if found[i] and found[i + 1] and not _contiguous(run[i : i + 2], qtok):
                return f"{run[i]!r} and {run[i + 1]!r} are not one name in the quote"
    # "Putin's invitation" is "an invitation from Putin": a possessive names no role to check
    possessive = {m.group(1).lower() for m in re.finditer(r"\b([\w-]+)['’]s\b", claim)}
    for n in cn:
        cpos, qpos = _positions(n, ctok), _positions(n, qtok)
        if not cpos or not qpos:
            continue
        crole = _ROLE_GROUPS.get(_role(ccased, cpos[0]), "")
        qroles = {_ROLE_GROUPS.get(_role(qcased, i), "") for i in qpos}
        if n in possessive and not crole and qroles <= {"", "from", "by"}:
            continue  # "Putin's invitation": the invitation from, or by, Putin
        if crole and "" not in qroles and crole not in qroles:
            return f"{n!r} has another role in the quote ({_role(ccased, cpos[0])!r})"
        if not crole and "" not in qroles and qroles & {"from", "to", "than", "between"} and not nominalised(claim, quote, n):  # not "by": "X reported" is "reported by X"
            return f"{n!r} has another role in the quote ({sorted(qroles)[0]!r})"
    # who did what to whom among bare names (subject and object) is read from the parse: qa/check/roles.py
    return ""


# Verbs that carry little of a claim's meaning ("brought sanctions" for "faced sanctions"): a writer
# picks them freely, so they are not required to be in the quote.
_LIGHT = frozenset(
    "make made makes making take took taken takes give gave given gives get gets got bring brought brings put go went gone "
    "come came hold held remain remained become became seem seemed appear appeared "
    "report reported reports reporting state stated states note noted notes add added write wrote written tell told explain explained "
    "cite cited speak spoke spoken announce announced mention mentioned".split()
)
_LIGHT_STEMS = frozenset(stem(w) for w in _LIGHT)  # "remains", "citing", "announces" too
# Words a paraphrase may not stand in for, however close in meaning: spans of time, seasons, parts of
# a period, sides ("a week" is not "a month", "summer" not "winter", "early" not "late", "leftmost"
# not "rightmost"). Word embeddings put such pairs close together; only the word itself will do.
_STRICT = frozenset(
    "second minute hour day week weekend fortnight month quarter year decade century millennium "
    "spring summer autumn fall winter morning afternoon evening night early late mid middle "
    "left right leftmost rightmost top bottom upper lower inner outer north south east west "
    "daily weekly monthly yearly annual annually".split()
)
# A claim may add at most this many words that neither the quote nor any other evidence sentence
# contains (a writer's own word for what the quote says), and only when it is this long.
NOVEL_WORDS_ALLOWED = 0
NOVEL_MIN_CLAIM_WORDS = 6


def _content_ok(claim: str, quote: str, question: str, similar: Similar | None, context: str = "", heading: str = "") -> str:
    """Every word the claim adds is in the quote (as a stem, or as a paraphrase by meaning). One
    word of a long claim may be the writer's own, unless the evidence has it elsewhere: a detail
    lent by a neighbouring sentence ("by train") is exactly what this check exists to stop."""
    asked = {stem(w) for w in words(question)}
    have = {stem(w) for w in words(quote)} | {stem(w) for w in words(heading)}
    name_words = set(names(claim, quote))
    # a figure's qualifier ("roughly 13.3 pct") is the figure check's to compare
    qualifiers = {w for m in _QUANTITY.finditer(claim) for w in (m.group("qual") or "").lower().split()}
    new, total = [], 0
    for w in words(claim):
        if w in STOPWORDS or w in _NEGATORS or w in _LIGHT or stem(w) in _LIGHT_STEMS or any(c.isdigit() for c in w) or len(w) < 2:
            continue
        if w in name_words or w in _WORDNUM or w in _SCALE or w in qualifiers:
            continue
        s = stem(w)
        if s in asked or _direction(w):
            continue
        total += 1
        if s not in have:
            new.append(w)
    new = list(dict.fromkeys(new))
    if not new:
        return ""
    quote_words = [w for w in dict.fromkeys(words(quote)) if w not in STOPWORDS]
    for w in new:  # a word WordNet calls the opposite of one of the quote's ("won" for "lost")
        against = opposite(w, quote_words)
        if against:
            return f"the quote says {against!r}, the opposite of {w!r}"
    capitalised = {w.lstrip(",").lower() for w in _cased(claim) if w.lstrip(",")[:1].isupper()}
    strict = [w for w in new if w in _STRICT or w in capitalised]
    if strict:  # a name or a span of time is matched by itself, never by a near word
        return f"the quote does not say {strict[0]!r} (only that word will do)"
    unmatched = new
    # a paraphrase stands in for a quote word the claim does not itself use: in "a naval military
    # academy" for "a military academy", "naval" is added, not "military" said again
    said = {stem(w) for w in words(claim)}
    pool = [w for w in dict.fromkeys(words(quote)) if w not in STOPWORDS and not any(c.isdigit() for c in w) and stem(w) not in said]
    if similar is not None and pool:
        unmatched = [w for w, best in zip(new, similar(new, pool)) if best < PARAPHRASE_MIN]
        # close in meaning only to its siblings ("coal" where the quote says "oil", "miles" for
        # "kilometres"): swapped, not paraphrased
        for w in [w for w in new if w not in unmatched]:
            near = [q for q, score in zip(pool, similar(pool, [w])) if score >= PARAPHRASE_MIN]
            if near and all(siblings(w, q) for q in near):
                return f"the quote says {near[0]!r}, not {w!r} (another kind of the same thing)"
    if unmatched and pool:
        unmatched = [w for w in unmatched if not entailed(w, pool)]
    if not unmatched:
        return ""
    if total >= NOVEL_MIN_CLAIM_WORDS and len(unmatched) <= NOVEL_WORDS_ALLOWED:
        return ""
    # joined by "and"/"or" to a word the quote has ("oil and gas prices" for "oil prices"): an item
    # added to what the quote lists, not the quote's word in other words
    toks = words(claim)
    for i, t in enumerate(toks):
        if t not in unmatched:
            continue
        for step in (-1, 1):  # "gas and oil" or "oil and gas"
            joined, item = i + step, i + 2 * step
            if 0 <= item < len(toks) and toks[joined] in ("and", "or") and stem(toks[item]) in have:
                return f"the quote does not say {t!r} (an item added to a list)"
    # A word another evidence sentence has may be a detail lent from it, or the writer's own word
    # that the next sentence happens to use too ("offer" for "tender offer"): the judge's call,
    # as any unmatched word is (on both verifier dev sets it kept one faithful draft more each and
    # let no false one through).
    elsewhere = {stem(w) for w in words(context)}
    lent = [w for w in unmatched if stem(w) in elsewhere]
    if lent:
        return Unmatched(f"the quote does not say {lent[0]!r} (another sentence does)")
    return Unmatched(f"{UNMATCHED} {unmatched[0]!r}")


UNMATCHED = "the quote does not say"


class Unmatched(str):
    """The one failure no rule decided: a word of the claim that nothing in the quote matches
    (neither the word, nor a synonym WordNet lists, nor a word close in meaning). Every other
    failure is a rule finding something wrong (a figure, a negation, a name, a sibling swapped in,
    a detail lent by another sentence), and is final — whatever its wording."""


def undecided(why: str) -> bool:
    """Is this failure only an unmatched word, which a judge may overrule (`qa.check.verify.Judge`)?"""
    return isinstance(why, Unmatched)


def check(claim: str, quote: str, question: str, similar: Similar | None = None, context: str = "", about: str = "", heading: str = "") -> str:
    """Why `quote` does not state `claim` ("" when it does). `context` is the rest of the evidence
    the writer saw: a word found there but not in the quote was lent, not paraphrased. `about` is
    the quote's document name; `heading` the name the quote's section is under ("insort_left"),
    which the quote speaks of without naming it: its words count as the quote's.

    The checks, each a general property of "the quote states the claim", in order:
    figures (every figure, with its unit, scale and bound, is the quote's); polarity (what either
    negates, the other negates); comparison (a direction of change or comparison is the quote's);
    names (every name is the quote's, in a role it gives it); roles (who did what to whom, by the
    dependency parse); content (every other content word is the quote's, or a near synonym). What
    each earns on the two verifier sets: evals/verifier/ablate.py, docs/evaluation.md."""
    for test in (_numbers_ok, _polarity_ok, _commitment_ok, _comparison_ok):
        why = test(claim, quote, question)
        if why:
            return why
    why = _names_ok(claim, quote, question, context, about)
    if why:
        return why
    why = roles_ok(claim, quote)
    if why:
        return why
    return _content_ok(claim, quote, question, similar, context, heading)


def similarity(embedder) -> Similar:  # noqa: ANN001 - any object with .embed(list[str]) -> unit vectors
    """Word-meaning similarity from the already-loaded sentence embedder, one vector per word,
    cached for the life of the answerer (answers reuse the passages' words)."""
    import numpy as np

    vectors: dict[str, np.ndarray] = {}

    def similar(claim_words: list[str], quote_words: list[str]) -> list[float]:
        todo = [w for w in dict.fromkeys(claim_words + quote_words) if w not in vectors]
        if todo:
            for w, v in zip(todo, embedder.embed(todo)):
                vectors[w] = np.asarray(v, dtype=np.float32)
        pool = np.stack([vectors[w] for w in quote_words])
        return [float((pool @ vectors[w]).max()) for w in claim_words]

    return similar
