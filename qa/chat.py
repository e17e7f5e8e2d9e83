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

from qa.answer import Answerer
from qa.prompt import fence, template
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

_FOLLOW_UP = re.compile(
    r"\b(he|him|his|she|her|hers|it|its|they|them|their|this|that|these|those|there|then|the event|the visit|the trip|the article)\b",
    re.IGNORECASE,
)


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
        if not self.turns or not _FOLLOW_UP.search(question):
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

    def ask(self, question: str, on_token: Callable[[str], None] | None = None, on_rewrite: Callable[[str], None] | None = None) -> Turn:
        standalone = self.standalone(question)
        if on_rewrite and standalone != question:
            on_rewrite(standalone)
        answer = self.answerer.retriever.cite_pages(self.answerer.ask(standalone, on_token=on_token))
        turn = Turn(question, standalone, answer)
        self.turns.append(turn)
        del self.turns[:-MAX_TURNS]
        return turn

    def reset(self) -> None:
        self.turns.clear()


def run_plain(conv: Conversation, lines) -> None:  # noqa: ANN001
    """Scripted use: one question per line on stdin, plain answers on stdout."""
    from qa import render

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
        render.plain(turn.answer, titles=conv.answerer.retriever.titles)
        print()


def run_terminal(conv: Conversation, history_path, switch_model: Callable[[str], None]) -> None:  # noqa: ANN001
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from rich.console import Console
    from rich.live import Live
    from rich.text import Text

    from qa import render

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
        draft = Text(style="dim")
        try:
            with Live(draft, console=console, transient=True, refresh_per_second=12) as live:

                def on_token(piece: str) -> None:
                    draft.append(piece)
                    live.update(draft, refresh=True)

                turn = conv.ask(line, on_token=on_token, on_rewrite=lambda q: console.print(Text(f"↳ {q}", style="dim")))
        except KeyboardInterrupt:
            console.print("[dim]cancelled[/dim]")
            continue
        except QAError as e:
            console.print(f"[red]{e}[/red]")
            continue
        render.rich_answer(turn.answer, console, titles=conv.answerer.retriever.titles)


def _last(conv: Conversation) -> Answer | None:
    return conv.turns[-1].answer if conv.turns else None


def _sources(conv: Conversation, console) -> None:  # noqa: ANN001
    from qa import render

    ans = _last(conv)
    if not ans or not ans.citations:
        console.print("[dim]no sources yet[/dim]")
        return
    for c in ans.citations:
        console.print(f"[cyan][{c.n}][/cyan] {render.where(c, conv.answerer.retriever.titles)} [dim](chars {c.start}-{c.end})[/dim]", highlight=False)


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
    from qa import render

    p = c.passage
    render.highlighted(console, f"[{c.n}] {c.source} (passage chars {p.start}-{p.end})", p.text, p.start, c.start, c.end)
