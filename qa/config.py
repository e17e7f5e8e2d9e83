"""One typed settings tree: every knob has one home.

Precedence, lowest to highest: defaults < `$QA_HOME/config.toml` < `QA_*` environment variables <
command-line flags (the CLI passes flags as overrides).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource


def qa_home() -> Path:
    """The user directory: `$QA_HOME`, else the platform's per-user data dir (e.g. ~/.local/share/qa)."""
    env = os.environ.get("QA_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("qa", appauthor=False))


class Settings(BaseSettings):
    """Everything that changes what `qa` does. Chunking and embedding knobs are part of the index
    fingerprint: changing them triggers a rebuild on the next ingest."""

    model_config = SettingsConfigDict(env_prefix="QA_", extra="ignore")

    collection: str = "default"
    # Which answerer: a built-in model name (see `qa models`), a path to a .gguf file, or "none".
    model: str = "qwen2.5-1.5b"
    embed_model: str = "all-MiniLM-L6-v2"
    # Chunk size in embedding-model tokens: small chunks keep the prompt (and so local latency) small
    # and stay under MiniLM's 256-token window.
    chunk_size: int = 96
    chunk_overlap: int = 16
    # Candidates taken from each retriever before fusion, and passages given to the model.
    candidates: int = 20
    passages: int = 4
    # Abstain without asking the model when the best passage is this far from the question.
    min_similarity: float = 0.30
    # Sentence-vs-question score (0.7 cosine + 0.3 shared terms) that an extractive answer needs.
    extractive_min_score: float = 0.55
    # A generated answer's best cited quote must score this against the question, or it is treated
    # as an answer to some other question.
    min_relevance: float = 0.45
    # When the model says the passages hold no answer but a passage sentence scores this high
    # against the question, ask once more without the way out (small models abstain too readily).
    override_score: float = 0.66
    max_answer_tokens: int = 160
    threads: int = Field(default_factory=lambda: max(1, min(os.cpu_count() or 2, 8)))
    context_tokens: int = 4096
    # Per-file limits: a bigger file is skipped with a warning (or refused when named directly).
    max_file_mb: float = 50.0
    max_file_chunks: int = 20000
    max_question_chars: int = 2000
    # A Chroma server (http://HOST:PORT) instead of the embedded store under $QA_HOME.
    chroma_url: str | None = None
    # The database on that server (created on first use): one server can hold several teams' indexes.
    chroma_database: str = "default_database"
    # Files read, split and embedded per batch; each batch is committed on its own, so memory stays
    # bounded and an interrupted ingest resumes after the last committed batch.
    ingest_batch_files: int = 64
    # Server mode: an ingest's lock is a lease in the server, renewed while it runs; a holder that
    # died without releasing it blocks others at most this long.
    lock_lease_s: float = 30.0

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=qa_home() / "config.toml")
        return (init_settings, env_settings, toml)


def load_settings(**overrides: Any) -> Settings:
    """Settings with CLI overrides applied; `None` means "flag not given"."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
