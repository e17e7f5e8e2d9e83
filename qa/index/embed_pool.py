"""`qa ingest --jobs N` with a local embedder: the model in N worker processes.

Embedding is nearly all of an ingest, and one process leaves cores idle while it tokenizes, pools
and hands vectors to Chroma. Workers only embed: reading, splitting, the lock, batches, rollback and
every write stay in the ingest process, so a parallel ingest commits exactly what a serial one does.
Each worker gets its share of the cores (intra-op threads), is started with `spawn` (forking a
process that holds Chroma's and the runtime's threads is unsafe), and ignores Ctrl-C: the ingest
process handles it, rolls the batch back and stops the workers.
"""

from __future__ import annotations

import os

_worker = None  # the Embedder of this worker process


def _init(name: str, prefer_onnx: bool, threads: int) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _worker
    from qa.index.embed import Embedder

    _worker = Embedder(name, prefer_onnx=prefer_onnx, threads=threads)
    _worker.prepare()


def _embed(texts: list[str]) -> list[list[float]]:
    return _worker.embed(texts, batch_size=len(texts))


class EmbedPool:
    """An `Embedder` whose `embed` runs in `jobs` processes; the rest (tokenizer, names) is the local one's."""

    def __init__(self, embedder, jobs: int, batch_size: int = 32) -> None:  # noqa: ANN001 - an Embedder
        self.inner = embedder
        self.jobs = jobs
        self.batch_size = batch_size
        self._pool = None

    def __getattr__(self, attr: str):  # noqa: ANN204 - name, path, prefer_onnx, tokenizer, count_tokens...
        return getattr(self.inner, attr)

    def prepare(self) -> None:
        """Start the workers, each loading the model (once per ingest)."""
        if self._pool is None:
            self.inner.ensure_onnx()  # once, here, not in every worker
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            threads = max(1, (os.cpu_count() or 1) // self.jobs)
            self._pool = ProcessPoolExecutor(self.jobs, mp.get_context("spawn"), initializer=_init,
                                             initargs=(self.inner.name, self.inner.prefer_onnx, threads))

    def embed(self, texts: list[str], batch_size: int | None = None) -> list[list[float]]:
        self.prepare()
        size = batch_size or self.batch_size
        batches = [texts[k : k + size] for k in range(0, len(texts), size)]
        return [v for vecs in self._pool.map(_embed, batches) for v in vecs]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
