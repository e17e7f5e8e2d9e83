"""The frozen perturbation set on the news corpus (evals/news-perturb.jsonl) as a CI gate: drafts written
by a helper that saw the corpus and a list of perturbation kinds, never the verifier's rules. The
verifier is held to floors just under what it reaches (rules alone, through `qa eval` as a user runs
it), so that a change that loses ground on text nobody tuned against turns CI red. The figures are
far from the issue's targets (95% blocked, 90% kept): see README, "How well it works"."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from qa.evaluation import adversarial as A

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "evals" / "news-perturb.jsonl"
CASES = A.load(SUITE)
# Measured Dec 3: 112/135 false drafts blocked, 32/63 faithful kept (30 at the freeze; +2 from figures
# written with wire-style units, "76 pct" for "76%").
FLOORS = {"false": 0.82, "faithful": 0.49}


def test_the_set_is_what_the_issue_asked_for() -> None:
    kinds = Counter((c["label"], c["type"]) for c in CASES)
    assert sum(n for (lab, _), n in kinds.items() if lab == "false") >= 100
    assert sum(n for (lab, _), n in kinds.items() if lab == "faithful") >= 50
    assert len({t for lab, t in kinds if lab == "false"}) >= 10
    for c in CASES:  # every quote is the file's text at its offsets, and the drafts cite it
        ps = A.passages(c, ROOT)
        assert ps[0].text == (ROOT / c["passages"][0]["source"]).read_text(encoding="utf-8")[ps[0].start : ps[0].end]
        assert "[1]" in c["draft"]


@pytest.mark.slow
def test_rules_alone_hold_their_floors() -> None:
    proc = subprocess.run([sys.executable, "-m", "qa", "eval", str(SUITE), "--json", "--model", "none"], capture_output=True, text=True, cwd=ROOT, timeout=1800)
    rows = json.loads(proc.stdout)["summary"]["rows"]
    for label, floor in FLOORS.items():
        n = sum(r["all"]["n"] for r in rows if r["label"] == label and r["type"] != "ALL")
        ok = sum(r["all"]["ok"] for r in rows if r["label"] == label and r["type"] != "ALL")
        assert ok / n >= floor, f"{label}: {ok}/{n} < {floor}"
