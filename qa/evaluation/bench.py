"""`qa bench`: speed and cost figures, with a peer measured in the same run.

The peer is the documented LlamaIndex recipe — SimpleDirectoryReader → VectorStoreIndex on Chroma →
CitationQueryEngine with default settings — given the same embedding model and the same GGUF model
(through a minimal llama-index LLM adapter over the same llama.cpp runtime), and scored by the same
gold set with the same fact matcher.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qa.errors import QAError
from qa.evaluation.evals import Gold, matches, pct


def _child_run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and stdout of a `qa` subprocess."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "qa", *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise QAError(f"qa {' '.join(args)} failed: {proc.stderr.strip()[-300:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024, proc.stdout


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
    return {"collection": collection, "chunks": r.corpus.chunks.count(), "p50_ms": round(pct(times, 0.5), 1), "p95_ms": round(pct(times, 0.95), 1)}


def _warm_query_ms(retriever, questions: list[str], rounds: int) -> list[float]:  # noqa: ANN001
    """Milliseconds per retrieval, `rounds` passes over `questions` with the index already built."""
    times = []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            retriever.retrieve(q)
            times.append((time.perf_counter() - t0) * 1000)
    return times


def cold_ask(home: Path, model: str, question: str) -> float:
    env = {**os.environ, "QA_HOME": str(home)}
    wall, _, _ = _child_run(["ask", "--collection", "seeds", "--model", model, question], env)
    return round(wall, 2)


# -- the peer ---------------------------------------------------------------------------------------


def _peer_llm(model_path: Path, settings):  # noqa: ANN001, ANN202
    from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
    from llama_index.core.llms.callbacks import llm_completion_callback

    from qa.answer.models import LlamaCppModel

    runtime = LlamaCppModel(model_path, settings)

    class SameGGUF(CustomLLM):
        """The same weights and runtime as qa, behind llama-index's LLM interface."""

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(context_window=settings.context_tokens, num_output=256, model_name=model_path.name)

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kwargs) -> CompletionResponse:  # noqa: ANN003
            return CompletionResponse(text=runtime.generate([{"role": "user", "content": prompt}], 256))

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs):  # noqa: ANN003, ANN201
            text = runtime.generate([{"role": "user", "content": prompt}], 256)
            yield CompletionResponse(text=text, delta=text)

    return SameGGUF()


def peer(corpus: Path, gold: list[Gold], model_name: str) -> list[dict]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Settings as LISettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.query_engine import CitationQueryEngine
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from qa.config import load_settings
    from qa.index.embed import resolve_embed_model
    from qa.answer.models import PACKAGED

    settings = load_settings()
    LISettings.embed_model = HuggingFaceEmbedding(model_name=str(resolve_embed_model("all-MiniLM-L6-v2")))
    LISettings.llm = _peer_llm(PACKAGED[model_name].ensure(), settings)
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("peer"))
    docs = SimpleDirectoryReader(str(corpus)).load_data()
    index = VectorStoreIndex.from_documents(docs, storage_context=StorageContext.from_defaults(vector_store=store))
    engine = CitationQueryEngine.from_args(index)
    rows = []
    for g in gold:
        t0 = time.perf_counter()
        resp = engine.query(g.question)
        ms = (time.perf_counter() - t0) * 1000
        text = str(resp)
        nodes = resp.source_nodes
        cited = {int(n) for n in re.findall(r"\[(?:Source\s*)?(\d+)\]", text)}
        usable = 0
        for n in cited:
            if 1 <= n <= len(nodes):
                node = nodes[n - 1]
                src = Path(node.node.metadata.get("file_path", "")).name
                usable += src in {Path(s).name for s in g.sources} or any(matches(node.node.get_content(), grp) for grp in g.facts)
        rows.append({"id": g.id, "answerable": g.answerable, "answer": text, "ms": ms, "cited": len(cited), "usable_citations": usable,
                     "phantom": sum(1 for n in cited if not 1 <= n <= len(nodes))})
    return rows


