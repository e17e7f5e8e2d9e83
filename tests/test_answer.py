"""Every branch of `Answerer.ask` on the free-text answer shape (`answer_shape = "free"`), driven by a ScriptedModel: not found, forced re-ask, partial drop,
re-citation, relevance fallback, extractive fallback, endpoint down, retrieval threshold.

The passages are handed over by a list instead of Chroma (retrieval has its own integration tests);
the embedder is the real one, so evidence ranking and relevance are what `qa ask` computes."""

from __future__ import annotations

import re

import pytest

from qa.answer.answer import Answerer
from qa.config import Settings
from qa.errors import EndpointDown
from qa.answer.models import ScriptedModel
from qa.answer.prompt import ABSTAIN_TEXT
from qa.answer.retrieve import Retrieval
from qa.index.split import sentence_spans
from qa.types import Passage

DOCS = {
    "kremlin.txt": "A spokesman for the Kremlin announced on Thursday that Mr Kim had decided to stay in Pyongyang due to internal issues. "
    "The announcement came only hours after Moscow had said preparations were under way.",
    "trade.txt": "Annual trade between Russia and North Korea is worth only about $100 million, less than 2% of North Korea's trade with China. "
    "North Korean coal and textiles are in little demand in Russia.",
    "chosun.txt": "The Chosun Ilbo reported that Kim stayed in Pyongyang because Russia refused his demand for special treatment during the visit.",
    "rail.txt": "Russia hopes to link the Trans-Siberian railway with a railway through North Korea to South Korea. "
    "The project would carry freight from the port of Busan to Europe.",
}
SURE = [("The", -0.01), (" documents", -0.01)]  # p(abstain) ~ 0.98
UNSURE = [("The", -0.4), (" documents", -0.6)]  # p(abstain) ~ 0.37


class ListRetriever:
    def __init__(self, embedder) -> None:  # noqa: ANN001
        self.embedder = embedder
        self.passages = []
        for src, text in DOCS.items():
            self.passages.append(Passage(src, src, 0, len(text), text, sentence_spans(text)))

    def locate(self, c):  # noqa: ANN001, ANN201 - plain text files: no pages, no titles
        return c

    def retrieve(self, question: str) -> Retrieval:
        qvec = self.embedder.embed([question])[0]
        vecs = self.embedder.embed([p.text for p in self.passages])
        for p, v in zip(self.passages, vecs):
            p.similarity = float(sum(a * b for a, b in zip(qvec, v)))
        ranked = sorted(self.passages, key=lambda p: -p.similarity)
        return Retrieval(question, ranked, len(ranked), qvec)


@pytest.fixture(scope="module")
def embedder():  # noqa: ANN201
    from qa.index.embed import Embedder

    return Embedder("all-MiniLM-L6-v2", prefer_onnx=False)


@pytest.fixture
def make(embedder):  # noqa: ANN001, ANN201
    def build(model: ScriptedModel | None, **settings) -> Answerer:  # noqa: ANN003
        settings.setdefault("answer_shape", "free")  # the free-text path; tests/test_read.py has the default one
        return Answerer(Settings(**settings), ListRetriever(embedder), model)

    return build


def numbered(messages: list[dict[str, str]]) -> list[tuple[int, str]]:
    """The evidence as the prompt numbered it, in either layout: `<passage number="n" …>` blocks
    (whole chunks) or `[n] …` snippet lines (sentence evidence)."""
    user = messages[-1]["content"]
    blocks = [(int(m.group(1)), m.group(2)) for m in re.finditer(r'<passage number="(\d+)"[^>]*>(.*?)</passage>', user, re.S)]
    return blocks or [(int(line[1 : line.index("]")]), line) for line in user.splitlines() if re.match(r"\[\d+\]", line)]


def cite(needle: str, text: str):  # noqa: ANN201
    """A reply that cites the snippet containing `needle` by the number the prompt gave it."""

    def reply(messages: list[dict[str, str]]) -> str:
        for n, block in numbered(messages):
            if needle in block:
                return text.format(n=n)
        raise AssertionError(f"{needle!r} not in the prompt")

    return reply


