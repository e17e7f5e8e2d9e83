"""`qa serve` as a real process on a free loopback port, reached by real HTTP (no mocks of the
server), and `qa ask` / `qa chat` through it. Extractive (`--model none`) only: fast, no LLM."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT, one_clean_error, run_qa

Q = "How much is annual trade between Russia and North Korea worth?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    from qa.evaluation.bench.serve import start_server as start

    return start(["--model", "none", *args], env or os.environ.copy(), timeout=120)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def server(seeded: Path) -> Iterator[str]:
    proc, url = start_server()
    yield url
    stop(proc)
    assert not (seeded / "server.json").exists()  # the discovery file goes with the server


def call(url: str, path: str, body: dict | bytes | None = None, headers: dict | None = None) -> tuple[int, dict, dict]:
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            raw, status, hdrs = r.read(), r.status, dict(r.headers)
    except urllib.error.HTTPError as e:
        raw, status, hdrs = e.read(), e.code, dict(e.headers)
    assert b"Traceback" not in raw
    text = raw.decode()
    return status, (json.loads(text) if hdrs.get("content-type", "").startswith("application/json") else {"raw": text}), hdrs


def _source_text(source: str) -> str:
    return (ROOT / source).read_text(encoding="utf-8")


@pytest.mark.slow
def test_http_api(server: str) -> None:
    status, body, _ = call(server, "/v1/ask", {"question": Q, "model": "none"})
    assert status == 200 and not body["abstained"] and "100 million" in body["answer"]
    assert set(body) >= {"question", "answer", "abstained", "mode", "citations", "model", "timings_ms"}
    for c in body["citations"]:
        assert _source_text(c["source"])[c["start"] : c["end"]] == c["quote"]

    status, raw, hdrs = call(server, "/v1/ask", {"question": Q, "model": "none", "stream": True})
    assert status == 200 and hdrs["content-type"].startswith("text/event-stream")
    events = [block for block in raw["raw"].split("\n\n") if block.strip()]
    assert events[-1].startswith("event: answer\ndata: ")
    streamed = json.loads(events[-1].split("data: ", 1)[1])
    assert streamed["citations"] == body["citations"] and streamed["answer"] == body["answer"]

    status, got, _ = call(server, "/v1/search", {"query": "Morgulov Pyongyang", "k": 3})
    assert status == 200 and 1 <= len(got["passages"]) <= 3
    for p in got["passages"]:
        assert _source_text(p["source"])[p["start"] : p["end"]] == p["text"] and p["score"] > 0

    status, st, _ = call(server, "/v1/status")
    assert status == 200 and st["collections"][0]["files"] == 5 and "none" in st["models_loaded"]
    assert call(server, "/healthz")[:2] == (200, {"ok": True})
    assert "/v1/ask" in call(server, "/openapi.json")[1]["paths"]

    # Bad requests: one JSON message each, never a traceback.
    for body_, code, needle in [
        ({"question": "   "}, 400, "empty question"),
        ({"question": "x" * 3000, "model": "none"}, 400, "limit is 2000"),
        ({"question": Q, "colour": "red"}, 422, "colour"),
        ({"question": Q, "passages": 0}, 422, "passages"),
        (b"{not json", 422, "bad request"),
        (b"x" * 70000, 413, "over 65536 bytes"),
        ({"question": Q, "collection": "nope"}, 404, "nothing ingested into collection 'nope'"),
    ]:
        status, err, _ = call(server, "/v1/ask", body_)
        assert status == code and needle in err["error"], (body_[:40], status, err)
    assert call(server, "/nowhere")[:2] == (404, {"error": "Not Found", "type": "HTTPError"})
    status, err, _ = call(server, "/healthz", headers={"Host": "attacker.example:80"})
    assert status == 421 and "loopback host names" in err["error"]


@pytest.mark.slow
def test_ask_and_chat_through_the_server_print_what_in_process_prints(server: str, seeded: Path, tmp_path: Path) -> None:
    def answered() -> int:
        return call(server, "/v1/status")[1]["queues"].get("none", {}).get("answered", 0)

    for args in (["ask", "--model", "none", Q], ["ask", "--json", "-v", "--model", "none", Q]):
        lean = run_qa(*args)  # found through $QA_HOME/server.json, answered by qa/interfaces/entry.py
        (seeded / "config.toml").write_text("", encoding="utf-8")  # a settings file: the full CLI reads it
        full = run_qa(*args)
        (seeded / "config.toml").unlink()
        local = run_qa(*args, "--no-server")
        assert lean.returncode == full.returncode == local.returncode == 0, lean.stderr + full.stderr + local.stderr
        for through in (lean, full):
            if "--json" in args:
                a, b = json.loads(through.stdout), json.loads(local.stdout)
                assert a.pop("timings_ms").keys() == b.pop("timings_ms").keys()
                assert a == b
                assert through.stderr.split(" · ")[0] == local.stderr.split(" · ")[0]  # -v: mode, model, dropped
            else:
                assert through.stdout == local.stdout
    assert answered() == 4  # the four without --no-server went through the server

    # The lean path really is lean: it answers without importing the CLI's libraries.
    probe = "import sys; sys.argv = ['qa', *sys.argv[1:]]; from qa.interfaces.entry import main; main(); print(sorted(m for m in ('typer', 'pydantic', 'rich') if m in sys.modules), file=sys.stderr)"
    out = subprocess.run([sys.executable, "-c", probe, "ask", "--json", "--model", "none", Q], capture_output=True, text=True, env=os.environ.copy())
    assert out.returncode == 0 and out.stderr.strip() == "[]", out.stderr
    assert answered() == 5

    script = "Which Russian deputy foreign minister visited Pyongyang?\nWhat did he discuss there?\n/reset\nWho won the 2014 Olympic ice hockey final?\n"
    through = run_qa("chat", "--model", "none", input=script)
    local = run_qa("chat", "--model", "none", "--no-server", input=script)
    assert through.returncode == 0 and through.stdout == local.stdout, through.stderr
    assert "(rewritten: " in through.stdout and "Morgulov" in through.stdout
    assert answered() == 8

    one_clean_error(run_qa("ask", "   "), "empty question")  # the server's refusal, printed as one line
    one_clean_error(run_qa("ask", "--collection", "nope", "--model", "none", Q), "nothing ingested")

    # An ingest while serving is visible to the next question, no restart.
    doc = tmp_path / "bridge.txt"
    doc.write_text("The Quokka Lane bridge opened in 1995 after nine years of work.\n", encoding="utf-8")
    assert run_qa("ingest", str(doc)).returncode == 0
    after = json.loads(run_qa("ask", "--json", "--model", "none", "When did the Quokka Lane bridge open?").stdout)
    assert "1995" in after["answer"] and after["citations"][0]["source"] == str(doc)
    assert answered() == 10  # 8, the "nope" collection (refused in its turn), the last question


def test_explicit_server_url_that_is_down_is_one_clear_error(seeded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_SERVER_URL", f"http://127.0.0.1:{_free_port()}")
    one_clean_error(run_qa("ask", "--model", "none", Q), "cannot reach the qa server")
    assert run_qa("ask", "--model", "none", "--no-server", Q).returncode == 0


@pytest.mark.slow
def test_token_off_loopback_and_on(seeded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one_clean_error(run_qa("serve", "--host", "0.0.0.0", "--model", "none"), "QA_SERVER_TOKEN")
    secret = "s3cret-token-for-the-test"
    proc, url = start_server(env={**os.environ, "QA_SERVER_TOKEN": secret})
    try:
        assert call(url, "/v1/status")[0] == 401
        assert call(url, "/v1/status", headers={"Authorization": "Bearer wrong"})[0] == 401
        assert call(url, "/v1/status", headers={"Authorization": f"Bearer {secret}"})[0] == 200
        assert call(url, "/healthz")[0] == 200
        one_clean_error(run_qa("ask", "--model", "none", Q), "bearer token")  # discovered, but no token here
        monkeypatch.setenv("QA_SERVER_TOKEN", secret)
        ok = run_qa("ask", "--model", "none", Q)
        assert ok.returncode == 0 and "100 million" in ok.stdout
    finally:
        stop(proc)
    out = proc.stderr.read() if proc.stderr and not proc.stderr.closed else ""
    assert secret not in out


def test_queue_is_fair_bounded_and_cancellable() -> None:
    """The per-model queue itself (qa.interfaces.server.Slot), driven by real threads: first come first
    served, 429 beyond capacity with a Retry-After, a cancelled request frees its place and tells
    the running work to stop."""
    from qa.interfaces.server import Busy, Slot

    async def scenario() -> None:
        slot = Slot(capacity=1)
        gate, order, cancel = threading.Event(), [], threading.Event()

        def work(name: str):  # noqa: ANN202
            def run() -> str:
                order.append(name)
                if name == "a":
                    gate.wait(10)
                return name
            return run

        slot.admit()
        a = asyncio.ensure_future(slot.run(work("a"), cancel))
        slot.admit()
        b = asyncio.ensure_future(slot.run(work("b"), threading.Event()))
        with pytest.raises(Busy) as busy:
            slot.admit()
        assert busy.value.retry_after >= 1
        await asyncio.sleep(0)
        a.cancel()  # the client of "a" went away while it ran
        await asyncio.sleep(0.05)
        assert cancel.is_set() and not b.done()  # told to stop; b waits until a's thread is really done
        gate.set()
        assert await b == "b"
        assert order == ["a", "b"] and slot.pending == 0

    asyncio.run(scenario())


@pytest.mark.slow  # over 10 s: ingests or starts servers
def test_citations_through_the_server_open_from_where_the_user_asked(server: str, seeded: Path, tmp_path: Path) -> None:
    """The server runs in the repository; the user asks from inside seeds/ and from elsewhere: the
    printed path is the one `--no-server` prints there, and `qa show` opens it."""
    for cwd in (ROOT / "seeds", tmp_path):
        through = run_qa("ask", "--json", "--model", "none", Q, cwd=cwd)
        local = run_qa("ask", "--json", "--model", "none", "--no-server", Q, cwd=cwd)
        a, b = json.loads(through.stdout), json.loads(local.stdout)
        assert [c["source"] for c in a["citations"]] == [c["source"] for c in b["citations"]], (cwd, a["citations"])
        c = a["citations"][0]
        assert run_qa("ask", "--model", "none", Q, cwd=cwd).stdout == run_qa("ask", "--model", "none", "--no-server", Q, cwd=cwd).stdout
        shown = run_qa("show", f"{c['source']}:{c['start']}-{c['end']}", cwd=cwd)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.startswith(c["source"] + " ") and f"\u27e6{c['quote']}\u27e7" in shown.stdout
    assert a["citations"][0]["source"].startswith(str(ROOT / "seeds"))  # outside the tree: absolute
    inside = json.loads(run_qa("ask", "--json", "--model", "none", Q, cwd=ROOT / "seeds").stdout)
    assert "/" not in inside["citations"][0]["source"]  # inside seeds/: the bare file name, as in-process


def test_show_heads_its_output_with_the_path_as_ask_prints_it(seeded: Path) -> None:
    name = "seeds/001_b4cd203a8e781f12.txt"
    for target in (name, str(ROOT / name)):
        proc = run_qa("show", f"{target}:0-20")
        assert proc.returncode == 0 and proc.stdout.startswith(name + " (chars 0-20"), proc.stdout[:120]
