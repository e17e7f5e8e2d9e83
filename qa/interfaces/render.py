"""How answers look: rich on a terminal, plain text when piped, one JSON object with --json."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from qa.types import Answer, Citation

# Documents are untrusted: their control characters (a terminal escape can recolour, retitle or
# rewrite the screen) are shown as visible symbols, one for one, so that offsets still count.
_VISIBLE = {c: 0x2400 + c for c in range(0x20) if c not in (0x09, 0x0A)} | {0x7F: 0x2421} | {c: 0xFFFD for c in range(0x80, 0xA0)}


def visible(text: str) -> str:
    """`text` with control characters (ESC, CR, BEL, C1…) replaced by their Unicode pictures."""
    return text.translate(_VISIBLE).replace("\u240d\n", "\r\n")  # a Windows line end is a line end


def where(c: Citation) -> str:
    """The source as a reader finds it: its title beside the file name when it has one, and
    `p. 12` (`pp. 12-13` across pages) for paged formats."""
    out = c.source
    if c.title:
        out += f" \u00b7 {c.title}"
    return visible(out + on_pages(c.page))


def on_pages(page: str | None) -> str:
    """' p. 12', ' pp. 12-13', or '' for a format without pages."""
    return f" {'pp.' if '-' in page else 'p.'} {page}" if page else ""


def plain(answer: Answer, out: TextIO = sys.stdout, verbose: bool = False, err: TextIO | None = None) -> None:
    out.write(visible(answer.text.strip()) + "\n")
    if answer.citations:
        out.write("\nSources:\n")
        for c in answer.citations:
            out.write(f"[{c.n}] {where(c)} (chars {c.start}-{c.end})\n    \u201c{visible(c.quote)}\u201d\n")
    out.flush()
    if verbose:  # on stderr, so that piped answers stay clean
        err = err or sys.stderr
        err.write(details(answer) + "\n")
        err.flush()


def details(answer: Answer) -> str:
    """What happened, for -v: the mode, why, what verification dropped, and where the time went."""
    t = answer.timings_ms
    dropped = len(answer.verification.dropped) if answer.verification else 0
    judged = f"judged {answer.verification.judged} · " if answer.verification and answer.verification.judged else ""
    lines = [f"mode {answer.mode} · model {answer.model} · dropped {dropped} · {judged}" + " · ".join(f"{k} {v:.0f} ms" for k, v in t.items())]
    if answer.reason:
        lines.append(f"reason: {answer.reason}")
    if answer.verification:
        for text, why in zip(answer.verification.dropped, answer.verification.reasons):
            lines.append(f"dropped: \u201c{text}\u201d ({why})")
    return visible("\n".join(lines))


def noted(answer: Answer) -> Answer:
    """A fallback answer is never passed off as the model's: one line on stderr says so."""
    if answer.fallback:
        sys.stderr.write(f"qa: warning: {answer.fallback}\n")
        sys.stderr.flush()
    return answer


def piped(answer: Answer, json_out: bool, verbose: bool, many: bool = False) -> None:
    """`qa ask` when stdout is not a terminal (or with --json): the lean server path prints
    through here too, so its output is the full CLI's byte for byte."""
    if json_out:
        as_json(noted(answer))
        return
    plain(noted(answer), verbose=verbose)
    if many:
        print()


def as_json(answer: Answer, out: TextIO = sys.stdout) -> None:
    out.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
    out.flush()


def rich_answer(answer: Answer, console, verbose: bool = False) -> None:  # noqa: ANN001
    from rich.markup import escape
    from rich.text import Text

    style = "yellow" if answer.abstained else ""
    console.print(Text(visible(answer.text.strip()), style=style))
    if answer.reason and answer.mode in ("fallback-extractive", "quoted") and not verbose:
        console.print(Text(visible(answer.reason), style="dim"))
    if answer.citations:
        console.print()
        console.print("[bold]Sources[/bold]")
        for c in answer.citations:
            console.print(f"[cyan][{c.n}][/cyan] {escape(where(c))} [dim](chars {c.start}-{c.end})[/dim]")
            console.print(Text(f"    \u201c{visible(c.quote)}\u201d", style="italic"))
    if verbose:
        console.print(Text(details(answer), style="dim"))


def highlighted(console, header: str, text: str, offset: int, start: int, end: int) -> None:  # noqa: ANN001
    """`text` (which begins at `offset` of its document) under a header line, with the span
    start..end (document offsets) highlighted: bold yellow on a terminal, between ⟦ ⟧ when piped."""
    from rich.markup import escape
    from rich.text import Text

    a, b = max(0, start - offset), max(0, end - offset)
    header, text = visible(header), visible(text)
    console.print(f"[cyan]{escape(header)}[/cyan]", highlight=False, soft_wrap=True)
    if console.is_terminal:
        body = Text(text)
        body.stylize("bold yellow", a, b)
    else:
        body = Text(text[:a] + "\u27e6" + text[a:b] + "\u27e7" + text[b:] if b > a else text)
    console.print(body, highlight=False, soft_wrap=True)


class LiveDraft:
    """What a terminal shows while an answer is made, in place, until the answer replaces it: a
    spinner with the stage the answerer has reached ("retrieving", "reading 9 sentences") from the
    moment Enter is pressed, then the draft, dim, as the model writes it. A thrown-away draft (the
    model re-asked) clears back to the spinner."""

    def __init__(self, console, first: str = "starting") -> None:  # noqa: ANN001
        from rich.live import Live
        from rich.spinner import Spinner
        from rich.text import Text

        self._text = Text
        self.spinner = Spinner("dots", text=Text(f"{first}…", style="dim"))
        self.draft = Text(style="dim")
        self.live = Live(self.spinner, console=console, transient=True, refresh_per_second=12)

    def __enter__(self) -> LiveDraft:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(*exc)

    def stage(self, what: str) -> None:
        self.spinner.update(text=self._text(f"{visible(what)}…", style="dim"))
        if not self.draft.plain:
            self.live.update(self.spinner, refresh=True)

    def token(self, piece: str) -> None:
        self.draft.append(piece)
        self.live.update(self.draft, refresh=True)

    def reset(self) -> None:
        self.draft.plain = ""
        self.live.update(self.spinner, refresh=True)


def loading(console, what: str = "loading the model and the index"):  # noqa: ANN001, ANN201
    """A spinner while models load (seconds, cold), so that a terminal answers Enter at once."""
    return console.status(f"[dim]{what}…[/dim]", spinner="dots")
