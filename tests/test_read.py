"""Every branch of the default answer shape (`answer_shape = "select"`), driven by a ScriptedModel:
the model names numbered evidence sentences and writes one line; the line is kept where the named
sentences state it, else they are quoted; "none" abstains when sure and is asked again when not;
sentences that do not bear on the question abstain; only the answer line is streamed."""

from __future__ import annotations

import re

from qa.answer.models import ScriptedModel
from qa.answer.prompt import parse_reading, read_grammar

from test_answer import ListRetriever, embedder  # noqa: F401 - the module-scoped real embedder fixture

import pytest

from qa.answer.answer import Answerer
from qa.config import Settings


@pytest.fixture
def make(embedder):  # noqa: ANN001, ANN201, F811
    def build(model: ScriptedModel | None, **settings) -> Answerer:  # noqa: ANN003
        return Answerer(Settings(answer_shape="select", **settings), ListRetriever(embedder), model)

    return build


def items(messages: list[dict[str, str]]) -> dict[int, str]:
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^\[(\d+)\] (.*)$", messages[-1]["content"], re.M)}


def naming(needle: str, line: str):  # noqa: ANN201
    """A reply naming the evidence item that holds `needle`, by the number the prompt gave it."""

    def reply(messages: list[dict[str, str]]) -> str:
        n = next(k for k, text in items(messages).items() if needle in text)
        return f"Sentences: {n}\nAnswer: {line}"

    return reply


def test_grammar_names_only_real_sentences() -> None:
    g = read_grammar(3)
    assert 'num ::= "1" | "2" | "3"' in g and '"none"' in g
    assert '"none"' not in read_grammar(3, allow_none=False)
    assert parse_reading("Sentences: 2, 9, 2\nAnswer: Yes.", 4) == ([2], "Yes.")
    assert parse_reading("Sentences: none", 4) == ([], "")


def test_stated_line_is_the_answer(make) -> None:  # noqa: ANN001
    model = ScriptedModel().enqueue(naming("$100 million", "Annual trade between Russia and North Korea is worth about $100 million."))
    a = make(model).ask("How much is annual trade between Russia and North Korea worth?")
    assert a.mode == "generated" and not a.abstained
    assert "$100 million" in a.text and a.citations and "$100 million" in a.citations[0].quote
    assert model.grammars[0] and "none" in model.grammars[0]


def test_unstated_line_is_replaced_by_the_named_sentence(make) -> None:  # noqa: ANN001
    model = ScriptedModel().enqueue(naming("$100 million", "Annual trade between Russia and North Korea is worth about $900 million."))
    a = make(model).ask("How much is annual trade between Russia and North Korea worth?")
    assert a.mode == "quoted" and not a.abstained
    assert "$900" not in a.text and "$100 million" in a.text
    assert a.verification is not None and a.verification.dropped and a.verification.reasons
    assert "quoted instead" in a.reason
    dropped = a.to_json()["dropped"]
    assert dropped and "$900" in dropped[0]["text"] and dropped[0]["reason"]


def test_sure_none_abstains(make) -> None:  # noqa: ANN001
    model = ScriptedModel().enqueue("Sentences: none", [("Sent", -0.01), ("ences", 0.0), (":", 0.0), (" none", -0.01)])
    a = make(model, abstain_confidence=0.9).ask("What colour is the railway project's logo?")
    assert a.abstained and len(model.prompts) == 1 and "confidence 0.99" in a.reason


def test_unsure_none_is_asked_again_without_the_way_out(make) -> None:  # noqa: ANN001
    model = ScriptedModel().enqueue("Sentences: none", [("Sent", -0.01), (" none", -1.2)])
    model.enqueue(naming("$100 million", "It is worth about $100 million."))
    a = make(model, override_score=0.0).ask("How much is annual trade between Russia and North Korea worth?")
    assert not a.abstained and len(model.prompts) == 2
    assert model.grammars[1] and "none" not in model.grammars[1]
    assert a.usage.get("abstain_p") == pytest.approx(0.3012, abs=1e-3)


def test_sentences_off_the_question_abstain(make) -> None:  # noqa: ANN001
    model = ScriptedModel().enqueue(naming("Busan", "Freight would go from Busan to Europe."))
    model.enqueue("No")  # the relevance judge
    a = make(model).ask("Why did Kim Jong-un stay in Pyongyang instead of going to Moscow?")
    assert a.abstained and "do not bear on the question" in a.reason


def test_only_the_answer_line_is_streamed(make) -> None:  # noqa: ANN001
    pieces: list[str] = []
    model = ScriptedModel().enqueue(naming("$100 million", "About $100 million a year."))
    make(model).ask("How much is annual trade between Russia and North Korea worth?", on_token=pieces.append)
    streamed = "".join(pieces)
    assert "Sentences" not in streamed and "$100 million" in streamed


def test_verbose_shows_each_dropped_sentence_and_why(make) -> None:  # noqa: ANN001
    from qa.interfaces.render import details

    model = ScriptedModel().enqueue(naming("$100 million", "Annual trade between Russia and North Korea is worth about $900 million."))
    a = make(model).ask("How much is annual trade between Russia and North Korea worth?")
    shown = details(a)
    assert "dropped: \u201cAnnual trade between Russia and North Korea is worth about $900 million.\u201d (" in shown


def test_stages_are_told_before_the_first_token(make) -> None:  # noqa: ANN001
    """A terminal shows what the answerer is doing from Enter on: each stage is told as it starts,
    and the reading stage comes before the first streamed token."""
    events: list[str] = []
    model = ScriptedModel().enqueue(naming("$100 million", "Annual trade between Russia and North Korea is worth about $100 million."))
    make(model).ask("How much is annual trade between Russia and North Korea worth?",
                    on_token=lambda piece: events.append("token"), on_stage=lambda what: events.append(what))
    stages = [e for e in events if e != "token"]
    assert stages[0] == "retrieving"
    assert re.fullmatch(r"reading \d+ sentences?", stages[1]), stages
    assert events.index("token") > events.index(stages[1])
    assert stages[-1].startswith("checking")


def test_the_answer_judge_withdraws_an_answer_the_model_doubts(make) -> None:  # noqa: ANN001
    """With `answer_judge_min`, the named sentences go back to the model as one narrow question;
    its probability of "yes" decides, and is kept in the usage either way."""
    question = "How much is annual trade between Russia and North Korea worth?"
    line = "Annual trade between Russia and North Korea is worth about $100 million."
    doubt = [{"no": -0.1, "yes": -2.4}]
    model = ScriptedModel().enqueue(naming("$100 million", line)).enqueue("no", top=doubt)
    a = make(model, answer_judge_min=0.3).ask(question)
    assert a.abstained and "doubts" in a.reason and a.usage["answer_p"] < 0.3
    assert "$100 million" in model.prompts[1][-1]["content"] and question in model.prompts[1][-1]["content"]
    model = ScriptedModel().enqueue(naming("$100 million", line)).enqueue("yes", top=[{"yes": -0.2, "no": -1.8}])
    a = make(model, answer_judge_min=0.3).ask(question)
    assert not a.abstained and a.usage["answer_p"] > 0.7
    model = ScriptedModel().enqueue(naming("$100 million", line))
    assert not make(model).ask(question).abstained and len(model.prompts) == 1  # off by default: no second call
