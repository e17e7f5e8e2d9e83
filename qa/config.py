"""One typed settings tree: every knob has one home.

Precedence, lowest to highest: defaults < `$QA_HOME/config.toml` < `QA_*` environment variables <
command-line flags (the CLI passes flags as overrides).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
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
    # `qa ingest --watch`: how long the folder must be quiet before a burst of changes is indexed.
    watch_debounce_s: float = 0.5
    # Server mode: an ingest's lock is a lease in the server, renewed while it runs; a holder that
    # died without releasing it blocks others at most this long.
    lock_lease_s: float = 30.0
    # Hosted models (`--model openai:NAME`): an OpenAI-compatible chat API. Unset base_url means
    # api.openai.com. OPENAI_BASE_URL / OPENAI_API_KEY are read too, below config.toml (see below).
    base_url: str | None = None
    api_key: SecretStr | None = None
    # Seconds to wait for the endpoint (per attempt), and retries with backoff on 429/5xx/timeouts.
    request_timeout: float = 60.0
    retries: int = 2
    # When the endpoint is down after retries: "none" fails with one clear line (the default, so a
    # misconfigured endpoint is never silently papered over), "extractive" answers without a model.
    fallback: Literal["none", "extractive"] = "none"

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
        return (init_settings, env_settings, toml, OpenAIEnvSource(settings_cls))


class OpenAIEnvSource(PydanticBaseSettingsSource):
    """The OpenAI SDK's own variables, OPENAI_BASE_URL and OPENAI_API_KEY, as the lowest-priority
    source above defaults: they are often set shell-wide for other tools, so anything written for
    `qa` itself (config.toml, QA_BASE_URL, QA_API_KEY, flags) wins over them."""

    VARS = {"base_url": "OPENAI_BASE_URL", "api_key": "OPENAI_API_KEY"}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        var = self.VARS.get(field_name)
        return (os.environ.get(var) if var else None), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {name: os.environ[var] for name, var in self.VARS.items() if os.environ.get(var)}


def describe(**overrides: Any) -> list[tuple[str, str, str]]:
    """(name, shown value, where it came from) for every setting; secrets masked. The origin is
    the highest-precedence source that sets it: flag, QA_* env, config.toml, OPENAI_* env, default."""
    from pydantic_settings import EnvSettingsSource

    settings = load_settings(**overrides)
    toml_path = qa_home() / "config.toml"
    layers = [
        ("flag", {k: v for k, v in overrides.items() if v is not None}),
        ("env", EnvSettingsSource(Settings, env_prefix="QA_")()),
        (str(toml_path), TomlConfigSettingsSource(Settings, toml_file=toml_path)()),
        ("env (OpenAI SDK)", OpenAIEnvSource(Settings)()),
    ]
    rows = []
    for name in Settings.model_fields:
        value = getattr(settings, name)
        origin = next((label for label, found in layers if name in found), "default")
        if origin == "env":
            origin = f"env QA_{name.upper()}"
        elif origin == "env (OpenAI SDK)":
            origin = f"env {OpenAIEnvSource.VARS[name]}"
        rows.append((name, mask(value), origin))
    return rows


def mask(value: Any) -> str:
    """How a setting is shown: secrets never, only whether they are set."""
    if isinstance(value, SecretStr):
        return "********" if value.get_secret_value() else "(empty)"
    return "(unset)" if value is None else str(value)


def load_settings(**overrides: Any) -> Settings:
    """Settings with CLI overrides applied; `None` means "flag not given". A bad value anywhere
    (config.toml, environment, flag) is one line naming the setting, not a traceback."""
    from pydantic import ValidationError

    from qa.errors import QAError

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as e:
        first = e.errors()[0]
        name = ".".join(str(x) for x in first["loc"]) or "settings"
        raise QAError(f"bad setting {name}: {first['msg']} (see `qa config show`)") from None
