"""What `answer_judge_min` would do, from one recorded run: run a gold set with the judge asked of
every answer but never deciding (`QA_ANSWER_JUDGE_MIN=0.000001 qa eval GOLD --json > R.json`; each
row's usage keeps `answer_p`), then print accuracy, false abstentions and abstention recall at each
threshold. The judge is the last step before an answer is returned, so withdrawing an answer whose
P(yes) is below a threshold is exactly what a run at that threshold does (llama.cpp's run-to-run
jitter aside). Choose the threshold on a dev split; read the others at that threshold only.

    python evals/answer_judge.py reports/answer-judge-seeds-dev.json
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


def main() -> None:
    for path in sys.argv[1:]:
        rows = json.load(open(path, encoding="utf-8"))["rows"]
        print(f"{path}: {len(rows)} questions, {sum(r['answerable'] for r in rows)} answerable")
        for c in curve(rows):
            print(f"  P(yes) < {c['threshold']:.2f} withdrawn: accuracy {c['accuracy']:.1%}, false abstentions {c['false_abstentions']}, abstention recall {c['abstain_recall']:.1%}")


if __name__ == "__main__":
    main()
