"""The embedder at ingest: speed by runtime, precision, batch size and threads, and what int8 costs
in retrieval on every gold set.

    python -m qa.evaluation.bench.embedspeed [--out reports/bench-embed.json]

Speed: the same chunk texts (the gold corpora's chunks) embedded by sentence-transformers (torch,
what `qa ingest` used), the ONNX export in fp32, and that export quantized to int8 by
onnxruntime's dynamic quantization, at several batch sizes and thread counts. Quality: each gold
corpus (seeds/, evals/pydoc/, evals/licenses/) ingested with each ONNX variant into a scratch
store, then recall@k and MRR of the real retriever (dense + BM25, fused) on the gold questions,
dev and test splits: the same figures `qa eval` reports, without the answering stage.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

GOLD = {"seeds": ("seeds", "seeds"), "pydoc": ("evals/pydoc", "pydoc"), "licenses": ("evals/licenses", "licenses")}


def int8_path(fp32: Path) -> Path:
    """The fp32 export quantized once (weights int8, activations quantized per batch)."""
    target = fp32.with_name(fp32.stem + "-int8.onnx")
    if not target.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = target.with_suffix(f".tmp-{os.getpid()}.onnx")
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8)
        os.replace(tmp, target)
    return target


def encoder(variant: str, threads: int = 0):  # noqa: ANN201 - an Embedder
    """An Embedder running `variant`: "torch", "onnx-fp32" or "onnx-int8"."""
    from qa.index.embed import Embedder, _OnnxEncoder, export_onnx

    e = Embedder("all-MiniLM-L6-v2", prefer_onnx=variant != "torch", threads=threads)
    if variant == "torch":
        e.prepare()
        return e
    fp32 = export_onnx(e.path)
    path = fp32 if variant == "onnx-fp32" else int8_path(fp32)
    e.__dict__["_onnx"] = _OnnxEncoder(path, e.path, e.tokenizer, e.max_tokens, threads)
    return e


def chunk_texts(limit: int) -> list[str]:
    from qa.index.load import discover, read
    from qa.index.split import split
    from qa.config import load_settings

    s = load_settings()
    tok = encoder("torch").tokenizer
    texts: list[str] = []
    for folder, _ in GOLD.values():
        for label, path, _ in discover([folder]):
            doc = read(label, path, 10**8)
            texts += [c.text for c in split(doc.text, s.chunk_size, s.chunk_overlap, lambda t: tok.encode(t, add_special_tokens=False).ids)]
    step = max(1, len(texts) // limit)
    return texts[::step][:limit]


def speed(texts: list[str], variants: list[str], batches: list[int], threads: list[int]) -> list[dict]:
    rows = []
    for v in variants:
        for th in threads:
            e = encoder(v, th)
            e.embed(texts[:32])  # warm
            for b in batches:
                t0 = time.perf_counter()
                e.embed(texts, batch_size=b)
                dt = time.perf_counter() - t0
                rows.append({"variant": v, "threads": th, "batch": b, "chunks": len(texts), "chunks_per_s": round(len(texts) / dt, 1)})
                print(json.dumps(rows[-1]), flush=True)
    return rows


def quality(variant: str, home: Path) -> dict:
    """recall@k and MRR per gold set (dev and test together) with `variant` at ingest and query."""
    from qa.answer.retrieve import Retriever
    from qa.config import load_settings
    from qa.evaluation.evals import load_gold
    from qa.index.ingest import ingest

    os.environ["QA_HOME"] = str(home)
    e = encoder(variant)
    out = {}
    for name, (folder, prefix) in GOLD.items():
        settings = load_settings(collection=f"{name}-{variant}")
        ingest([folder], settings, embedder=e)
        r = Retriever(settings, embedder=e)
        ranks = []
        for split_name in ("dev", "test"):
            for g in load_gold(Path(f"evals/{prefix}-{split_name}.jsonl")):
                if not g.answerable:
                    continue
                gold = {Path(s).name for s in g.sources}
                passages = r.retrieve(g.question).passages
                ranks.append(next((i for i, p in enumerate(passages, 1) if Path(p.source).name in gold), None))
        k = settings.passages
        out[name] = {"questions": len(ranks), f"recall@{k}": round(sum(x is not None for x in ranks) / len(ranks), 3),
                     "mrr": round(sum(1 / x for x in ranks if x) / len(ranks), 3), "ranks": ranks}
        print(variant, name, {k2: v for k2, v in out[name].items() if k2 != "ranks"}, flush=True)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("reports/bench-embed.json"))
    p.add_argument("--chunks", type=int, default=256)
    p.add_argument("--skip-quality", action="store_true")
    a = p.parse_args()
    res: dict = {"machine": f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start"}
    texts = chunk_texts(a.chunks)
    res["speed"] = speed(texts, ["torch", "onnx-fp32", "onnx-int8"], [16, 32, 64], [1, 2])
    if not a.skip_quality:
        with tempfile.TemporaryDirectory(prefix="qa-bench-embed-") as scratch:
            embed_dir = Path(os.environ.get("QA_HOME", scratch)) / "embed"
            home = Path(scratch)
            if embed_dir.is_dir():  # reuse the exports
                os.symlink(embed_dir, home / "embed")
            res["quality"] = {v: quality(v, home) for v in ("onnx-fp32", "onnx-int8")}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(res, indent=1))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
