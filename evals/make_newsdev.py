"""Rebuild evals/newsdev/ (a news corpus to read failures on and tune with; the frozen one in
evals/news/ stays for measuring).

Same source and treatment as evals/make_news.py (Reuters-21578, XML edition, github.com/haseebr/
irengine at commit 9f0f5f5), other stories: seven that run across several wire articles
(February-June 1987), none of them one of the frozen corpus's nine, five articles each, picked by
title (the longer articles of each story, near-duplicate rewrites left out) before any question
was written.

    python evals/make_newsdev.py PATH/TO/reuters21578-xml
"""

from __future__ import annotations

import sys
from pathlib import Path

from make_news import PICKS as FROZEN
from make_news import main

PICKS = {
    # Ecuador's earthquake stops its oil exports, and its debt payments
    "ecuador": [2973, 3594, 4126, 7022, 17054],
    # Sosnoff's bid for Caesars World and the casino company's defence
    "caesars": [3023, 4772, 5756, 13263, 16216],
    # Dixons, CyAcq and Audio/Video bid for Cyclops
    "cyclops": [4303, 6402, 7977, 8932, 9246],
    # the Brazilian seamen's strike
    "seamen": [2326, 2542, 2971, 4061, 8950],
    # Harcourt Brace, then News Corp, bid for Harper and Row
    "harper": [3991, 5286, 6442, 12485, 17574],
    # the new International Natural Rubber Agreement
    "rubber": [3155, 5139, 7873, 8060, 9203],
    # Dome Petroleum's debt plan and Amoco's and TransCanada's bids
    "dome": [2833, 4546, 11711, 16176, 16833],
}

assert not {i for ids in PICKS.values() for i in ids} & {i for ids in FROZEN.values() for i in ids}

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "reuters21578-xml", PICKS, Path(__file__).parent / "newsdev")
