"""Small text utilities shared by retrieval, verification and extractive answering.

The only dependency is PyStemmer (Snowball's English stemmer compiled to C, the stemmer bm25s
documents), which imports in milliseconds where NLTK's pure-Python one cost a cold `qa ask` half a
second of `import nltk`.
"""

from __future__ import annotations

import re
import threading
from functools import cache

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before
    being below between both but by can could did didn't do does doesn't doing don't down during each
    few for from further had has have having he her here hers herself him himself his how i if in into
    is isn't it it's its itself just let's me more most much my myself no nor not now of off on once
    only or other our ours ourselves out over own same she should so some such than that that's the
    their theirs them themselves then there there's these they this those through to too under until
    up very was wasn't we were weren't what what's when where which while who who's whom why will with
    would you your yours yourself yourselves according said says say tell told according mr ms mrs
    one ones did does do get got many""".split()
)

_WORD = re.compile(r"[\w$%][\w'’.$%-]*[\w%]|[\w$%]", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens, with surrounding punctuation stripped and numbers kept whole."""
    out = []
    for tok in _WORD.findall(text.lower()):
        tok = tok.replace("’", "'").strip(".'-")
        if tok.endswith("'s"):
            tok = tok[:-2]
        if tok:
            out.append(tok)
    return out


_local = threading.local()


def _snowball():  # noqa: ANN202
    """This thread's stemmer: a PyStemmer object keeps per-call state and is not safe to share
    between threads (the server answers on several)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


@cache
def stem(word: str) -> str:
    """Snowball (Porter 2) stem, so "refused"/"refusal" and "invited"/"invitation" meet; numbers
    are kept whole. For matching only, never for display."""
    if any(c.isdigit() for c in word):
        return word.replace(",", "")
    return _snowball().stemWord(word)


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning (no stopwords), in order."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1 or w.isdigit()]


def numbers(text: str) -> set[str]:
    """Numeric tokens ("100", "2015", "70th") that an answer must not invent."""
    return {w.replace(",", "") for w in words(text) if any(c.isdigit() for c in w)}


_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:[-’'][A-Za-z]+)?)")


def names(text: str) -> set[str]:
    """Capitalised words not at a sentence start: likely names an answer must not invent."""
    out = set()
    for m in _NAME.finditer(text.strip()):
        w = m.group(1).lower()
        if w not in STOPWORDS:
            out.add(w)
    return out


def same_name(a: str, b: str) -> bool:
    """"russia"/"russian", "korea"/"korean": one name, two word forms (lower case)."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 3
