"""The server-mode ingest lease, against a real Chroma server: expiry, takeover, renewal as a
compare-and-set on the lease token, a stalled holder, and holders that share a hostname.

A test clock makes expiry deterministic (no sleeps); the lease records are real Chroma records."""

from __future__ import annotations

import socket
import subprocess
import sys
from typing import Any

import pytest

from qa.config import load_settings
from qa.errors import QAError
from qa.index.lock import LOCKS, Lease, pid_space
from qa.index.store import Store

pytestmark = pytest.mark.parametrize("store_mode", ["server"], indirect=True)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def locks(store_mode: str) -> Any:
    return Store(load_settings()).client.get_or_create_collection(LOCKS, embedding_function=None)


def _record(locks: Any, name: str = "c") -> dict:
    got = locks.get(ids=[name], include=["metadatas"])
    return got["metadatas"][0] if got["ids"] else {}


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_live_lease_is_kept_renewed_then_taken_over_when_it_expires(locks: Any) -> None:
    clock = Clock()
    a, b = Lease(locks, "c", 30, clock), Lease(locks, "c", 30, clock)
    assert a.try_acquire() is None
    assert b.try_acquire()["token"] == a.me["token"]  # live: b waits
    clock.now += 20
    assert a.renew()
    clock.now += 20  # past the first expiry, within the renewed one
    assert b.try_acquire()["token"] == a.me["token"]
    clock.now += 11  # a stalled past its renewed lease
    assert b.try_acquire() is None  # expired: taken over
    successor = _record(locks)
    assert successor["token"] == b.me["token"]
    assert not a.renew() and a.lost  # the stalled holder wakes up: it must not extend anything
    with pytest.raises(QAError, match="lost the ingest lock"):
        a.check()
    a.release()  # nor delete its successor's lease
    assert _record(locks) == successor and b.current()["expires"] == successor["expires"]
    b.check()
    assert b.renew() and b.current()["expires"] == clock.now + 30


class StallBeforeWrite:
    """The real lock collection, but the holder stalls just before its next write (after it has
    checked that the lease is still its own): meanwhile its lease expires and `meanwhile` runs."""

    def __init__(self, locks: Any, meanwhile: Any) -> None:
        self.locks, self.meanwhile = locks, meanwhile

    def __getattr__(self, name: str) -> Any:
        return getattr(self.locks, name)

    def _stall(self) -> None:
        if self.meanwhile:
            step, self.meanwhile = self.meanwhile, None
            step()

    def update(self, **kw: Any) -> Any:
        self._stall()
        return self.locks.update(**kw)

    def upsert(self, **kw: Any) -> Any:
        self._stall()
        return self.locks.upsert(**kw)


def test_a_holder_stalled_mid_renewal_never_overwrites_its_successor(locks: Any) -> None:
    clock = Clock()
    b = Lease(locks, "c", 30, clock)

    def successor_takes_over() -> None:
        clock.now += 5  # the stall outlasts a's lease
        assert b.try_acquire() is None

    a = Lease(StallBeforeWrite(locks, None), "c", 30, clock)
    assert a.try_acquire() is None
    a.locks.meanwhile = successor_takes_over
    clock.now += 29  # a renews just in time: its lease is still valid when it decides to
    assert not a.renew() and a.lost
    assert _record(locks)["token"] == b.me["token"]
    assert b.current()["expires"] == 1_000_000.0 + 34 + 30  # b's own expiry, not a's renewal
    b.check()


def test_a_lease_from_another_machine_or_container_with_this_hostname_is_not_taken_as_dead(locks: Any) -> None:
    clock = Clock()
    dead = _dead_pid()  # dead here; in another pid namespace it may be a live ingest
    other = Lease(locks, "c", 30, clock, me={"token": "other", "pid": dead, "host": socket.gethostname(), "space": "other-boot/pid:[4026531836]"})
    assert other.try_acquire() is None
    mine = Lease(locks, "c", 30, clock)
    assert mine.try_acquire()["token"] == "other"  # same hostname, dead-looking pid: still waits
    clock.now += 31
    assert mine.try_acquire() is None  # expiry frees it
    mine.release()
    # a holder that ran here (same boot, same pid namespace) and died is taken over at once
    ghost = Lease(locks, "c", 30, clock, me={"token": "ghost", "pid": dead, "host": socket.gethostname(), "space": pid_space()})
    assert ghost.try_acquire() is None
    assert Lease(locks, "c", 30, clock).try_acquire() is None


def test_an_ingest_whose_lease_was_taken_over_commits_nothing(tmp_path: Any, locks: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    import qa.index.ingest as ingest_mod
    from conftest import SEEDS

    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("001_b4cd203a8e781f12.txt", "004_d1e3b79279d3dec7.txt"):
        shutil.copy(SEEDS / name, docs / name)
    real_write = ingest_mod._write
    usurper = Lease(locks, "default", 30, me={"token": "usurper", "pid": 1, "host": "elsewhere", "space": ""})

    def write_then_lose_the_lease(*args: Any, **kwargs: Any) -> Any:
        out = real_write(*args, **kwargs)  # the chunks are stored...
        locks.delete(ids=["default"])  # ...and meanwhile (a long stall) another ingest took over
        assert usurper.try_acquire() is None
        return out

    monkeypatch.setattr(ingest_mod, "_write", write_then_lose_the_lease)
    settings = load_settings()
    with pytest.raises(QAError, match="lost the ingest lock on 'default'"):
        ingest_mod.ingest([str(docs)], settings, batch_files=1)
    store = Store(settings)
    assert store.catalog_entry("default") is None  # nothing was committed beside the new holder
    assert _record(locks, "default")["token"] == "usurper"  # and its lease was left alone
