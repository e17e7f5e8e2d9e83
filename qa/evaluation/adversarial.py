"""The adversarial suite (evals/adversarial.jsonl, made by evals/make_adversarial.py): can a subtly
false draft get through `qa.check.verify.verify`, and does a faithful paraphrase survive it?

Pure text: each case names the real chunks the verifier sees by (source, start, end) and their
sentence offsets, so passages are rebuilt from the files exactly as ingest stored them, with no
embedder and no Chroma; verification is the only thing measured, as a black box.

Scoring, per case:
- A false draft is *blocked* when no sentence of it survives (`kept == 0`), or, where the case lists
  `supporting` passages (a true sentence cited to the wrong passage while the passage that states it is
  present), when every citation of the result points into a supporting passage: re-citing the sentence
  to the passage that states it is as good as dropping it. A case with no supporting passage (every false
  claim; a true claim whose source is absent) is blocked only by being dropped entirely.
- A faithful draft is *kept* when no sentence is dropped, at least one is kept, the result has at least
  one citation, and every citation points into a supporting passage.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QAError
from qa.types import Passage, Verified

BLOCK_TARGET = 0.98  # share of false drafts that must be blocked (issue 12)
KEEP_TARGET = 0.95  # share of faithful drafts that must be kept
MIN_TYPE_CASES = 20  # a type is held to the targets only with at least this many cases


@dataclass
class Result:
    case: dict
    ok: bool  # blocked (false draft) or kept (faithful draft)
    text: str  # what the verifier let through
    error: str = ""


def is_adversarial_file(path: Path) -> bool:
    try:
        first = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()), "")
        row = json.loads(first)
        return isinstance(row, dict) and "draft" in row and "label" in row
    except (OSError, ValueError, StopIteration):
        return False


def load(path: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as e:
        raise QAError(f"cannot read adversarial suite {path}: {e}") from None


def root_of(path: Path) -> Path:
    """Sources are relative to the repository root, which holds the suite's evals/ folder."""
    return path.resolve().parent.parent


def passages(case: dict, root: Path, cache: dict[str, str] | None = None) -> list[Passage]:
    """The case's passages, rebuilt from the source files as ingest reads them (qa.index.load.read)."""
    from qa.index.load import read

    cache = {} if cache is None else cache
    out: list[Passage] = []
    for p in case["passages"]:
        src = p["source"]
        if src not in cache:
            path = root / src
            cache[src] = read(src, path.resolve(), 10**9).text
        text = cache[src][p["start"] : p["end"]]
        sentences = [(int(s), int(e)) for s, e in p["sentences"]]
        out.append(Passage(id=f"{src}#{p['start']}", source=src, start=p["start"], end=p["end"], text=text, sentences=sentences))
    return out


def _cited_indices(v: Verified, ps: list[Passage]) -> list[int | None]:
    out: list[int | None] = []
    for c in v.citations:
        hit = next((i for i, p in enumerate(ps) if p.source == c.source and p.start <= c.start and c.end <= p.end), None)
        out.append(hit)
    return out


def score(case: dict, v: Verified, ps: list[Passage]) -> bool:
    cited = _cited_indices(v, ps)
    supporting = set(case.get("supporting", []))
    all_supporting = bool(cited) and all(i in supporting for i in cited)
    if case["label"] == "false":
        return v.kept == 0 or (bool(supporting) and all_supporting)
    return not v.dropped and v.kept > 0 and all_supporting


def run(cases: list[dict], root: Path, model=None) -> list[Result]:  # noqa: ANN001 - a qa.answer.models.Model or None
    """Each case through the verifier exactly as `qa ask` runs it: with word-meaning similarity
    from the configured embedding model, and `model` as the judge of words the rules cannot match
    (`entail_judge`; none: the rules alone)."""
    from qa.check.claims import similarity
    from qa.config import load_settings
    from qa.index.embed import embedder_for
    from qa.check.judge import for_settings as learned_judges
    from qa.check.verify import model_judge, verify

    settings = load_settings()
    similar = similarity(embedder_for(settings, prefer_onnx=True))
    judge = model_judge(model, settings.entail_judge_min) if model is not None and settings.entail_judge else None
    judge, confirm = learned_judges(settings, judge)
    cache: dict[str, str] = {}
    results: list[Result] = []
    for case in cases:
        ps = passages(case, root, cache)
        try:
            v = verify(case["draft"], ps, case["question"], similar, judge, confirm)
        except Exception as e:  # noqa: BLE001 - a verifier crash is a failed case, not a failed run
            results.append(Result(case, False, "", f"{type(e).__name__}: {e}"))
            continue
        results.append(Result(case, score(case, v, ps), v.text))
    return results


def summary(results: list[Result]) -> dict:
    """{"rows": [{label, type, dev, test, all}], "overall": {...}}; each cell is {n, ok, rate}."""
    cells: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for r in results:
        key = (r.case["label"], r.case["type"])
        for split in (r.case["split"], "all"):
            for k in (key, (r.case["label"], "ALL")):
                cells[k][split][0] += 1
                cells[k][split][1] += r.ok

    def cell(c: list[int]) -> dict:
        return {"n": c[0], "ok": c[1], "rate": round(c[1] / c[0], 4) if c[0] else None}

    rows = [
        {"label": label, "type": typ, **{s: cell(cells[(label, typ)][s]) for s in ("dev", "test", "all")}}
        for label, typ in sorted(cells, key=lambda k: (k[0] != "false", k[1] == "ALL", k[1]))
    ]
    return {"rows": rows, "targets": {"false_blocked": BLOCK_TARGET, "faithful_kept": KEEP_TARGET, "min_type_cases": MIN_TYPE_CASES}}


def failures(summ: dict) -> list[str]:
    """Which targets are missed: overall, and each type with at least MIN_TYPE_CASES cases."""
    out: list[str] = []
    for row in summ["rows"]:
        target = BLOCK_TARGET if row["label"] == "false" else KEEP_TARGET
        c = row["all"]
        if (row["type"] == "ALL" or c["n"] >= MIN_TYPE_CASES) and c["rate"] is not None and c["rate"] < target:
            out.append(f"{row['label']}/{row['type']} {c['rate']:.1%} < {target:.0%}")
    return out


def markdown(summ: dict) -> str:
    def fmt(c: dict) -> str:
        return f"{c['rate']:.1%} ({c['ok']}/{c['n']})" if c["n"] else "–"

    lines = ["| label | type | measure | dev | test | all |", "|---|---|---|---|---|---|"]
    for row in summ["rows"]:
        measure = "blocked" if row["label"] == "false" else "kept"
        typ = f"**{row['type']}**" if row["type"] == "ALL" else row["type"]
        lines.append(f"| {row['label']} | {typ} | {measure} | {fmt(row['dev'])} | {fmt(row['test'])} | {fmt(row['all'])} |")
    return "\n".join(lines)


def results_json(results: list[Result]) -> list[dict]:
    return [
        {"id": r.case["id"], "label": r.case["label"], "type": r.case["type"], "ok": r.ok, "draft": r.case["draft"], "verified": r.text, **({"error": r.error} if r.error else {})}
        for r in results
    ]
