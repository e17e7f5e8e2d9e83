"""`qa ingest --watch PATH…`: keep a collection in step with folders as they change.

Each burst of file-system events (watchfiles, debounced) runs one ordinary incremental ingest of the
watched paths with pruning: new and changed files are indexed, deleted ones forgotten, unchanged
ones skipped by their sha256. So watching has exactly the batching, locking and crash-safety of
`qa ingest` (Ctrl-C rolls back the batch in flight and leaves the last committed state), and no
second code path to keep correct. The embedding model is loaded once for the whole session.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qa.config import Settings
from qa.index.ingest import Summary


def watch(
    paths: list[str],
    settings: Settings,
    on_sync: Callable[[Summary, int], None],
    warn: Callable[[str], None],
    ready: Callable[[], None] = lambda: None,
) -> None:
    """Ingest `paths`, then re-sync after every burst of changes until Ctrl-C (or SIGTERM).
    `on_sync(summary, events)` reports each sync; `ready()` is called once watching has begun.

    Stopping is an event the watcher checks every `step`, not a KeyboardInterrupt raised wherever
    the main thread happens to be: inside watchfiles' Rust loop that was seen to leave the process
    hanging. A Ctrl-C during a sync still interrupts the ingest (which rolls its batch back)."""
    import signal
    import threading

    from watchfiles import watch as watch_changes

    from qa.index.embed import embedder_for
    from qa.index.ingest import ingest

    embedder = embedder_for(settings, prefer_onnx=True)
    stop = threading.Event()
    syncing = threading.Event()

    def on_signal(signum: int, frame) -> None:  # noqa: ANN001
        stop.set()
        if syncing.is_set():
            raise KeyboardInterrupt

    reported: set[str] = set()  # what the last sync warned about: a file skipped then is not reported again

    def sync(events: int) -> None:
        now: set[str] = set()

        def warn_once(line: str) -> None:
            now.add(line)
            if line not in reported:
                warn(line)

        syncing.set()
        try:
            on_sync(ingest(paths, settings, prune=True, warn=warn_once, embedder=embedder), events)
        finally:
            syncing.clear()
            reported.clear()
            reported.update(now)

    main = threading.current_thread() is threading.main_thread()
    saved = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)} if main else {}
    try:
        sync(0)
        roots = [str(Path(p).resolve()) for p in paths]
        changes = watch_changes(
            *roots, watch_filter=_Hidden(), debounce=int(settings.watch_debounce_s * 1000), step=50,
            stop_event=stop, rust_timeout=1000, yield_on_timeout=True,
        )
        ready()
        for batch in changes:
            if stop.is_set():
                break
            if batch:
                sync(len(batch))
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


class _Hidden:
    """watchfiles' default filter (.git, __pycache__, editor swap files…) plus hidden files, which
    ingest never reads either."""

    def __init__(self) -> None:
        from watchfiles import DefaultFilter

        self.default = DefaultFilter()

    def __call__(self, change, path: str) -> bool:  # noqa: ANN001
        return self.default(change, path) and not Path(path).name.startswith(".")
