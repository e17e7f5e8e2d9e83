"""Gold sets, dev and test splits per corpus: facts findable in their sources (on word boundaries, as the
scorer matches them), cite_all consistent, ids unique and questions not shared across the two splits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVALS = ROOT / "evals"
CORPORA = {
    "seeds": (ROOT / "seeds", "seeds-dev.jsonl", "seeds-test.jsonl"),
    "pydoc": (EVALS / "pydoc", "pydoc-dev.jsonl", "pydoc-test.jsonl"),
    "licenses": (EVALS / "licenses", "licenses-dev.jsonl", "licenses-test.jsonl"),
    # news has two corpora instead of two splits: evals/news (frozen, test only) and evals/newsdev
    # (other stories of the same wire, dev only)
    "newsdev": (EVALS / "newsdev", "newsdev-dev.jsonl", None),
}
# Files written with every alternative checked verbatim; older dev sets only need one alternative per group.
STRICT = {"seeds-test.jsonl", "pydoc-test.jsonl", "licenses-dev.jsonl", "licenses-test.jsonl", "newsdev-dev.jsonl"}
KEYS = {"id", "question", "answerable", "facts", "sources", "cite_all", "wrong", "type"}


def found(alt: str, text: str) -> bool:
    return re.search(rf"(?<!\w)(?:{alt})(?!\w)", text, re.IGNORECASE) is not None


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (EVALS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_gold_split(corpus: str) -> None:
    folder, dev, test = CORPORA[corpus]
    texts = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.txt")}
    ids: list[str] = []
    questions: dict[str, set[str]] = {}
    for name in (n for n in (dev, test) if n):
        rows = load(name)
        assert sum(r["answerable"] for r in rows) >= 10 and sum(not r["answerable"] for r in rows) >= 4, name
        questions[name] = {" ".join(r["question"].lower().split()) for r in rows}
        for r in rows:
            assert set(r) <= KEYS and set(r) >= {"id", "question", "answerable", "facts", "sources"}, r["id"]
            ids.append(r["id"])
            if not r["answerable"]:
                assert r["facts"] == [] and r["sources"] == [] and not r.get("cite_all"), r["id"]
                continue
            assert r["facts"] and r["sources"] and set(r["sources"]) <= set(texts), r["id"]
            for group in r["facts"]:
                if name in STRICT:
                    assert all(any(found(alt, texts[s]) for s in r["sources"]) for alt in group), (name, r["id"], group)
                else:  # older dev records predate the word-boundary scorer: one alternative per group, anywhere in a word
                    assert any(re.search(alt, texts[s], re.IGNORECASE) for alt in group for s in r["sources"]), (name, r["id"], group)
            for s in r.get("cite_all", []):
                assert s in r["sources"], (r["id"], s)
                assert any(found(alt, texts[s]) for group in r["facts"] for alt in group), (r["id"], s)
            for w in r.get("wrong", []):
                re.compile(w)
                assert not any(found(w, alt) for group in r["facts"] for alt in group), (r["id"], w)
    assert len(ids) == len(set(ids)), corpus
    assert test is None or not questions[dev] & questions[test], corpus
