"""ask / search / status: the one small API that the CLI, `qa serve` and `qa mcp` call.

A `Service` keeps what is slow to load — the store client, the embedder, retrievers per
collection, models per name — so that a long-lived process (the server, a chat) pays start-up
once, and every front end answers the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from qa.config import Settings, load_settings
from qa.errors import QAError
from qa.types import Answer


class Service:
    """Loaded answerers per (collection, model, passages, fallback), sharing one embedder, one
    retriever per collection and one model per name."""

    def __init__(self, **base: Any) -> None:
        self.base = {k: v for k, v in base.items() if v is not None}  # overrides for every request (CLI flags)
        self._lock = threading.Lock()  # loading is rare; it is serialised so nothing loads twice
        self._embedder = None
        self._retrievers: dict[tuple, Any] = {}
        self._models: dict[str, Any] = {}
        self._answerers: dict[tuple, Any] = {}

    def settings(self, **overrides: Any) -> Settings:
        return load_settings(**(self.base | {k: v for k, v in overrides.items() if v is not None}))

    def answerer(self, collection: str | None = None, model: str | None = None, passages: int | None = None, fallback: str | None = None):  # noqa: ANN201
        """The loaded Answerer for these settings (loaded on first use, then reused)."""
        from qa.answer.answer import Answerer

        settings = self.settings(collection=collection, model=model, passages=passages, fallback=fallback)
        key = (settings.collection, settings.model, settings.passages, settings.fallback)
        with self._lock:
            if key not in self._answerers:
                model_ready = self._model_in_background(settings)
                retriever = self._retriever(settings)  # a store or collection error is said first, as before
                self._answerers[key] = Answerer(settings, retriever, model_ready())
            return self._answerers[key]

    def _model_in_background(self, settings: Settings) -> Callable[[], Any]:
        """Start loading the model on another thread (llama.cpp reads its weights in native code)
        while this one imports the store and loads the retriever; returns a wait for it."""
        if settings.model in self._models or settings.model in ("none", "extractive"):
            return lambda: self._model(settings)
        done: dict[str, Any] = {}

        def load() -> None:
            try:
                done["model"] = self._model(settings)
            except BaseException as e:  # noqa: BLE001 - raised on the caller's thread
                done["error"] = e

        from qa.index.embed import first_imports_here

        first_imports_here()
        thread = threading.Thread(target=load, name="qa-model-load", daemon=True)
        thread.start()

        def wait() -> Any:
            thread.join()
            if "error" in done:
                raise done["error"]
            return done["model"]

        return wait

    def _retriever(self, settings: Settings):  # noqa: ANN202
        """One Retriever per collection (one file map, one BM25, one change check), seen through
        a view that hands the model `settings.passages` passages."""
        from qa.answer.retrieve import Retriever

        if settings.collection not in self._retrievers:
            r = Retriever(settings, embedder=self._embedder)
            self._embedder = r.embedder
            self._retrievers[settings.collection] = r
        return _PassagesView(self._retrievers[settings.collection], settings.passages)

    def _model(self, settings: Settings):  # noqa: ANN202
        from qa.answer.models import load_model

        if settings.model not in self._models:
            self._models[settings.model] = load_model(settings.model, settings)
        return self._models[settings.model]

    def set_model(self, answerer, name: str) -> None:  # noqa: ANN001
        """`/model NAME` in chat: the same answerer, another model (loaded once, kept)."""
        with self._lock:
            answerer.model = self._model(self.settings(model=name))

    def models_loaded(self) -> list[str]:
        return sorted(self._models)

    def ask(self, question: str, *, collection: str | None = None, model: str | None = None, passages: int | None = None,
            fallback: str | None = None, on_token: Callable[[str], None] | None = None,
            on_stage: Callable[[str], None] | None = None) -> Answer:
        return self.answerer(collection, model, passages, fallback).ask(question, on_token=on_token, on_stage=on_stage)

    def search(self, query: str, *, collection: str | None = None, k: int | None = None) -> list[dict[str, Any]]:
        """Ranked passages with source, offsets and scores; no model involved."""
        from qa.answer.question import clean_question

        settings = self.settings(collection=collection)
        if not any(ch.isalnum() for ch in query):  # refused here in the search's own words, not a question's
            raise QAError('empty query: send the words to search for, e.g. {"query": "Morgulov Pyongyang"}')
        query = clean_question(query, settings.max_question_chars)
        with self._lock:
            retriever = self._retriever(settings)
        return [passage_json(p) for p in retriever.retrieve(query, k or settings.passages).passages]

    def status(self, collection: str | None = None, files: bool = False) -> dict[str, Any]:
        from qa.interfaces.status import status

        out = status(self.settings(), only=collection, with_files=files)
        out["models_loaded"] = self.models_loaded()
        return out

    def file_text(self, collection: str | None, source: str) -> str:
        """An ingested file's text exactly as indexed (citation offsets point into it); refused
        when the file changed since, because then the offsets would not hold."""
        from qa.interfaces.show import source_text

        return source_text(source, self.settings(collection=collection))[2]

    def source(self, source: str, start: int | None = None, end: int | None = None, *, collection: str | None = None,
               context: int = 300) -> dict[str, Any]:
        """A cited span in its document, as `qa show SOURCE:START-END` shows it (the whole text
        without a span): the page's citation view and `qa show` read the same thing."""
        from qa.interfaces.show import view

        if (start is None) != (end is None) or (start is not None and end is not None and not 0 <= start < end):
            raise QAError("give both start and end, with 0 <= start < end (or neither, for the whole document)")
        span = (start, end) if start is not None and end is not None else None
        return view(source, span, self.settings(collection=collection), context)


