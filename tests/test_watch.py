"""`qa ingest --watch`: a real watcher process, real files, the real store."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS, run_qa

pytestmark = pytest.mark.slow  # a watcher process and several ingests
from qa.config import load_settings
from qa.index.ingest import ingest
from qa.index.store import Store

DEADLINE_S = 5.0


def _files() -> dict[str, str]:
    proc = run_qa("status", "--files", "--json")
    assert proc.returncode == 0, proc.stderr
    cols = json.loads(proc.stdout)["collections"]
    return {Path(f["source"]).name: f["sha256"] for c in cols if c["name"] == "default" for f in c["file_list"]}


def _reflected(check, what: str) -> float:  # noqa: ANN001
    """Seconds until `check(files)` holds in `qa status --files`; fails after DEADLINE_S."""
    t0 = time.monotonic()
    while True:
        if check(_files()):
            return time.monotonic() - t0
        assert time.monotonic() - t0 < DEADLINE_S, f"{what} not reflected within {DEADLINE_S} s"


def _watching(docs: Path) -> subprocess.Popen:
    """`qa ingest --watch DOCS` as a user starts it."""
    return subprocess.Popen([sys.executable, "-m", "qa", "ingest", "--watch", str(docs)],
                            cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_added_changed_and_deleted_files_are_reflected(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEEDS / "001_b4cd203a8e781f12.txt", docs / "trade.txt")
    proc = _watching(docs)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    try:
        while "watching" not in (line := lines.get(timeout=120)):  # the first sync is done, the watcher is up
            assert proc.poll() is None, line
        assert set(_files()) == {"trade.txt"}

        (docs / "memo.md").write_text("# Memo\n\nThe Tumen River bridge reopened in 2016.\n", encoding="utf-8")
        added = _reflected(lambda f: "memo.md" in f, "a new file")
        before = _files()["memo.md"]
        (docs / "memo.md").write_text("# Memo\n\nThe Tumen River bridge closed again in 2017.\n", encoding="utf-8")
        changed = _reflected(lambda f: f.get("memo.md") not in (None, before), "a changed file")
        ask = run_qa("ask", "--model", "none", "--json", "When did the Tumen River bridge close again?")
        assert any("2017" in c["quote"] for c in json.loads(ask.stdout)["citations"]), ask.stdout
        (docs / "trade.txt").unlink()
        deleted = _reflected(lambda f: "trade.txt" not in f, "a deleted file")
        print(f"reflected after: added {added:.1f} s, changed {changed:.1f} s, deleted {deleted:.1f} s")
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out

    # the same integrity as a normal ingest: records and chunk ids equal a fresh ingest of the folder,
    # and nothing is stored that no record names
    s = load_settings()
    watched = Store(s).open("default")
    fresh_settings = load_settings(collection="fresh")
    ingest([str(docs)], fresh_settings)
    fresh = Store(fresh_settings).open("fresh")
    strip = lambda recs: {k: (r.sha256, r.chunks) for k, r in recs.items()}  # noqa: E731
    assert strip(watched.file_records()) == strip(fresh.file_records())
    assert sorted(watched.chunks.get(include=[])["ids"]) == sorted(fresh.chunks.get(include=[])["ids"])


def test_a_skipped_file_is_reported_once_not_on_every_sync(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEEDS / "001_b4cd203a8e781f12.txt", docs / "trade.txt")
    (docs / "empty.txt").write_text("")
    proc = _watching(docs)
    syncs: queue.Queue[str] = queue.Queue()
    notes: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [syncs.put(line) for line in proc.stdout], daemon=True).start()
    threading.Thread(target=lambda: [notes.put(line) for line in proc.stderr], daemon=True).start()
    try:
        first = syncs.get(timeout=120)
        before = []
        while "watching" not in (line := notes.get(timeout=60)):
            before.append(line)
        time.sleep(3)  # "watching" is printed just before watchfiles starts its watch (see the report of issue 30)
        (docs / "memo.md").write_text("# Memo\n\nThe Tumen River bridge reopened in 2016.\n", encoding="utf-8")
        second = syncs.get(timeout=60)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    err = "".join(notes.queue)
    assert "0 failed" in first and "change" in second and "0 failed" in second, (first, second)
    assert sum("empty.txt" in line for line in before) == 1, before  # the first sync says why it is skipped…
    assert "empty.txt" not in err, err  # …the second does not say it again
