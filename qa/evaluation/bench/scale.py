"""`qa bench --scale N`: a few thousand files, embedded store and Chroma server side by side."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qa.errors import QAError
from qa.evaluation.bench.common import _warm_query_ms, write
from qa.evaluation.evals import pct


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


def scale_retrieval(mode: str, home: Path, env_extra: dict[str, str], collection: str = "scale", rounds: int = 3) -> dict:
    """Retrieval at this size, in a fresh child process (as a cold `qa ask` would be): the first
    query's cost, which builds BM25 by paging every chunk out of the store, the memory BM25 and its
    rows add, and warm p50/p95."""
    import json

    env = {**os.environ, "QA_HOME": str(home), "QA_COLLECTION": collection, **env_extra}
    if "QA_CHROMA_URL" not in env_extra:
        env.pop("QA_CHROMA_URL", None)
    code = f"from qa.evaluation.bench.scale import _retrieval_here; _retrieval_here({rounds})"
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise QAError(f"retrieval ({mode}) failed: {proc.stderr.strip()[-300:]}")
    return {"mode": mode, **json.loads(proc.stdout.strip().splitlines()[-1])}


def _rss_now_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _retrieval_here(rounds: int) -> None:
    """In the child: open the collection, load the query embedder, then time the snapshot (rows,
    vectors and BM25) three ways apart from the warm queries: built from the store (what the first
    process after an ingest pays: every chunk paged out of Chroma and stemmed), written to the
    on-disk cache, and read back from it (what every later process pays)."""
    import json

    from qa.answer import snapshot
    from qa.answer.retrieve import Retriever
    from qa.config import load_settings, qa_home

    r = Retriever(load_settings())
    r.refresh(force=True)  # read from the store, as the first process after an ingest does
    r.embedder.embed(["warm up"])
    snap = r.snapshot
    before = _rss_now_mb()
    t0 = time.perf_counter()
    index, rows, vectors = snapshot.build(snap.corpus, snap.live)
    build_s = time.perf_counter() - t0
    after = _rss_now_mb()
    folder = snapshot.cache_folder(qa_home(), r.store.location, snap)
    t0 = time.perf_counter()
    snapshot.save(folder, index, rows, vectors)
    save_s = time.perf_counter() - t0
    cache_mb = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6
    del index, rows, vectors
    t0 = time.perf_counter()
    loaded = snapshot.load(folder)
    load_s = time.perf_counter() - t0
    assert loaded is not None, "the snapshot just written could not be read"
    del loaded
    t0 = time.perf_counter()
    r.retrieve(SCALE_QUESTIONS[0])  # reads the cache again, into the snapshot
    first = time.perf_counter() - t0
    times = _warm_query_ms(r, SCALE_QUESTIONS, rounds)
    print(json.dumps({"chunks": snap.corpus.chunks.count(), "bm25_build_s": round(build_s, 2), "bm25_rss_mb": round(after - before, 1),
                      "bm25_save_s": round(save_s, 2), "bm25_cache_mb": round(cache_mb, 1), "bm25_load_s": round(load_s, 2),
                      "rss_mb": round(after), "first_query_s": round(first, 2),
                      "p50_ms": round(pct(times, 0.5), 1), "p95_ms": round(pct(times, 0.95), 1), "queries": len(times)}))


def _steps(corpus: Path, sizes: list[int]) -> list[Path]:
    """The corpus's files (sorted) moved into one folder per size step, so ingesting step after
    step grows one collection through every size."""
    files = sorted(corpus.iterdir())
    out, start = [], 0
    for i, size in enumerate(sizes):
        d = corpus / f"step{i}"
        d.mkdir()
        for f in files[start:size]:
            f.rename(d / f.name)
        out.append(d)
        start = size
    return out


def start_embed_server(threads: int = 0) -> tuple[subprocess.Popen, str]:
    """qa's OpenAI-compatible embedding server (qa/evaluation/bench/embed_server.py) on a free port."""
    proc = subprocess.Popen([sys.executable, "-m", "qa.evaluation.bench.embed_server", "--threads", str(threads)],
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("serving embeddings at"):
        proc.kill()
        raise QAError("the embedding server did not start")
    return proc, line.split(" at ")[1].strip()


def scale(sizes: list[int], max_bytes: int = 1200, compare_files: int = 500, embedder: str = "local") -> dict:
    """The scale benchmark, against a Chroma server: one collection grown through `sizes` (files)
    with `embedder` — "local" (in the ingest process) or "remote" (qa's OpenAI-compatible embedding
    server, so the protocol path is what grows it) — retrieval measured at each size in a fresh
    process; then the first `compare_files` files ingested with the other embedder into a second
    collection, for its speed on the same text."""
    import platform
    import shutil

    if embedder not in ("local", "remote"):
        raise QAError(f"--scale-embedder {embedder!r}: local or remote")
    sizes = sorted(sizes)
    corpus, about = scale_corpus(sizes[-1], max_bytes)
    result: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                               f"load average {os.getloadavg()[0]:.1f} at start", "corpus": about, "embedder": embedder,
                    "ingest": [], "retrieval": []}
    home = Path(tempfile.mkdtemp(prefix="qa-bench-scale-home-"))
    from qa.config import qa_home

    if (qa_home() / "embed").is_dir():  # reuse the ONNX export: its one-off build is not ingest speed
        (home / "embed").symlink_to(qa_home() / "embed")
    embed_server = None
    try:
        steps = _steps(corpus, sizes)
        server, url = start_chroma_server(home / "server")
        local = {"QA_CHROMA_URL": url}
        remote: dict[str, str] = {}
        if embedder == "remote" or compare_files:
            embed_server, eurl = start_embed_server()
            remote = local | {"QA_EMBED_MODEL": "openai:all-MiniLM-L6-v2", "QA_EMBED_BASE_URL": eurl}
        grow, other = (local, remote) if embedder == "local" else (remote, local)
        other_name = "remote" if embedder == "local" else "local"
        try:
            for size, step in zip(sizes, steps):
                result["ingest"].append(scale_ingest(f"{embedder}, {size} files", step, home, grow, server.pid) | {"size_files": size})
                result["retrieval"].append(scale_retrieval(f"{size} files", home, grow))
                result["ingest"][-1]["load_average"] = round(os.getloadavg()[0], 1)
            if compare_files:
                sub = corpus / "compare"
                sub.mkdir()
                for f in sorted(steps[0].iterdir())[:compare_files]:
                    (sub / f.name).symlink_to(f)
                other = other | {"QA_COLLECTION": "scale-compare"}
                result["ingest"].append(scale_ingest(f"{other_name}, {len(list(sub.iterdir()))} files", sub, home, other, server.pid))
                result["ingest"][-1]["load_average"] = round(os.getloadavg()[0], 1)
            result["server_store_mb"] = round(sum(f.stat().st_size for f in (home / "server").rglob("*") if f.is_file()) / 1e6, 1)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        if embed_server is not None:
            embed_server.terminate()
            embed_server.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(corpus, ignore_errors=True)
    return result


