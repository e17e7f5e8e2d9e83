"""The keyword half of retrieval: BM25 over a collection's visible chunks, kept on disk between processes.

Building it means reading every chunk's text out of Chroma and stemming it, which a one-shot `qa ask`
would otherwise pay on every run (most of its retrieval time on a large collection). The index, in
bm25s's own save format, and the rows it ranks are stored under $QA_HOME/cache/bm25, in a folder
named by everything that decides them: the store, the chunks collection (a new one per rebuild or
settings change), the committed file map (source -> sha256, which is exactly which chunks are
visible) and the code that tokenizes. Any change gives another name, so a stale index is never read;
an unreadable one is rebuilt from Chroma. Each write replaces the collection's previous folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from functools import cache
from pathlib import Path
from typing import Any

from qa.index.store import Corpus, pages
from qa.text import content_terms

Row = tuple[str, str, dict[str, Any]]  # chunk id, text, metadata (source, start, end, sentences)
_KEPT = ("source", "start", "end", "index", "sentences")
_ROWS = "rows.json"


@cache
def _code_version() -> str:
    """Tokenization is qa/text.py plus the pinned stemmer and bm25s, and the rows keep `_KEPT`: a
    change to any is a new index."""
    from importlib.metadata import version

    text = (Path(__file__).parent.parent / "text.py").read_bytes()
    return hashlib.sha1(text + f"pystemmer {version('pystemmer')} bm25s {version('bm25s')} rows {_KEPT}".encode()).hexdigest()[:12]


def cache_folder(home: Path, location: str, corpus: Corpus, live: dict[str, str]) -> Path:
    """Where this exact index lives: `<collection>.<store>.<content>` under $QA_HOME/cache/bm25
    (collection names have no dots, so one collection's folders never match another's)."""
    where = hashlib.sha1(location.encode()).hexdigest()[:8]
    what = json.dumps([corpus.meta.get("chunks"), sorted(live.items()), _code_version()])
    return home / "cache" / "bm25" / f"{corpus.name}.{where}.{hashlib.sha1(what.encode()).hexdigest()[:16]}"


def build(corpus: Corpus, live: dict[str, str]) -> tuple[Any, list[Row]]:
    """BM25 over the chunks of committed file versions only, read from the store."""
    import bm25s

    rows: list[Row] = []
    toks: list[list[str]] = []
    for got in pages(corpus.chunks, ["documents", "metadatas"]):
        for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"]):
            if live.get(meta.get("source")) != meta.get("sha256"):
                continue
            rows.append((cid, doc, {k: meta[k] for k in _KEPT if k in meta}))
            toks.append(content_terms(doc) or ["<empty>"])
    index = bm25s.BM25()
    if rows:
        index.index(toks, show_progress=False)
    return index, rows


def load(folder: Path) -> tuple[Any, list[Row]] | None:
    """The cached index and rows, or None when there is none (or it cannot be read)."""
    if not (folder / _ROWS).is_file():
        return None
    try:
        import bm25s

        rows = [(cid, doc, meta) for cid, doc, meta in json.loads((folder / _ROWS).read_text(encoding="utf-8"))]
        return bm25s.BM25.load(str(folder), show_progress=False), rows
    except (OSError, ValueError, KeyError, TypeError):  # removed by a newer write meanwhile, or damaged
        return None


def save(folder: Path, index: Any, rows: list[Row]) -> None:
    """Written whole into a private folder, then renamed into place; older folders of the same
    collection and store are removed. A failure only costs the next process a rebuild."""
    if not rows:
        return
    tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        index.save(str(tmp), show_progress=False)
        (tmp / _ROWS).write_text(json.dumps(rows), encoding="utf-8")
        try:
            tmp.rename(folder)
        except OSError:  # another process wrote the same index first
            return
        prefix = folder.name.rsplit(".", 1)[0] + "."
        for old in folder.parent.iterdir():
            if old.name.startswith(prefix) and old.name != folder.name and old.name.count(".") == 2:
                shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cached(home: Path, location: str, corpus: Corpus, live: dict[str, str]) -> tuple[Any, list[Row]]:
    """The index for this snapshot: from disk when an earlier process built it, else built and saved."""
    folder = cache_folder(home, location, corpus, live)
    got = load(folder)
    if got is None:
        got = build(corpus, live)
        shutil.rmtree(folder, ignore_errors=True)  # a damaged one, else the rename below would keep it
        save(folder, *got)
    return got
