"""`qa show SOURCE[:START-END]`: the text a citation points into, so any citation can be checked
from the shell. The document is read again through the same loader that ingest used and compared
with the stored sha256, so what is shown is exactly the text the offsets count in."""

from __future__ import annotations

import re
from pathlib import Path

from qa.config import Settings
from qa.errors import NotFound, QAError
from qa.paths import shown

_SPAN = re.compile(r"^(?P<source>.+):(?P<start>\d+)-(?P<end>\d+)$")


def parse(target: str) -> tuple[str, tuple[int, int] | None]:
    """'report.pdf:120-240' → ('report.pdf', (120, 240)); a bare source → (source, None)."""
    m = _SPAN.match(target)
    if not m:
        return target, None
    start, end = int(m["start"]), int(m["end"])
    if end <= start:
        raise QAError(f"empty span {start}-{end}: use SOURCE:START-END with START < END")
    return m["source"], (start, end)


def source_text(source: str, settings: Settings) -> tuple[str, str, str, tuple[int, ...]]:
    """(source as stored, title, text, page starts) of an ingested document, as ingest read it."""
    from qa.index.load import SkipFile, read
    from qa.index.store import Store

    records = Store(settings).open(settings.collection).file_records()
    rec = records.get(source)
    if rec is None:  # also accept the file's path however it is spelled, or its bare name if unique
        want = Path(source).resolve()
        named = [r for r in records.values() if Path(r.path) == want] or [r for r in records.values() if Path(r.source).name == source]
        if len(named) != 1:
            hint = "it matches several files; give its path" if named else "`qa status --files` lists them"
            raise NotFound(f"no ingested document {source!r} in collection {settings.collection!r} ({hint})")
        rec = named[0]
    try:
        doc = read(rec.source, Path(rec.path), int(settings.max_file_mb * 1_000_000))
    except SkipFile as e:
        raise QAError(f"{e} (it was ingested; run `qa ingest` again to update the index)") from None
    if doc.sha256 != rec.sha256:
        raise QAError(f"{rec.source} changed since it was ingested: run `qa ingest` so offsets match it again")
    return rec.source, rec.title, doc.text, doc.pages


def view(source: str, span: tuple[int, int] | None, settings: Settings, context: int) -> dict:
    """What `qa show` prints and `GET /v1/source` returns: the document (or the span with `context`
    characters either side, cut at line ends) and where the span lies in it. `source` is shown as
    `qa ask` shows it; `offset` is where `text` begins in the document."""
    from qa.index.load import page_label

    name, title, text, pages = source_text(source, settings)
    out = {"source": shown(name), "title": title, "chars": len(text)}
    if span is None:
        return out | {"text": text, "offset": 0, "start": 0, "end": 0, "page": None}
    start, end = span
    if end > len(text):
        raise QAError(f"{shown(name)} has {len(text)} characters; {start}-{end} is outside it")
    lo = text.rfind("\n", 0, max(0, start - context)) + 1
    hi = text.find("\n", min(len(text), end + context))
    hi = len(text) if hi < 0 else hi
    return out | {"text": text[lo:hi], "offset": lo, "start": start, "end": end, "page": page_label(pages, start, end)}


def show(target: str, settings: Settings, context: int, console) -> None:  # noqa: ANN001
    """Print the document, or the span with `context` characters either side."""
    from qa.interfaces import render

    source, span = parse(target)
    v = view(source, span, settings, context)
    header = v["source"] + (f" \u00b7 {v['title']}" if v["title"] else "")
    if span is None:
        render.highlighted(console, f"{header} ({v['chars']} chars)", v["text"], 0, 0, 0)
        return
    lo, hi = v["offset"], v["offset"] + len(v["text"])
    where = render.on_pages(v["page"])
    render.highlighted(console, f"{header}{where} (chars {v['start']}-{v['end']}; shown {lo}-{hi})", v["text"], lo, v["start"], v["end"])
