"""Documents as users have them: text decided by content, PDFs cited by page, Word and e-books."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import one_clean_error, run_qa
from qa.index.load import SkipFile, discover, join_pages, page_label, read

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


@pytest.mark.slow  # over 10 s: ingests or starts servers
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
    assert f"digest.pdf \u00b7 North Korea and Russia: a press digest p. {hit['page']} (chars" in plain.stdout

    # qa show: the citation checked from the shell, and the whole text the offsets count in
    shown = run_qa("show", f"{tmp_path / 'digest.pdf'}:{hit['start']}-{hit['end']}")
    assert shown.returncode == 0, shown.stderr
    assert f"\u27e6{hit['quote']}\u27e7" in shown.stdout and f"p. {hit['page']} (chars {hit['start']}-{hit['end']}" in shown.stdout
    whole = run_qa("show", "digest.pdf")
    assert whole.stdout.split("\n", 1)[1] == text + "\n"
    one_clean_error(run_qa("show", "nope.pdf"), "no ingested document 'nope.pdf'")
    one_clean_error(run_qa("show", f"digest.pdf:0-{len(text) + 1}"), "outside it")


def test_word_and_epub_text_and_titles() -> None:
    d = read("article.docx", FIXTURES / "article.docx", 10**7)
    assert d.title == "Kim Jong-un and the Moscow parade"
    first = (FIXTURES.parent.parent / "seeds" / "003_31969dbd2734c992.txt").read_text(encoding="utf-8").split("\n")[0]
    assert d.text.startswith(first + "\n\n") and "70th anniversary" in d.text
    e = read("articles.epub", FIXTURES / "articles.epub", 10**7)
    assert e.title == "Putin and Kim: two articles"
    assert "Annual trade between Russia and North Korea" in e.text and "Morgulov" in e.text
    assert "<p>" not in e.text


def test_markdown_title_is_its_first_heading_and_titles_are_one_plain_line(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("\n# Summit \x1b[31mnotes\n\nThe summit was moved.\n", encoding="utf-8")
    assert read("notes.md", tmp_path / "notes.md", 10**6).title == "Summit [31mnotes"


def test_a_mixed_folder_ingests_in_one_command_with_exact_offsets(tmp_path: Path) -> None:
    """Every supported format in one folder: all indexed, and every stored chunk is the document's
    text at its offsets (the text `qa show` prints)."""
    from qa.config import load_settings
    from qa.index.ingest import ingest
    from qa.index.store import Store

    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("digest.pdf", "article.docx", "articles.epub"):
        shutil.copy(FIXTURES / name, docs / name)
    (docs / "LICENSE").write_text("Permission is hereby granted to read the Pyongyang memo.\n", encoding="utf-8")
    (docs / "notes.md").write_text("# Notes\n\nThe summit was moved to Vladivostok.\n", encoding="utf-8")
    (docs / "page.html").write_text("<html><head><title>Memo</title></head><body><p>The parade was on May 9.</p></body></html>")
    (docs / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    s = load_settings()
    summary = ingest([str(docs)], s)
    assert summary.files == 6 and not summary.failed
    corpus = Store(s).open(s.collection)
    texts = {rec.source: read(rec.source, Path(rec.path), 10**7).text for rec in corpus.file_records().values()}
    got = corpus.chunks.get(include=["documents", "metadatas"])
    assert {Path(m["source"]).name for m in got["metadatas"]} == {"digest.pdf", "article.docx", "articles.epub", "LICENSE", "notes.md", "page.html"}
    for doc, m in zip(got["documents"], got["metadatas"]):
        assert texts[m["source"]][m["start"] : m["end"]] == doc
    titles = {Path(r.source).name: r.title for r in corpus.file_records().values()}
    assert titles == {
        "digest.pdf": "North Korea and Russia: a press digest", "article.docx": "Kim Jong-un and the Moscow parade",
        "articles.epub": "Putin and Kim: two articles", "page.html": "Memo", "notes.md": "Notes", "LICENSE": "",
    }
    status = run_qa("status", "--files")
    assert "digest.pdf  \u00b7 North Korea and Russia: a press digest" in status.stdout


def test_saved_web_page_keeps_its_main_text_only() -> None:
    """A real saved page (the rustdoc book, shipped with Rust on this machine): its keyboard help,
    theme menu and chapter navigation are not document text; its title is kept apart."""
    page = read("what-is-rustdoc.html", FIXTURES / "what-is-rustdoc.html", 10**7)
    assert page.title == "What is rustdoc? - The rustdoc book"
    assert "The standard Rust distribution ships with a tool called rustdoc." in page.text.replace("\n", " ")
    for chrome in ("Keyboard shortcuts", "to navigate between chapters", "Coal", "Ayu"):
        assert chrome not in page.text, chrome


def test_page_with_no_main_text_falls_back_to_all_its_text(tmp_path: Path) -> None:
    (tmp_path / "bare.html").write_text("<div>Parade: May 9</div><script>alert(1)</script>")  # too little for trafilatura
    assert read("bare.html", tmp_path / "bare.html", 10**6).text == "Parade: May 9"


@pytest.mark.slow  # over 10 s: ingests or starts servers
def test_terminal_escapes_in_a_document_are_shown_not_obeyed(tmp_path: Path) -> None:
    """A document is untrusted: its escape sequences must not reach the terminal through `qa show`
    or an answer's quotes, and the offsets must still count in the text as stored."""
    doc = tmp_path / "evil.txt"
    body = "Annual trade is worth \x1b[8mabout $100 million\x1b[0m, less than 2% of trade with China.\x1b]0;pwned\x07\n"
    doc.write_text(body, encoding="utf-8")
    assert run_qa("ingest", str(doc)).returncode == 0
    shown = run_qa("show", "evil.txt")
    assert shown.returncode == 0, shown.stderr
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    assert "\u241b[8mabout $100 million" in shown.stdout
    answer = run_qa("ask", "--model", "none", "How much is annual trade worth?")
    assert answer.returncode == 0 and "\x1b" not in answer.stdout and "100 million" in answer.stdout
    cite = json.loads(run_qa("ask", "--model", "none", "--json", "How much is annual trade worth?").stdout)["citations"][0]
    assert body[cite["start"] : cite["end"]] == cite["quote"]  # --json keeps the exact text (escaped by JSON)


