"""What `answer_judge_min` would do, from one recorded run: run a gold set with the judge asked of
every answer but never deciding (`QA_ANSWER_JUDGE_MIN=0.000001 qa eval GOLD --json > R.json`; each
row's usage keeps `answer_p`), then print accuracy, false abstentions and abstention recall at each
threshold. The judge is the last step before an answer is returned, so withdrawing an answer whose
P(yes) is below a threshold is exactly what a run at that threshold does (llama.cpp's run-to-run
jitter aside). Choose the threshold on a dev split; read the others at that threshold only.

    python evals/answer_judge.py reports/answer-judge-seeds-dev.json

Runs recorded before the judge also read the extractive fallback's quotes have no `answer_p` on
fallback rows. `--fill` asks it of them after the fact, exactly as the answerer now does (the same
prompt over the first `answer_judge_quotes` quotes, which a fallback answer's text holds verbatim,
each followed by its marker), and writes the report back with those rows' `answer_p` added:

    python evals/answer_judge.py --fill reports/answer-judge-seeds-dev.json
"""

from __future__ import annotations

import json
import sys

THRESHOLDS = (0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7)


def curve(rows: list[dict]) -> list[dict]:
    ans = [r for r in rows if r["answerable"]]
    una = [r for r in rows if not r["answerable"]]
    out = []
    for t in THRESHOLDS:
        def withdrawn(r: dict) -> bool:
            return r["abstained"] or (r.get("usage") or {}).get("answer_p", 1.0) < t

        out.append({
            "threshold": t,
            "accuracy": round(sum(r["correct"] and not withdrawn(r) for r in ans) / max(1, len(ans)), 3),
            "false_abstentions": sum(withdrawn(r) for r in ans),
            "abstain_recall": round(sum(withdrawn(r) for r in una) / max(1, len(una)), 3),
        })
    return out


def fill(path: str) -> None:
    """Adds `answer_p` to the fallback rows of one recorded run (the default model, loaded once)."""
    import re

    from qa.answer.answer import yes_probability
    from qa.answer.models import load_model
    from qa.answer.prompt import build_judge_messages
    from qa.config import load_settings

    settings = load_settings()
    model = load_model(settings.model, settings)
    report = json.load(open(path, encoding="utf-8"))
    filled = 0
    for r in report["rows"]:
        if r.get("mode") != "fallback-extractive" or "answer_p" in (r.get("usage") or {}):
            continue
        quotes = [q.strip() for q in re.split(r" ?\[\d+\]", r["answer"]) if q.strip()][: settings.answer_judge_quotes]
        reply = model.generate(build_judge_messages(r["question"], " ".join(quotes)), max_tokens=1)
        r.setdefault("usage", {})["answer_p"] = round(yes_probability(getattr(model, "last_top", None), reply), 4)
        r["answer_p_filled"] = True
        filled += 1
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
    print(f"{path}: P(yes) asked of {filled} fallback answers")


def main() -> None:
    if sys.argv[1:2] == ["--fill"]:
        for path in sys.argv[2:]:
            fill(path)
        return
    for path in sys.argv[1:]:
        rows = json.load(open(path, encoding="utf-8"))["rows"]
        print(f"{path}: {len(rows)} questions, {sum(r['answerable'] for r in rows)} answerable")
        for c in curve(rows):
            print(f"  P(yes) < {c['threshold']:.2f} withdrawn: accuracy {c['accuracy']:.1%}, false abstentions {c['false_abstentions']}, abstention recall {c['abstain_recall']:.1%}")


if __name__ == "__main__":
    main()
