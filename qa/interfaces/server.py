"""`qa serve`: one warm process (FastAPI on uvicorn) over the service layer.

Models run on CPU and answer one question at a time, so each model has a fair (FIFO) queue of
bounded length; a full queue answers 429 with Retry-After instead of letting latency grow without
bound. Work runs in threads; a client that disconnects or outlives its timeout cancels its
generation at the next token. Errors are JSON, one message, never a traceback.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field

from qa.config import Settings
from qa.errors import NotFound, NothingIngested, QAError
from qa.interfaces.schema import AskOut, ErrorOut, HealthOut, SearchOut, SourceOut, StatusOut
from qa.interfaces.service import Service, passage_json, streamed
from qa.paths import absolute, rebased

log = logging.getLogger("qa.interfaces.server")


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=4000, description="The earlier turn's standalone question.")
    answer: str = Field(max_length=4000, description="The earlier turn's answer text.")


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str
    collection: str | None = None
    model: str | None = Field(None, description="As `qa ask --model`; default: the server's model.")
    passages: int | None = Field(None, ge=1, le=20)
    fallback: Literal["none", "extractive"] | None = None
    stream: bool = Field(False, description="Server-sent events: `stage` events (what the answerer starts next, e.g. \"retrieving\"), "
                         "`token` events (a `reset` event: the draft so far was thrown away and a new one follows), "
                         "`rewrite` (with `history`), then one `answer` (or `error`).")
    history: list[HistoryTurn] | None = Field(None, max_length=10, description="Earlier turns (chat): the question is rewritten to stand alone first.")
    include_passages: bool = Field(False, description="Add the cited passages' text (`passages`).")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str
    collection: str | None = None
    k: int | None = Field(None, ge=1, le=50)


class Busy(Exception):
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after


class Cancelled(Exception):
    """The client went away or the request timed out; the generation was stopped."""


class Slot:
    """One model's queue: asyncio.Lock wakes waiters first-come first-served."""

    def __init__(self, capacity: int) -> None:
        self.lock = asyncio.Lock()
        self.capacity = capacity
        self.pending = 0  # running + waiting
        self.seconds = 1.0  # moving average of one answer, for Retry-After
        self.answered = 0

    def admit(self) -> None:
        if self.pending > self.capacity:
            raise Busy(max(1, math.ceil(self.seconds * self.pending)))
        self.pending += 1

    async def run(self, fn: Callable[[], Any], cancel: threading.Event) -> Any:
        """Run `fn` in a thread when this request's turn comes. Cancelled while running: tell the
        work to stop and keep the turn until the thread has really finished."""
        try:
            async with self.lock:
                t0 = time.perf_counter()
                fut = asyncio.get_running_loop().run_in_executor(None, fn)
                try:
                    return await asyncio.shield(fut)
                finally:
                    if not fut.done():
                        cancel.set()
                        await asyncio.wait({fut})
                    self.seconds = 0.8 * self.seconds + 0.2 * (time.perf_counter() - t0)
                    self.answered += 1
        finally:
            self.pending -= 1


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Guard:
    """Plain ASGI middleware (it must not wrap `receive`, which carries the client's disconnect):
    the bearer token, compared in constant time, and the body size, before anything is parsed."""

    def __init__(self, app, token: str | None, limit: int, hosts: set[bytes] | None) -> None:  # noqa: ANN001
        self.app, self.token, self.limit = app, (f"Bearer {token}".encode() if token else None), limit
        self.hosts = hosts

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        refusal = None
        if self.hosts is not None and headers.get(b"host", b"").rsplit(b":", 1)[0] not in self.hosts:
            # A web page can reach 127.0.0.1 too, through a name it controls (DNS rebinding).
            refusal = (421, "this server answers to loopback host names only")
        if refusal is None and self.token is not None and scope["path"] not in ("/healthz", "/"):  # the page holds no data; it asks for the token
            if not hmac.compare_digest(headers.get(b"authorization", b""), self.token):
                refusal = (401, "missing or wrong bearer token (QA_SERVER_TOKEN)")
        size = headers.get(b"content-length")
        if refusal is None and scope["method"] == "POST":
            if size is None:
                refusal = (411, "send a Content-Length (chunked bodies are not accepted)")
            elif not size.isdigit() or int(size) > self.limit:
                refusal = (413, f"request body over {self.limit} bytes (QA_SERVER_MAX_BODY_BYTES)")
        if refusal is None:
            return await self.app(scope, receive, send)
        body = json.dumps({"error": refusal[1], "type": "Refused"}).encode()
        await send({"type": "http.response.start", "status": refusal[0],
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def error_body(e: BaseException) -> dict:
    return {"error": str(e) or type(e).__name__, "type": type(e).__name__}


_STATUS_WHY = {
    400: "The request cannot be answered as sent (an empty question, a bad span…).",
    404: "No such collection (nothing ingested into it), or no such document in it.",
    413: "The body is over QA_SERVER_MAX_BODY_BYTES.",
    422: "The body is not valid JSON, or a field is unknown, missing or out of range.",
    429: "The model's queue is full; retry after the Retry-After header's seconds.",
    504: "No answer within QA_SERVER_TIMEOUT_S.",
}


def _documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for these error statuses: every one is an `ErrorOut` body."""
    return {code: {"model": ErrorOut, "description": _STATUS_WHY[code]} for code in codes}


def validation_message(errors: list[dict]) -> str:
    """The first problem with a request, in words: where it is and what is wrong. A body that is
    not JSON at all says so (pydantic reports it as 'JSON decode error' at a character offset)."""
    first = errors[0] if errors else {}
    if first.get("type") == "json_invalid":
        at = next((x for x in first.get("loc", ()) if isinstance(x, int)), None)
        why = (first.get("ctx") or {}).get("error")
        return "the body is not valid JSON" + (f" ({why}" + (f", at character {at})" if at is not None else ")") if why else "")
    where = ".".join(str(x) for x in first.get("loc", ()) if x not in ("body", "query"))
    return f"{where + ': ' if where else ''}{first.get('msg', 'invalid request')}"


# The page reaches nothing but this server, and nothing can frame it.
_PAGE_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
             "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _page() -> str:
    from importlib.resources import files

    return (files("qa.interfaces") / "web" / "index.html").read_text(encoding="utf-8")


def create_app(service: Service, settings: Settings):  # noqa: ANN201, C901
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException

    app = FastAPI(
        title="qa", version="1", docs_url=None, redoc_url=None,
        description="Answers about your documents with verified citations. Every error is `{\"error\": message, \"type\": kind}`.",
    )
    slots: dict[str, Slot] = {}
    app.add_middleware(Guard, token=settings.server_token.get_secret_value() if settings.server_token else None,
                       limit=settings.server_max_body_bytes,
                       hosts={b"127.0.0.1", b"localhost", b"[::1]"} if is_loopback(settings.server_host) else None)

    @app.exception_handler(QAError)
    async def qa_error(request: Request, e: QAError):  # noqa: ANN202
        return JSONResponse(error_body(e), 404 if isinstance(e, NothingIngested | NotFound) else 400)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, e: RequestValidationError):  # noqa: ANN202
        return JSONResponse({"error": f"bad request: {validation_message(e.errors())}", "type": "BadRequest"}, 422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException):  # noqa: ANN202
        return JSONResponse({"error": str(e.detail), "type": "HTTPError"}, e.status_code, headers=getattr(e, "headers", None))

    @app.exception_handler(Exception)
    async def internal(request: Request, e: Exception):  # noqa: ANN202
        log.error("internal error on %s: %s: %s", request.url.path, type(e).__name__, e)
        return JSONResponse({"error": f"internal error ({type(e).__name__}); see the server's log", "type": "InternalError"}, 500)

    def busy(e: Busy) -> JSONResponse:
        return JSONResponse({"error": f"busy: the queue for this model is full; retry after {e.retry_after} s", "type": "Busy"},
                            429, headers={"Retry-After": str(e.retry_after)})

    def timed_out() -> JSONResponse:
        return JSONResponse({"error": f"no answer within {settings.server_timeout_s:g} s (QA_SERVER_TIMEOUT_S)", "type": "Timeout"}, 504)

    def job(req: AskRequest, cancel: threading.Event, emit: Callable[[str, dict], None] | None) -> Callable[[], dict]:
        """The work for one question, run in a thread on the model's turn."""

        def on_piece(piece: str) -> None:
            if cancel.is_set():
                raise KeyboardInterrupt  # the models' way to stop generating (as Ctrl-C)
            if emit:
                emit("token", {"text": piece})

        on_token = streamed(on_piece, lambda: emit("reset", {}) if emit else None)

        def work() -> dict:
            try:
                answerer = service.answerer(req.collection, req.model, req.passages, req.fallback)
                question = req.question
                if req.history:
                    from qa.interfaces.chat import Conversation, Turn
                    from qa.types import Answer

                    turns = [Turn(h.question, h.question, Answer(h.question, h.answer, False, [], "", {}, "")) for h in req.history]
                    question = Conversation(answerer, turns).standalone(req.question)
                    if emit and question != req.question:
                        emit("rewrite", {"standalone": question})
                on_stage = (lambda what: emit("stage", {"text": what})) if emit else None
                answer = answerer.ask(question, on_token=on_token, on_stage=on_stage)
            except KeyboardInterrupt:
                raise Cancelled() from None
            out = answer.to_json()
            if req.history is not None:
                out["standalone"] = question
            if req.include_passages:
                seen = {}
                for c in answer.citations:
                    seen.setdefault(c.passage.id, passage_json(c.passage))
                out["passages"] = list(seen.values())
            return rebased(out, absolute)  # the asker's folder is not ours: it shows them its own way

        return work

    async def check(req: AskRequest) -> Slot:
        """Refuse what cannot be answered before it takes a place in the queue."""
        from qa.answer.question import clean_question

        s = service.settings(collection=req.collection, model=req.model, passages=req.passages, fallback=req.fallback)
        clean_question(req.question, s.max_question_chars)
        slot = slots.setdefault(s.model, Slot(settings.server_queue))
        slot.admit()
        return slot

    @app.post("/v1/ask", summary="Answer a question (the JSON of `qa ask --json`; SSE with stream=true)", response_model=AskOut,
              responses=_documented(400, 404, 413, 422, 429, 504) | {200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}})
    async def ask(req: AskRequest, request: Request):  # noqa: ANN202
        try:
            slot = await check(req)
        except Busy as e:
            return busy(e)
        cancel = threading.Event()
        if not req.stream:
            task = asyncio.ensure_future(_with_timeout(slot.run(job(req, cancel, None), cancel), settings.server_timeout_s))
            gone = asyncio.ensure_future(_disconnected(request))
            await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():  # the client went away: stop its generation, free its place
                cancel.set()
                task.cancel()
                await asyncio.wait({task})
                return JSONResponse({"error": "client disconnected", "type": "Cancelled"}, 499)
            gone.cancel()
            try:
                return JSONResponse(task.result())
            except TimeoutError:
                return timed_out()
        return StreamingResponse(_events(req, slot, cancel), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    async def _events(req: AskRequest, slot: Slot, cancel: threading.Event):  # noqa: ANN202
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        def emit(kind: str, data: dict) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, (kind, data))

        task = asyncio.ensure_future(_with_timeout(slot.run(job(req, cancel, emit), cancel), settings.server_timeout_s))
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while (item := await queue.get()) is not None:
                yield _sse(*item)
            try:
                yield _sse("answer", task.result())
            except TimeoutError:
                yield _sse("error", {"error": f"no answer within {settings.server_timeout_s:g} s (QA_SERVER_TIMEOUT_S)", "type": "Timeout"})
            except Exception as e:  # noqa: BLE001 - reported to the client as one message
                if not isinstance(e, QAError | Cancelled):
                    log.error("internal error in a stream: %s: %s", type(e).__name__, e)
                    e = RuntimeError(f"internal error ({type(e).__name__}); see the server's log")
                yield _sse("error", error_body(e))
        finally:
            if not task.done():  # disconnected mid-stream
                cancel.set()
                task.cancel()

    @app.post("/v1/search", summary="Ranked passages with source, offsets and scores (no model)", response_model=SearchOut,
              responses=_documented(400, 404, 413, 422))
    async def search(req: SearchRequest) -> dict:
        found = await run_in_threadpool(service.search, req.query, collection=req.collection, k=req.k)
        return rebased({"passages": found}, absolute)

    @app.get("/v1/source", summary="A cited span in its document, with context (what `qa show SOURCE:START-END` prints)",
             response_model=SourceOut, responses=_documented(400, 404, 422))
    async def source(path: str, start: int | None = None, end: int | None = None, collection: str | None = None,
                     context: Annotated[int, Query(ge=0, le=20000)] = 300) -> dict:
        out = await run_in_threadpool(service.source, path, start, end, collection=collection, context=context)
        return out | {"source": absolute(out["source"])}

    @app.get("/v1/status", summary="Collections, files, chunks, models loaded", response_model=StatusOut)
    async def status() -> dict:
        out = await run_in_threadpool(service.status)
        out["queues"] = {name: {"pending": s.pending, "capacity": s.capacity, "answered": s.answered} for name, s in slots.items()}
        return out

    @app.get("/healthz", summary="Liveness", response_model=HealthOut)
    async def healthz() -> dict:
        return {"ok": True}

    @app.get("/", include_in_schema=False)
    async def page() -> HTMLResponse:
        """The browser page (qa/interfaces/web/index.html): one file, no build step, works offline."""
        return HTMLResponse(_page(), headers={"Cache-Control": "no-cache", "Content-Security-Policy": _PAGE_CSP, "X-Content-Type-Options": "nosniff"})

    return app


async def _with_timeout(coro, seconds: float):  # noqa: ANN001, ANN202
    async with asyncio.timeout(seconds):
        return await coro


async def _disconnected(request) -> None:  # noqa: ANN001
    """Returns when the client goes away (the body was read already, so the next ASGI message
    is the disconnect)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def serve(settings: Settings, service: Service, host: str, port: int, on_listen: Callable[[str], None] | None = None,
          warm: Callable[[], None] = lambda: None) -> None:
    """Run until Ctrl-C/SIGTERM. The discovery file under $QA_HOME exists exactly while listening.
    `warm()` loads what the first question would, once the port is known to be ours."""
    import os

    import uvicorn

    from qa.interfaces.client import discovery_file

    if not is_loopback(host) and not settings.server_token:
        raise QAError(f"binding {host} exposes your documents to the network: set QA_SERVER_TOKEN (clients send it as a bearer token), or bind 127.0.0.1")
    app = create_app(service, settings.model_copy(update={"server_host": host}))
    marker = discovery_file()

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:  # noqa: ANN001
            await super().startup(sockets)
            if self.should_exit or not self.servers:
                return
            bound = self.servers[0].sockets[0].getsockname()
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
            url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{bound[1]}"
            marker.parent.mkdir(parents=True, exist_ok=True)
            tmp = marker.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")
            tmp.replace(marker)
            if on_listen:
                on_listen(url)

        async def shutdown(self, sockets=None) -> None:  # noqa: ANN001
            forget()  # first: uvicorn re-raises SIGTERM once shut down, ending the process
            await super().shutdown(sockets)

    def forget() -> None:
        try:
            if json.loads(marker.read_text(encoding="utf-8")).get("pid") == os.getpid():
                marker.unlink()
        except (OSError, ValueError):
            pass

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    sock = listen(host, port)  # bound here, so a busy port is one clear error rather than uvicorn's log and exit
    try:
        warm()
        Server(config).run(sockets=[sock])
    finally:
        sock.close()
        forget()


def listen(host: str, port: int):  # noqa: ANN201
    """A socket bound to host:port, as uvicorn would bind it, or a QAError saying why not."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as e:
        sock.close()
        hint = " (another `qa serve`? stop it, or pass --port N, or --port 0 for a free one)" if e.errno in (48, 98) else ""
        raise QAError(f"cannot listen on {host}:{port}: {e.strerror or e}{hint}") from None
    except (OverflowError, ValueError) as e:
        sock.close()
        raise QAError(f"cannot listen on {host}:{port}: {e}") from None
    sock.set_inheritable(True)
    return sock