def score_peer(rows: list[dict], gold: list[Gold]) -> dict:
    from qa.check.verify import is_not_found

    by_id = {g.id: g for g in gold}
    refusal = re.compile(r"(not (provided|mentioned|specified|stated|available)|no (information|mention)|none of the sources|do(es)? not (say|provide|mention|contain))", re.I)
    correct = answered_unanswerable = cites = usable = 0
    for r in rows:
        g = by_id[r["id"]]
        abstained = is_not_found(r["answer"]) or bool(refusal.search(r["answer"]))
        r["abstained"] = abstained
        if g.answerable:
            ok = not abstained and all(matches(r["answer"], grp) for grp in g.facts)
            correct += ok
            cites += r["cited"]
            usable += r["usable_citations"]
        else:
            answered_unanswerable += not abstained
    ans = sum(g.answerable for g in gold)
    una = len(gold) - ans
    ms = [r["ms"] for r in rows]
    return {
        "accuracy": round(correct / max(1, ans), 3),
        "abstain_recall": round((una - answered_unanswerable) / max(1, una), 3),
        "answered_unanswerable": answered_unanswerable,
        "usable_citation_rate": round(usable / max(1, ans), 3),
        "citation_precision": round(usable / cites, 3) if cites else 0.0,
        "phantom_citations": sum(r["phantom"] for r in rows),
        "p50_ms": round(pct(ms, 0.5)),
        "p95_ms": round(pct(ms, 0.95)),
    }


def write(result: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")


# -- scale: a few thousand files, embedded store and Chroma server side by side ---------------------

SCALE_QUESTIONS = [
    "Who holds the copyright for this package?",
    "Which license allows redistribution with or without modification?",
    "Is there a warranty of merchantability or fitness for a particular purpose?",
    "How do I parse command line arguments?",
    "What does the GNU General Public License require when distributing binaries?",
    "How can I read a file line by line?",
    "Where is the full text of the Apache License found on Debian systems?",
    "Which module handles regular expressions?",
    "What is a public domain dedication?",
    "How are unit tests discovered and run?",
]


def scale_corpus(n: int, max_bytes: int = 1200) -> tuple[Path, dict]:
    """`n` real plain-text files every Debian/Python machine has — /usr/share/doc/*/copyright, then
    .txt/.md files under /usr/share/doc, then the Python standard library's .py files, taken in
    turn — each cut at a line end to its first `max_bytes` (so that embedding, ~44 chunks/s on 2
    cores, stays in minutes) and written as .txt (the loader reads .txt, not .py)."""
    import sysconfig

    doc = Path("/usr/share/doc")
    groups = [
        sorted(doc.glob("*/copyright")),
        sorted(p for p in doc.rglob("*") if p.suffix in (".txt", ".md") and p.is_file()),
        sorted(Path(sysconfig.get_paths()["stdlib"]).rglob("*.py")),
    ]
    d = Path(tempfile.mkdtemp(prefix="qa-bench-scale-"))
    taken = {"copyright": 0, "doc_txt_md": 0, "stdlib_py": 0}
    names = list(taken)
    iters = [iter(g) for g in groups]
    i = 0
    while i < n and iters:
        for gi, it in list(enumerate(iters)):
            if it is None:
                continue
            f = next(it, None)
            if f is None:
                iters[gi] = None
                continue
            try:
                data = f.read_bytes()[: max_bytes * 2]
            except OSError:
                continue
            if b"\x00" in data or len(data) < 200:
                continue
            text = data.decode("utf-8", "replace")[:max_bytes]
            cut = text.rfind("\n")
            text = text[: cut if cut > max_bytes // 2 else len(text)]
            (d / f"{i:05d}-{f.parent.name}-{f.stem}.txt").write_text(text, encoding="utf-8")
            taken[names[gi]] += 1
            i += 1
            if i >= n:
                break
        if all(it is None for it in iters):
            break
    return d, {"files": i, "from": taken, "max_bytes": max_bytes, "bytes": sum(p.stat().st_size for p in d.iterdir())}


def start_chroma_server(path: Path) -> tuple[subprocess.Popen, str]:
    """`chroma run` (shipped with chromadb) on a free localhost port; returns once it answers."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen([str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2).read()
            return proc, url
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    raise QAError("the Chroma server did not start")


def _peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a running process, from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def scale_ingest(mode: str, corpus: Path, home: Path, env_extra: dict[str, str], server_pid: int | None = None) -> dict:
    """One `qa ingest -v` in a child process: wall time, files/s, chunks/s, the child's own peak RSS
    (os.wait4, not the cumulative RUSAGE_CHILDREN), the server's peak RSS, and the time breakdown."""
    env = {**os.environ, "QA_HOME": str(home), "QA_COLLECTION": "scale", **env_extra}
    with tempfile.TemporaryFile("w+") as fout, tempfile.TemporaryFile("w+") as ferr:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "qa", "ingest", "-v", str(corpus)], env=env, stdout=fout, stderr=ferr)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
        wall = time.perf_counter() - t0
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read()
    if code != 0:
        raise QAError(f"qa ingest ({mode}) failed: {err.strip()[-300:]}")
    m = re.search(r"ingested (\d+) files \((\d+) chunks\)", out)
    files, chunks = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    breakdown = {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+) s", out.split("time:", 1)[-1])}
    return {
        "mode": mode, "files": files, "chunks": chunks, "seconds": round(wall, 1),
        "files_per_s": round(files / wall, 2), "chunks_per_s": round(chunks / wall, 1),
        "client_peak_rss_mb": round(usage.ru_maxrss / 1024),
        "server_peak_rss_mb": round(_peak_rss_mb(server_pid)) if server_pid else None,
        "time_s": breakdown,
    }


