"""Stage 1: find and read documents into plain text.

Every supported format becomes one string; citations point at character offsets into that string,
so what is read here is the text a reader checks a quote against.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".epub")
# Part of the index fingerprint: a change to the text a format is read as (PDF clean-up and pages,
# trafilatura for HTML) moves offsets, so the next `qa ingest` re-reads everything instead of keeping
# chunks whose offsets no longer match what `qa show` prints.
LOADER_VERSION = "load-v3"  # v3: PDF lines rejoined inside sentences, Word tables read as sentences
SNIFF_BYTES = 8192  # how much of a file without a known suffix is read to decide whether it is text


@dataclass(frozen=True)
class Document:
    source: str  # the path as the user gave it (relative paths stay relative)
    path: Path  # absolute, resolved
    text: str
    sha256: str
    title: str = ""  # the document's own title (PDF metadata, HTML <title>, ...), shown beside its name
    # Paged formats (PDF): the offset in `text` where each page starts, so a citation's offsets give
    # its page(s) without reading the file again. Empty for formats without pages.
    pages: tuple[int, ...] = ()


class SkipFile(QAError):
    """A file that is not a document qa reads (another format, binary, empty, over a limit); ingest
    skips it with a line saying why (or fails, if it was named directly)."""


class Unreadable(SkipFile):
    """A document that could not be read (permissions, a damaged file): a failure, counted as one."""


def discover(paths: list[str], on_skip: Callable[[str], None] = lambda line: None) -> Iterator[tuple[str, Path, bool]]:
    """Yield (source, absolute path, named_directly) for every supported file under `paths`; every
    other (not hidden) file in a folder is passed to `on_skip` as a line saying why it is not read.

    Directories are walked in sorted order so that ingest is deterministic; symlink loops are not
    followed twice.
    """
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise QAError(f"path not found: {raw}")
        if p.is_file():
            yield raw, p.resolve(), True
            continue
        seen: set[Path] = set()
        for root, dirs, files in os.walk(p, followlinks=True):
            real = Path(root).resolve()
            if real in seen:
                dirs[:] = []
                continue
            seen.add(real)
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                f = Path(root) / name
                if name.startswith("."):
                    continue
                if not (name.lower().endswith(SUFFIXES) or looks_like_text(f)):
                    on_skip(f"{f}: {_not_read(f)}")
                    continue
                yield str(f), f.resolve(), False


def _not_read(path: Path) -> str:
    """Why a file in a folder is passed over, in words a user can act on."""
    if not path.is_file():
        return "not a regular file"
    suffix = path.suffix.lower()
    if suffix and " " not in suffix and len(suffix) <= 10:
        return f"{suffix} is not a format qa reads ({' '.join(SUFFIXES)}, or plain text)"
    return "binary, or text that is not UTF-8 (name it .txt if it is text)"


def looks_like_text(path: Path) -> bool:
    """Is a file with no known suffix (LICENSE, README, notes.org, data.csv, main.c) text?

    Decided by content, not name: the first SNIFF_BYTES must be strict UTF-8 (a multi-byte
    character cut at the end of the sample is allowed) with no NUL and almost no other control
    characters. Images, archives, executables and office files all fail this within a few bytes;
    legacy-encoded text without a known suffix is the price (name it `.txt` to index it).
    """
    try:
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return False
    return _is_text(head)


def _is_text(head: bytes) -> bool:
    if not head.strip() or b"\x00" in head:
        return False
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\v\x1b")
    return controls <= len(text) // 100


def read(source: str, path: Path, max_bytes: int) -> Document:
    """Read one file as text, or raise SkipFile with a one-line reason."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SkipFile(f"{source}: larger than the {max_bytes // 1_000_000} MB limit (QA_MAX_FILE_MB)")
        data = path.read_bytes()
    except OSError as e:
        raise Unreadable(f"{source}: cannot read ({e.strerror or e})") from None
    suffix = path.suffix.lower()
    title, pages = "", ()
    if suffix == ".pdf":
        page_texts, title = _pdf_pages(source, data)
        text, pages = join_pages(page_texts)
        if not text.strip():
            raise SkipFile(f"{source}: PDF has no text layer (a scan?): run OCR on it first (e.g. ocrmypdf)")
    elif suffix in (".docx", ".epub"):
        text, title = (_docx if suffix == ".docx" else _epub)(source, data)
    else:
        if not path.name.lower().endswith(SUFFIXES) and not _is_text(data[:SNIFF_BYTES]):
            raise SkipFile(f"{source}: not a supported document (binary, or text that is not UTF-8)")
        text = _decode(source, data)
        if suffix in (".html", ".htm"):
            text, title = _web_page(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise SkipFile(f"{source}: no text in file")
    if suffix in (".md", ".markdown") and not title:
        title = next((line.lstrip("#").strip() for line in text.splitlines() if line.strip()), "")
    title = " ".join("".join(ch if ch.isprintable() else " " for ch in title).split())[:200]  # untrusted: one plain line
    return Document(source=source, path=path, text=text, sha256=hashlib.sha256(data).hexdigest(), title=title, pages=pages)


def join_pages(page_texts: list[str]) -> tuple[str, tuple[int, ...]]:
    """One text from per-page texts (blank line between pages), and where each page starts in it.
    Newlines are normalised per page first, so the offsets hold for the text that is stored."""
    parts, starts, pos = [], [], 0
    for t in page_texts:
        t = t.replace("\r\n", "\n").replace("\r", "\n").strip()
        starts.append(pos)
        parts.append(t)
        pos += len(t) + 2
    return "\n\n".join(parts), tuple(starts)


def page_label(starts: tuple[int, ...] | list[int], start: int, end: int) -> str | None:
    """"12" or "12-13" for the span text[start:end] of a paged document; None without pages."""
    if not starts:
        return None
    import bisect

    first = bisect.bisect_right(starts, start)
    last = bisect.bisect_right(starts, max(start, end - 1))
    return str(first) if first == last else f"{first}-{last}"


def _legacy_bytes(err: UnicodeError) -> tuple[str, int]:
    """Decode bytes that are not UTF-8 as Windows-1252 (Latin-1 where it has no character), so a
    file mixing UTF-8 with a legacy encoding keeps both readable instead of one turning to mojibake."""
    assert isinstance(err, UnicodeDecodeError)
    bad = err.object[err.start : err.end]
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad), err.end


codecs.register_error("qa-legacy", _legacy_bytes)


def _decode(source: str, data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise SkipFile(f"{source}: binary file, not text")
    return data.decode("utf-8-sig", errors="qa-legacy")


def _web_page(html: str) -> tuple[str, str]:
    """The main text of a saved web page (trafilatura: navigation, menus, comment forms, footers
    and "related posts" left out) and its <title>. Pages trafilatura finds no main text in (a bare
    fragment, a list of links) fall back to all of the page's text."""
    import logging

    import lxml.html
    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    try:
        title = " ".join((lxml.html.fromstring(html).findtext(".//title") or "").split())
    except (ValueError, lxml.etree.ParserError):
        title = ""
    main = trafilatura.extract(html, include_comments=False, include_tables=True, deduplicate=False)
    return (main if main and main.strip() else _html_text(html)), title


def _html_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    return "\n".join(line for line in lines if line)


def clean_pages(pages: list[str]) -> list[str]:
    """Drop running headers and footers (a first or last line that recurs, digits aside, on at least
    half of the pages: "Annual report 2024", "Page 3 of 40"), so they are neither retrieved nor
    quoted; rejoin words hyphenated at a line end ("invit-" / "ation"); and collapse the runs of
    spaces that justified text leaves between words."""
    import re
    from collections import Counter

    split = [[re.sub(r"(?<=\S)[ \t]{2,}(?=\S)", " ", line) for line in p.splitlines()] for p in pages]
    key = lambda line: re.sub(r"\d+", "#", line.strip())  # noqa: E731
    edge = Counter(key(ls[i]) for ls in split if ls for i in {0, len(ls) - 1} if ls[i].strip())
    running = {k for k, n in edge.items() if len(pages) >= 3 and n >= len(pages) / 2}
    out = []
    for ls in split:
        while ls and key(ls[0]) in running:
            ls = ls[1:]
        while ls and key(ls[-1]) in running:
            ls = ls[:-1]
        out.append(_unwrap(re.sub(r"(?<=[a-z])-\n(?=[a-z])", "", "\n".join(ls))))
    return out


def _unwrap(page: str) -> str:
    """A page's lines rejoined where the PDF wrapped a sentence ("herons\nnesting" → "herons nesting"),
    so quotes read as prose. A line continues on the next when it does not end a sentence and
    either the next begins in lower case or the line fills most of the column (a short line is a
    heading, a list item or a paragraph's end, and keeps its break). One character for one:
    offsets and page starts are unchanged."""
    lines = page.split("\n")
    full = 0.75 * max((len(line.rstrip()) for line in lines), default=0)
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        if i + 1 == len(lines):
            break
        this, nxt = line.rstrip(), lines[i + 1].lstrip()
        ends = not this or not nxt or this[-1] in ".!?:;\"”’)]"
        out.append(" " if not ends and (nxt[0].islower() or (len(this) >= full and this[-1].isalnum() or this[-1] == ",")) else "\n")
    return "".join(out)


def _docx(source: str, data: bytes) -> tuple[str, str]:
    """Paragraphs and tables in document order (a table row as its cells joined by " | "), one
    blank line between blocks; the title from the document's properties."""
    import io
    import zipfile

    import docx
    from docx.table import Table

    try:
        d = docx.Document(io.BytesIO(data))
    except (ValueError, KeyError, zipfile.BadZipFile) as e:
        raise Unreadable(f"{source}: Word document could not be read ({type(e).__name__})") from None
    blocks = []
    for block in d.iter_inner_content():
        if isinstance(block, Table):
            blocks.extend(table_sentences([[c.text for c in row.cells] for row in block.rows]))
        else:
            blocks.append(block.text.strip())
    return "\n\n".join(b for b in blocks if b), (d.core_properties.title or "").strip()


def table_sentences(rows: list[list[str]]) -> list[str]:
    """A table as sentences the checks can read: each row under a header row becomes "Header: value,
    header: value." (so a figure meets the column that says what it counts, in one sentence); a
    table of one row, or whose first row is not a header (a cell empty), is read row by row, its
    cells joined by ", "."""
    table = []
    for row in rows:
        cells = [" ".join(c.split()).rstrip(".") for c in row]
        table.append([c if i == 0 or c != cells[i - 1] else "" for i, c in enumerate(cells)])  # merged cells repeat
    if len(table) > 1 and all(table[0]):
        lines = [", ".join(f"{h}: {v}" for h, v in zip(table[0], row) if v) for row in table[1:]]
    else:
        lines = [", ".join(c for c in row if c) for row in table]
    return [line + "." for line in lines if line]


def _epub(source: str, data: bytes) -> tuple[str, str]:
    """The book's chapters in reading (spine) order, each as HTML text; its table of contents is
    left out, as it only repeats chapter titles."""
    import io
    import zipfile

    from ebooklib import epub

    try:
        book = epub.read_epub(io.BytesIO(data), {"ignore_ncx": True})
    except (epub.EpubException, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise Unreadable(f"{source}: e-book could not be read ({type(e).__name__})") from None
    chapters = []
    for idref, _ in book.spine:
        item = book.get_item_with_id(idref)
        if item is not None and item.is_chapter():
            chapters.append(_html_text(item.get_content().decode("utf-8", errors="replace")))
    titles = book.get_metadata("DC", "title")
    return "\n\n".join(c for c in chapters if c), (titles[0][0] if titles else "").strip()


def _pdf_pages(source: str, data: bytes) -> tuple[list[str], str]:
    """Each page's text, and the title from the PDF's metadata."""
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = str((reader.metadata or {}).get("/Title") or "").strip()
        return clean_pages(pages), title
    except (PyPdfError, ValueError, KeyError, TypeError) as e:
        raise Unreadable(f"{source}: PDF could not be parsed ({type(e).__name__})") from None
