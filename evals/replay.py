"""Re-decide recorded drafts: a change to verification or to the decision after it, measured on the
drafts the default model actually wrote, in minutes instead of a full LLM run.

A `qa eval --json` report keeps each question's final draft. This script asks every gold question
again through the current code with a model that, asked for an answer, replies with the recorded
draft, and passes everything else — the one-word judges (relevance, entailment, answer judge) — to
the real model. Retrieval is deterministic, so the evidence is the recorded run's as long as the
retrieval settings are the same (pass the run's `QA_*` settings in the environment). What it cannot
replay: a draft the model would write differently under a changed prompt or evidence, and the
re-ask's choice (a recorded final draft is replayed whichever call produced it). So it measures
the checks and the decision, not the reading; a change it favours still needs a full run.

    QA_HOME=H python evals/replay.py reports/eval-news-test-qwen2.5-1.5b.json evals/news-test.jsonl \
        --collection news [--out F] [--rows]

Prints the summary (the same fields as `qa eval --json`); `--rows` adds one line per question for a
dev split (a frozen split's rows are not for reading).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


class ReplayModel:
    """Replies to an answer prompt with the recorded draft of the question being asked; passes
    a judge's one-word prompt to the real model."""

    def __init__(self, real, drafts: dict[str, str]) -> None:  # noqa: ANN001 - a qa.answer.models.Model
        self.real = real
        self.name = real.name
        self.drafts = drafts
        self.question = ""
        self.last_usage: dict[str, float] = {}
        self.last_logprobs: list = []
        self.last_top: list = []

    def generate(self, messages, max_tokens, on_token=None, grammar=None):  # noqa: ANN001, ANN201
        if max_tokens > 2:  # an answer or a reading: the recorded one
            self.last_usage, self.last_logprobs, self.last_top = {"prompt_tokens": 0, "completion_tokens": 0}, [], []
            return self.drafts[self.question]
        text = self.real.generate(messages, max_tokens, on_token)  # a judge: one word, no grammar
        self.last_usage = dict(getattr(self.real, "last_usage", {}) or {})
        self.last_logprobs = list(getattr(self.real, "last_logprobs", []) or [])
        self.last_top = list(getattr(self.real, "last_top", []) or [])
        return text


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("report", type=Path, help="a `qa eval --json` report of the default model")
    ap.add_argument("gold", type=Path)
    ap.add_argument("--collection", default="default")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--rows", action="store_true", help="one line per question (dev splits only)")
    args = ap.parse_args()

    from qa.answer.answer import Answerer
    from qa.answer.models import load_model
    from qa.answer.retrieve import Retriever
    from qa.config import Settings
    from qa.evaluation import evals

    report = json.loads(args.report.read_text())
    drafts = {r["question"]: r.get("draft") or "" for r in report["rows"]}
    gold = evals.load_gold(args.gold)
    missing = [g.id for g in gold if g.question not in drafts]
    if missing:
        sys.exit(f"replay: error: {args.report} holds no draft for {len(missing)} question(s) of {args.gold} (first: {missing[0]})")
    settings = Settings(collection=args.collection)
    model = ReplayModel(load_model(report["summary"]["model"], settings), drafts)
    answerer = Answerer(settings, Retriever(settings), model)
    ask = answerer.ask

    def replayed(question: str, *a, **k):  # noqa: ANN002, ANN003, ANN202
        model.question = question
        return ask(question, *a, **k)

    answerer.ask = replayed  # type: ignore[method-assign]
    rows, summary = evals.run(answerer, gold, on_row=(lambda r: print(evals.verdict(r), r.id, r.lost_at, file=sys.stderr)) if args.rows else None)
    summary["replayed_from"] = str(args.report)
    out = {"summary": summary, "rows": evals.rows_json(rows)}
    if args.out:
        args.out.write_text(json.dumps(out, indent=1) + "\n")
    keys = ("accuracy", "false_abstentions", "abstain_recall", "citation_precision", "multi_source_complete", "wrong_answers", "lost_at")
    print(json.dumps({k: summary.get(k) for k in keys}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