# -- orchestration and tables of `qa bench` (the CLI only parses its flags) ---------------------


def run_scale(sizes: list[int], max_bytes: int, out: Path, compare_files: int = 500, embedder: str = "local") -> None:
    """`qa bench --scale N[,N...]`: the scale run, its tables, and its JSON."""
    from rich.console import Console
    from rich.table import Table

    err = Console(stderr=True)
    other = "the local embedder" if embedder == "remote" else "an embedding server"
    err.print(f"[bold]scale[/bold] {', '.join(map(str, sizes))} files into a Chroma server ({embedder} embedder); "
              f"{compare_files} also through {other}")
    res = scale(sizes, max_bytes, compare_files, embedder)
    write(res, out)
    c = res["corpus"]
    table = Table(title=f"qa bench --scale · {c['files']} files ({c['bytes'] / 1e6:.1f} MB) · {res['machine']}")
    for col in ("ingest", "added", "files/s", "chunks/s", "peak RSS client / server", "read / split / embed / write (load)"):
        table.add_column(col)
    for i in res["ingest"]:
        t = i["time_s"]
        server = f" / {i['server_peak_rss_mb']} MB" if i.get("server_peak_rss_mb") else ""
        table.add_row(
            i["mode"], f"{i['chunks']} chunks in {i['seconds']} s", str(i["files_per_s"]), str(i["chunks_per_s"]),
            f"{i['client_peak_rss_mb']} MB{server}",
            f"{t.get('read', 0):.1f} / {t.get('split', 0):.1f} / {t.get('embed', 0):.1f} / {t.get('write', 0):.1f} ({t.get('load', 0):.1f}) s",
        )
    Console().print(table)
    table = Table(title="retrieval in a fresh process, by collection size")
    for col in ("size", "chunks", "snapshot build (from the store)", "its memory", "snapshot cache: size / load", "first query", "warm p50 / p95"):
        table.add_column(col)
    for r in res["retrieval"]:
        table.add_row(r["mode"], str(r["chunks"]), f"{r['bm25_build_s']} s", f"{r['bm25_rss_mb']} MB",
                      f"{r['bm25_cache_mb']} MB / {r['bm25_load_s']} s", f"{r['first_query_s']} s", f"{r['p50_ms']} / {r['p95_ms']} ms")
    Console().print(table)
    err.print(f"wrote {out}")
