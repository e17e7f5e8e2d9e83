"""Build the small real documents in tests/fixtures/ from the seed articles, and compare PDF
text extractors on the PDF. Run from the repository root:

    python tests/make_fixtures.py            # (re)write tests/fixtures/*  (needs: pip install fpdf2==2.8.9 python-docx ebooklib)
    python tests/make_fixtures.py --compare  # pypdf vs pdfplumber on the PDF (needs: pip install pdfplumber==0.11.10)

The PDF is laid out like a real report: a running header and a "Page N of M" footer on every page,
one article set in two justified columns with hyphenated line ends (soft hyphens), the others in
one column. The page each target sentence lands on is recorded at layout time in
tests/fixtures/digest.json, so tests know it independently of any extractor.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
OUT = ROOT / "tests" / "fixtures"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
HEADER = "North Korea and Russia: a press digest, 2015-2018"
ORDER = ["000_a984c12c8d999f47.txt", "002_5e32222bc8aa342b.txt", "003_31969dbd2734c992.txt", "004_d1e3b79279d3dec7.txt", "001_b4cd203a8e781f12.txt"]
TWO_COLUMNS = "003_31969dbd2734c992.txt"
TARGET = "Annual trade between Russia and North Korea is worth only about $100 million"


def _paragraphs(name: str) -> list[str]:
    return [p.strip() for p in (SEEDS / name).read_text(encoding="utf-8").split("\n\n") if p.strip()]


def _hyphenable(text: str) -> str:
    """Soft hyphens inside long words, so justified narrow columns break them as a typesetter would."""
    return re.sub(r"\b([A-Za-z]{5})([a-z]{4,})\b", "\\1\u00ad\\2", text)


def make_pdf(path: Path) -> dict:
    from fpdf import FPDF

    class Report(FPDF):
        def header(self) -> None:
            self.set_font("serif", size=8)
            self.cell(0, 8, HEADER, align="C", new_x="LMARGIN", new_y="NEXT")

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("serif", size=8)
            self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Report(format="A5")
    pdf.add_font("serif", fname=FONT)
    pdf.set_title("North Korea and Russia: a press digest")
    pdf.set_author("qa test fixtures")
    where: dict[str, list[int]] = {}
    for name in ORDER:
        paras = _paragraphs(name)
        pdf.add_page()
        pdf.set_font("serif", size=13)
        pdf.multi_cell(0, 7, paras[0], new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("serif", size=10)
        if name == TWO_COLUMNS:
            with pdf.text_columns(ncols=2, gutter=6, text_align="J") as cols:
                for p in paras[1:]:
                    cols.write(_hyphenable(p) + "\n\n")
            continue
        for p in paras[1:]:
            before = pdf.page_no()
            pdf.multi_cell(0, 5, p, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            if TARGET in p:
                where[TARGET] = [before, pdf.page_no()]
    pdf.output(str(path))
    return {"pages": pdf.page_no(), "target": TARGET, "target_pages": where[TARGET], "header": HEADER}


def make_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    d.core_properties.title = "Kim Jong-un and the Moscow parade"
    paras = _paragraphs("003_31969dbd2734c992.txt")
    d.add_heading(paras[0], level=1)
    for p in paras[1:]:
        d.add_paragraph(p)
    d.save(str(path))


def make_epub(path: Path) -> None:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("qa-fixture-digest")
    book.set_title("Putin and Kim: two articles")
    book.set_language("en")
    chapters = []
    for i, name in enumerate(("001_b4cd203a8e781f12.txt", "004_d1e3b79279d3dec7.txt"), 1):
        paras = _paragraphs(name)
        ch = epub.EpubHtml(title=paras[0], file_name=f"ch{i}.xhtml", lang="en")
        body = "".join(f"<p>{p}</p>" for p in paras[1:])
        ch.content = f"<html><head><title>{paras[0]}</title></head><body><h1>{paras[0]}</h1>{body}</body></html>"
        book.add_item(ch)
        chapters.append(ch)
    book.toc = chapters
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *chapters]
    epub.write_epub(str(path), book)


def compare(path: Path, repeat: int = 5) -> None:
    """Extraction quality and speed of pypdf and pdfplumber on the fixture PDF."""
    import io

    import pdfplumber
    from pypdf import PdfReader

    data = path.read_bytes()
    info = json.loads((OUT / "digest.json").read_text())

    def with_pypdf() -> list[str]:
        return [p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages]

    def with_pdfplumber() -> list[str]:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return [p.extract_text() or "" for p in pdf.pages]

    sentences = []
    for name in ORDER:
        for p in _paragraphs(name)[1:]:
            sentences += [s for s in re.split(r"(?<=[.!?])\s+", p) if len(s) > 40]
    from qa.index.load import clean_pages
    norm = lambda t: re.sub(r"\s+", " ", t.replace("\u00ad", "")).strip()  # noqa: E731
    print(f"{path.name}: {info['pages']} pages, {len(sentences)} sentences over 40 chars")
    print(f"{'library':<20} {'ms/page':>8} {'sentences intact, in order':>27} {'words split by -':>17} {'header/footer lines':>20}")
    qa_pages = lambda: clean_pages(with_pypdf())  # noqa: E731
    for label, fn in (("pypdf", with_pypdf), ("pdfplumber", with_pdfplumber), ("qa (pypdf + clean)", qa_pages)):
        t0 = time.perf_counter()
        for _ in range(repeat):
            pages = fn()
        ms = (time.perf_counter() - t0) / repeat / len(pages) * 1000
        text = norm(" ".join(pages))
        pos, in_order = 0, 0
        for s in sentences:
            i = text.find(norm(s), pos)
            if i >= 0:
                in_order += 1
                pos = i
        split_words = len(re.findall(r"[a-z]-\n[a-z]", "\n".join(pages)))
        running = text.count(HEADER) + len(re.findall(r"Page \d+ of \d+", text))
        print(f"{label:<20} {ms:>8.1f} {in_order:>20}/{len(sentences):<6} {split_words:>17} {running:>20}")


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    if "--compare" in sys.argv:
        compare(OUT / "digest.pdf")
    else:
        info = make_pdf(OUT / "digest.pdf")
        (OUT / "digest.json").write_text(json.dumps(info, indent=1) + "\n")
        make_docx(OUT / "article.docx")
        make_epub(OUT / "articles.epub")
        print(json.dumps(info))
