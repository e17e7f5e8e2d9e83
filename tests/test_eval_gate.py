"""The eval gate CI runs: the default local model on both gold sets, with thresholds just under
what it achieves (README, "Evaluation"), so a regression turns CI red."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, run_qa

pytestmark = pytest.mark.llm

GATES = {
    # gold set: (collection, corpus, thresholds)
    "seeds.jsonl": ("default", None, ["--min-accuracy", "0.70", "--min-abstain-recall", "0.90", "--min-citation-precision", "0.95"]),
    "pydoc.jsonl": ("pydoc", "evals/pydoc", ["--min-accuracy", "0.40", "--min-abstain-recall", "0.60", "--min-citation-precision", "0.90"]),
}


@pytest.mark.parametrize("gold", sorted(GATES))
def test_eval_meets_thresholds(gold: str, seeded: Path, tmp_path: Path) -> None:
    collection, corpus, gates = GATES[gold]
    extra = ["--corpus", corpus] if corpus else []
    report = tmp_path / "report.md"
    proc = run_qa("eval", f"evals/{gold}", "--collection", collection, *extra, "--json", "--report", str(report), *gates)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)["summary"]
    assert summary["phantom_citations"] == 0
    assert report.read_text().startswith("# qa eval")
    keep = ROOT / "reports"
    keep.mkdir(exist_ok=True)
    shutil.copy(report, keep / f"ci-eval-{Path(gold).stem}.md")  # left for whoever reads the CI log


def test_eval_is_deterministic(seeded: Path) -> None:
    """Same run twice, same numbers (timings aside)."""
    def once() -> list[dict]:
        proc = run_qa("eval", "evals/seeds-dev.jsonl", "--model", "none", "--json")
        assert proc.returncode == 0, proc.stderr
        rows = json.loads(proc.stdout)["rows"]
        return [{k: v for k, v in r.items() if k not in ("timings_ms", "usage")} for r in rows]

    assert once() == once()


def test_threshold_failure_exits_nonzero(seeded: Path) -> None:
    proc = run_qa("eval", "evals/seeds-dev.jsonl", "--model", "none", "--min-accuracy", "1.01")
    assert proc.returncode == 1
    assert "eval below threshold: accuracy" in proc.stderr
