"""Chunk offsets: a citation is only checkable if text[start:end] is exactly the chunk."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SEEDS
from qa.index.embed import Embedder
from qa.index.split import sentence_spans, split

TOKENS = Embedder("all-MiniLM-L6-v2").count_tokens


def test_seed_chunks_point_at_their_exact_source_text() -> None:
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        chunks = split(text, 96, 16, TOKENS)
        assert len(chunks) >= 2
        covered = set()
        for c in chunks:
            assert text[c.start : c.end] == c.text
            covered.update(range(c.start, c.end))
            for s, e in c.sentences:
                assert 0 <= s < e <= len(c.text)
                assert c.text[s:e].strip() == c.text[s:e]
        # every non-space character of the document is in some chunk
        assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_repeated_text_gets_distinct_offsets() -> None:
    para = "The same caption appears twice in this article. " * 3
    text = f"{para}\n\nSomething different in between, about Moscow and Pyongyang.\n\n{para}"
    chunks = split(text, 24, 4, TOKENS)
    starts = [c.start for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    for c in chunks:
        assert text[c.start : c.end] == c.text


def test_sentence_spans_merge_abbreviation_fragments() -> None:
    text = "Mr. Kim went to Moscow. He did not stay long, said U.S. officials on Monday."
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans][0].startswith("Mr. Kim")


def test_sentence_spans_do_not_end_at_abbreviations() -> None:
    """A quote never ends inside a name or an example: "the U.N." / "Security Council." was two
    quotes with llama-index's untrained Punkt, as was "the spectacle of Mr." / "Bush sitting…"."""
    text = (
        "Russia remains a veto-wielding member of the U.N. Security Council. Additionally, it borders North Korea. "
        "Like the spectacle of Mr. Bush sitting next to Kim Jong-il, it was odd. "
        "Pass a key function, e.g. str.lower, to compare them. The default is None."
    )
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got == [
        "Russia remains a veto-wielding member of the U.N. Security Council.",
        "Additionally, it borders North Korea.",
        "Like the spectacle of Mr. Bush sitting next to Kim Jong-il, it was odd.",
        "Pass a key function, e.g. str.lower, to compare them.",
        "The default is None.",
    ]


def test_nltk_data_elsewhere_is_one_clear_error(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """NLTK_DATA pointing at a folder without NLTK's data: one QAError, not a download attempt."""
    from qa.index import split as split_module
    from qa.errors import QAError

    monkeypatch.setenv("NLTK_DATA", str(tmp_path))
    split_module._nltk_data.cache_clear()
    try:
        with pytest.raises(QAError, match="NLTK_DATA"):
            split_module._nltk_data()
    finally:
        split_module._nltk_data.cache_clear()  # checked again once monkeypatch restores NLTK_DATA


words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=400)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words)
def test_offsets_always_slice_to_chunk_text(text: str) -> None:
    for c in split(text, 32, 8, TOKENS):
        assert text[c.start : c.end] == c.text
        for s, e in c.sentences:
            assert 0 <= s <= e <= len(c.text)
