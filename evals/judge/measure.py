"""The learned judge on evals/adversarial.jsonl: alone, and with the rules (both / either).

    python evals/judge/measure.py --split dev            # per-type table + threshold sweep
    python evals/judge/measure.py --split test --min 0.5  # aggregate only
    python evals/judge/measure.py --split test --min 0.5 --suite evals/news-perturb.jsonl

Each draft sentence is checked as `qa.check.verify.verify` checks it (its cited passages first), and
the case is scored by `qa.evaluation.adversarial.score`:
- rules: `find_quotes` with the embedding similarity, no judge;
- judge: the sentence is kept on the sentence of its cited passages (all passages when it cites none)
  that the judge scores highest, when that score reaches the threshold;
- both: the rules keep it and the judge accepts the rules' quote(s);
- either: the rules keep it, or the judge alone does.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _verified(kept: list[tuple[str, list[tuple[int, int, int]]]], dropped: list[str], ps):  # noqa: ANN001, ANN202
    from qa.types import Citation, Verified

    numbering: dict = {}
    for _, spans in kept:
        for sp in spans:
            numbering.setdefault(sp, len(numbering) + 1)
    cites = [Citation(n, ps[sp[0]].source, sp[1], sp[2], "", 1.0, ps[sp[0]]) for sp, n in numbering.items()]
    return Verified(" ".join(c for c, _ in kept), cites, len(kept), dropped, 0, 0)


def collect(cases: list[dict]) -> list[dict]:
    """Per case, per sentence: the rules' spans, and the judge's candidate spans with their texts."""
    from qa.check.claims import similarity
    from qa.check.verify import _spans, _text, find_quotes, split_sentences
    from qa.config import load_settings
    from qa.evaluation.adversarial import passages
    from qa.index.embed import Embedder

    similar = similarity(Embedder(load_settings().embed_model, prefer_onnx=True))
    cache: dict[str, str] = {}
    out = []
    for case in cases:
        ps = passages(case, ROOT, cache)
        context = " ".join(p.text for p in ps)
        sents = []
        for claim, cited in split_sentences(case["draft"]):
            valid = list(dict.fromkeys(n - 1 for n in cited if 1 <= n <= len(ps)))
            spans, _ = find_quotes(claim, ps, valid, case["question"], similar, context)
            cands = [sp for i in (valid or range(len(ps))) for sp in _spans(ps[i], i)]
            sents.append({"claim": claim, "rules": spans, "cands": cands, "cand_text": [_text(ps, sp) for sp in cands],
                          "rules_text": " ".join(_text(ps, sp) for sp in spans)})
        out.append({"case": case, "ps": ps, "sents": sents})
    return out


def score_all(data: list[dict], judge) -> None:  # noqa: ANN001
    pairs = []
    for d in data:
        for s in d["sents"]:
            pairs += [(s["claim"], t) for t in s["cand_text"]] + ([(s["claim"], s["rules_text"])] if s["rules"] else [])
    scores = iter(judge.score(pairs))
    for d in data:
        for s in d["sents"]:
            s["cand_p"] = [next(scores) for _ in s["cand_text"]]
            s["rules_p"] = next(scores) if s["rules"] else 0.0


def outcome(d: dict, mode: str, thr: float) -> bool:
    from qa.evaluation.adversarial import score

    kept, dropped = [], []
    for s in d["sents"]:
        best = max(range(len(s["cand_p"])), key=lambda k: s["cand_p"][k], default=None)
        j_ok = best is not None and s["cand_p"][best] >= thr
        j_span = [s["cands"][best]] if j_ok else []
        if mode == "rules":
            spans = s["rules"]
        elif mode == "judge":
            spans = j_span
        elif mode == "both":
            spans = s["rules"] if s["rules"] and s["rules_p"] >= thr else []
        else:  # either
            spans = s["rules"] or j_span
        (kept.append((s["claim"], spans)) if spans else dropped.append(s["claim"]))
    return score(d["case"], _verified(kept, dropped, d["ps"]), d["ps"])


def table(data: list[dict], thr: float, by_type: bool) -> list[str]:
    modes = ["rules", "judge", "both", "either"]
    cells: dict = defaultdict(lambda: [0] * (1 + len(modes)))
    for d in data:
        c = d["case"]
        keys = [(c["label"], "ALL")] + ([(c["label"], c["type"])] if by_type else [])
        res = [outcome(d, m, thr) for m in modes]
        for k in keys:
            cells[k][0] += 1
            for i, r in enumerate(res):
                cells[k][i + 1] += r
    lines = ["| label | type | n | " + " | ".join(modes) + " |", "|---|---|---|" + "---|" * len(modes)]
    for (label, typ), v in sorted(cells.items(), key=lambda kv: (kv[0][0] != "false", kv[0][1] == "ALL", kv[0][1])):
        lines.append(f"| {label} | {typ} | {v[0]} | " + " | ".join(f"{x / v[0]:.1%}" for x in v[1:]) + " |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", choices=["dev", "test"], default="dev")
    ap.add_argument("--min", type=float, default=None, help="threshold; default: sweep (dev only)")
    ap.add_argument("--dump", type=Path, help="write per-sentence scores (dev only) here")
    ap.add_argument("--cache", type=Path, help="keep the rules' results here (they do not depend on the judge)")
    ap.add_argument("--suite", type=Path, default=ROOT / "evals" / "adversarial.jsonl",
                    help="a verifier suite in its format (evals/news-perturb.jsonl is all test: aggregate only)")
    a = ap.parse_args()
    from qa.check.judge import LearnedJudge

    cases = [json.loads(line) for line in a.suite.read_text().splitlines() if line.strip()]
    cases = [c for c in cases if c["split"] == a.split]
    key = (str(a.suite.resolve()), a.split)  # a cache holds one suite's split, never another's
    cached = pickle.loads(a.cache.read_bytes()) if a.cache and a.cache.exists() else None
    if isinstance(cached, dict) and cached.get("key") == key:
        data = cached["data"]
    else:
        data = collect(cases)
        if a.cache:
            a.cache.write_bytes(pickle.dumps({"key": key, "data": data}))
    score_all(data, LearnedJudge(threads=2))
    if a.min is None:
        if a.split != "dev":
            sys.exit("qa: error: a threshold must be given for the test split (it is chosen on dev)")
        for thr in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
            print(f"threshold {thr}")
            print("\n".join(line for line in table(data, thr, False)[2:]))
    else:
        print("\n".join(table(data, a.min, a.split == "dev")))
    if a.dump and a.split == "dev":
        with a.dump.open("w") as fh:
            for d in data:
                for s in d["sents"]:
                    best = max(range(len(s["cand_p"])), key=lambda k: s["cand_p"][k], default=None)
                    fh.write(json.dumps({"id": d["case"]["id"], "label": d["case"]["label"], "claim": s["claim"], "rules": bool(s["rules"]),
                                         "p": s["cand_p"][best] if best is not None else None, "quote": s["cand_text"][best] if best is not None else "",
                                         "rules_p": s["rules_p"]}) + "\n")


if __name__ == "__main__":
    main()
