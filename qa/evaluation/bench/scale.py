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