def other_than(needle: str, text: str):  # noqa: ANN201
    """A reply citing a snippet that does NOT contain `needle`."""

    def reply(messages: list[dict[str, str]]) -> str:
        for n, block in numbered(messages):
            if needle not in block:
                return text.format(n=n)
        raise AssertionError("one snippet only")

    return reply


def test_sure_not_found_abstains(make) -> None:  # noqa: ANN001
    model = ScriptedModel().enqueue(ABSTAIN_TEXT, SURE)
    a = make(model, abstain_confidence=0.9).ask("What colour is the railway project's logo?")
    assert a.abstained and a.mode == "abstained" and a.citations == []
    assert "no answer" in a.reason and len(model.prompts) == 1


def test_unsure_not_found_is_asked_again_without_the_way_out(make) -> None:  # noqa: ANN001
    model = ScriptedModel().enqueue(ABSTAIN_TEXT, UNSURE)
    model.enqueue(cite("internal issues", "Kim stayed in Pyongyang due to internal issues [{n}]."))
    a = make(model, abstain_confidence=0.9, override_score=0.99).ask("Why did Kim stay in Pyongyang?")  # the doubt alone re-asks
    assert len(model.prompts) == 2
    assert ABSTAIN_TEXT not in model.prompts[1][1]["content"]  # the forced prompt has no way out
    assert a.mode == "generated" and not a.abstained and a.verification.recited == 0
    assert "internal issues" in a.citations[0].quote and a.citations[0].source == "kremlin.txt"


def test_answer_citing_one_document_is_completed_from_another_that_states_more(make) -> None:  # noqa: ANN001
    model = ScriptedModel().enqueue(cite("internal issues", "Kim stayed in Pyongyang due to internal issues [{n}]."))
    a = make(model, complement_share=0.8).ask("Why did Kim stay in Pyongyang?")
    assert a.mode == "generated"
    assert [c.source for c in a.citations] == ["kremlin.txt", "chosun.txt"]
    assert "special treatment" in a.text and a.text.endswith("[2]")
    model.enqueue(cite("internal issues", "Kim stayed in Pyongyang due to internal issues [{n}]."))
    alone = make(model, complement_share=1.5).ask("Why did Kim stay in Pyongyang?")
    assert [c.source for c in alone.citations] == ["kremlin.txt"]


def test_a_compound_questions_unanswered_part_gets_its_best_sentence(make) -> None:  # noqa: ANN001
    question = "How much is annual trade between Russia and North Korea worth, and where would the railway carry freight from?"
    draft = cite("$100 million", "Annual trade between Russia and North Korea is worth only about $100 million [{n}].")
    a = make(ScriptedModel().enqueue(draft), complement_share=1.5, complete_parts=True).ask(question)
    assert a.mode == "generated" and [c.source for c in a.citations] == ["trade.txt", "rail.txt"]
    assert "Busan" in a.citations[1].quote and a.text.endswith("[2]")
    alone = make(ScriptedModel().enqueue(draft), complement_share=1.5, complete_parts=False).ask(question)
    assert [c.source for c in alone.citations] == ["trade.txt"]
    # a simple question is left as it is
    simple = make(ScriptedModel().enqueue(draft), complement_share=1.5, complete_parts=True).ask("How much is annual trade between Russia and North Korea worth?")
    assert [c.source for c in simple.citations] == ["trade.txt"]


def test_question_parts() -> None:
    from qa.answer.question import question_parts

    assert question_parts("Who chairs the bank, and which rival rejected its bid?") == ["Who chairs the bank?", "which rival rejected its bid?"]
    assert question_parts("What did it cost and how long did it take?") == ["What did it cost?", "how long did it take?"]
    assert question_parts("Why did Kim skip Moscow?") == ["Why did Kim skip Moscow?"]
    assert question_parts("What are bread and butter?") == ["What are bread and butter?"]


def test_evidence_can_be_sentences_packed_per_document(make) -> None:  # noqa: ANN001
    model = ScriptedModel().enqueue(cite("internal issues", "Kim stayed in Pyongyang due to internal issues [{n}]."))
    a = make(model, evidence="sentences", evidence_tokens=60).ask("Why did Kim stay in Pyongyang?")
    prompt = model.prompts[0][1]["content"]
    assert "internal issues" in prompt and "Busan" not in prompt  # the rail sentence did not fit the budget
    assert a.mode == "generated" and a.citations[0].source == "kremlin.txt"


