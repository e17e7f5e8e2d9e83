"""The eval gate CI runs: the default local model on the frozen test split of every gold corpus
(written before any tuning; see README, "Evaluation"), with thresholds just under what it achieves,
and the same questions with `--model none`, so that a regression — or an LLM that stops earning its
time over plain extraction — turns CI red."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, run_qa

pytestmark = pytest.mark.llm

# gold set: (collection, corpus, floors for the LLM run, least LLM-minus-extractive accuracy).
# Measured on Dec 1 (README, Evaluation; six passages a question, the relevance judge):
# seeds-test 65.0% accuracy, abstention recall 50.0%, citation precision 86.4%, multi-source
# 50.0%, extractive 60.0%; pydoc-test 33.3-41.7% (CI live run / replay) / 75.0% / 100%, extractive
# 16.7%; licenses-test 37.5% / 83.3% / 90.9%, extractive 37.5%. Each floor is one question under
# the (lower) measured figure, so that llama.cpp's run-to-run jitter does not turn CI red but a
# real regression does. The licences margin is below zero: there the LLM answers no more
# questions than plain extraction (issue 16 is open). Dec 7 (the sentences a dropped draft was drawn
# from, quoted): seeds-test 70.0% / 66.7% / 85.2% / 66.7% live and replayed, so its floors rose to
# one question under; licences-test 43.8% live (37.5% replayed), pydoc-test 33.3% live.
GATES = {
    "seeds-test.jsonl": ("default", None, {"accuracy": 0.65, "abstain_recall": 0.5, "citation_precision": 0.80, "multi_source_complete": 0.45}, 0.0),
    "pydoc-test.jsonl": ("pydoc", "evals/pydoc", {"accuracy": 0.25, "abstain_recall": 0.5, "citation_precision": 0.90}, 0.08),
    "licenses-test.jsonl": ("licenses", "evals/licenses", {"accuracy": 0.31, "abstain_recall": 0.66, "citation_precision": 0.85}, -0.07),
}


def _eval(gold: str, collection: str, corpus: str | None, *extra: str) -> dict:
    args = ["eval", f"evals/{gold}", "--collection", collection, *(["--corpus", corpus] if corpus else []), "--json", *extra]
    proc = run_qa(*args)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)["summary"]


@pytest.mark.parametrize("gold", sorted(GATES))
def test_eval_meets_thresholds(gold: str, seeded: Path, tmp_path: Path) -> None:
    collection, corpus, floors, margin = GATES[gold]
    report = tmp_path / "report.md"
    llm = _eval(gold, collection, corpus, "--report", str(report))
    none = _eval(gold, collection, None, "--model", "none")
    keep = ROOT / "reports"
    keep.mkdir(exist_ok=True)
    shutil.copy(report, keep / f"ci-eval-{Path(gold).stem}.md")  # left for whoever reads the CI log
    for key, floor in floors.items():
        assert llm[key] >= floor, f"{gold}: {key} {llm[key]} < {floor}"
    assert llm["phantom_citations"] == 0 and llm["wrong_answers"] == 0, llm
    assert llm["accuracy"] - none["accuracy"] >= margin, f"{gold}: LLM {llm['accuracy']} vs extractive {none['accuracy']}"
    # every question is counted once by the prompts it cost; `--model none` costs none
    assert sum(llm["generations"].values()) == llm["questions"] and none["generations"] == {"0": none["questions"]}
    answered = llm["questions"] - llm["false_abstentions"] - round(llm["abstain_recall"] * llm["unanswerable"])
    assert sum(int(n) * c for n, c in llm["generations"].items()) >= answered, llm["generations"]  # an answer costs a prompt


def test_news_extractive_gate(seeded: Path) -> None:
    """The fresh news corpus (frozen before the answer path changed; evals/news-test.jsonl), with
    `--model none`: 38.0% measured on Dec 3 (reports/eval-news-test-none.json). The default model's
    figure on it was not measured to completion this round (the machine was saturated), so only the
    extractive path is gated here."""
    got = _eval("news-test.jsonl", "news", "evals/news", "--model", "none")
    assert got["accuracy"] >= 0.36, got
    assert got["phantom_citations"] == 0 and got["wrong_answers"] == 0, got


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
