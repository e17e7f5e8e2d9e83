"""How a stored file's path is shown, and turned back. Its own small module because the lean `qa ask`
path (qa/interfaces/entry.py) maps a server's paths to the asker's folder before anything heavy loads."""

from __future__ import annotations

from pathlib import Path


def shown(source: str) -> str:
    """A stored file as users see it: relative to the current directory when under it (short, and
    openable from here), else absolute."""
    try:
        cwd = Path.cwd()
        return source if cwd == Path(cwd.anchor) else str(Path(source).relative_to(cwd))
    except (ValueError, OSError):  # not under the cwd, or the cwd was deleted
        return source


def absolute(source: str) -> str:
    """`shown` undone: what this process shows relative to its folder, as the absolute path a process
    in another folder can show its own way (a server and its clients rarely share a folder)."""
    p = Path(source)
    if p.is_absolute():
        return source
    try:
        return str(Path.cwd() / p)
    except OSError:
        return source


def rebased(d: dict, how) -> dict:  # noqa: ANN001
    """An answer's (or a search's) JSON with every citation's and passage's `source` passed through
    `how`: `absolute` as a server sends it, `shown` as its client prints it."""
    out = dict(d)
    for key in ("citations", "passages"):
        if isinstance(out.get(key), list):
            out[key] = [item | {"source": how(item["source"])} if isinstance(item, dict) and "source" in item else item for item in out[key]]
    return out
