"""The adversarial suite as a CI gate (issue 12): the verifier must block false drafts and keep faithful
ones, overall and per perturbation type. No Chroma; the embedder's word similarity is used, as `qa
ask` uses it. The rules are gated alone (fast), and again with the packaged model as the judge of the
words they cannot match (`llm`), as `qa ask` runs them.

The sanity tests check the suite itself (that its passages are the real stored chunks and its faithful
drafts are backed by their passages), so a gate failure means the verifier, not the data."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from qa.evaluation import adversarial as A

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "evals" / "adversarial.jsonl"
GOLD_FILES = [ROOT / "evals" / "seeds-dev.jsonl", ROOT / "evals" / "pydoc-dev.jsonl"]
FALSE_TYPES = {
    "number-value", "number-scale", "unit", "comparative", "negation-added", "negation-dropped", "entity-swap",
    "subject-object-swap", "date", "place", "wrong-source", "unstated-detail",
}
FAITHFUL_TYPES = {"verbatim-shortened", "reordered", "synonyms", "merged"}

CASES = A.load(SUITE)


@pytest.fixture(scope="module")
def rules_run() -> tuple[subprocess.CompletedProcess, dict]:
    """The rules alone over the whole suite, run once, through `qa eval` as a user runs it: the
    floors below and the CLI's own test read the same run (one pass over 546 cases, not two)."""
    proc = subprocess.run([sys.executable, "-m", "qa", "eval", str(SUITE), "--json", "--model", "none"], capture_output=True, text=True, cwd=ROOT, timeout=1800)
    return proc, json.loads(proc.stdout)


@pytest.fixture(scope="module")
def summary(rules_run: tuple[subprocess.CompletedProcess, dict]) -> dict:
    return rules_run[1]["summary"]


def _row(summ: dict, label: str, typ: str) -> dict:
    return next(r for r in summ["rows"] if r["label"] == label and r["type"] == typ)


# --- the suite itself ---------------------------------------------------------------------------


def test_ids_unique_and_fields() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    for c in CASES:
        assert c["label"] in ("false", "faithful") and c["split"] in ("dev", "test")
        assert all(0 <= i < len(c["passages"]) for i in c["supporting"])
        assert re.search(r"\[\d+\]", c["draft"]), c["id"]


def test_counts_per_type() -> None:
    counts = Counter((c["label"], c["type"]) for c in CASES)
    assert {t for lab, t in counts if lab == "false"} == FALSE_TYPES
    assert {t for lab, t in counts if lab == "faithful"} == FAITHFUL_TYPES
    assert all(n >= 20 for n in counts.values()), counts
    assert sum(n for (lab, _), n in counts.items() if lab == "false") >= 300
    assert sum(n for (lab, _), n in counts.items() if lab == "faithful") >= 100
    splits = Counter(c["split"] for c in CASES)
    assert 0.5 < splits["dev"] / len(CASES) < 0.8, splits


def test_passages_are_the_file_slices() -> None:
    texts: dict[str, str] = {}
    for c in CASES:
        for p, rebuilt in zip(c["passages"], A.passages(c, ROOT), strict=True):
            if p["source"] not in texts:
                texts[p["source"]] = (ROOT / p["source"]).read_text(encoding="utf-8")
            assert rebuilt.text == texts[p["source"]][p["start"] : p["end"]], c["id"]
            assert rebuilt.sentences and all(p["start"] <= s < e <= p["end"] for s, e in rebuilt.sentences), c["id"]


def test_passages_are_the_chunks_ingest_stores() -> None:
    """If the splitter or chunk settings change, the suite no longer shows the verifier what it would
    see: regenerate it with evals/make_adversarial.py."""
    from qa.config import Settings
    from qa.index.embed import Embedder
    from qa.index.load import read
    from qa.index.split import split

    settings = Settings()
    count = Embedder(settings.embed_model).count_tokens
    stored: dict[str, set[tuple]] = {}
    for c in CASES:
        for p in c["passages"]:
            src = p["source"]
            if src not in stored:
                doc = read(src, (ROOT / src).resolve(), 10**9)
                stored[src] = {
                    (ch.start, ch.end, tuple((ch.start + a, ch.start + b) for a, b in ch.sentences))
                    for ch in split(doc.text, settings.chunk_size, settings.chunk_overlap, count)
                }
            key = (p["start"], p["end"], tuple(tuple(s) for s in p["sentences"]))
            assert key in stored[src], f"{c['id']}: {src}[{p['start']}:{p['end']}] is not a stored chunk"


def test_faithful_supporting_passages_hold_the_gold_fact() -> None:
    golds = {g["id"]: g for f in GOLD_FILES for g in map(json.loads, f.read_text(encoding="utf-8").splitlines())}
    for c in CASES:
        if c["label"] != "faithful":
            continue
        assert c["supporting"], c["id"]
        text = " ".join(A.passages(c, ROOT)[i].text for i in c["supporting"])
        for group in golds[c["gold_id"]]["facts"]:
            # plural allowed: the gold pattern "textile" must find "textiles"
            assert any(re.search(rf"(?<!\w)(?:{alt})(?:e?s)?(?!\w)", text, re.IGNORECASE) for alt in group), (c["id"], group)