class _PassagesView:
    """A collection's one Retriever, asked for `passages` passages by default (the Answerer
    calls `retrieve(question)`); everything else is the Retriever's own."""

    def __init__(self, base, passages: int) -> None:  # noqa: ANN001
        self._base, self._passages = base, passages

    def retrieve(self, question: str, n_passages: int | None = None):  # noqa: ANN201
        return self._base.retrieve(question, n_passages or self._passages)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


def streamed(on_token: Callable[[str], None], on_reset: Callable[[], None]) -> Callable[[str], None]:
    """An `on_token` for `Answerer.ask` that tells a thrown-away draft from the one that follows:
    when the model's draft says the documents hold no answer and it is asked again, the answerer
    passes a lone line break between the two drafts; here that becomes `on_reset()` (the SSE
    `reset` event, a cleared draft on the terminal) instead of a token, so no client shows both.
    (A hook in the answerer itself, `on_reset`, would make this exact rather than inferred.)"""
    from qa.check.verify import is_not_found

    draft: list[str] = []

    def on_piece(piece: str) -> None:
        if piece == "\n" and draft and is_not_found("".join(draft)):
            draft.clear()
            on_reset()
            return
        draft.append(piece)
        on_token(piece)

    return on_piece


def ask_streaming(answerer, question: str, on_token: Callable[[str], None], on_reset: Callable[[], None], **kw: Any) -> Answer:  # noqa: ANN001
    """`answerer.ask` with a draft shown as it is written: a server's answerer hands on the server's
    `reset` events; one in this process has them inferred by `streamed`."""
    if getattr(answerer, "remote", None) is not None:
        return answerer.ask(question, on_token=on_token, on_reset=on_reset, **kw)
    return answerer.ask(question, on_token=streamed(on_token, on_reset), **kw)


def passage_json(p) -> dict[str, Any]:  # noqa: ANN001
    return {
        "id": p.id, "source": p.source, "start": p.start, "end": p.end, "text": p.text,
        "score": round(p.score, 6), "similarity": round(p.similarity, 6), "bm25": round(p.bm25, 6),
    }
