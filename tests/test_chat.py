"""`qa chat` in a real pseudo-terminal, and scripted through a pipe."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pexpect
import pytest

from conftest import ROOT, run_qa

PROMPT = "qa>"  # prompt_toolkit draws the trailing space as a cursor move


def test_ask_on_a_terminal_says_what_it_is_doing_before_the_answer(seeded: Path) -> None:
    """On a terminal, something shows at once: a spinner while models load, then the stage
    reached, all of it replaced by the answer."""
    env = {**os.environ, "COLUMNS": "200", "LINES": "50", "TERM": "xterm"}
    child = pexpect.spawn(sys.executable, ["-m", "qa", "ask", "--model", "none", "--no-server", "Which Russian deputy foreign minister visited Pyongyang?"],
                          cwd=str(ROOT), env=env, encoding="utf-8", timeout=120, dimensions=(50, 200))
    try:
        child.expect_exact("loading the model and the index…")
        child.expect_exact("Sources")
        assert "Morgulov" in child.before
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_piped_chat_reads_lines_and_prints_plain_answers(seeded: Path) -> None:
    script = "Which Russian deputy foreign minister visited Pyongyang?\n/reset\nWho won the 2014 Olympic ice hockey final?\n/exit\n"
    proc = run_qa("chat", "--model", "none", input=script)
    assert proc.returncode == 0, proc.stderr
    assert "Morgulov" in proc.stdout and "Sources:" in proc.stdout
    assert "The documents do not say." in proc.stdout


@pytest.mark.llm
def test_terminal_chat_follow_up_show_cancel_exit(seeded: Path) -> None:
    env = {**os.environ, "COLUMNS": "200", "LINES": "50", "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "qa", "chat"], cwd=str(ROOT), env=env, encoding="utf-8", timeout=240, dimensions=(50, 200))
    try:
        child.expect_exact(PROMPT)
        child.sendline("Who invited Kim Jong-un to Moscow?")
        child.expect(r"reading \d+ (?:sentences?|passages?)…")  # the status line, before the first token
        child.expect_exact("Sources")
        assert "Putin" in child.before
        child.expect_exact(PROMPT)
        child.sendline("What anniversary was the event marking?")
        child.expect_exact("↳")  # the rewritten, standalone question is shown (dimmed)
        child.expect_exact("Sources")
        assert "70" in child.before, child.before
        child.expect_exact(PROMPT)
        child.sendline("/show 1")
        child.expect_exact("passage chars")
        child.expect_exact(PROMPT)
        # Ctrl-C while the model reads its prompt (several seconds on a CPU) or streams tokens.
        child.sendline("Why did Kim skip Moscow?")
        child.expect_exact("Moscow?", timeout=30)  # the echoed question
        time.sleep(2)
        child.sendcontrol("c")
        child.expect_exact("cancelled", timeout=120)
        child.expect_exact(PROMPT)
        child.sendline("/exit")
        child.expect(pexpect.EOF, timeout=60)
    finally:
        child.close()
    assert child.exitstatus == 0


# Follow-up detection, with phrasings that appear nowhere in qa/interfaces/chat.py.
@pytest.mark.parametrize(
    "question",
    ["Why?", "How so?", "And the year after?", "What did the spokesman say next?", "Which newspaper printed the claim first?",
     "How long did the ceremony last?", "Was the parade cancelled as well?", "who else came"],
)
def test_questions_that_lean_on_the_conversation_are_rewritten(question: str) -> None:
    from types import SimpleNamespace

    from qa.interfaces.chat import Conversation, Turn
    from qa.config import load_settings

    class Rewriter:  # stands in for the LLM only: records what it is asked to rewrite
        def __init__(self) -> None:
            self.asked: list[str] = []

        def generate(self, messages: list[dict], max_tokens: int) -> str:
            self.asked.append(messages[-1]["content"])
            return "What did Dmitry Peskov say about Kim Jong-un's decision?"

    model = Rewriter()
    conv = Conversation(SimpleNamespace(model=model, settings=load_settings()))  # type: ignore[arg-type]
    first = "Which Kremlin spokesman commented on Kim's decision not to come?"
    conv.turns.append(Turn(first, first, SimpleNamespace(text="Dmitry Peskov commented on it [1].")))  # type: ignore[arg-type]
    assert conv.standalone(question) == "What did Dmitry Peskov say about Kim Jong-un's decision?"
    assert len(model.asked) == 1 and question in model.asked[0] and "Peskov" in model.asked[0]
    for standalone in ("Who won the 2014 Olympic ice hockey final?", "What did Dmitry Peskov say about the Victory Day parade?",
                       "How much is annual trade between Russia and North Korea worth?"):
        assert conv.standalone(standalone) == standalone  # names its subject: asked as typed
    assert len(model.asked) == 1


def test_piped_chat_rewrites_a_bare_why_with_the_conversation(seeded: Path) -> None:
    first = "Which Kremlin spokesman commented on Kim's decision not to come?"
    proc = run_qa("chat", "--model", "none", input=f"{first}\nWhy?\n")
    assert proc.returncode == 0, proc.stderr
    assert f"(rewritten: Why? (context: {first}))" in proc.stdout, proc.stdout
