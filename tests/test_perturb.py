"""The two perturbation sets as CI gates: drafts written by helpers that saw a news corpus and a list
of perturbation kinds, never the verifier's rules. evals/news-perturb.jsonl (frozen: only its
aggregate is read) and evals/newsdev-perturb.jsonl (the dev set the verifier is tuned on). The
verifier is held to floors just under what it reaches (rules alone, through `qa eval` as a user runs
it), so that a change that loses ground on text nobody tuned against turns CI red. The faithful
figures are far from the issue's target (90% kept): see README, "How well it works"."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from qa.evaluation import adversarial as A

ROOT = Path(__file__).resolve().parent.parent
# Measured Dec 7 with the commitment and self-contradiction checks and WordNet's relations (`qa eval
# SET --model none`): frozen 121/135 false drafts blocked, 33/63 faithful kept (Dec 3: 112 and 32);
# dev 143/150 and 33/70 (122 and 26 before those changes).
FLOORS = {
    "news-perturb.jsonl": {"false": 0.88, "faithful": 0.52},
    "newsdev-perturb.jsonl": {"false": 0.94, "faithful": 0.47},
}
SETS = pytest.mark.parametrize("name", sorted(FLOORS))


@SETS
def test_the_set_is_what_the_issue_asked_for(name: str) -> None:
    cases = A.load(ROOT / "evals" / name)
    kinds = Counter((c["label"], c["type"]) for c in cases)
    assert sum(n for (lab, _), n in kinds.items() if lab == "false") >= 100
    assert sum(n for (lab, _), n in kinds.items() if lab == "faithful") >= 50
    assert len({t for lab, t in kinds if lab == "false"}) >= 10
    for c in cases:  # every quote is the file's text at its offsets, and the drafts cite it
        ps = A.passages(c, ROOT)
        assert ps[0].text == (ROOT / c["passages"][0]["source"]).read_text(encoding="utf-8")[ps[0].start : ps[0].end]
        assert "[1]" in c["draft"]


@pytest.mark.slow
@SETS
def test_rules_alone_hold_their_floors(name: str) -> None:
    suite = ROOT / "evals" / name
    proc = subprocess.run([sys.executable, "-m", "qa", "eval", str(suite), "--json", "--model", "none"], capture_output=True, text=True, cwd=ROOT, timeout=1800)
    rows = json.loads(proc.stdout)["summary"]["rows"]
    for label, floor in FLOORS[name].items():
        n = sum(r["all"]["n"] for r in rows if r["label"] == label and r["type"] != "ALL")
        ok = sum(r["all"]["ok"] for r in rows if r["label"] == label and r["type"] != "ALL")
        assert ok / n >= floor, f"{label}: {ok}/{n} < {floor}"