def scale_retrieval(mode: str, home: Path, env_extra: dict[str, str], rounds: int = 3) -> dict:
    """Warm retrieval latency at this size (same process, BM25 built), and the first query's cost
    (which builds BM25 by paging every chunk out of the store)."""
    saved = {k: os.environ.get(k) for k in ("QA_HOME", "QA_CHROMA_URL")}
    os.environ.update({"QA_HOME": str(home), **env_extra})
    if "QA_CHROMA_URL" not in env_extra:
        os.environ.pop("QA_CHROMA_URL", None)
    try:
        from qa.config import load_settings
        from qa.answer.retrieve import Retriever

        t0 = time.perf_counter()
        r = Retriever(load_settings(collection="scale"))
        r.retrieve(SCALE_QUESTIONS[0])
        first = time.perf_counter() - t0
        times = _warm_query_ms(r, SCALE_QUESTIONS, rounds)
        return {"mode": mode, "chunks": r.corpus.chunks.count(), "first_query_s": round(first, 2),
                "p50_ms": round(pct(times, 0.5), 1), "p95_ms": round(pct(times, 0.95), 1), "queries": len(times)}
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def scale(n: int, max_bytes: int = 1200) -> dict:
    """The scale benchmark: the same corpus ingested into an embedded store and into a Chroma
    server, one after the other on an otherwise idle machine, then retrieval on each."""
    import platform
    import shutil

    corpus, about = scale_corpus(n, max_bytes)
    result: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}", "corpus": about,
                    "ingest": [], "retrieval": []}
    home = Path(tempfile.mkdtemp(prefix="qa-bench-scale-home-"))
    try:
        result["ingest"].append(scale_ingest("embedded", corpus, home, {}))
        result["retrieval"].append(scale_retrieval("embedded", home, {}))
        embedded_size = sum(f.stat().st_size for f in (home / "chroma").rglob("*") if f.is_file())
        result["ingest"][0]["store_mb"] = round(embedded_size / 1e6, 1)
        server, url = start_chroma_server(home / "server")
        try:
            env = {"QA_CHROMA_URL": url}
            result["ingest"].append(scale_ingest("server", corpus, home, env, server.pid))
            result["retrieval"].append(scale_retrieval("server", home, env))
            result["ingest"][1]["store_mb"] = round(sum(f.stat().st_size for f in (home / "server").rglob("*") if f.is_file()) / 1e6, 1)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(corpus, ignore_errors=True)
    return result


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
                "prompt_tokens", "completion_tokens")}})
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
        table.add_row(f"cold qa ask · {model}", f"median {c['median_s']} s over {len(c['runs_s'])} runs ({', '.join(map(str, c['runs_s']))} s)")
    for a in result["answers"]:
        lat = a["latency_ms"]["total"]
        table.add_row(f"qa · {a['model']}", f"accuracy {a['accuracy']:.0%}, abstain recall {a['abstain_recall']:.0%}, citation precision {a['citation_precision']:.0%}, phantom {a['phantom_citations']}, p50 {lat['p50'] / 1000:.1f} s, p95 {lat['p95'] / 1000:.1f} s, cold ask {a['cold_ask_s']} s")
    if "peer" in result:
        p = result["peer"]
        table.add_row(f"peer · {p['model']}", f"accuracy {p['accuracy']:.0%}, abstain recall {p['abstain_recall']:.0%}, citation precision {p['citation_precision']:.0%}, phantom {p['phantom_citations']}, p50 {p['p50_ms'] / 1000:.1f} s, p95 {p['p95_ms'] / 1000:.1f} s")
        ours = next((a for a in result["answers"] if a["model"] == p["model"]), None)
        if ours:
            speed = p["p50_ms"] / max(1.0, ours["latency_ms"]["total"]["p50"])
            table.add_row("qa vs peer (same model)", f"accuracy {ours['accuracy'] / max(p['accuracy'], 1e-9):.2f}x, p50 latency {speed:.1f}x faster")
    Console().print(table)




