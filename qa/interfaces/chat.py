"""`qa chat`: a terminal conversation over the same Answerer that `qa ask` uses.

Each turn is rewritten into a standalone question before retrieval (so "What anniversary was it
marking?" still finds the Moscow passages); the conversation kept for rewriting is bounded to the
last few turns, so long chats never outgrow the model's context.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from qa.answer.answer import Answerer
from qa.answer.prompt import fence, template
from qa.types import Answer
from qa.errors import EndpointDown, QAError

MAX_TURNS = 3  # turns of history given to the rewriter
HELP = """Commands:
  /sources      list the last answer's sources
  /show N       show passage N in full, with the quoted part highlighted
  /reset        forget the conversation
  /model NAME   switch model (qwen2.5-1.5b, qwen2.5-0.5b, PATH.gguf, openai:NAME, none)
  /help         this help
  /exit         leave (Ctrl-D works too); Ctrl-C stops an answer being generated"""

# Words that point back into a conversation: English pronouns, possessives, demonstratives and
# anaphoric adverbs (closed word classes, not topics).
_POINTERS = re.compile(
    r"\b(he|him|his|she|her|hers|it|its|they|them|their|theirs|this|that|these|those|there|then|such|same"
    r"|former|latter|else|also|too|afterwards|before|after|earlier|later)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def needs_context(question: str) -> bool:
    """Whether a question asked mid-conversation leans on what came before. General signals, not a
    list of phrasings: it is short ("Why?", "And in 2015?"), it points back (a pronoun or
    demonstrative: "What reason did he give?"), or it names nothing: no name (a capitalised word
    after the first), no number, no quotation ("What anniversary was the event marking?").
    Questions over documents that stand alone name their subject; those are asked as typed, so a
    new topic is never bent towards the last one."""
    words = _WORD.findall(question)
    if len(words) <= 4 or _POINTERS.search(question):
        return True
    named = any(w[0].isupper() and w != "I" for w in words[1:]) or any(c.isdigit() for c in question) or any(q in question for q in "\"“«")
    return not named


@dataclass
class Turn:
    question: str
    standalone: str
    answer: Answer


@dataclass
class Conversation:
    answerer: Answerer
    turns: list[Turn] = field(default_factory=list)

    def history(self) -> str:
        lines = []
        for t in self.turns[-MAX_TURNS:]:
            lines.append(f"User: {t.standalone}")
            answer = re.sub(r"\s*\[\d+\]", "", t.answer.text)[:300]
            lines.append(f"Assistant: {answer}")
        return "\n".join(lines)

    def standalone(self, question: str) -> str:
        """The question rewritten to stand alone; unchanged when there is no history or no need."""
        if not self.turns or not needs_context(question):
            return question
        model = self.answerer.model
        last = self.turns[-1].standalone
        if model is None:
            return f"{question} (context: {last})"
        prompt = template("rewrite.txt").format(history=fence(self.history()), question=fence(question))
        messages = [{"role": "user", "content": prompt}]
        try:
            text = model.generate(messages, 60).strip().splitlines()
        except EndpointDown:
            if self.answerer.settings.fallback != "extractive":
                raise
            return f"{question} (context: {last})"
        rewritten = text[0].strip().strip('"') if text else ""
        if not rewritten or len(rewritten) > 4 * len(question) + 200:
            return f"{question} (context: {last})"
        return rewritten

    def ask(self, question: str, on_token: Callable[[str], None] | None = None, on_rewrite: Callable[[str], None] | None = None,
            on_reset: Callable[[], None] | None = None, on_stage: Callable[[str], None] | None = None) -> Turn:
        if on_stage and self.turns and needs_context(question) and self.answerer.model is not None:
            on_stage("rewriting the follow-up to stand alone")
        standalone = self.standalone(question)
        if on_rewrite and standalone != question:
            on_rewrite(standalone)
        if on_token and on_reset:
            from qa.interfaces.service import ask_streaming

            answer = ask_streaming(self.answerer, standalone, on_token, on_reset, on_stage=on_stage)
        else:
            answer = self.answerer.ask(standalone, on_token=on_token, on_stage=on_stage)
        turn = Turn(question, standalone, answer)
        self.turns.append(turn)
        del self.turns[:-MAX_TURNS]
        return turn

    def reset(self) -> None:
        self.turns.clear()


def run_plain(conv: Conversation, lines) -> None:  # noqa: ANN001
    """Scripted use: one question per line on stdin, plain answers on stdout."""
    from qa.interfaces import render

    for line in lines:
        q = line.strip()
        if not q:
            continue
        if q in ("/exit", "/quit"):
            break
        if q == "/reset":
            conv.reset()
            continue
        try:
            turn = conv.ask(q)
        except QAError as e:
            sys.stderr.write(f"qa: error: {e}\n")
            continue
        if turn.standalone != q:
            print(f"(rewritten: {turn.standalone})")
        render.plain(turn.answer)
        print()


def run_terminal(conv: Conversation, history_path, switch_model: Callable[[str], None]) -> None:  # noqa: ANN001
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from rich.console import Console
    from rich.text import Text

    from qa.interfaces import render

    console = Console()
    history_path.parent.mkdir(parents=True, exist_ok=True)
    session: PromptSession = PromptSession(history=FileHistory(str(history_path)))
    console.print(f"[dim]qa chat · model {conv.answerer.model_name} · collection {conv.answerer.settings.collection} · /help for commands[/dim]")
    while True:
        try:
            line = session.prompt("qa> ").strip()
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        if not line:
            continue
        if line.startswith("/"):
            cmd, _, arg = line.partition(" ")
            if cmd in ("/exit", "/quit"):
                break
            if cmd == "/help":
                console.print(HELP, highlight=False)
            elif cmd == "/reset":
                conv.reset()
                console.print("[dim]conversation forgotten[/dim]")
            elif cmd == "/sources":
                _sources(conv, console)
            elif cmd == "/show":
                _show(conv, console, arg)
            elif cmd == "/model":
                try:
                    switch_model(arg.strip())
                    console.print(f"[dim]model: {conv.answerer.model_name}[/dim]")
                except QAError as e:
                    console.print(f"[red]{e}[/red]")
            else:
                console.print(f"[red]unknown command {cmd}[/red] (/help lists them)")
            continue
        try:
            with render.LiveDraft(console) as live:
                turn = conv.ask(line, on_token=live.token, on_rewrite=lambda q: console.print(Text(f"↳ {q}", style="dim")),
                                on_reset=live.reset, on_stage=live.stage)
        except KeyboardInterrupt:
            console.print("[dim]cancelled[/dim]")
            continue
        except QAError as e:
            console.print(f"[red]{e}[/red]")
            continue
        render.rich_answer(turn.answer, console)


def _last(conv: Conversation) -> Answer | None:
    return conv.turns[-1].answer if conv.turns else None


def _sources(conv: Conversation, console) -> None:  # noqa: ANN001
    from qa.interfaces import render

    ans = _last(conv)
    if not ans or not ans.citations:
        console.print("[dim]no sources yet[/dim]")
        return
    for c in ans.citations:
        console.print(f"[cyan][{c.n}][/cyan] {render.where(c)} [dim](chars {c.start}-{c.end})[/dim]", highlight=False)


def _show(conv: Conversation, console, arg: str) -> None:  # noqa: ANN001
    ans = _last(conv)
    try:
        n = int(arg)
        c = next(c for c in ans.citations if c.n == n) if ans else None
    except (ValueError, StopIteration):
        c = None
    if c is None:
        console.print("[red]usage: /show N, where N is a source number of the last answer[/red]")
        return
    from qa.interfaces import render

    p = c.passage
    render.highlighted(console, f"[{c.n}] {c.source} (passage chars {p.start}-{p.end})", p.text, p.start, c.start, c.end)


class RemoteConversation(Conversation):
    """The same conversation through `qa serve`: the turns so far travel with each question and
    the server rewrites the follow-up with its warm model (shown the same way)."""

    def ask(self, question: str, on_token: Callable[[str], None] | None = None, on_rewrite: Callable[[str], None] | None = None,
            on_reset: Callable[[], None] | None = None, on_stage: Callable[[str], None] | None = None) -> Turn:
        history = [{"question": t.standalone, "answer": t.answer.text} for t in self.turns[-MAX_TURNS:]]
        answer = self.answerer.ask(question, on_token=on_token, history=history, on_rewrite=on_rewrite, on_reset=on_reset, on_stage=on_stage)
        turn = Turn(question, answer.wire.get("standalone", question), answer)
        self.turns.append(turn)
        del self.turns[:-MAX_TURNS]
        return turn
