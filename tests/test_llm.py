"""The default local model end to end on the seeds: the core issue's acceptance questions."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.answer.answer import Answerer
from qa.config import load_settings
from qa.answer.retrieve import Retriever

pytestmark = pytest.mark.llm


@pytest.fixture(scope="module")
def answerer(seeded_home: Path, local_llm) -> Answerer:  # noqa: ANN001
    mp = pytest.MonkeyPatch()
    mp.setenv("QA_HOME", str(seeded_home))
    settings = load_settings()
    a = Answerer(settings, Retriever(settings), local_llm)
    yield a
    mp.undo()


def _check_quotes(answer) -> None:  # noqa: ANN001
    for c in answer.citations:
        assert Path(c.source).read_text(encoding="utf-8")[c.start : c.end] == c.quote


def test_why_skip_moscow(answerer: Answerer) -> None:
    a = answerer.ask("Why did Kim skip Moscow?")
    assert not a.abstained
    assert any(k in a.text.lower() for k in ("internal issues", "special treatment", "domestic affairs")), a.text
    cited = {Path(c.source).name for c in a.citations}
    assert cited & {"000_a984c12c8d999f47.txt", "001_b4cd203a8e781f12.txt"}
    _check_quotes(a)


def test_trade_value(answerer: Answerer) -> None:
    a = answerer.ask("How much is annual trade between Russia and North Korea worth?")
    assert not a.abstained and "100 million" in a.text, a.text
    assert any(Path(c.source).name == "001_b4cd203a8e781f12.txt" and "100 million" in c.quote for c in a.citations)
    _check_quotes(a)


@pytest.mark.parametrize("question", ["What is Kim Jong-un's favourite food?", "Who won the 2014 Olympic ice hockey final?"])
def test_unanswerable_abstains(answerer: Answerer, question: str) -> None:
    a = answerer.ask(question)
    assert a.abstained, a.text
    assert a.citations == []