def run_scale(n: int, max_bytes: int, out: Path) -> None:
    """`qa bench --scale N`: the scale run, its table, and its JSON."""
    from rich.console import Console
    from rich.table import Table

    err = Console(stderr=True)
    err.print(f"[bold]scale[/bold] {n} files: embedded store, then a Chroma server")
    res = scale(n, max_bytes)
    write(res, out)
    c = res["corpus"]
    table = Table(title=f"qa bench --scale · {c['files']} files ({c['bytes'] / 1e6:.1f} MB) · {res['machine']}")
    for col in ("store", "ingest", "files/s", "chunks/s", "peak RSS client / server", "read / split / embed / write (load)", "retrieval p50 / p95 (first query)"):
        table.add_column(col)
    for i, r in zip(res["ingest"], res["retrieval"]):
        t = i["time_s"]
        server = f" / {i['server_peak_rss_mb']} MB" if i.get("server_peak_rss_mb") else ""
        table.add_row(
            i["mode"], f"{i['chunks']} chunks in {i['seconds']} s", str(i["files_per_s"]), str(i["chunks_per_s"]),
            f"{i['client_peak_rss_mb']} MB{server}",
            f"{t.get('read', 0):.1f} / {t.get('split', 0):.1f} / {t.get('embed', 0):.1f} / {t.get('write', 0):.1f} ({t.get('load', 0):.1f}) s",
            f"{r['p50_ms']} / {r['p95_ms']} ms ({r['first_query_s']} s)",
        )
    Console().print(table)
    err.print(f"wrote {out}")




# -- `qa bench --serve`: a warm server under load, on loopback only ------------------------------


def start_server(args: list[str], env: dict[str, str], timeout: float = 300) -> tuple[subprocess.Popen, str]:
    """Start `qa serve` on a free loopback port; return once it listens (its stderr says so). A
    watchdog kills a server that never gets there, which ends the stream and raises here."""
    import socket
    import threading

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "qa", "serve", "--port", str(port), *args], env=env, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    seen = []
    try:
        for line in proc.stderr:
            seen.append(line)
            if "listening on " in line:
                threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining it
                return proc, line.split("listening on ")[1].split()[0]
    finally:
        watchdog.cancel()
    raise QAError("qa serve did not start: " + "".join(seen)[-2000:])


