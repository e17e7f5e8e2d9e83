"""The documents that are generated stay current, and the README stays short.

docs/configuration.md and docs/evaluation.md are rendered by `python -m qa.evaluation.docs` from
qa/config.py's descriptions and the JSON reports in reports/; a change to either without
re-rendering fails here, so the docs cannot drift from the settings or the measured runs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 300


def test_readme_is_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines (at most {README_MAX_LINES}: reference material goes in docs/)"


def test_generated_docs_are_current(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "qa.evaluation.docs", "--no-plots", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name in ("configuration.md", "evaluation.md"):
        fresh = (tmp_path / name).read_text(encoding="utf-8")
        committed = (ROOT / "docs" / name).read_text(encoding="utf-8")
        assert fresh == committed, f"docs/{name} is out of date: run `python -m qa.evaluation.docs`"


def test_every_setting_is_documented() -> None:
    from qa.config import Settings

    undescribed = [name for name, field in Settings.model_fields.items() if not (field.description or "").strip()]
    assert not undescribed, f"settings without a description (qa/config.py): {undescribed}"
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert all(f"| `{name}` |" in text for name in Settings.model_fields)


def test_docs_links_resolve() -> None:
    """A relative link in README.md or docs/*.md names a file that exists. (Images are left out:
    docs/page.png, the browser page's screenshot, comes with the page.)"""
    import re

    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"(?<!!)\[[^\]]*\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


# docs/architecture.md: a lower layer never imports a higher one.
LAYERS = {"types": 0, "errors": 1, "home": 1, "config": 1, "text": 1, "index": 2, "answer": 3, "check": 3, "interfaces": 4, "evaluation": 4}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "qa" and len(parts) > 1 and parts[1] in LAYERS else None


def test_lower_layer_never_imports_higher() -> None:
    wrong = []
    for path in sorted((ROOT / "qa").rglob("*.py")):
        mine = _layer(".".join(path.relative_to(ROOT).with_suffix("").parts))
        if mine is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            wrong += [f"{path.relative_to(ROOT)} ({mine}) imports {n}" for n in names if (t := _layer(n)) and LAYERS[t] > LAYERS[mine]]
    assert not wrong, wrong


def test_readme_shows_the_commands_ci_runs() -> None:
    """.ci/run runs exactly what README tells a new user to type: each of its commands is a line of README."""
    readme = set((ROOT / "README.md").read_text(encoding="utf-8").splitlines())
    commands = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines() if line.startswith(("python3 ", ".venv/"))]
    assert len(commands) == 2 and all(c in readme for c in commands), commands
