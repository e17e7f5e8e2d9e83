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
from qa.ingest import Summary


def watch(
    paths: list[str],
    settings: Settings,
    on_sync: Callable[[Summary, int], None],
    warn: Callable[[str], None],
    ready: Callable[[], None] = lambda: None,
) -> None:
    """Ingest `paths`, then re-sync after every burst of changes until interrupted (Ctrl-C).
    `on_sync(summary, events)` reports each sync; `ready()` is called once watching has begun."""
    from watchfiles import watch as watch_changes

    from qa.embed import Embedder
    from qa.ingest import ingest

    embedder = Embedder(settings.embed_model)

    def sync(events: int) -> None:
        on_sync(ingest(paths, settings, prune=True, warn=warn, embedder=embedder), events)

    sync(0)
    roots = [str(Path(p).resolve()) for p in paths]
    changes = watch_changes(*roots, watch_filter=_Hidden(), debounce=int(settings.watch_debounce_s * 1000), step=50)
    ready()
    for batch in changes:
        sync(len(batch))


class _Hidden:
    """watchfiles' default filter (.git, __pycache__, editor swap files…) plus hidden files, which
    ingest never reads either."""

    def __init__(self) -> None:
        from watchfiles import DefaultFilter

        self.default = DefaultFilter()

    def __call__(self, change, path: str) -> bool:  # noqa: ANN001
        return self.default(change, path) and not Path(path).name.startswith(".")
