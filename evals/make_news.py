"""Rebuild evals/news/ (the fresh news corpus) from Reuters-21578.

Source: the XML edition of Reuters-21578 (David Lewis's distribution, free for research use),
as published in github.com/haseebr/irengine, folder reuters21578-xml/ (commit 9f0f5f5).
Nine stories that run across several wire articles (February-June 1987) were picked by title
before any question was written; five articles each. The wire's hard line breaks are reflowed;
its paragraphs (indented lines) are kept.

    python evals/make_news.py PATH/TO/reuters21578-xml
"""

from __future__ import annotations

import glob
import html
import re
import sys
from pathlib import Path

PICKS = {
    # Texaco and Pennzoil's $10.3 billion judgment
    "texaco": [9650, 10981, 14615, 16112, 16306],
    # the AFG / Wagner and Brown bid for GenCorp
    "gencorp": [6410, 6665, 9638, 11144, 11492],
    # E.F. Hutton's buyout of Purolator Courier and Emery's rival bid
    "purolator": [372, 4369, 11763, 12195, 13790],
    # Chrysler buys American Motors from Renault
    "chrysler": [660, 3056, 3396, 3645, 15255],
    # TWA's bid for USAir, and USAir's takeovers
    "usair": [1735, 1996, 2948, 3013, 9487],
    # the International Cocoa Organization's buffer stock rules
    "cocoa": [5382, 7071, 8961, 10403, 10505],
    # the failed International Coffee Organization quota talks
    "coffee": [232, 875, 3034, 4071, 10902],
    # the U.S.-Japan semiconductor dispute
    "chips": [894, 8252, 10623, 10642, 16631],
    # Brazil's debt moratorium
    "brazil": [175, 359, 740, 1357, 2563],
}


def reflow(body: str) -> str:
    paras = re.split(r"\n\s{3,}", body.strip())
    return "\n\n".join(re.sub(r"\s+", " ", p).strip() for p in paras if p.strip())


def read_articles(src: str) -> dict[int, str]:
    """NEWID -> the article's raw XML, over every file of the distribution."""
    articles = {}
    for f in sorted(glob.glob(f"{src}/reut2-*.xml")):
        text = Path(f).read_text(encoding="utf-8", errors="replace")
        for m in re.finditer(r'<REUTERS[^>]*NEWID="(\d+)">(.*?)</REUTERS>', text, re.S):
            articles[int(m.group(1))] = m.group(2)
    return articles


def body_of(raw: str) -> str | None:
    """The article's text, entities decoded and the closing "Reuter" cut (None: it has no body)."""
    body = re.search(r"<BODY>(.*?)</BODY>", raw, re.S)
    if not body:
        return None
    return re.sub(r"\s*Reuter\s*$", "", html.unescape(body.group(1)).strip(), flags=re.I)


def main(src: str, picks: dict[str, list[int]] = PICKS, out: Path = Path(__file__).parent / "news") -> None:
    articles = read_articles(src)
    out.mkdir(exist_ok=True)
    n = 0
    for story, ids in picks.items():
        for i in ids:
            raw = articles[i]
            title = html.unescape(re.search(r"<TITLE>(.*?)</TITLE>", raw, re.S).group(1)).strip()
            title = re.sub(r"\s*<[A-Z.]+>", "", title)  # ticker symbols
            date = re.search(r"<DATE>\s*(\S+)", raw).group(1)
            dateline = re.search(r"<DATELINE>(.*?)</DATELINE>", raw, re.S)
            body = body_of(raw)
            place = dateline.group(1).strip().rstrip("- ").strip() if dateline else ""
            head = f"{title.title()}\n\n{place} ({date}, Reuters)" if place else f"{title.title()}\n\n({date}, Reuters)"
            (out / f"{story}-{i}.txt").write_text(f"{head}\n\n{reflow(body)}\n", encoding="utf-8")
            n += 1
    print(f"{n} articles written to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reuters21578-xml")