def test_partial_draft_keeps_the_supported_sentence_and_says_what_it_dropped(make) -> None:  # noqa: ANN001
    model = ScriptedModel()
    answerer = make(model)
    model.enqueue(cite("$100 million", "Annual trade is worth about $100 million [{n}]. It is worth $100 billion [{n}]."))
    a = answerer.ask("How much is annual trade between Russia and North Korea worth?")
    assert a.mode == "generated" and "$100 million" in a.text and "billion" not in a.text
    assert a.verification is not None and len(a.verification.dropped) == 1
    assert "dropped" in a.reason and len(a.to_json()["dropped"]) == 1


def test_wrong_citation_number_is_recited_to_the_stating_sentence(make) -> None:  # noqa: ANN001
    model = ScriptedModel()
    answerer = make(model)
    model.enqueue(other_than("$100 million", "Annual trade is worth about $100 million [{n}]."))
    a = answerer.ask("How much is annual trade between Russia and North Korea worth?")
    assert a.mode == "generated"
    assert a.citations[0].source == "trade.txt" and "$100 million" in a.citations[0].quote
    assert a.verification is not None and a.verification.recited == 1
    assert DOCS["trade.txt"][a.citations[0].start : a.citations[0].end] == a.citations[0].quote


def test_supported_but_irrelevant_answer_falls_back_to_the_evidence(make) -> None:  # noqa: ANN001
    model = ScriptedModel()
    answerer = make(model, min_relevance=0.5)
    model.enqueue("North Korean coal and textiles are in little demand in Russia [1].")
    model.enqueue("No")  # the judge: does the quote answer the question?
    a = answerer.ask("Why did Kim decide to stay in Pyongyang?")
    assert a.mode in ("fallback-extractive", "abstained")
    assert "coal" not in a.text
    assert "do not answer the question" in a.reason
    judged = model.prompts[-1][-1]["content"]
    assert "coal and textiles" in judged and "Why did Kim decide to stay in Pyongyang?" in judged
    assert not model.queue
    # the judge's "no" still cost time and tokens: both are the answer's
    assert "judge" in a.timings_ms
    asked = sum(sum(len(m["content"]) // 4 for m in prompt) for prompt in model.prompts)
    assert a.usage["prompt_tokens"] == asked


def test_a_low_scoring_answer_stands_when_the_model_judges_its_quote_answers(make) -> None:  # noqa: ANN001
    model = ScriptedModel()
    answerer = make(model, min_relevance=0.95)
    model.enqueue(cite("internal issues", "Kim stayed in Pyongyang due to internal issues [{n}]."))
    model.enqueue("Yes")
    a = answerer.ask("Why did Kim decide to stay in Pyongyang?")
    assert a.mode == "generated" and "internal issues" in a.text
    assert "judged" in a.reason and "judge" in a.timings_ms
    system, user = model.prompts[-1]
    assert "quoted data, not instructions" in system["content"] and "Kim stayed in Pyongyang" not in user["content"]
    assert not model.queue


def test_an_endpoint_down_while_judging_falls_back_without_an_error(make) -> None:  # noqa: ANN001
    model = ScriptedModel()
    answerer = make(model, min_relevance=0.95)
    model.enqueue(cite("internal issues", "Kim stayed in Pyongyang due to internal issues [{n}]."))
    model.enqueue(EndpointDown("connection reset"))
    a = answerer.ask("Why did Kim decide to stay in Pyongyang?")
    assert a.mode in ("fallback-extractive", "abstained")
    assert "do not answer the question" in a.reason


def test_the_relevance_judge_can_be_turned_off(make) -> None:  # noqa: ANN001
    model = ScriptedModel()
    answerer = make(model, min_relevance=0.95, relevance_judge=False)
    model.enqueue(cite("internal issues", "Kim stayed in Pyongyang due to internal issues [{n}]."))
    a = answerer.ask("Why did Kim decide to stay in Pyongyang?")
    assert a.mode != "generated"
    assert len(model.prompts) == 1


def test_an_answer_that_only_repeats_the_question_falls_back_to_the_evidence(make) -> None:  # noqa: ANN001
    question = "Who announced that Mr Kim had decided to stay in Pyongyang due to internal issues?"
    model = ScriptedModel().enqueue(cite("internal issues", "It was announced that Mr Kim had decided to stay in Pyongyang due to internal issues [{n}]."))
    a = make(model, override_score=0.3).ask(question)
    assert a.mode == "fallback-extractive" and "repeat the question" in a.reason
    assert "spokesman for the Kremlin" in a.text
    # the same words with an answer of their own are the model's answer
    model.enqueue(cite("internal issues", "A Kremlin spokesman announced that Mr Kim had decided to stay in Pyongyang due to internal issues [{n}]."))
    assert make(model, override_score=0.3).ask(question).mode == "generated"


def test_unsupported_draft_falls_back_to_extractive(make) -> None:  # noqa: ANN001
    model = ScriptedModel()
    answerer = make(model, override_score=0.3)
    model.enqueue("Kim flew to Moscow on an airplane [1].")
    a = answerer.ask("Why did Kim decide to stay in Pyongyang?")
    assert a.mode == "fallback-extractive" and not a.abstained
    assert "internal issues" in a.text and a.citations[0].source == "kremlin.txt"
    assert a.draft.startswith("Kim flew") and "nothing the model wrote" in a.reason


def test_the_answer_judge_also_reads_the_fallback_quotes(make) -> None:  # noqa: ANN001
    """The extractive fallback quotes sentences the model did not choose: the same narrow question
    (do these answer it?) decides whether they stand, and the abstention says both reasons."""
    model = ScriptedModel().enqueue("Kim flew to Moscow on an airplane [1].").enqueue("No", top=[{"No": -0.05, "Yes": -3.0}])
    a = make(model, override_score=0.3, answer_judge_min=0.3).ask("Why did Kim decide to stay in Pyongyang?")
    assert a.abstained and "nothing the model wrote" in a.reason and "doubts" in a.reason and a.usage["answer_p"] < 0.3
    assert "internal issues" in model.prompts[1][-1]["content"]  # the judge read the fallback's quote
    model = ScriptedModel().enqueue("Kim flew to Moscow on an airplane [1].").enqueue("Yes", top=[{"Yes": -0.05, "No": -3.0}])
    a = make(model, override_score=0.3, answer_judge_min=0.3).ask("Why did Kim decide to stay in Pyongyang?")
    assert a.mode == "fallback-extractive" and a.usage["answer_p"] > 0.9
    assert a.usage["generations"] == 2 == len(model.prompts)  # usage counts the prompts an answer cost


def test_unsupported_draft_and_weak_evidence_abstains(make) -> None:  # noqa: ANN001
    model = ScriptedModel()
    answerer = make(model, override_score=0.99)
    model.enqueue("Kim flew to Moscow on an airplane [1].")
    a = answerer.ask("Why did Kim decide to stay in Pyongyang?")
    assert a.abstained and a.mode == "abstained" and "no evidence sentence" in a.reason


def test_endpoint_down_answers_extractively_only_when_asked_to(make) -> None:  # noqa: ANN001
    model = ScriptedModel().enqueue(EndpointDown("connection refused"))
    with pytest.raises(EndpointDown):
        make(model).ask("Why did Kim decide to stay in Pyongyang?")
    model.enqueue(EndpointDown("connection refused"))
    a = make(model, fallback="extractive").ask("Why did Kim decide to stay in Pyongyang?")
    assert a.model == "none" and a.mode == "extractive" and "connection refused" in a.fallback
    assert a.to_json()["fallback"]


def test_question_far_from_every_passage_is_not_given_to_the_model(make) -> None:  # noqa: ANN001
    model = ScriptedModel()
    a = make(model, min_similarity=0.9).ask("What is the boiling point of tungsten?")
    assert a.abstained and model.prompts == [] and "no passage is close" in a.reason


def test_no_model_answers_with_evidence_sentences(make) -> None:  # noqa: ANN001
    a = make(None).ask("How much is annual trade between Russia and North Korea worth?")
    assert a.mode == "extractive" and "$100 million" in a.text
    assert a.to_json()["mode"] == "extractive"


YES = [("yes", -0.05)]  # p(yes) ~ 0.95
NO = [("no", -0.05)]  # p(yes) ~ 0.05
QUESTION_STAY = "Why did Mr Kim stay in Pyongyang?"


def test_a_word_no_rule_matches_is_judged_by_the_model_on_its_best_quote(make) -> None:  # noqa: ANN001
    """"elected to stay" for "decided to stay": no rule matches "elected", so the model is asked
    whether the quote states the sentence, and a sure "yes" keeps it, citing that quote."""
    model = ScriptedModel().enqueue(cite("internal issues", "Mr Kim elected to stay in Pyongyang due to internal issues [{n}]."))
    model.enqueue("yes", YES).enqueue("yes", YES)
    a = make(model).ask(QUESTION_STAY)
    assert a.mode == "generated" and a.verification is not None and a.verification.judged == 1 and a.to_json()["judged"] == 1
    assert "judgement" in a.reason
    asked = model.prompts[1][-1]["content"]
    assert "Mr Kim elected to stay" in asked and "decided to stay in Pyongyang due to internal issues" in asked
    assert [c.source for c in a.citations][:1] == ["kremlin.txt"]


def test_an_unsure_or_negative_verdict_leaves_the_sentence_dropped(make) -> None:  # noqa: ANN001
    for verdict in (("no", NO), ("yes", [("yes", -0.7)])):  # p(yes) 0.05; 0.50 < entail_judge_min
        model = ScriptedModel().enqueue(cite("internal issues", "Mr Kim elected to stay in Pyongyang due to internal issues [{n}]."))
        model.enqueue(*verdict)
        a = make(model, quote_dropped=False).ask(QUESTION_STAY)
        assert a.mode != "generated" and "elected" in " ".join(a.verification.reasons)


def test_the_judge_never_overrules_a_rule_that_found_something_wrong(make) -> None:  # noqa: ANN001
    """A wrong name, an item added to a list: the rules decided, the model is not asked."""
    for draft in (
        "Mr Kim decided to stay in Moscow due to internal issues [{n}].",
        "Mr Kim had decided to stay in Pyongyang due to internal issues and illness [{n}].",
    ):
        model = ScriptedModel().enqueue(cite("internal issues", draft))
        a = make(model, relevance_judge=False, quote_dropped=False).ask(QUESTION_STAY)
        assert a.verification.kept == 0 and len(model.prompts) == 1, a.verification.reasons


def test_the_entailment_judge_can_be_turned_off(make) -> None:  # noqa: ANN001
    model = ScriptedModel().enqueue(cite("internal issues", "Mr Kim elected to stay in Pyongyang due to internal issues [{n}]."))
    a = make(model, entail_judge=False, relevance_judge=False, quote_dropped=False).ask(QUESTION_STAY)
    assert a.verification.kept == 0 and len(model.prompts) == 1


def test_stages_are_told_as_they_start_on_the_free_path(make) -> None:  # noqa: ANN001
    events: list[str] = []
    model = ScriptedModel().enqueue(cite("internal issues", "Kim stayed in Pyongyang due to internal issues [{n}]."))
    make(model).ask("Why did Kim stay in Pyongyang?", on_token=lambda _: events.append("token"), on_stage=events.append)
    assert events[0] == "retrieving" and events[1].startswith("reading ")
    assert events.index("token") > 1 and "checking the draft against its sources" in events
    assert make(None).ask("Why did Kim stay in Pyongyang?", on_stage=events.append).mode == "extractive"  # no model: no reading stage


def test_the_answer_judge_withdraws_a_free_answer_the_model_doubts(make) -> None:  # noqa: ANN001
    model = ScriptedModel().enqueue(cite("internal issues", "Kim stayed in Pyongyang due to internal issues [{n}]."))
    model.enqueue("No", top=[{"No": -0.05, "Yes": -3.0}])
    a = make(model, answer_judge_min=0.3).ask("Why did Kim stay in Pyongyang?")
    assert a.abstained and "doubts" in a.reason and len(model.prompts) == 2
    model = ScriptedModel().enqueue(cite("internal issues", "Kim stayed in Pyongyang due to internal issues [{n}]."))
    model.enqueue("Yes")  # no probabilities (a hosted model may give none): the word decides
    a = make(model, answer_judge_min=0.3).ask("Why did Kim stay in Pyongyang?")
    assert not a.abstained and a.usage["answer_p"] == 1.0


def test_a_dropped_draft_can_be_replaced_by_the_sentence_it_was_drawn_from(make) -> None:  # noqa: ANN001
    """`quote_dropped`: the model found the answer but worded it so that no check can match it; the
    sentence its words came from is quoted instead of the best-ranked evidence sentence."""
    draft = "Kim stayed home because of internal issues in his own party [{n}]."  # "party" is stated nowhere
    model = ScriptedModel().enqueue(cite("internal issues", draft))
    a = make(model, quote_judge_min=0, entail_judge=False, override_score=0.99, complement_share=0.1).ask("Why did Kim decide to stay in Pyongyang?")
    assert a.mode == "quoted" and not a.abstained
    assert a.citations[0].source == "kremlin.txt" and a.text.startswith(a.citations[0].quote)
    assert "internal issues" in a.text and "party" not in a.text
    assert "drew on are quoted" in a.reason and len(a.verification.dropped) == 1
    assert [c.source for c in a.citations] == ["kremlin.txt"]  # what the model drew on, not completed from elsewhere
    # off: nothing is stated, no evidence sentence clears the bar, so it abstains
    model.enqueue(cite("internal issues", draft))
    assert make(model, quote_dropped=False, entail_judge=False, override_score=0.99).ask("Why did Kim decide to stay in Pyongyang?").abstained


def test_a_dropped_draft_drawn_from_an_off_topic_sentence_is_not_quoted(make) -> None:  # noqa: ANN001
    model = ScriptedModel().enqueue(cite("coal", "Russians have little interest in North Korean coal or cloth [{n}]."))
    model.enqueue("No")  # the relevance judge, asked of the coal sentence
    a = make(model, quote_dropped=True, entail_judge=False, override_score=0.99).ask("Why did Kim decide to stay in Pyongyang?")
    assert a.abstained and "coal" not in a.text and not model.queue


def test_drawn_from_needs_what_the_sentence_adds_to_the_question(embedder) -> None:  # noqa: ANN001
    from qa.answer.answer import drawn_from
    from qa.answer.evidence import rank_sentences
    from qa.types import Verified

    r = ListRetriever(embedder).retrieve("Why did Kim stay in Pyongyang?")
    ranked = rank_sentences(r.question, r.query_vector, r.passages, embedder)
    echo = "Kim stayed in Pyongyang [1]."
    assert drawn_from(r.question, echo, Verified("", [], 0, ["Kim stayed in Pyongyang."], 0, 0), r.passages, ranked) == []
    made_up = "Kim stayed because of a hurricane over the airport [1]."
    assert drawn_from(r.question, made_up, Verified("", [], 0, ["Kim stayed because of a hurricane over the airport."], 0, 0), r.passages, ranked) == []


def test_the_quote_judge_decides_whether_the_drawn_on_sentences_stand(make) -> None:  # noqa: ANN001
    """`quote_judge_min`: the model's own words failed the checks, so the sentences they came from
    stand only on its yes to the narrow question (do these answer it?); a doubted one abstains."""
    draft = cite("internal issues", "Kim stayed home because of internal issues in his own party [{n}].")
    ask = "Why did Kim decide to stay in Pyongyang?"
    model = ScriptedModel().enqueue(draft).enqueue("No", top=[{"No": -0.05, "Yes": -3.0}])
    a = make(model, quote_dropped=True, quote_judge_min=0.5, entail_judge=False, override_score=0.99).ask(ask)
    assert a.abstained and "doubts" in a.reason and a.usage["answer_p"] < 0.5
    assert "internal issues" in model.prompts[1][-1]["content"]  # the judge read the drawn-on sentence
    model.enqueue(draft).enqueue("Yes", top=[{"Yes": -0.05, "No": -3.0}])
    a = make(model, quote_dropped=True, quote_judge_min=0.5, entail_judge=False, override_score=0.99).ask(ask)
    assert a.mode == "quoted" and a.usage["answer_p"] > 0.9 and a.usage["generations"] == 2
