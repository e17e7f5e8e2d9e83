"""What each check of the verifier does on the verifier sets: the whole verifier, then the verifier
with one check turned off (it always passes), over the frozen news perturbation set, the news dev
perturbation set and the adversarial suite. A check whose removal blocks no fewer false drafts on either set earns
nothing; one whose removal keeps more faithful drafts costs something. Rules alone (no judge).

    python evals/verifier/ablate.py [--out reports/verifier-ablation.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from qa.check import claims, verify  # noqa: E402
from qa.evaluation import adversarial as A  # noqa: E402

# check name -> (module, attribute to turn off, the general property it tests)
CHECKS = {
    "numbers": (claims, "_numbers_ok", "every figure of the claim, with its unit, scale and bound, is in the quote"),
    "polarity": (claims, "_polarity_ok", "what the claim negates the quote negates, and the reverse"),
    "commitment": (claims, "_commitment_ok", "no more universal (all, only), more certain (will; a hedge dropped) or causal (because) than the quote"),
    "comparison": (claims, "_comparison_ok", "a comparison or a direction of change (rose/fell, more/less) is the quote's"),
    "names": (claims, "_names_ok", "every name of the claim is the quote's, in a role the quote gives it"),
    "roles": (claims, "roles_ok", "who did what to whom: subject and object as the quote's parse has them"),
    "content": (claims, "_content_ok", "every content word of the claim is the quote's, a WordNet synonym or hypernym of one, or near one in meaning; none its antonym"),
    "consistency": (verify, "contradicts", "no two sentences of the answer say one thing with opposite polarity or direction"),
}
SETS = {
    "news-perturb": ROOT / "evals" / "news-perturb.jsonl",
    "newsdev-perturb": ROOT / "evals" / "newsdev-perturb.jsonl",
    "adversarial": ROOT / "evals" / "adversarial.jsonl",
}


def rates(results: list[A.Result]) -> dict[str, float]:
    out = {}
    for label in ("false", "faithful"):
        rs = [r for r in results if r.case["label"] == label]
        out[label] = round(sum(r.ok for r in rs) / len(rs), 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "reports" / "verifier-ablation.json"))
    args = ap.parse_args()
    cases = {name: A.load(path) for name, path in SETS.items()}
    out: dict[str, dict] = {}
    for check in (None, *CHECKS):
        row: dict[str, dict] = {}
        off = (lambda *a, **k: False) if check == "consistency" else (lambda *a, **k: "")
        patch = mock.patch.object(CHECKS[check][0], CHECKS[check][1], off) if check else mock.patch.dict({})
        with patch:
            for name, cs in cases.items():
                row[name] = rates(A.run(cs, A.root_of(SETS[name])))
        key = check or "all checks"
        out[key] = {"tests": CHECKS[check][2] if check else "", **row}
        print(f"{key:12} " + "  ".join(f"{n}: false blocked {r['false']:.1%}, faithful kept {r['faithful']:.1%}" for n, r in row.items()), flush=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
