"""Cold start for `qa bench`: the wall time of a fresh `qa ask` process, as a user's first question
runs when no `qa serve` is up (imports, store, BM25, embedder, model, parser, the answer), per model,
the median of a few runs. The OS file cache is warm after the first run, as it is for a user who
asks twice; the first run after an ingest also writes the BM25 cache that later ones read."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

from qa.errors import QAError


def ask_seconds(home: Path, collection: str, model: str, question: str) -> float:
    """Wall seconds of one `qa ask --no-server` in a new process."""
    env = {**os.environ, "QA_HOME": str(home)}
    args = [sys.executable, "-m", "qa", "ask", "--no-server", "--json", "--collection", collection, "--model", model, question]
    t0 = time.perf_counter()
    proc = subprocess.run(args, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise QAError(f"cold qa ask --model {model} failed: {proc.stderr.strip()[-300:]}")
    return wall


def first_output_seconds(home: Path, collection: str, model: str, question: str, limit_s: float = 60.0) -> float:
    """Seconds from starting `qa ask` on a terminal (a pseudo-terminal here) to the first thing
    it draws, the loading spinner; the process is stopped then, its answer not needed."""
    import pty

    env = {**os.environ, "QA_HOME": str(home), "TERM": "xterm", "COLUMNS": "120", "LINES": "40"}
    args = [sys.executable, "-m", "qa", "ask", "--no-server", "--collection", collection, "--model", model, question]
    master, slave = pty.openpty()
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    try:
        while time.perf_counter() - t0 < limit_s:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready and os.read(master, 4096).strip():
                return time.perf_counter() - t0
            if proc.poll() is not None:
                break
        raise QAError(f"qa ask --model {model} drew nothing on a terminal within {limit_s:g} s")
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


def cold_start(home: Path, collection: str, question: str, models: list[str] | None = None, runs: int = 3) -> dict[str, dict]:
    """{model: {"median_s", "runs_s", "first_output_s"}} for `--model none` and the default model
    (or `models`); `first_output_s` is the median time to the first thing drawn on a terminal."""
    if models is None:
        from qa.config import load_settings

        models = ["none", load_settings().model]
    out: dict[str, dict] = {}
    for model in models:
        times = [ask_seconds(home, collection, model, question) for _ in range(runs)]
        first = [first_output_seconds(home, collection, model, question) for _ in range(runs)]
        out[model] = {"median_s": round(median(times), 2), "runs_s": [round(t, 2) for t in times], "first_output_s": round(median(first), 2)}
    return out
