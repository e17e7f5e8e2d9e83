"""The built wheel works on its own: installed into a fresh venv, run from another directory, it
ingests and answers (the prompts ship inside the package, not beside the checkout).

Network-free: the wheel is built without build isolation, and the fresh venv reuses this
environment's installed dependencies through a .pth file instead of downloading them; only `qa`
itself comes from the wheel (checked: `qa.__file__` is inside the new venv)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS

pytestmark = pytest.mark.slow  # builds a wheel and a venv


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{args}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


def test_wheel_installs_into_a_fresh_venv_and_answers_from_another_directory(seeded: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"  # a copy, so the build leaves nothing in the checkout
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for folder in ("qa", "prompts"):  # prompts/ is top level in the checkout, qa.prompts in the wheel
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", wheels, src, cwd=tmp_path)
    wheel = next(wheels.glob("qa-*.whl"))

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    py = venv / "bin" / "python"
    site = Path(_run(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).stdout.strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}  # this environment's packages
    (site / "deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    _run(sys.executable, "-m", "pip", "--python", py, "install", "--no-deps", "--no-index", "-q", wheel, cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "docs").mkdir(parents=True)
    shutil.copy(SEEDS / "001_b4cd203a8e781f12.txt", elsewhere / "docs" / "trade.txt")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    check = "import qa, qa.answer.prompt; print(qa.__file__); print(len(qa.answer.prompt.build_messages('Why?', [])[1]['content']))"
    where, prompt_chars = _run(py, "-c", check, cwd=elsewhere, env=env).stdout.split()
    assert Path(where).is_relative_to(venv), where  # the wheel's qa, not the checkout's
    assert int(prompt_chars) > 100  # the packaged prompt templates load
    page = "from importlib.resources import files; print((files('qa.interfaces') / 'web' / 'index.html').read_text()[:15])"
    assert _run(py, "-c", page, cwd=elsewhere, env=env).stdout.startswith("<!doctype html>")  # the page `qa serve` shows

    qa = venv / "bin" / "qa"
    _run(qa, "ingest", "docs", "--collection", "wheel", cwd=elsewhere, env=env)
    out = _run(qa, "ask", "--collection", "wheel", "--model", "none", "--json", "How much is annual trade between Russia and North Korea worth?", cwd=elsewhere, env=env)
    answer = json.loads(out.stdout)
    assert "100 million" in answer["answer"]
    assert answer["citations"] and answer["citations"][0]["source"] == "docs/trade.txt"
