"""How answers look: rich on a terminal, plain text when piped, one JSON object with --json."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from qa.types import Answer, Citation


def where(c: Citation) -> str:
    """The source as a reader finds it: `report.pdf p. 12` (`pp. 12-13` across pages) for paged formats."""
    if not c.page:
        return c.source
    return f"{c.source} {'pp.' if '-' in c.page else 'p.'} {c.page}"


def plain(answer: Answer, out: TextIO = sys.stdout) -> None:
    out.write(answer.text.strip() + "\n")
    if answer.citations:
        out.write("\nSources:\n")
        for c in answer.citations:
            out.write(f"[{c.n}] {where(c)} (chars {c.start}-{c.end})\n    \u201c{c.quote}\u201d\n")
    out.flush()


def as_json(answer: Answer, out: TextIO = sys.stdout) -> None:
    out.write(json.dumps(answer.to_json(), ensure_ascii=False) + "\n")
    out.flush()


def rich_answer(answer: Answer, console, verbose: bool = False) -> None:  # noqa: ANN001
    from rich.markup import escape
    from rich.text import Text

    style = "yellow" if answer.abstained else ""
    console.print(Text(answer.text.strip(), style=style))
    if answer.reason and (verbose or answer.mode == "fallback-extractive"):
        console.print(Text(answer.reason, style="dim"))
    if answer.citations:
        console.print()
        console.print("[bold]Sources[/bold]")
        for c in answer.citations:
            console.print(f"[cyan][{c.n}][/cyan] {escape(where(c))} [dim](chars {c.start}-{c.end})[/dim]")
            console.print(Text(f"    \u201c{c.quote}\u201d", style="italic"))
    if verbose:
        t = answer.timings_ms
        console.print(
            f"[dim]model {answer.model} · mode {answer.mode} · retrieve {t['retrieve']:.0f} ms · "
            f"generate {t['generate']:.0f} ms · total {t['total']:.0f} ms[/dim]"
        )
