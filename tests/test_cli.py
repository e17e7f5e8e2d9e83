"""The CLI as a user runs it: JSON contract, `ask -`, and every error path (one line, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SEEDS, both_stores, one_clean_error, run_qa

KEYS = {"question", "answer", "abstained", "mode", "reason", "dropped", "judged", "citations", "model", "timings_ms"}


def test_help_is_instant_and_lists_commands() -> None:
    proc = run_qa("--help")
    assert proc.returncode == 0
    for cmd in ("ingest", "ask", "chat", "eval", "status"):
        assert cmd in proc.stdout


@both_stores
def test_json_contract_and_verbatim_quotes(seeded: Path) -> None:
    proc = run_qa("ask", "--json", "--model", "none", "How much is annual trade between Russia and North Korea worth?")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == KEYS
    assert out["abstained"] is False and out["model"] == "none"
    assert "100 million" in out["answer"]
    assert {"retrieve", "generate", "total"} <= set(out["timings_ms"]) <= {"retrieve", "evidence", "generate", "verify", "total"}
    assert out["citations"], out
    for c in out["citations"]:
        assert set(c) == {"n", "source", "start", "end", "quote", "score"}
        assert f"[{c['n']}]" in out["answer"]
        text = Path(c["source"]).read_text(encoding="utf-8")
        assert text[c["start"] : c["end"]] == c["quote"]
    assert any(c["source"].endswith("001_b4cd203a8e781f12.txt") for c in out["citations"])


@both_stores
def test_unanswerable_abstains_with_no_citations(seeded: Path) -> None:
    proc = run_qa("ask", "--json", "--model", "none", "Who won the 2014 Olympic ice hockey final?")
    out = json.loads(proc.stdout)
    assert out["abstained"] is True and out["citations"] == []


@both_stores
def test_ask_dash_reads_one_question_per_line(seeded: Path) -> None:
    questions = "How much is annual trade between Russia and North Korea worth?\n\nWho won the 2014 Olympic ice hockey final?\n"
    proc = run_qa("ask", "-", "--json", "--model", "none", input=questions)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["question"] for r in rows] == [q for q in questions.splitlines() if q]
    assert [r["abstained"] for r in rows] == [False, True]


@both_stores
def test_plain_output_when_piped(seeded: Path) -> None:
    proc = run_qa("ask", "--model", "none", "Which Russian deputy foreign minister visited Pyongyang?")
    assert proc.returncode == 0
    assert "Morgulov" in proc.stdout and "Sources:" in proc.stdout and "\x1b[" not in proc.stdout


@pytest.mark.parametrize("question", ["", "   ", "\x01\x02\t"])
def test_empty_question(question: str) -> None:
    one_clean_error(run_qa("ask", question), "empty question")


@both_stores
def test_nothing_ingested() -> None:
    one_clean_error(run_qa("ask", "--model", "none", "Why did Kim skip Moscow?"), "nothing ingested")


@both_stores
def test_missing_path() -> None:
    one_clean_error(run_qa("ingest", "/no/such/folder"), "path not found")


def test_binary_file_named_directly(tmp_path: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_bytes(b"\x00\xff\x00binary")
    one_clean_error(run_qa("ingest", str(f)), "binary file")


def test_unreadable_file_named_directly(tmp_path: Path) -> None:
    import os

    f = tmp_path / "secret.txt"
    f.write_text("hidden")
    f.chmod(0)
    if os.access(f, os.R_OK):
        pytest.skip("running as root: permissions are not enforced")
    one_clean_error(run_qa("ingest", str(f)), "cannot read")


def test_unknown_model(seeded: Path) -> None:
    one_clean_error(run_qa("ask", "--model", "gpt-17", "Why did Kim skip Moscow?"), "unknown model")


def test_missing_gguf(seeded: Path) -> None:
    one_clean_error(run_qa("ask", "--model", "/nowhere/model.gguf", "Why did Kim skip Moscow?"), "model file not found")


def test_too_long_question() -> None:
    one_clean_error(run_qa("ask", "why " * 3000), "limit")


@pytest.mark.slow  # over 10 s: ingests or starts servers
@both_stores
def test_ingest_summary_line(tmp_path: Path) -> None:
    docs = tmp_path / "d"
    docs.mkdir()
    (docs / "a.txt").write_text((SEEDS / "001_b4cd203a8e781f12.txt").read_text(encoding="utf-8"), encoding="utf-8")
    proc = run_qa("ingest", str(docs), "--collection", "mine")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ingested 1 files (") and "skipped 0 unchanged" in proc.stdout
    proc = run_qa("ingest", str(docs), "--collection", "mine")
    assert "ingested 0 files (0 chunks), skipped 1 unchanged" in proc.stdout


@pytest.mark.slow  # over 10 s: ingests or starts servers
def test_eval_conversations_plays_follow_ups_through_chat(seeded: Path) -> None:
    proc = run_qa("eval", "evals/conversations.jsonl", "--model", "none", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    follow_ups = [r for r in out["rows"] if r["turn"] > 1]
    assert follow_ups and all(r["standalone"] != r["question"] for r in follow_ups)  # rewritten with context
    assert {"follow_up_accuracy", "follow_up_accuracy_without_conversation", "ttft_ms_first", "ttft_ms_follow_up"} <= set(out["summary"])
    assert out["summary"]["phantom_citations"] == 0


def test_a_misspelt_setting_is_one_clear_error_naming_the_closest(qa_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    qa_home.mkdir(parents=True, exist_ok=True)
    config = qa_home / "config.toml"
    config.write_text('modle = "none"\n', encoding="utf-8")
    one_clean_error(run_qa("status"), f"unknown setting 'modle' in {config}: did you mean model?")
    config.write_text('model = "none"\npassages = 3\n', encoding="utf-8")
    monkeypatch.setenv("QA_PASAGES", "3")
    one_clean_error(run_qa("ask", "--model", "none", "Why?"), "unknown environment variable QA_PASAGES: did you mean QA_PASSAGES?")
    monkeypatch.delenv("QA_PASAGES")
    config.write_text("model = \n", encoding="utf-8")
    one_clean_error(run_qa("status"), f"cannot read {config}")
    config.write_text('model = "none"\n', encoding="utf-8")
    # not settings, and allowed: QA_HOME and QA_MODELS_DIR (set by conftest), the service's, the tests' own
    for var in ("QA_SERVER_URL", "QA_SERVER_TOKEN", "QA_TEST_ANYTHING", "QA_PASSAGES"):
        monkeypatch.setenv(var, "3")
    proc = run_qa("config", "show")
    assert proc.returncode == 0, proc.stderr
    assert "unknown" not in proc.stderr


def test_the_lean_ask_path_takes_only_what_it_understands_for_certain() -> None:
    from qa.interfaces.entry import parse_ask

    assert parse_ask(["ask", "--json", "-m", "none", "--passages=3", "Why?"]) == {
        "json": True, "verbose": False, "model": "none", "passages": 3, "question": "Why?"}
    assert parse_ask(["ask", "-v", "What", "-c", "docs"]) == {"json": False, "verbose": True, "collection": "docs", "question": "What"}
    for args in (
        ["ask"], ["ask", "-"], ["ask", "  "], ["ask", "one", "two"],  # no question, stdin, blank, two
        ["ask", "--help"], ["ask", "--no-server", "Q"], ["ask", "--jsn", "Q"],  # flags it does not take
        ["ask", "-k", "two", "Q"], ["ask", "-k", "-1", "Q"], ["ask", "Q", "-m"],  # values the CLI must judge
        ["ask", "-m", "a", "-m", "b", "Q"], ["chat"], ["ingest", "seeds"], [],
    ):
        assert parse_ask(args) is None, args


def test_help_lists_every_format_shows_flags_as_flags_and_there_is_a_version() -> None:
    from qa.index.load import SUFFIXES

    for args in (["--help"], ["ingest", "--help"]):
        out = run_qa(*args).stdout
        for suffix in SUFFIXES:
            if suffix not in (".markdown", ".htm"):  # spellings of .md and .html
                assert suffix in out, (args, suffix)
        assert "without a known extension" in " ".join(out.split())
    for cmd in ("ask", "ingest", "serve", "status"):
        out = run_qa(cmd, "--help").stdout
        assert "<bool>" not in out, out
    assert "--json " in run_qa("ask", "--help").stdout
    version = run_qa("--version")
    assert version.returncode == 0 and version.stdout.startswith("qa ") and len(version.stdout.split()) == 2, version.stdout


def test_ingest_without_a_path_outside_the_repository_says_what_to_pass(tmp_path: Path) -> None:
    proc = run_qa("ingest", cwd=tmp_path)
    one_clean_error(proc, "no files or folders given: name what to index")
    assert "path not found" not in proc.stderr


@pytest.mark.slow  # over 10 s: ingests or starts servers
def test_a_folder_ingest_reports_each_file_it_passes_over(tmp_path: Path) -> None:
    docs = tmp_path / "d"
    docs.mkdir()
    (docs / "a.txt").write_text((SEEDS / "001_b4cd203a8e781f12.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (docs / "blob.bin").write_bytes(b"\x00\x01\x02" * 50)
    (docs / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (docs / "program").write_bytes(b"\x7fELF\x02\x01\x01" + b"\x00" * 64)
    (docs / "empty.txt").write_text("")
    (docs / ".hidden").write_bytes(b"\x00")
    proc = run_qa("ingest", str(docs))
    assert proc.returncode == 0, proc.stderr
    skipped = [line for line in proc.stderr.splitlines() if line.startswith("skipped ")]
    for name, why in (("blob.bin", ".bin is not a format"), ("photo.png", ".png is not a format"), ("program", "binary"), ("empty.txt", "no text")):
        assert sum(name in line and why in line for line in skipped) == 1, (name, proc.stderr)
    assert len(skipped) == 4 and ".hidden" not in proc.stderr
    assert "4 not documents" in proc.stdout and "failed" not in proc.stdout, proc.stdout