def test_faithful_drafts_cite_only_supporting_passages() -> None:
    for c in CASES:
        cited = {int(n) - 1 for n in re.findall(r"(?<!\w)\[(\d+)\]", c["draft"])}  # not code such as a[0]
        if c["label"] == "faithful":
            assert cited and cited <= set(c["supporting"]), c["id"]


def test_wrong_source_by_omission_lacks_the_source() -> None:
    """Where the stating passage is absent, no passage given may contain the draft's sentence."""
    for c in CASES:
        if c["type"] == "wrong-source" and not c["supporting"] and not c.get("stated_in"):
            draft = re.sub(r"\s*\[\d+\]", "", c["draft"]).rstrip(".")
            assert all(draft[:40] not in p.text for p in A.passages(c, ROOT)), c["id"]


# --- the gate ----------------------------------------------------------------------------------


# Where the verifier stands (README, "Verification"), measured over all 546 cases: CI fails on any
# regression below these floors. The targets (98% blocked, 95% kept: A.BLOCK_TARGET,
# A.KEEP_TARGET) are not met yet; `qa eval evals/adversarial.jsonl` reports against them.
FLOORS = {
    ("false", "ALL"): 0.97, ("faithful", "ALL"): 0.80,
    ("false", "comparative"): 1.0, ("false", "date"): 1.0, ("false", "entity-swap"): 0.83, ("false", "negation-added"): 1.0,
    ("false", "negation-dropped"): 1.0, ("false", "number-scale"): 1.0, ("false", "number-value"): 0.95, ("false", "place"): 0.95,
    # swaps: 0.70 / 0.71 until the dependency parse checked who did what to whom (qa/check/roles.py)
    ("false", "subject-object-swap"): 0.85, ("false", "unit"): 1.0, ("false", "unstated-detail"): 1.0, ("false", "wrong-source"): 1.0,
    ("faithful", "merged"): 0.85, ("faithful", "reordered"): 0.85, ("faithful", "synonyms"): 0.60, ("faithful", "verbatim-shortened"): 0.96,
}


@pytest.mark.slow
@pytest.mark.parametrize(("label", "typ"), sorted(FLOORS))
def test_no_type_falls_below_its_floor(summary: dict, label: str, typ: str) -> None:
    row = _row(summary, label, typ)["all"]
    assert row["rate"] >= FLOORS[(label, typ)], f"{label}/{typ}: {row['ok']}/{row['n']}\n{A.markdown(summary)}"


@pytest.fixture(scope="module")
def judged(local_llm) -> dict:  # noqa: ANN001
    return A.summary(A.run(CASES, ROOT, local_llm))


# With the model judging the words no rule matches (`entail_judge`), measured Dec 2: kept 86.6%.
JUDGED_KEPT_FLOOR = 0.88


@pytest.mark.llm
@pytest.mark.parametrize("typ", sorted(t for label, t in FLOORS if label == "false"))
def test_the_judge_lets_no_false_type_below_its_floor(judged: dict, typ: str) -> None:
    """The judge can only keep what the rules dropped: every false type must still hold its floor."""
    row = _row(judged, "false", typ)["all"]
    assert row["rate"] >= FLOORS[("false", typ)], f"false/{typ}: {row['ok']}/{row['n']}\n{A.markdown(judged)}"


@pytest.mark.llm
def test_the_judge_keeps_faithful_drafts_the_rules_cannot_match(judged: dict, summary: dict) -> None:
    row, rules = _row(judged, "faithful", "ALL")["all"], _row(summary, "faithful", "ALL")["all"]
    assert row["rate"] >= JUDGED_KEPT_FLOOR and row["ok"] > rules["ok"], f"{row} (rules alone: {rules})\n{A.markdown(judged)}"


def test_every_type_has_a_floor() -> None:
    assert {t for _, t in FLOORS} >= FALSE_TYPES | FAITHFUL_TYPES


@pytest.mark.slow
def test_qa_eval_dispatches_the_suite(rules_run: tuple[subprocess.CompletedProcess, dict]) -> None:
    """`qa eval evals/adversarial.jsonl` scores the verifier (not a gold-question run): JSON rows per
    case, and exit 1 with one `qa: error:` line exactly when a target is missed."""
    proc, out = rules_run
    assert len(out["rows"]) == len(CASES)
    missed = A.failures(out["summary"])
    assert proc.returncode == (1 if missed else 0), proc.stderr
    assert ("qa: error: adversarial suite below target" in proc.stderr) == bool(missed)
    assert "Traceback" not in proc.stderr
