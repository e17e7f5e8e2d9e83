"""Stage 4: keep chunks, vectors and the record of what was ingested in Chroma.

Layout, per corpus NAME (all inside Chroma, so a Chroma server holds everything a reader needs):
- `qa-catalog`: one record per corpus, pointing at its live chunk and file collections and saying
  which embedding model and chunking settings built them. Upserting this record is the commit point
  of a rebuild.
- `NAME.<fp>.chunks`: chunk text, vector, source and offsets.
- `NAME.<fp>.files`: one record per ingested file (source, sha256, chunk count). A file's chunks are
  visible to retrieval only once its record names their sha256, so a reader never sees half a file
  and an interrupted ingest leaves nothing visible behind.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from qa.config import Settings, qa_home
from qa.errors import NothingIngested, QAError

CATALOG = "qa-catalog"
FORMAT = 1
_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
_DUMMY = [1.0]  # Chroma wants a vector for every record; catalog and file records have no meaning to embed


def validate_collection_name(name: str) -> str:
    if not _NAME_OK.match(name):
        raise QAError(f"invalid collection name {name!r}: use letters, digits, '-' and '_' (max 63)")
    return name


def fingerprint(settings: Settings, splitter_version: str) -> dict[str, Any]:
    """What built an index. Any change here means old vectors or offsets are not comparable."""
    fp = {
        "embed_model": settings.embed_model,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "splitter": splitter_version,
        "format": FORMAT,
    }
    fp["id"] = hashlib.sha1(json.dumps(fp, sort_keys=True).encode()).hexdigest()[:10]
    return fp


def source_key(source: str) -> str:
    return hashlib.sha1(source.encode()).hexdigest()[:16]


@dataclass
class FileRecord:
    source: str
    path: str
    sha256: str
    chunks: int


@dataclass
class Corpus:
    name: str
    meta: dict[str, Any]
    chunks: Any  # chromadb Collection
    files: Any

    def file_records(self) -> dict[str, FileRecord]:
        got = self.files.get(include=["metadatas"])
        out = {}
        for m in got["metadatas"] or []:
            out[m["source"]] = FileRecord(m["source"], m["path"], m["sha256"], int(m["chunks"]))
        return out


class Store:
    """Chroma client: embedded PersistentClient under $QA_HOME, or HttpClient when QA_CHROMA_URL is set."""

    def __init__(self, settings: Settings, recover: bool = False) -> None:
        """`recover` (used by `qa ingest --rebuild`) moves an unreadable embedded store aside and
        starts an empty one instead of failing."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.settings = settings
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        url = settings.chroma_url
        if url:
            from urllib.parse import urlparse

            u = urlparse(url)
            try:
                self.client = chromadb.HttpClient(
                    host=u.hostname or "localhost", port=u.port or 8000, ssl=u.scheme == "https", settings=chroma_settings
                )
                self.client.heartbeat()
            except Exception as e:  # noqa: BLE001 - any failure here means "cannot reach the server"
                raise QAError(f"cannot reach Chroma server at {url}: {e}") from None
            self.location = url
        else:
            path = qa_home() / "chroma"
            path.mkdir(parents=True, exist_ok=True)
            try:
                self.client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
                self.client.list_collections()
            except Exception as e:  # noqa: BLE001 - chroma raises assorted errors for a damaged database
                if not recover:
                    reason = str(e).strip().splitlines()[-1][:120] if str(e).strip() else type(e).__name__
                    raise QAError(
                        f"the store at {path} is damaged or unreadable ({reason}): run `qa ingest --rebuild PATH` "
                        "to set it aside and index again"
                    ) from None
                aside = path.with_name(f"chroma.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
                path.rename(aside)
                path.mkdir()
                from chromadb.api.client import SharedSystemClient

                SharedSystemClient.clear_system_cache()  # chroma caches the failed client by path
                self.client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
                self.moved_aside: str | None = str(aside)
            self.location = str(path)

    # -- catalog -------------------------------------------------------------------------------
    def _catalog(self):  # noqa: ANN202
        return self.client.get_or_create_collection(CATALOG, embedding_function=None)

    def catalog_entry(self, name: str) -> dict[str, Any] | None:
        got = self._catalog().get(ids=[name], include=["metadatas"])
        return got["metadatas"][0] if got["ids"] else None

    def corpora(self) -> list[dict[str, Any]]:
        got = self._catalog().get(include=["metadatas"])
        return sorted((m | {"name": i} for i, m in zip(got["ids"], got["metadatas"])), key=lambda m: m["name"])

    def commit_catalog(self, name: str, meta: dict[str, Any]) -> None:
        self._catalog().upsert(ids=[name], metadatas=[meta | {"updated": time.time()}], embeddings=[_DUMMY])

    # -- collections ---------------------------------------------------------------------------
    def open_for_write(self, name: str, fp: dict[str, Any], fresh: bool) -> Corpus:
        """The live collections when they were built with `fp` and `fresh` is false; otherwise new,
        empty ones (a rebuild) that serve nobody until the catalog is pointed at them."""
        entry = self.catalog_entry(name)
        meta = {k: v for k, v in fp.items() if k != "id"} | {"fingerprint": fp["id"]}
        if entry and not fresh and entry.get("fingerprint") == fp["id"]:
            names = (entry["chunks"], entry["files"])
        else:
            base = f"{name}.{fp['id']}.{time.time_ns() // 1_000_000}"
            names = (f"{base}.chunks", f"{base}.files")
        chunks = self.client.get_or_create_collection(names[0], metadata={"hnsw:space": "cosine"}, embedding_function=None)
        files = self.client.get_or_create_collection(names[1], embedding_function=None)
        return Corpus(name, meta | {"chunks": names[0], "files": names[1]}, chunks, files)

    def open(self, name: str) -> Corpus:
        """The live corpus for reading, or a clear error if nothing was ingested."""
        entry = self.catalog_entry(name)
        if entry is None:
            raise NothingIngested(f"nothing ingested into collection {name!r} yet: run `qa ingest PATH` first")
        if entry.get("format") != FORMAT:
            raise QAError(f"collection {name!r} was written by another version of qa: run `qa ingest --rebuild`")
        try:
            chunks = self.client.get_collection(entry["chunks"], embedding_function=None)
            files = self.client.get_collection(entry["files"], embedding_function=None)
        except Exception:  # noqa: BLE001 - chroma raises various errors for a missing collection
            raise QAError(f"collection {name!r} is damaged (missing data): run `qa ingest --rebuild`") from None
        return Corpus(name, entry, chunks, files)

    def drop_stale(self, name: str, keep: set[str]) -> None:
        """Delete collections of `name` that the catalog no longer points at (old fingerprints,
        abandoned rebuilds)."""
        for col in self.client.list_collections():
            cname = col if isinstance(col, str) else col.name
            if cname.startswith(f"{name}.") and cname not in keep:
                self.client.delete_collection(cname)

    def delete_corpus(self, name: str) -> bool:
        entry = self.catalog_entry(name)
        self.drop_stale(name, keep=set())
        if entry is not None:
            self._catalog().delete(ids=[name])
        return entry is not None
