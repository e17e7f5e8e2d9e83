"""The ONNX query encoder must agree with sentence-transformers, the reference implementation."""

from __future__ import annotations

import math

import pytest

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


def test_without_export_sentence_transformers_is_used() -> None:
    e = Embedder("all-MiniLM-L6-v2", prefer_onnx=True)
    assert e._onnx is None  # fresh $QA_HOME: nothing exported yet
    assert len(e.embed(["hello"])[0]) == 384
