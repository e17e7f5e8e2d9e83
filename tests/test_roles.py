"""Who did what to whom, read from spaCy's parse (qa/check/roles.py), with the real packaged parser."""

from __future__ import annotations

from qa.check.claims import check
from qa.check.roles import frames, roles_ok


def test_subject_and_recipient_cannot_change_places() -> None:
    quote = "For the record, the committee sent its final report to the minister on Friday."
    assert roles_ok("The committee sent its final report to the minister.", quote) == ""
    assert roles_ok("The final report was sent to the minister by the committee.", quote) == ""
    assert roles_ok("The minister sent its final report to the committee.", quote)


def test_who_cites_whom_in_a_participle_phrase() -> None:
    quote = "Prices will rise this year, said the economist Maria Lopez, cited by the Daily Courier."
    assert roles_ok("Maria Lopez, cited by the Daily Courier, said prices will rise this year.", quote) == ""
    assert roles_ok("The Daily Courier, cited by economist Maria Lopez, said prices will rise this year.", quote)


def test_another_named_actor_from_the_same_quote_is_not_the_one_who_acted() -> None:
    quote = "According to a report citing an unnamed official in Berlin, Austria has signed the treaty."
    assert roles_ok("Austria has signed the treaty.", quote) == ""
    assert "austria" in roles_ok("Berlin has signed the treaty.", quote)


def test_a_bare_participle_after_have_is_passive() -> None:
    frame = next(f for f in frames("The board had its founder dismissed in 2019.") if f.verb == "dismiss")
    assert frame.obj == {"founder"} and not frame.subj
    assert roles_ok("The board's founder was dismissed in 2019.", "The board had its founder dismissed in 2019.") == ""


def test_one_agreeing_use_of_a_verb_is_enough_and_an_unclear_parse_passes() -> None:
    quote = "Anna said the plan was late, and Ben said it would cost more."
    assert roles_ok("Ben said the plan would cost more.", quote) == ""
    assert roles_ok("It would cost more.", quote) == ""  # no named actor: nothing to compare


def test_the_claim_check_applies_the_roles() -> None:
    quote = "For the record, the committee sent its final report to the minister on Friday."
    assert check("The committee sent its final report to the minister.", quote, "Who sent the report?") == ""
    assert check("The minister sent its final report to the committee.", quote, "Who sent the report?")


def test_a_missing_parser_is_one_clear_error(monkeypatch) -> None:  # noqa: ANN001
    import pytest

    from qa.check import roles
    from qa.errors import QAError

    monkeypatch.setattr(roles, "MODEL", "no_such_pipeline")
    roles._load.cache_clear()
    roles.parse.cache_clear()
    try:
        with pytest.raises(QAError, match="not installed"):
            roles.parse("Kim went to Moscow on Friday.")
    finally:
        roles._load.cache_clear()  # the real pipeline loads again for the next test
        roles.parse.cache_clear()


def test_the_noun_of_the_claims_verb_keeps_its_roles() -> None:
    # a name behind "to"/"from" of the noun made from the claim's verb plays the verb's role
    assert check("The mayor visited Lisbon in 2019.", "The mayor's visit to Lisbon in 2019 was brief.", "") == ""
    assert check("Sarah Klein invited the mayor to the opening.", "The mayor received an invitation from Sarah Klein to the opening.", "") == ""
    # the other preposition is a move, and a subject is not the one invited
    assert check("The mayor visited Lisbon.", "The mayor's visit from Lisbon to Porto was brief.", "")
    assert check("The mayor invited Sarah Klein.", "The mayor received an invitation from Sarah Klein.", "")
