"""Turn evals/news-perturb-drafts.jsonl into evals/news-perturb.jsonl, the adversarial-suite format
that `qa eval` scores (qa/evaluation/adversarial.py).

The drafts were written by a helper that was shown the news corpus and a list of perturbation kinds,
never the verifier's rules or evals/adversarial.jsonl: 135 false drafts over 15 kinds and 63 faithful
paraphrases over 7, each against one or two sentences (`quote`) of one article. Here each case gets
the passages a verifier would see: passage [1] is the stored chunk that holds the quote (widened to
the next chunk when the quote runs across a boundary), then the two best other chunks retrieved for
the case's question. A faithful draft's only supporting passage is [1]; a false draft has none.

    qa ingest evals/news --collection news
    python evals/make_perturb.py            # needs that collection

The news dev corpus has its own set, written the same way by another helper, for tuning (its split
is `dev`; the news set's is `test`, frozen):

    qa ingest evals/newsdev --collection newsdev
    python evals/make_perturb.py --corpus newsdev
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qa.config import load_settings
from qa.answer.retrieve import Retriever, _passage

ROOT = Path(__file__).resolve().parent.parent
# corpus (and collection) -> the split its cases are marked with
SPLITS = {"news": "test", "newsdev": "dev"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", choices=sorted(SPLITS), default="news", help="evals/CORPUS, ingested as collection CORPUS")
    corpus = ap.parse_args().corpus
    drafts = ROOT / "evals" / f"{corpus}-perturb-drafts.jsonl"
    out = ROOT / "evals" / f"{corpus}-perturb.jsonl"
    settings = load_settings(collection=corpus)
    r = Retriever(settings)
    r.refresh()
    snap = r._fill(r.snapshot)  # noqa: SLF001 - every stored chunk, as retrieval reads them
    chunks = sorted((_passage(*row) for row in snap.rows), key=lambda p: (p.source, p.start))
    cases = []
    for line in drafts.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        source = f"evals/{corpus}/{d['source']}"
        mine = [p for p in chunks if p.source == source]
        text = (ROOT / source).read_text(encoding="utf-8")
        at = text.index(d["quote"])
        end = at + len(d["quote"])
        first = next(p for p in mine if p.start <= at < p.end)
        last = next(p for p in mine if p.start < end <= p.end) if end > first.end else first
        sentences = sorted({s for p in (first, last) for s in p.sentences if first.start <= s[0] and s[1] <= last.end})
        main_passage = {"source": source, "start": first.start, "end": max(first.end, last.end), "sentences": [list(s) for s in sentences]}
        others = []
        for p in r.retrieve(d["question"]).passages:
            if len(others) >= 2:
                break
            if p.source == source and p.start < main_passage["end"] and main_passage["start"] < p.end:
                continue
            others.append({"source": p.source, "start": p.start, "end": p.end, "sentences": [list(s) for s in p.sentences]})
        cases.append({
            "id": d["id"], "split": SPLITS[corpus], "label": d["label"], "type": d["kind"], "question": d["question"],
            "draft": d["draft"], "passages": [main_passage, *others],
            "supporting": [0] if d["label"] == "faithful" else [], "gold_id": "", "stated_in": [],
        })
    out.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
    print(f"{len(cases)} cases written to {out}")


if __name__ == "__main__":
    main()
