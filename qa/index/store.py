"""Stage 4: keep chunks, vectors and the record of what was ingested in Chroma.

Layout, per corpus NAME (all inside Chroma, so a Chroma server holds everything a reader needs):
- `qa-catalog`: one record per corpus, pointing at its live chunk and file collections and saying
  which embedding model and chunking settings built them. Upserting this record is the commit point
  of a rebuild.
- `NAME.<fp>.chunks`: chunk text, vector, source and offsets.
- `NAME.<fp>.files`: one record per ingested file (source, sha256, chunk count). A file's chunks are
  visible to retrieval only once its record names their sha256, so a reader never sees half a file
  and an interrupted ingest leaves nothing visible behind.

A file's `source` (in its record and its chunks) is its resolved absolute path: its identity, so a
folder named two ways, or a symlink and its target, is indexed once. Users see `shown(source)`.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.config import Settings, qa_home
from qa.errors import NothingIngested, QAError
from qa.paths import shown  # noqa: F401 - re-exported: stored paths are shown through here

CATALOG = "qa-catalog"
FORMAT = 2  # 2: files keyed by resolved path (1 keyed them by the path as typed, so one file could be stored twice)
_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
_DUMMY = [1.0]  # Chroma wants a vector for every record; catalog and file records have no meaning to embed


def validate_collection_name(name: str) -> str:
    if not _NAME_OK.match(name):
        raise QAError(f"invalid collection name {name!r}: use letters, digits, '-' and '_' (max 63)")
    return name


def fingerprint(settings: Settings, splitter_version: str, embed_dim: int | None = None) -> dict[str, Any]:
    """What built an index. Any change here means old vectors or offsets are not comparable.
    `embed_dim`: a remote model's vector length, which its name alone does not pin (the server
    behind a name can change); a local model's name or folder does, and leaving it out keeps
    existing local indexes' fingerprints (and so spares them a rebuild)."""
    fp: dict[str, Any] = {
        "embed_model": settings.embed_model,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "splitter": splitter_version,
        "format": FORMAT,
    }
    if embed_dim is not None:
        fp["embed_dim"] = embed_dim
    fp["id"] = hashlib.sha1(json.dumps(fp, sort_keys=True).encode()).hexdigest()[:10]
    return fp


def source_key(source: str) -> str:
    return hashlib.sha1(source.encode()).hexdigest()[:16]


@dataclass
class FileRecord:
    source: str  # resolved absolute path: the file's identity (format 1 stored the path as typed)
    path: str  # resolved absolute path
    sha256: str
    chunks: int
    title: str = ""
    pages: str = ""  # JSON list of page start offsets (paged formats), as stored

    def page_starts(self) -> list[int]:
        return json.loads(self.pages) if self.pages else []

    @classmethod
    def from_metadata(cls, m: dict[str, Any]) -> FileRecord:
        """The record back from what `metadata()` stored."""
        return cls(m["source"], m["path"], m["sha256"], int(m["chunks"]), m.get("title", ""), m.get("pages", ""))

    def metadata(self) -> dict[str, Any]:
        """The record as stored (Chroma metadata: no empty optional fields)."""
        m = {"source": self.source, "path": self.path, "sha256": self.sha256, "chunks": self.chunks}
        return m | {k: v for k, v in (("title", self.title), ("pages", self.pages)) if v}


@dataclass
class Corpus:
    name: str
    meta: dict[str, Any]
    chunks: Any  # chromadb Collection
    files: Any

    def file_records(self) -> dict[str, FileRecord]:
        out = {}
        for m in page_metadatas(self.files):
            out[m["source"]] = FileRecord.from_metadata(m)
        return out


def pages(collection: Any, include: list[str], page: int = 5000) -> Iterator[dict[str, Any]]:
    """A collection's records, one get() result per page (one get() of a large collection is slow
    over HTTP and can exceed SQLite's variable limit)."""
    offset = 0
    while True:
        got = collection.get(include=include, limit=page, offset=offset)
        yield got
        if len(got["ids"]) < page:
            return
        offset += page


def page_metadatas(collection: Any, page: int = 5000) -> Iterator[dict[str, Any]]:
    for got in pages(collection, ["metadatas"], page):
        yield from got["metadatas"] or []


def embedded_path() -> Path:
    """Where the embedded store lives: $QA_HOME/chroma."""
    return qa_home() / "chroma"


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
            from chromadb.errors import NotFoundError

            host, port, ssl = u.hostname or "localhost", u.port or 8000, u.scheme == "https"
            db = settings.chroma_database
            try:
                try:
                    self.client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings, database=db)
                except NotFoundError:  # a new database: create it, as get_or_create does for collections
                    admin = chromadb.AdminClient(
                        ChromaSettings(anonymized_telemetry=False, chroma_api_impl="chromadb.api.fastapi.FastAPI",
                                       chroma_server_host=host, chroma_server_http_port=port, chroma_server_ssl_enabled=ssl)
                    )
                    admin.create_database(db)
                    self.client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=chroma_settings, database=db)
                self.client.heartbeat()
            except Exception as e:  # noqa: BLE001 - any failure here means "cannot reach the server"
                raise QAError(f"cannot reach Chroma server at {url}: {e}") from None
            self.location = url if db == "default_database" else f"{url} (database {db})"
            self.path = None
        else:
            path = embedded_path()
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
            self.path = path

    def size_bytes(self) -> int | None:
        """On-disk size of the embedded store; None for a server (its disk is not ours to walk)."""
        if self.path is None:
            return None
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())

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
    def open_for_write(self, name: str, fp: dict[str, Any], fresh: bool, resume: bool = True) -> Corpus:
        """The live collections when they were built with `fp` and `fresh` is false; otherwise the
        collections of an interrupted rebuild with the same `fp` (when `resume`), or new, empty ones.
        Either serves nobody until the catalog is pointed at it."""
        entry = self.catalog_entry(name)
        meta = {k: v for k, v in fp.items() if k != "id"} | {"fingerprint": fp["id"]}
        pending = sorted(
            n[: -len(".chunks")]
            for n in (c if isinstance(c, str) else c.name for c in self.client.list_collections())
            if n.startswith(f"{name}.{fp['id']}.") and n.endswith(".chunks") and (not entry or n != entry.get("chunks"))
        )
        if entry and not fresh and entry.get("fingerprint") == fp["id"]:
            names = (entry["chunks"], entry["files"])
        elif resume and pending:
            names = (f"{pending[-1]}.chunks", f"{pending[-1]}.files")
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
            raise QAError(
                f"collection {name!r} was written by another version of qa (store format {entry.get('format')}, "
                f"this qa uses {FORMAT}): run `qa ingest --rebuild PATH` (or any `qa ingest`) to re-index it"
            )
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
