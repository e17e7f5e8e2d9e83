"""Documents as users have them: text decided by content, PDFs cited by page, Word and e-books."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import one_clean_error, run_qa
from qa.load import SkipFile, discover, join_pages, page_label, read

LICENSE = (Path(__file__).resolve().parents[1] / "seeds" / "001_b4cd203a8e781f12.txt").read_text(encoding="utf-8")


def test_text_files_are_found_by_content_not_by_name(tmp_path: Path) -> None:
    texts = {
        "LICENSE": "Permission is hereby granted, free of charge, to any person obtaining a copy.\n",
        "README": "Ünïcode readme: naïve café, 北京.\n",
        "notes.org": "* TODO call Pyongyang\n",
        "data.csv": "year,trade\n2014,100\n",
        "main.c": "int main(void) { return 0; }\n",
        "guide.rst": "Guide\n=====\n\nRead me.\n",
    }
    for name, body in texts.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    binaries = {
        "photo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "archive.gz": gzip.compress(b"some text inside an archive" * 20),
        "prog": b"\x7fELF\x02\x01\x01" + b"\x00" * 64,
        "latin1-noext": "caf\xe9 cr\xe8me".encode("latin-1"),  # not UTF-8, no suffix that says text
        "empty-noext": b"",
    }
    for name, data in binaries.items():
        (tmp_path / name).write_bytes(data)
    found = {Path(s).name for s, _, _ in discover([str(tmp_path)])}
    assert found == set(texts)
    for name, body in texts.items():
        assert read(str(tmp_path / name), tmp_path / name, 10**6).text == body
    for name in binaries:  # named directly: refused with a reason, never read as text
        with pytest.raises(SkipFile):
            read(str(tmp_path / name), tmp_path / name, 10**6)


FIXTURES = Path(__file__).resolve().parent / "fixtures"
DIGEST = json.loads((FIXTURES / "digest.json").read_text())


def test_page_of_a_span() -> None:
    text, starts = join_pages(["first page", "", "third\r\npage"])
    assert text == "first page\n\n\n\nthird\npage" and starts == (0, 12, 14)
    assert page_label(starts, 0, 5) == "1"
    assert page_label(starts, text.index("third"), len(text)) == "3"
    assert page_label(starts, 6, len(text)) == "1-3"
    assert page_label((), 0, 5) is None


def test_pdf_pages_headers_and_offsets() -> None:
    doc = read("digest.pdf", FIXTURES / "digest.pdf", 10**7)
    assert len(doc.pages) == DIGEST["pages"] and doc.title == "North Korea and Russia: a press digest"
    assert DIGEST["header"] not in doc.text and "Page 3 of" not in doc.text  # running header and footer dropped
    m = re.search(r"\s+".join(map(re.escape, DIGEST["target"].split())), doc.text)  # lines wrap where the PDF wrapped
    first, last = DIGEST["target_pages"]
    assert m and page_label(doc.pages, m.start(), m.end()) in (str(first), f"{first}-{last}")
    assert "invitation of his Russian counterpart" in doc.text  # hyphenated line end rejoined, two columns in order


def test_scanned_pdf_says_it_has_no_text_layer(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(595, 842)
    w.add_blank_page(595, 842)
    w.write(tmp_path / "scan.pdf")
    proc = run_qa("ingest", str(tmp_path / "scan.pdf"))
    one_clean_error(proc, "scan.pdf: PDF has no text layer")


def test_pdf_answer_cites_its_page(tmp_path: Path) -> None:
    """A question whose answer is on a known page of a 13-page PDF: the citation names that page."""
    shutil.copy(FIXTURES / "digest.pdf", tmp_path / "digest.pdf")
    assert run_qa("ingest", str(tmp_path)).returncode == 0
    proc = run_qa("ask", "--model", "none", "--json", "How much is annual trade between Russia and North Korea worth?")
    assert proc.returncode == 0, proc.stderr
    cites = json.loads(proc.stdout)["citations"]
    hit = next(c for c in cites if "$100 million" in c["quote"])
    first, last = DIGEST["target_pages"]
    assert hit["page"] in (str(first), f"{first}-{last}")
    text = read("digest.pdf", tmp_path / "digest.pdf", 10**7).text
    assert text[hit["start"] : hit["end"]] == hit["quote"]
    plain = run_qa("ask", "--model", "none", "How much is annual trade between Russia and North Korea worth?")
    assert f"digest.pdf p. {hit['page']} (chars" in plain.stdout
