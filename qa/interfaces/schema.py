"""The shapes `qa serve` and `qa mcp` answer with, as pydantic models: the OpenAPI document and the
MCP tools' output schemas are generated from these, so what is documented is what is sent."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    """A response shape that may gain fields: clients ignore what they do not know."""

    model_config = ConfigDict(extra="allow")


class CitationOut(Open):
    n: int = Field(description="The number the answer cites it by: [n].")
    source: str = Field(description="The file, as `qa show` takes it: relative to the asker's folder over the CLI, absolute over HTTP.")
    start: int = Field(description="Character offset into the file's text as indexed (`GET /v1/source`, the MCP resource).")
    end: int
    quote: str = Field(description="Exactly text[start:end] of the source.")
    score: float
    page: str | None = Field(None, description="Paged formats (PDF): '12', or '12-13' when the quote spans pages.")
    title: str | None = Field(None, description="The document's title (HTML <title>, PDF metadata, first heading), if any.")


class DroppedOut(Open):
    text: str = Field(description="A sentence of the model's draft that verification removed.")
    reason: str = Field(description="Why it was removed.")


class PassageOut(Open):
    id: str = ""
    source: str
    start: int
    end: int
    text: str
    score: float
    similarity: float | None = None
    bm25: float | None = None


class AskOut(Open):
    """The JSON of `qa ask --json`."""

    question: str
    answer: str
    abstained: bool = Field(description="True when the documents do not hold the answer (nothing is cited).")
    mode: str = Field(description="generated, quoted (the sentences the model drew on, where its wording failed the checks), extractive, fallback-extractive or abstained.")
    reason: str = Field("", description="Why it abstained, or what verification removed.")
    dropped: int | list[DroppedOut] = Field(0, description="Draft sentences verification removed (a count, or each with its reason).")
    judged: int = 0
    citations: list[CitationOut]
    model: str
    timings_ms: dict[str, float]
    fallback: str | None = Field(None, description="Set when a hosted model was down and the answer is extractive: why.")
    standalone: str | None = Field(None, description="With `history`: the question as rewritten to stand alone.")
    passages: list[PassageOut] | None = Field(None, description="With `include_passages`: the cited passages' text.")


class SearchOut(Open):
    passages: list[PassageOut]


class SourceOut(Open):
    """A document's text as indexed, or a window of it around a span (what `qa show` prints)."""

    source: str
    title: str
    chars: int = Field(description="The document's length in characters.")
    text: str = Field(description="The document, or the window shown around the span.")
    offset: int = Field(description="Where `text` begins in the document.")
    start: int = Field(description="The span, in document offsets (0, 0 without one).")
    end: int
    page: str | None = None


class StatusOut(Open):
    store: str
    size_bytes: int | None
    collections: list[dict]
    models_loaded: list[str]
    queues: dict[str, dict]


class HealthOut(Open):
    ok: Literal[True]


class ErrorOut(BaseModel):
    """Every error the server answers with (also the `error` event of a stream)."""

    error: str = Field(description="One line saying what went wrong and what to do.")
    type: str = Field(description="BadRequest, Refused, NothingIngested, NotFound, Busy, Timeout, HTTPError, InternalError…")
