"""Where qa keeps its data. Its own small module because the lean `qa ask` path (qa/interfaces/entry.py)
needs it before anything heavy is imported."""

from __future__ import annotations

import os
from pathlib import Path


def qa_home() -> Path:
    """The user directory: `$QA_HOME`, else the platform's per-user data dir (e.g. ~/.local/share/qa)."""
    env = os.environ.get("QA_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("qa", appauthor=False))


def models_dir() -> Path:
    """Where weights derived from installed packages live (assembled GGUFs, the embedder's ONNX
    export): `$QA_MODELS_DIR`, else `$QA_HOME/models`. They depend on the packages, not on any
    collection, so several homes can share one folder."""
    env = os.environ.get("QA_MODELS_DIR")
    return Path(env).expanduser() if env else qa_home() / "models"
