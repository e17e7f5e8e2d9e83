"""`qa bench`: speed and cost figures, with a peer measured in the same run.

The peer is the documented LlamaIndex recipe — SimpleDirectoryReader → VectorStoreIndex on Chroma →
CitationQueryEngine with default settings — given the same embedding model and the same GGUF model
(through a minimal llama-index LLM adapter over the same llama.cpp runtime), and scored by the same
gold set with the same fact matcher.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from qa.errors import QAError
from qa.evaluation.bench.common import _child_run, _warm_query_ms, write
from qa.evaluation.bench.peer import peer, score_peer
from qa.evaluation.evals import calls_text, pct


def copyright_corpus(limit: int, parent: Path) -> Path | None:
    """A few thousand real plain-text files every Debian machine has, as .txt links."""
    files = sorted(Path("/usr/share/doc").glob("*/copyright"))[:limit]
    if not files:
        return None
    d = parent / "copyright-docs"
    d.mkdir()
    for f in files:
        (d / f"{f.parent.name}.txt").symlink_to(f)
    return d


def ingest_figures(name: str, path: Path, home: Path, collection: str | None = None) -> dict:
    env = {**os.environ, "QA_HOME": str(home), "QA_COLLECTION": collection or name}
    wall, rss, out = _child_run(["ingest", str(path)], env)
    m = re.search(r"ingested (\d+) files \((\d+) chunks\)", out)
    files, chunks = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    return {"corpus": name, "files": files, "chunks": chunks, "seconds": round(wall, 1),
            "files_per_s": round(files / wall, 1), "chunks_per_s": round(chunks / wall, 1), "peak_rss_mb": round(rss)}



def retrieval_latency(home: Path, collection: str, questions: list[str], rounds: int = 3) -> dict:
    os.environ["QA_HOME"] = str(home)
    from qa.config import load_settings
    from qa.answer.retrieve import Retriever

    r = Retriever(load_settings(collection=collection))
    r.retrieve(questions[0])  # warm
    times = _warm_query_ms(r, questions, rounds)
    return {"collection": collection, "chunks": len(r.snapshot.rows), "p50_ms": round(pct(times, 0.5), 1), "p95_ms": round(pct(times, 0.95), 1)}



def cold_ask(home: Path, model: str, question: str) -> float:
    env = {**os.environ, "QA_HOME": str(home)}
    wall, _, _ = _child_run(["ask", "--collection", "seeds", "--model", model, question], env)
    return round(wall, 2)



# -- orchestration and tables of `qa bench` (the CLI only parses its flags) ---------------------


def run(models: str, peer_model: str, gold: Path, limit: int, docs: int, out: Path, corpus: Path = Path("seeds")) -> None:
    """The full benchmark: ingest, retrieval, answers per model, the LlamaIndex peer; prints a
    table and writes `out`."""
    import os
    import platform
    import tempfile

    from rich.console import Console

    from qa.config import load_settings
    from qa.answer.models import load_model, models_dir
    from qa.answer.retrieve import Retriever

    from qa.evaluation import evals

    err = Console(stderr=True)
    if not corpus.is_dir():
        raise QAError(f"--corpus {corpus}: not a folder of documents")
    gold_rows = evals.load_gold(gold)
    os.environ.setdefault("QA_MODELS_DIR", str(models_dir()))
    with tempfile.TemporaryDirectory(prefix="qa-bench-home-") as scratch:  # removed however the run ends
        home = Path(scratch)
        os.environ["QA_HOME"] = str(home)
        if limit and limit < len(gold_rows):
            step = len(gold_rows) / limit
            gold_rows = [gold_rows[int(i * step)] for i in range(limit)]
        questions = [g.question for g in gold_rows]
        result: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}", "ingest": [], "retrieval": [], "answers": []}
        err.print(f"[bold]ingest[/bold] {corpus}")
        result["ingest"].append(ingest_figures(corpus.name, corpus, home, collection="seeds"))  # any corpus, one collection name
        big = copyright_corpus(docs, home) if docs else None
        if big:
            err.print(f"[bold]ingest[/bold] {docs} copyright files")
            result["ingest"].append(ingest_figures("copyright", big, home))
        result["retrieval"].append(retrieval_latency(home, "seeds", questions) | {"collection": corpus.name})
        if big:
            result["retrieval"].append(retrieval_latency(home, "copyright", questions))
        err.print("[bold]cold start[/bold] qa ask, new process each run")
        from qa.evaluation.cold import cold_start

        result["cold_start"] = cold_start(home, "seeds", questions[0])
        for name in [m for m in models.split(",") if m]:
            err.print(f"[bold]answers[/bold] {name}")
            cold = cold_ask(home, name, questions[0]) if name else 0.0
            settings = load_settings(collection="seeds", model=name)
            from qa.answer.answer import Answerer

            rows, summary = evals.run(Answerer(settings, Retriever(settings), load_model(name, settings)), gold_rows)
            result["answers"].append({"system": "qa", "model": name, "cold_ask_s": cold, **{k: summary[k] for k in (
                "accuracy", "abstain_precision", "abstain_recall", "citation_precision", "phantom_citations", "latency_ms",
                "prompt_tokens", "completion_tokens", "generations", "questions")}})
        if peer_model:
            err.print(f"[bold]peer[/bold] LlamaIndex CitationQueryEngine with {peer_model}")
            prow = peer(corpus, gold_rows, peer_model)
            result["peer"] = {"system": "llama-index CitationQueryEngine (defaults)", "model": peer_model, **score_peer(prow, gold_rows), "rows": prow}
        write(result, out)
        print_table(result)
        err.print(f"wrote {out}")


def print_table(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"qa bench · {result['machine']}")
    for col in ("what", "figure"):
        table.add_column(col)
    for i in result["ingest"]:
        table.add_row(f"ingest {i['corpus']}", f"{i['files']} files, {i['chunks']} chunks in {i['seconds']} s: {i['files_per_s']} files/s, {i['chunks_per_s']} chunks/s, peak RSS {i['peak_rss_mb']} MB")
    for r in result["retrieval"]:
        table.add_row(f"retrieve (warm) {r['collection']}", f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms over {r['chunks']} chunks")
    for model, c in result.get("cold_start", {}).items():
        first = f"; first output on a terminal {c['first_output_s']} s" if "first_output_s" in c else ""
        table.add_row(f"cold qa ask · {model}", f"median {c['median_s']} s over {len(c['runs_s'])} runs ({', '.join(map(str, c['runs_s']))} s){first}")
    for a in result["answers"]:
        lat = a["latency_ms"]["total"]
        table.add_row(f"qa · {a['model']}", f"accuracy {a['accuracy']:.0%}, abstain recall {a['abstain_recall']:.0%}, citation precision {a['citation_precision']:.0%}, phantom {a['phantom_citations']}, p50 {lat['p50'] / 1000:.1f} s, p95 {lat['p95'] / 1000:.1f} s, cold ask {a['cold_ask_s']} s")
        if a.get("questions") and a.get("generations"):
            n = a["questions"]
            table.add_row(f"qa · {a['model']} · per question", f"prompt tokens {a['prompt_tokens'] / n:.0f}, completion tokens "
                          f"{a['completion_tokens'] / n:.0f}, model calls (calls: questions) {calls_text(a['generations'])}")
    if "peer" in result:
        p = result["peer"]
        table.add_row(f"peer · {p['model']}", f"accuracy {p['accuracy']:.0%}, abstain recall {p['abstain_recall']:.0%}, citation precision {p['citation_precision']:.0%}, phantom {p['phantom_citations']}, p50 {p['p50_ms'] / 1000:.1f} s, p95 {p['p95_ms'] / 1000:.1f} s")
        ours = next((a for a in result["answers"] if a["model"] == p["model"]), None)
        if ours:
            speed = p["p50_ms"] / max(1.0, ours["latency_ms"]["total"]["p50"])
            table.add_row("qa vs peer (same model)", f"accuracy {ours['accuracy'] / max(p['accuracy'], 1e-9):.2f}x, p50 latency {speed:.1f}x faster")
    Console().print(table)
