"""One ingest at a time per collection, in both store modes.

Embedded store: a file lock under `$QA_HOME/locks` (the OS releases it when the holder dies, even
by kill -9). Chroma server: the ingesting machines share no filesystem, so the lock is a lease
record in the server's `qa-locks` collection. Chroma has no compare-and-swap, but it has two
operations that are atomic per record and are enough for one:
- `add` of an id that already exists is a no-op, so "add my lease, read it back, is it mine?" is
  an insert-if-absent that exactly one contender wins;
- `delete(ids=..., where={"token": T})` deletes only if the record still carries token T, so taking
  over an expired lease cannot delete a fresh one that another contender has just written.
The holder renews the lease from a background thread; a holder that dies stops renewing and its
lease expires (`lock_lease_s`), or is taken over at once when it was on this host and its pid is
gone (the kill -9 case on one machine).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from qa.config import Settings, qa_home

LOCKS = "qa-locks"
_DUMMY = [1.0]


def _waiting(name: str, who: dict[str, Any]) -> str:
    where = f"pid {who.get('pid', '?')}" + (f" on {who['host']}" if who.get("host") and who["host"] != socket.gethostname() else "")
    return f"waiting for another ingest into {name!r} ({where}) to finish…"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def ingest_lock(store: Any, name: str, settings: Settings, warn: Callable[[str], None]) -> Iterator[None]:
    """Hold the ingest lock of collection `name` for the duration of the block."""
    if settings.chroma_url:
        with _lease(store.client, name, settings.lock_lease_s, warn):
            yield
    else:
        with _file_lock(name, warn):
            yield


@contextmanager
def _file_lock(name: str, warn: Callable[[str], None]) -> Iterator[None]:
    from filelock import FileLock, Timeout

    path = qa_home() / "locks" / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    owner = path.with_suffix(".owner")  # who holds it, for the waiting message only
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=0.1)
    except Timeout:
        try:
            who = json.loads(owner.read_text())
        except (OSError, ValueError):
            who = {}
        warn(_waiting(name, who))
        lock.acquire()
    try:
        owner.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
        yield
    finally:
        lock.release()


@contextmanager
def _lease(client: Any, name: str, lease_s: float, warn: Callable[[str], None]) -> Iterator[None]:
    locks = client.get_or_create_collection(LOCKS, embedding_function=None)
    me = {"token": uuid.uuid4().hex, "pid": os.getpid(), "host": socket.gethostname()}
    warned = False
    while True:
        got = locks.get(ids=[name], include=["metadatas"])
        if got["ids"]:
            held = got["metadatas"][0]
            if held["token"] == me["token"]:
                break
            dead_here = held.get("host") == me["host"] and not _pid_alive(int(held.get("pid", 0)))
            if dead_here or float(held.get("expires", 0)) < time.time():
                locks.delete(ids=[name], where={"token": held["token"]})  # only that lease, if still there
                continue
            if not warned:
                warn(_waiting(name, held))
                warned = True
            time.sleep(min(1.0, lease_s / 4))
            continue
        locks.add(ids=[name], metadatas=[me | {"expires": time.time() + lease_s}], embeddings=[_DUMMY])
        # loop: read back; if another contender's add landed first, ours was a no-op and we wait

    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease_s / 3):
            try:
                cur = locks.get(ids=[name], include=["metadatas"])
                if cur["ids"] and cur["metadatas"][0]["token"] == me["token"]:
                    locks.update(ids=[name], metadatas=[me | {"expires": time.time() + lease_s}])
            except Exception:  # noqa: BLE001 - a missed renewal only shortens the lease
                pass

    thread = threading.Thread(target=renew, name="qa-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        try:
            locks.delete(ids=[name], where={"token": me["token"]})
        except Exception:  # noqa: BLE001 - an unreleased lease expires by itself
            pass
