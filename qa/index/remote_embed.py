"""Stage 3, remote: embeddings from any OpenAI-compatible `POST {embed_base_url}/embeddings`.

`embed_model = "openai:NAME"` sends chunk texts, `embed_batch_size` per request and up to
`embed_concurrency` requests in flight, to text-embeddings-inference, vLLM, Ollama, infinity or
OpenAI. The SDK retries 429/5xx, timeouts and dropped connections with backoff (honouring
Retry-After); what still fails is one `QAError` line naming the endpoint and never the key, and the
ingest rolls its batch back. Vectors are normalised here, so cosine search behaves the same whether
or not the server normalises.

Chunk sizes are counted with the packaged MiniLM's WordPiece tokenizer: a remote model's own
tokenizer is not available offline, and WordPiece counts are close to (and rarely below) what
BERT-style and BPE tokenizers count for English, so a 96-token chunk fits any model's window.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

from qa.config import Settings, key_withheld
from qa.errors import QAError

PREFIX = "openai:"
_PROBE = "dimension probe"


def is_remote(name: str) -> bool:
    return name.startswith(PREFIX)


class RemoteEmbedder:
    """The `Embedder` interface (embed, count_tokens, dimension) over HTTP."""

    prefer_onnx = False  # nothing to load here: ingest skips its model-load step
    path = None  # no local weights (and so no ONNX export)

    def __init__(self, settings: Settings, concurrency: int | None = None) -> None:
        from qa.endpoint import Endpoint

        self.name = settings.embed_model
        self.remote_name = self.name[len(PREFIX):]
        if not self.remote_name:
            raise QAError("remote embedding model needs a name: embed_model = \"openai:NAME\" (e.g. openai:text-embedding-3-small)")
        self.endpoint = Endpoint(self.remote_name, settings.embed_base_url, settings.embed_api_key, key_withheld(settings, "embed_"),
                                 settings.embed_timeout, settings.embed_retries, path="/embeddings",
                                 key_vars="QA_EMBED_API_KEY or OPENAI_API_KEY", timeout_var="QA_EMBED_TIMEOUT")
        self.batch_size = settings.embed_batch_size
        self.concurrency = concurrency or settings.ingest_jobs or settings.embed_concurrency
        self.requests = 0  # sent (retries by the SDK not counted): for the progress line and tests

    @cached_property
    def tokenizer(self):  # noqa: ANN202
        from qa.index.embed import Embedder

        return Embedder("all-MiniLM-L6-v2").tokenizer

    max_tokens = 256  # chunks are cut to MiniLM's window; remote models' windows are at least this

    def count_tokens(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    @cached_property
    def dimension(self) -> int:
        """The endpoint's vector length, asked once: it goes into the index fingerprint."""
        return len(self._request([_PROBE])[0])

    def prepare(self) -> None:
        """Nothing to load; the first request opens the connection."""

    def embed(self, texts: list[str], batch_size: int | None = None) -> list[list[float]]:
        size = batch_size or self.batch_size
        batches = [texts[k : k + size] for k in range(0, len(texts), size)]
        if len(batches) <= 1 or self.concurrency <= 1:
            out = [v for b in batches for v in self._request(b)]
        else:
            with ThreadPoolExecutor(min(self.concurrency, len(batches))) as pool:
                out = [v for vecs in pool.map(self._request, batches) for v in vecs]
        dims = {len(v) for v in out}
        if len(dims) > 1:
            raise QAError(f"{self.endpoint.base_url} returned vectors of different lengths ({sorted(dims)}) for model {self.remote_name!r}")
        return out

    def _request(self, batch: list[str]) -> list[list[float]]:
        import openai

        self.requests += 1
        try:
            resp = self.endpoint.client().embeddings.create(model=self.remote_name, input=batch, encoding_format="float")
        except openai.APIError as e:
            raise self.endpoint.explain(e) from None
        data = sorted(resp.data, key=lambda d: d.index)
        if len(data) != len(batch):
            raise QAError(f"{self.endpoint.base_url} returned {len(data)} vectors for {len(batch)} texts (model {self.remote_name!r})")
        return [_unit(d.embedding) for d in data]


def _unit(v: list[float]) -> list[float]:
    n = math.sqrt(sum(x * x for x in v)) or 1.0
    return [x / n for x in v]
