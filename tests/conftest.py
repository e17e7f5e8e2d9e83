"""Test fixtures: every test gets its own $QA_HOME; real embedder, real Chroma, no mocks of either."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"


def _default_models_dir() -> Path:
    from platformdirs import user_data_dir

    home = os.environ.get("QA_HOME")
    return (Path(home) if home else Path(user_data_dir("qa", appauthor=False))) / "models"


# Assembled GGUF weights are shared with the user's own $QA_HOME: reassembling 1 GB per test is waste.
MODELS_DIR = Path(os.environ.get("QA_MODELS_DIR") or _default_models_dir())


@pytest.fixture(autouse=True)
def qa_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "qa-home"
    monkeypatch.setenv("QA_HOME", str(home))
    monkeypatch.setenv("QA_MODELS_DIR", str(MODELS_DIR))
    for var in [v for v in os.environ if v.startswith("QA_") and v not in ("QA_HOME", "QA_MODELS_DIR")]:
        monkeypatch.delenv(var)
    return home


@pytest.fixture(scope="session")
def seeded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A $QA_HOME with the seeds ingested once per session (copied per test that needs it)."""
    home = tmp_path_factory.mktemp("seeded") / "qa-home"
    env = {**os.environ, "QA_HOME": str(home)}
    subprocess.run([sys.executable, "-m", "qa", "ingest", str(SEEDS)], check=True, env=env, capture_output=True, cwd=ROOT)
    return home


@pytest.fixture
def seeded(seeded_home: Path, qa_home: Path) -> Path:
    shutil.copytree(seeded_home, qa_home)
    return qa_home


def run_qa(*args: str, input: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the real CLI in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "qa", *args], capture_output=True, text=True, input=input, cwd=cwd, env=os.environ.copy())
