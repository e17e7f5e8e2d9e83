"""The ONNX encoder (ingest and questions) must agree with sentence-transformers, the reference implementation."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from qa.index.embed import Embedder, export_onnx, onnx_path

TEXTS = [
    "Why did Kim skip Moscow?",
    "Annual trade between Russia and North Korea is worth only about $100 million.",
    "x",
    "A much longer passage " * 80,  # beyond the 256-token window: both must truncate the same way
]


@pytest.mark.slow  # exports the model with torch
def test_onnx_matches_sentence_transformers() -> None:
    reference = Embedder("all-MiniLM-L6-v2")
    path = export_onnx(reference.path)
    assert path is not None and path == onnx_path(reference.path) and path.exists()
    fast = Embedder("all-MiniLM-L6-v2", prefer_onnx=True)
    assert fast._onnx is not None
    for a, b in zip(reference.embed(TEXTS), fast.embed(TEXTS)):
        assert len(a) == len(b) == 384
        cos = sum(x * y for x, y in zip(a, b)) / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))
        assert cos > 0.9999, cos


def test_where_no_export_can_be_made_sentence_transformers_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import qa.index.embed as embed_mod

    monkeypatch.setenv("QA_MODELS_DIR", str(tmp_path / "models"))  # nothing exported there yet
    monkeypatch.setattr(embed_mod, "export_onnx", lambda model_dir: None)  # e.g. torch missing
    e = Embedder("all-MiniLM-L6-v2", prefer_onnx=True)
    assert e._onnx is None
    assert len(e.embed(["hello"])[0]) == 384


@pytest.mark.slow  # exports the model with torch when nothing has yet
def test_ingest_embeds_with_the_export_and_never_imports_torch(tmp_path: Path) -> None:
    """Once the model is exported (the first ingest does it), ingest embeds through onnxruntime: a
    new process indexes without importing torch or sentence-transformers."""
    assert export_onnx(Embedder("all-MiniLM-L6-v2").path) is not None
    doc = tmp_path / "bridge.txt"
    doc.write_text("The Quokka Lane bridge opened in 1990 after four years of work.\n", encoding="utf-8")
    probe = ("import sys; from qa.config import load_settings; from qa.index.ingest import ingest; "
             f"s = ingest([{str(doc)!r}], load_settings()); "
             "print(s.chunks, sorted(m for m in ('torch', 'sentence_transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=os.environ.copy())
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "[]"]


def test_the_export_is_keyed_by_the_weights_not_where_they_are_installed(tmp_path: Path) -> None:
    """The same weights in another folder (another venv) find the same export; changed weights do not."""
    import shutil

    src = Embedder("all-MiniLM-L6-v2").path
    copy = tmp_path / src.name
    shutil.copytree(src, copy)
    assert onnx_path(copy) == onnx_path(src)
    data = bytearray((copy / "model.safetensors").read_bytes())
    data[-10] ^= 0xFF  # one byte of the last tensor
    (copy / "model.safetensors").write_bytes(bytes(data))
    assert onnx_path(copy) != onnx_path(src)


@pytest.mark.slow  # exports the model with torch
def test_a_question_before_any_ingest_exports_once_then_uses_the_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_MODELS_DIR", str(tmp_path / "models"))  # nothing exported there yet
    e = Embedder("all-MiniLM-L6-v2", prefer_onnx=True)
    assert e._onnx is not None and onnx_path(e.path).exists()
    assert len(e.embed(["hello"])[0]) == 384
