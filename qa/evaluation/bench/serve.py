"""`qa bench --serve`: a warm server under load, on loopback only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qa.errors import QAError
from qa.evaluation.bench.common import _child_run, write
from qa.evaluation.evals import pct


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
