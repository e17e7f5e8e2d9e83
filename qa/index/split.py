"""Stage 2: split documents into chunks that remember exactly where they came from.

llama-index's SentenceSplitter does the splitting (sentence-aware, token-budgeted); we keep its
character offsets and check them, because a citation is only checkable if `text[start:end]` is the
chunk. Sentence boundaries inside each chunk are stored too, so that answering can quote a single
sentence without loading an NLP library at question time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

SPLITTER_VERSION = "sentence-v3"


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...]  # (start, end) relative to the chunk

    def sentences_json(self) -> str:
        return json.dumps(self.sentences)


@lru_cache(maxsize=4)
def _splitter(chunk_size: int, chunk_overlap: int, tokenizer: Callable[[str], list]):  # noqa: ANN202
    from llama_index.core.node_parser import SentenceSplitter

    _nltk_data()
    return SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap, tokenizer=tokenizer)


@lru_cache(maxsize=1)
def _nltk_data() -> None:
    """llama-index's splitter and ours read NLTK data (stopwords, the English Punkt model) that
    llama-index ships; NLTK_DATA, when set, is the only place it looks, and what is missing there it
    tries to download (impossible offline: a screen of download errors, then a traceback)."""
    where = os.environ.get("NLTK_DATA")
    if not where:
        return
    from nltk.data import find

    from qa.errors import QAError

    for resource in ("corpora/stopwords", "tokenizers/punkt_tab/english"):
        try:
            find(resource, paths=[where])
        except LookupError:
            raise QAError(f"NLTK_DATA={where} lacks NLTK's {resource}: unset NLTK_DATA to use the copy llama-index ships") from None


# Abbreviations the English model lacks, after which a capitalised word does not start a sentence.
_ABBREVIATIONS = ("e.g", "i.e", "cf", "vs", "approx", "fig")


@lru_cache(maxsize=1)
def _sentence_tokenizer() -> Callable[[str], list[str]]:
    """NLTK's Punkt model for English, from the NLTK data llama-index ships. llama-index's own
    sentence splitter uses an untrained Punkt that knows no abbreviation, so a quote ended at "a
    member of the U.N." with "Security Council." left as the next sentence."""
    from llama_index.core.node_parser.text.utils import split_by_sentence_tokenizer_internal
    from llama_index.core.utils import globals_helper
    from nltk.tokenize.punkt import PunktTokenizer

    _nltk_data()
    globals_helper.wait_for_nltk_check()  # puts the bundled data on NLTK's path (nothing is downloaded)
    tokenizer = PunktTokenizer("english")
    tokenizer._params.abbrev_types.update(_ABBREVIATIONS)  # noqa: SLF001 - NLTK's documented way is a new PunktParameters
    return lambda text: split_by_sentence_tokenizer_internal(text, tokenizer)


def sentence_spans(text: str, min_chars: int = 25) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets in `text`, trimmed of whitespace.

    Fragments shorter than `min_chars` (e.g. "Mr." split off by punkt) are merged into the next
    sentence so that a quote is never a stray abbreviation.
    """
    pieces = _sentence_tokenizer()(text)
    spans: list[tuple[int, int]] = []
    pos = 0
    for piece in pieces:
        stripped = piece.strip()
        if not stripped:
            continue
        i = text.find(stripped, pos)
        if i < 0:  # tokenizer normalised something; fall back to the running position
            continue
        spans.append((i, i + len(stripped)))
        pos = i + len(stripped)
    # Also break at line ends that close a unit: blank lines, headings and list items (short lines),
    # and lines ending in sentence punctuation. Hard-wrapped prose (a line ending mid-sentence) is
    # not broken, so a quote is a whole sentence, not a line of it.
    lines: list[tuple[int, int]] = []
    for s, e in spans:
        cur = s
        for j in range(s, e):
            if text[j] == "\n" and _line_closes(text, cur, j):
                if text[cur:j].strip():
                    lines.append(_trim(text, cur, j))
                cur = j + 1
        if text[cur:e].strip():
            lines.append(_trim(text, cur, e))
    merged: list[tuple[int, int]] = []
    for s, e in lines:
        prev = merged[-1] if merged else None
        if prev and prev[1] - prev[0] < min_chars and "\n" not in text[prev[1] : s]:
            merged[-1] = (prev[0], e)
        else:
            merged.append((s, e))
    return merged


def _line_closes(text: str, start: int, newline: int) -> bool:
    line_start = text.rfind("\n", 0, newline) + 1
    line = text[max(start, line_start) : newline].rstrip()
    full_line = text[line_start:newline].strip()
    following = text[newline + 1 : newline + 2]
    return (
        not line
        or following in ("\n", "")
        or len(full_line) < 50
        or line[-1] in ".!?:;\"”’)]"
    )


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def split(text: str, chunk_size: int, chunk_overlap: int, tokenizer: Callable[[str], list]) -> list[Chunk]:
    """Chunks of `text` with verified offsets: `text[c.start:c.end] == c.text` for every chunk."""
    from llama_index.core import Document as LIDocument

    nodes = _splitter(chunk_size, chunk_overlap, tokenizer).get_nodes_from_documents([LIDocument(text=text)])
    chunks: list[Chunk] = []
    search_from = 0
    for node in nodes:
        body = node.get_content()
        start = node.start_char_idx
        if start is None or text[start : start + len(body)] != body:
            start = text.find(body, search_from)
        if start < 0 or not body.strip():
            continue  # cannot point at it exactly, so it cannot be cited: leave it out
        end = start + len(body)
        search_from = start + 1
        chunks.append(Chunk(len(chunks), start, end, body, tuple(sentence_spans(body))))
    return chunks
