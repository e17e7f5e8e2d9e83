"""What every benchmark shares: running `qa` in a child process, timing warm retrievals, writing results."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from qa.errors import QAError


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



def _warm_query_ms(retriever, questions: list[str], rounds: int) -> list[float]:  # noqa: ANN001
    """Milliseconds per retrieval, `rounds` passes over `questions` with the index already built."""
    times = []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            retriever.retrieve(q)
            times.append((time.perf_counter() - t0) * 1000)
    return times



def write(result: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