def _post(url: str, body: dict, stream: bool = False) -> tuple[int, dict, float, float]:
    """(status, JSON answer or error, seconds to the first streamed token or 0, total seconds)."""
    import http.client
    from urllib.parse import urlparse

    u = urlparse(url)
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=900)
    try:
        conn.request("POST", "/v1/ask", json.dumps(body | {"stream": stream}), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        if not stream or resp.status != 200:
            return resp.status, json.loads(resp.read()), 0.0, time.perf_counter() - t0
        first, event, out = 0.0, "", {}
        for raw in resp:
            line = raw.decode().rstrip("\n")
            if line.startswith("event:"):
                event = line[6:].strip()
                if event == "token" and not first:
                    first = time.perf_counter() - t0
            elif line.startswith("data:") and event in ("answer", "error"):
                out = json.loads(line[5:])
        return resp.status, out, first, time.perf_counter() - t0
    finally:
        conn.close()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _burst(url: str, bodies: list[dict], clients: int, stream: bool = False) -> dict:
    """Every body sent once by `clients` concurrent clients; every reply accounted for."""
    from concurrent.futures import ThreadPoolExecutor

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        replies = list(pool.map(lambda b: _post(url, b, stream), bodies))
    wall = time.perf_counter() - t0
    ok = [r for r in replies if r[0] == 200]
    mismatched = sum(1 for b, r in zip(bodies, replies) if r[0] == 200 and r[1].get("question") != b["question"])
    lat = sorted(r[3] * 1000 for r in ok)
    ttft = sorted(r[2] * 1000 for r in ok if r[2])
    out = {"requests": len(bodies), "clients": clients, "answered": len(ok), "refused_429": sum(1 for r in replies if r[0] == 429),
           "other": sorted({r[0] for r in replies} - {200, 429}), "mismatched": mismatched,
           "p50_ms": round(pct(lat, 0.5), 1), "p95_ms": round(pct(lat, 0.95), 1), "answers_per_s": round(len(ok) / wall, 1)}
    if ttft:
        out["ttft_p50_ms"], out["ttft_p95_ms"] = round(pct(ttft, 0.5), 1), round(pct(ttft, 0.95), 1)
    return out


def _warm_asks(questions: list[str], model: str, env: dict[str, str]) -> dict:
    """`qa ask --json` through the server, a new process per question: end-to-end wall time, and
    the overhead over the answer itself (wall minus the answer's own `timings_ms.total`, which is
    what the same answer costs in a warm process: client start-up, HTTP, JSON, printing)."""
    walls, overheads = [], []
    for q in questions:
        wall, _, stdout = _child_run(["ask", "--json", "--model", model, q], env)
        total = json.loads(stdout)["timings_ms"]["total"]
        walls.append(wall * 1000)
        overheads.append(wall * 1000 - total)
    walls.sort()
    overheads.sort()
    return {"runs": len(walls), "p50_ms": round(pct(walls, 0.5), 1), "p95_ms": round(pct(walls, 0.95), 1),
            "overhead_p50_ms": round(pct(overheads, 0.5), 1), "overhead_p95_ms": round(pct(overheads, 0.95), 1)}


def serve_load(out: Path, llm_model: str = "", seconds: float = 900, gold: Path = Path("evals/seeds-dev.jsonl")) -> dict:
    """`qa bench --serve`: a warm `qa serve` on 127.0.0.1 over the seeds in a scratch $QA_HOME.
    Bounded: 10 warm `qa ask` runs, 200 + 1,000 extractive requests, and (only with an LLM named)
    20 LLM requests; it stops early past `seconds`. Prints a table and writes `out`."""
    import platform

    from rich.console import Console

    from qa.evaluation import evals
    from qa.answer.models import models_dir

    err = Console(stderr=True)
    questions = [g.question for g in evals.load_gold(gold)]  # a bad --gold fails before anything is made
    with tempfile.TemporaryDirectory(prefix="qa-bench-serve-") as scratch:  # removed however the run ends
        home = Path(scratch)
        env = {**os.environ, "QA_HOME": str(home), "QA_MODELS_DIR": os.environ.get("QA_MODELS_DIR") or str(models_dir())}
        env.pop("QA_SERVER_URL", None)
        _child_run(["ingest", "seeds"], env)
        deadline = time.monotonic() + seconds
        proc, url = start_server(["--model", "none"], env)
        res: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", "url": url}
        try:
            err.print("[bold]warm qa ask --model none[/bold] (new process each, through the server)")
            res["warm_ask_extractive"] = _warm_asks(questions[:10], "none", env)
            err.print("[bold]200 extractive requests, 20 concurrent clients[/bold]")
            bodies = [{"question": questions[i % len(questions)], "model": "none"} for i in range(200)]
            res["burst_extractive"] = _burst(url, bodies, 20)
            err.print("[bold]1,000 extractive requests: server RSS[/bold]")
            rss, sent = [], 0
            while sent < 1000 and time.monotonic() < deadline:
                _burst(url, [{"question": questions[(sent + i) % len(questions)], "model": "none"} for i in range(50)], 4)
                sent += 50
                rss.append((sent, round(_rss_mb(proc.pid), 1)))
            tail = [mb for n, mb in rss if n > 500]
            res["rss"] = {"requests": sent, "samples": rss, "last_500_min_mb": min(tail, default=0), "last_500_max_mb": max(tail, default=0),
                          "last_500_drift_pct": round(100 * (max(tail) - min(tail)) / min(tail), 1) if tail else None}
            if llm_model:
                err.print(f"[bold]warm qa ask --model {llm_model}[/bold] (new process each, through the server; the first loads the model)")
                _child_run(["ask", "--model", llm_model, questions[0]], env)
                res["warm_ask_llm"] = _warm_asks(questions[1:6], llm_model, env) | {"model": llm_model}
                err.print(f"[bold]20 {llm_model} requests, 20 concurrent clients, streamed[/bold]")
                bodies = [{"question": questions[i % len(questions)], "model": llm_model} for i in range(20)]
                res["burst_llm"] = _burst(url, bodies, 20, stream=True) | {"model": llm_model}
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        err.print("[bold]the same 200 requests, server started with QA_SERVER_QUEUE=4[/bold] (refusals expected)")
        proc, url = start_server(["--model", "none"], {**env, "QA_SERVER_QUEUE": "4"})
        try:
            bodies = [{"question": questions[i % len(questions)], "model": "none"} for i in range(200)]
            res["burst_extractive_queue4"] = _burst(url, bodies, 20) | {"queue": 4}
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        write(res, out)
        _serve_table(res)
        err.print(f"wrote {out}")
        return res


def _serve_table(res: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"qa bench --serve · {res['machine']}")
    for col in ("what", "figure"):
        table.add_column(col)
    for key in ("warm_ask_extractive", "warm_ask_llm"):
        if key in res:
            w = res[key]
            table.add_row(f"warm `qa ask --model {w.get('model', 'none')}` end to end",
                          f"p50 {w['p50_ms']:.0f} ms, p95 {w['p95_ms']:.0f} ms over {w['runs']} runs; over the answer itself "
                          f"(client start-up, HTTP, printing): p50 {w['overhead_p50_ms']:.0f} ms, p95 {w['overhead_p95_ms']:.0f} ms")
    for key in ("burst_extractive", "burst_extractive_queue4", "burst_llm"):
        if key in res:
            b = res[key]
            ttft = f", first token p50 {b['ttft_p50_ms']:.0f} ms / p95 {b['ttft_p95_ms']:.0f} ms" if "ttft_p50_ms" in b else ""
            queue = f", queue {b['queue']}" if "queue" in b else ""
            table.add_row(f"{b['requests']} {b.get('model', 'extractive')} requests, {b['clients']} clients{queue}",
                          f"{b['answered']} answered, {b['refused_429']} refused (429), other {b['other'] or 'none'}, "
                          f"mismatched {b['mismatched']}; p50 {b['p50_ms']:.0f} ms, p95 {b['p95_ms']:.0f} ms, {b['answers_per_s']} answers/s{ttft}")
    r = res["rss"]
    table.add_row("server RSS over the last 500 of 1,000 extractive", f"{r['last_500_min_mb']}–{r['last_500_max_mb']} MB ({r['last_500_drift_pct']}% spread)")
    Console().print(table)
