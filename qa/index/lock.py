"""One ingest at a time per collection, in both store modes.

Embedded store: a file lock under `$QA_HOME/locks` (the OS releases it when the holder dies, even
by kill -9). Chroma server: the ingesting machines share no filesystem, so the lock is a lease
record in the server's `qa-locks` collection. Chroma has no compare-and-swap, but it has two
operations that are atomic per record and are enough for one:
- `add` of an id that already exists is a no-op, so "add my lease, read it back, is it mine?" is
  an insert-if-absent that exactly one contender wins;
- `delete(ids=..., where={"token": T})` deletes only if the record still carries token T, so taking
  over an expired lease cannot delete a fresh one that another contender has just written.
Renewal never rewrites the lease record: the holder upserts a renewal record whose id carries its
own token (`NAME~TOKEN`), and a lease's expiry is the later of its record's and its token's
renewal's. So a renewal can only ever extend the lease that carries its token (a compare-and-set on
the token): a holder that stalled past its lease and was taken over writes a renewal nobody reads,
sees the record carries another token, and knows it lost the lock. A holder also never renews a
lease that has already expired by its own clock, and `check()` (called before each commit) stops an
ingest whose lease it can no longer vouch for.
A holder that dies stops renewing and its lease expires (`lock_lease_s`), or is taken over at once
when its pid is gone and it ran in this pid namespace of this boot of this machine (the kill -9
case on one machine); a hostname alone is not enough, since containers often share one.
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
from pathlib import Path
from typing import Any

from qa.config import Settings, qa_home
from qa.errors import QAError

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


def pid_space() -> str:
    """Where a pid means one process: this boot of this machine (two machines may share a
    hostname) and this pid namespace (two containers on one machine do not share pids). Empty
    when unknown: then no pid is trusted and only expiry frees a lease."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        ns = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return f"{boot}/{ns}"


class _Held:
    """The embedded store's file lock: held until released, whatever happens to this process."""

    def check(self) -> None:
        """Nothing to check: the OS holds a file lock for as long as its holder lives."""


@contextmanager
def ingest_lock(store: Any, name: str, settings: Settings, warn: Callable[[str], None]) -> Iterator[Any]:
    """Hold the ingest lock of collection `name` for the duration of the block. Yields a handle
    whose `check()` raises QAError if the lock was lost (server mode: a lease taken over); call it
    before each commit. `store` is only used in server mode (None: connect here)."""
    if settings.chroma_url:
        if store is None:
            from qa.index.store import Store

            store = Store(settings)
        with _lease(store.client, name, settings.lock_lease_s, warn) as lease:
            yield lease
    else:
        with _file_lock(name, warn) as held:
            yield held


@contextmanager
def _file_lock(name: str, warn: Callable[[str], None]) -> Iterator[_Held]:
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
        yield _Held()
    finally:
        lock.release()


class Lease:
    """A lease on `name` in the `qa-locks` collection `locks`. `clock` is the wall clock (leases
    are compared across machines); tests pass their own to make expiry deterministic."""

    def __init__(self, locks: Any, name: str, lease_s: float, clock: Callable[[], float] = time.time, me: dict[str, Any] | None = None) -> None:
        self.locks, self.name, self.lease_s, self.clock = locks, name, lease_s, clock
        self.me = me or {"token": uuid.uuid4().hex, "pid": os.getpid(), "host": socket.gethostname(), "space": pid_space()}
        self.expires = 0.0  # by our clock, until when the lease is surely ours
        self.lost = False

    def _renewal(self, token: str) -> str:
        return f"{self.name}~{token}"

    def current(self) -> dict[str, Any] | None:
        """The lease record, its expiry being the later of the record's and its holder's renewal."""
        got = self.locks.get(ids=[self.name], include=["metadatas"])
        if not got["ids"]:
            return None
        held = dict(got["metadatas"][0])
        renewed = self.locks.get(ids=[self._renewal(held["token"])], include=["metadatas"])
        if renewed["ids"]:
            held["expires"] = max(float(held.get("expires", 0)), float(renewed["metadatas"][0]["expires"]))
        return held

    def _dead(self, held: dict[str, Any]) -> bool:
        if float(held.get("expires", 0)) < self.clock():
            return True
        space = held.get("space")
        return bool(space) and space == self.me["space"] and not _pid_alive(int(held.get("pid", 0)))

    def try_acquire(self) -> dict[str, Any] | None:
        """One attempt: None when the lease is now ours, else the live lease that holds it."""
        while True:
            held = self.current()
            if held is None:
                start = self.clock()
                self.locks.add(ids=[self.name], metadatas=[self.me | {"expires": start + self.lease_s}], embeddings=[_DUMMY])
                held = self.current()  # ours, unless another contender's add landed first
                if held is not None and held["token"] == self.me["token"]:
                    self.expires, self.lost = start + self.lease_s, False
                    return None
                continue
            if held["token"] == self.me["token"]:
                return None
            if not self._dead(held):
                return held
            self.locks.delete(ids=[self.name], where={"token": held["token"]})  # only that lease, if still there
            self.locks.delete(ids=[self._renewal(held["token"])])

    def acquire(self, warn: Callable[[str], None]) -> None:
        warned = False
        while (held := self.try_acquire()) is not None:
            if not warned:
                warn(_waiting(self.name, held))
                warned = True
            time.sleep(min(1.0, self.lease_s / 4))

    def renew(self) -> bool:
        """Extend the lease if it is still ours; False (and `lost`) if it is not, or may not be."""
        start = self.clock()
        if self.lost or start >= self.expires:  # stalled past our lease: someone may hold it now
            self.lost = True
            return False
        token = self.me["token"]
        self.locks.upsert(ids=[self._renewal(token)], metadatas=[{"token": token, "expires": start + self.lease_s}], embeddings=[_DUMMY])
        got = self.locks.get(ids=[self.name], include=["metadatas"])
        ours = bool(got["ids"]) and got["metadatas"][0]["token"] == token
        if not ours or self.clock() >= self.expires:  # taken over, or our write landed after the lease ended
            self.lost = True
            if not ours:
                self.locks.delete(ids=[self._renewal(token)])
            return False
        self.expires = start + self.lease_s
        return True

    def check(self) -> None:
        """Before a commit: the lease must still carry our token and not have expired by our clock."""
        if not self.lost:
            got = self.locks.get(ids=[self.name], include=["metadatas"])
            self.lost = not got["ids"] or got["metadatas"][0]["token"] != self.me["token"]
        if self.lost or self.clock() >= self.expires:
            raise QAError(
                f"lost the ingest lock on {self.name!r}: its lease expired while this ingest was stalled "
                "(another ingest may have taken over); nothing more was committed: run `qa ingest` again"
            )

    def release(self) -> None:
        self.locks.delete(ids=[self.name], where={"token": self.me["token"]})
        self.locks.delete(ids=[self._renewal(self.me["token"])])


@contextmanager
def _lease(client: Any, name: str, lease_s: float, warn: Callable[[str], None]) -> Iterator[Lease]:
    lease = Lease(client.get_or_create_collection(LOCKS, embedding_function=None), name, lease_s)
    lease.acquire(warn)
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease_s / 3):
            try:
                if not lease.renew():
                    return
            except Exception:  # noqa: BLE001 - a missed renewal only shortens the lease
                pass

    thread = threading.Thread(target=renew, name="qa-lease", daemon=True)
    thread.start()
    try:
        yield lease
    finally:
        stop.set()
        thread.join(timeout=5)
        try:
            lease.release()
        except Exception:  # noqa: BLE001 - an unreleased lease expires by itself
            pass
