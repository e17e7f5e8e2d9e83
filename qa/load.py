"""Stage 1: find and read documents into plain text.

Every supported format becomes one string; citations point at character offsets into that string,
so what is read here is the text a reader checks a quote against.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")


@dataclass(frozen=True)
class Document:
    source: str  # the path as the user gave it (relative paths stay relative)
    path: Path  # absolute, resolved
    text: str
    sha256: str


class SkipFile(QAError):
    """A file that cannot be read as a document; ingest skips it (or fails, if it was named directly)."""


def discover(paths: list[str]) -> Iterator[tuple[str, Path, bool]]:
    """Yield (source, absolute path, named_directly) for every supported file under `paths`.

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
                if name.startswith(".") or not name.lower().endswith(SUFFIXES):
                    continue
                f = Path(root) / name
                yield str(f), f.resolve(), False


def read(source: str, path: Path, max_bytes: int) -> Document:
    """Read one file as text, or raise SkipFile with a one-line reason."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SkipFile(f"{source}: larger than the {max_bytes // 1_000_000} MB limit (QA_MAX_FILE_MB)")
        data = path.read_bytes()
    except OSError as e:
        raise SkipFile(f"{source}: cannot read ({e.strerror or e})") from None
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text = _pdf_text(source, data)
    else:
        text = _decode(source, data)
        if suffix in (".html", ".htm"):
            text = _html_text(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise SkipFile(f"{source}: no text in file")
    return Document(source=source, path=path, text=text, sha256=hashlib.sha256(data).hexdigest())


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


def _html_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    return "\n".join(line for line in lines if line)


def _pdf_text(source: str, data: bytes) -> str:
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as e:
        raise SkipFile(f"{source}: PDF could not be parsed ({type(e).__name__})") from None
