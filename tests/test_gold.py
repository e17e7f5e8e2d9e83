"""The gold sets themselves: every fact must be findable in the sources it names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.evaluation.evals import matches

ROOT = Path(__file__).resolve().parent.parent
GOLD = {"seeds-dev.jsonl": ROOT / "seeds", "pydoc-dev.jsonl": ROOT / "evals" / "pydoc"}


@pytest.mark.parametrize("name", sorted(GOLD))
def test_gold_facts_appear_in_their_sources(name: str) -> None:
    corpus = GOLD[name]
    rows = [json.loads(line) for line in (ROOT / "evals" / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert set(r) >= {"id", "question", "answerable", "facts", "sources"}
        if not r["answerable"]:
            assert r["facts"] == [] and r["sources"] == []
            continue
        assert r["facts"] and r["sources"], r["id"]
        texts = [(corpus / s).read_text(encoding="utf-8") for s in r["sources"]]
        for group in r["facts"]:
            assert any(matches(t, group) for t in texts), (r["id"], group)


def test_seed_gold_covers_every_article_and_enough_unanswerables() -> None:
    rows = [json.loads(line) for line in (ROOT / "evals" / "seeds-dev.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 40
    assert sum(not r["answerable"] for r in rows) >= 10
    cited = {s for r in rows for s in r["sources"]}
    assert cited == {p.name for p in (ROOT / "seeds").glob("*.txt")}


def test_conversation_facts_appear_in_their_sources() -> None:
    from qa.evaluation.evals import is_conversation_file, load_conversations

    path = ROOT / "evals" / "conversations.jsonl"
    assert is_conversation_file(path) and not is_conversation_file(ROOT / "evals" / "seeds-dev.jsonl")
    convs = load_conversations(path)
    assert len(convs) >= 5 and len({cid for cid, _ in convs}) == len(convs)
    for cid, turns in convs:
        assert len(turns) >= 2, cid
        for t in turns:
            texts = [(ROOT / "seeds" / s).read_text(encoding="utf-8") for s in t.sources]
            for group in t.facts:
                assert any(matches(x, group) for x in texts), (t.id, group)
