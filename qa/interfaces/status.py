"""`qa status`: what the store holds, read from the store itself (so it is the same for a server).

`chunks` counts what retrieval can see (the file records' chunk counts); `stored_chunks` counts what
the chunk collection holds. They differ only while an ingest is running, or after one was killed
(its uncommitted chunks are invisible and are reused by the next run).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from qa.config import Settings


def status(settings: Settings, only: str | None = None, with_files: bool = False) -> dict[str, Any]:
    from qa.index.store import Store, shown

    store = Store(settings)
    out: dict[str, Any] = {"store": store.location, "size_bytes": store.size_bytes(), "collections": []}
    for m in store.corpora():
        if only and m["name"] != only:
            continue
        corpus = store.open(m["name"])
        records = corpus.file_records()
        row = {
            "name": m["name"],
            "files": len(records),
            "chunks": sum(r.chunks for r in records.values()),
            "stored_chunks": corpus.chunks.count(),
            "embed_model": m.get("embed_model"),
            "chunk_size": m.get("chunk_size"),
            "chunk_overlap": m.get("chunk_overlap"),
            "splitter": m.get("splitter"),
            "updated": dt.datetime.fromtimestamp(m.get("updated", 0), dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        }
        if with_files:
            row["file_list"] = [
                {"source": shown(r.source), "chunks": r.chunks, "sha256": r.sha256} | ({"title": r.title} if r.title else {})
                for r in sorted(records.values(), key=lambda r: r.source)
            ]
        out["collections"].append(row)
    return out