def test_a_word_table_reaches_the_evidence_as_sentences_the_checks_can_read(tmp_path: Path) -> None:
    """Each row under the header row is one sentence naming its columns, so a figure meets what it
    counts: the verifier keeps a sentence the row states and drops one with another figure."""
    import docx

    from qa.check.verify import verify
    from qa.index.split import sentence_spans
    from qa.types import Passage

    d = docx.Document()
    d.add_paragraph("The apple harvest by variety:")
    table = d.add_table(rows=3, cols=2)
    for r, row in enumerate([("Variety", "Harvest"), ("Bramley", "1,200 tonnes"), ("Cox", "800 tonnes")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.save(str(tmp_path / "orchard.docx"))
    doc = read("orchard.docx", tmp_path / "orchard.docx", 10**7)
    assert "Variety: Bramley, Harvest: 1,200 tonnes." in doc.text and "Variety: Cox, Harvest: 800 tonnes." in doc.text
    p = Passage("x", "orchard.docx", 0, len(doc.text), doc.text, sentence_spans(doc.text))
    question = "How many tonnes of Bramley were harvested?"
    kept = verify("The harvest of Bramley was 1,200 tonnes [1].", [p], question)
    assert kept.kept == 1 and kept.citations[0].quote == "Variety: Bramley, Harvest: 1,200 tonnes."
    assert verify("The harvest of Bramley was 800 tonnes [1].", [p], question).kept == 0


def test_pdf_lines_wrapped_inside_a_sentence_are_rejoined() -> None:
    """Quotes read as prose: no line break between two words of one sentence, page offsets unchanged."""
    doc = read("digest.pdf", FIXTURES / "digest.pdf", 10**7)
    assert not re.search(r"[a-z,]\n[a-z]", doc.text), re.search(r".{30}[a-z,]\n[a-z].{30}", doc.text)
    assert DIGEST["target"] in doc.text  # the sentence on one line, single-spaced
