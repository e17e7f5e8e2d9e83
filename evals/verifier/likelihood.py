"""Can the answer model's own token probabilities tell a faithful restatement from a false one?

An experiment for the verifier (issue 28), not a check the verifier runs. For each draft of the
adversarial suite's dev split (a sample, both labels), the default model is shown the passage the
draft cites and made to write exactly the draft (a GBNF grammar of the literal text); llama.cpp
reports each forced token's log-probability under the model before the grammar (checked: tokens
the model would not choose get probabilities far below those it would). A changed figure, a
dropped negation or a swapped name should be the surprising tokens; a faithful paraphrase should
have none. It is also written once without the passage, for a pointwise-mutual-information score.

Measured Dec 7 on 35 + 35 dev drafts (seed 1; 8 s a draft on 2 cores): AUC of faithful over
false 0.73 by the least probable token, 0.80 by the second least, 0.65 by PMI per character. The
rules alone already block all 35 false drafts of the sample and keep 26 of 35 faithful ones. As a
confirming check (drop a kept sentence whose least probable token is below -4 … -10) it would keep
only 6-13 of those 26; as the judge of words the rules could not match it would rescue 0-3 of the
9 faithful drafts they drop while 0-6 of the 35 false drafts score as high (by the second least
probable token: 2 of 9 rescued at -2 with no false draft as high, 3 at -5 with 7). Names, code
and the tokenizer's detours around a surprising word make faithful drafts look as unlikely as false
ones, so the score was not built into the verifier.

    python evals/verifier/likelihood.py --per-label 35 --seed 1 --out /tmp/likelihood.jsonl
    python evals/verifier/likelihood.py --read /tmp/likelihood.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SYSTEM = "You restate facts from a passage in your own words, exactly as the passage states them."


def literal(text: str) -> str:
    """GBNF that admits exactly `text`."""
    return 'root ::= "' + text.replace("\\", "\\\\").replace('"', '\\"') + '"\n'


def forced(model, messages: list[dict[str, str]], text: str) -> list[float]:  # noqa: ANN001
    model.generate(messages, max_tokens=160, grammar=literal(text))
    return [lp for _, lp in model.last_logprobs]


def record(per_label: int, seed: int, out: Path) -> None:
    from qa.answer.models import load_model
    from qa.config import load_settings
    from qa.evaluation import adversarial as A

    settings = load_settings()
    model = load_model(settings.model, settings)
    cases = [c for c in A.load(ROOT / "evals" / "adversarial.jsonl") if c["split"] == "dev"]
    rng = random.Random(seed)
    sample = [c for label in ("false", "faithful") for c in rng.sample([c for c in cases if c["label"] == label], per_label)]
    verdicts = {r["id"]: r["ok"] for r in A.results_json(A.run(sample, ROOT, None))}  # the rules alone
    with out.open("a", encoding="utf-8") as f:
        for c in sample:
            ps = A.passages(c, ROOT)
            cited = sorted({int(n) for n in re.findall(r"\[(\d+)\]", c["draft"])})
            quote = " ".join(" ".join(ps[n - 1].text.split()) for n in cited if 0 < n <= len(ps))
            claim = re.sub(r"\s*\[\d+\]", "", c["draft"]).strip()
            given = forced(model, [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"Passage: {quote}\n\nState one fact from the passage."}], claim)
            alone = forced(model, [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "State one fact."}], claim)
            f.write(json.dumps({"id": c["id"], "label": c["label"], "type": c["type"], "rules_right": verdicts[c["id"]],
                                "chars": len(claim), "given": given, "alone": alone}) + "\n")


def auc(pos: list[float], neg: list[float]) -> float:
    """P(a faithful draft scores above a false one), ties half."""
    pairs = [(a > b) + 0.5 * (a == b) for a in pos for b in neg]
    return sum(pairs) / len(pairs) if pairs else float("nan")


def read(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    scores = {
        "least probable token": lambda r: min(r["given"]),
        "second least probable": lambda r: sorted(r["given"])[1] if len(r["given"]) > 1 else r["given"][0],
        "PMI per character": lambda r: (sum(r["given"]) - sum(r["alone"])) / r["chars"],
    }
    faithful = [r for r in rows if r["label"] == "faithful"]
    false = [r for r in rows if r["label"] == "false"]
    print(f"{len(faithful)} faithful, {len(false)} false drafts")
    for name, score in scores.items():
        print(f"AUC by {name}: {auc([score(r) for r in faithful], [score(r) for r in false]):.3f}")
    least = scores["least probable token"]
    blocked = sum(r["rules_right"] for r in false)
    kept = [r for r in faithful if r["rules_right"]]
    dropped = [r for r in faithful if not r["rules_right"]]
    print(f"rules alone: false blocked {blocked}/{len(false)}, faithful kept {len(kept)}/{len(faithful)}")
    for t in (-4, -6, -8, -10):
        print(f"least token >= {t}: faithful the rules keep still kept {sum(least(r) >= t for r in kept)}/{len(kept)}; "
              f"faithful the rules drop rescued {sum(least(r) >= t for r in dropped)}/{len(dropped)}; "
              f"false drafts scoring as high {sum(least(r) >= t for r in false)}/{len(false)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-label", type=int, default=35)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--read", type=Path)
    args = ap.parse_args()
    if args.read:
        read(args.read)
    elif args.out:
        record(args.per_label, args.seed, args.out)
    else:
        ap.error("--out FILE to record, or --read FILE")


if __name__ == "__main__":
    main()
