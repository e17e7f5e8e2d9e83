"""A small OpenAI-compatible embedding server on 127.0.0.1: `POST /v1/embeddings` answered with real
vectors from the packaged MiniLM (ONNX when exported, else sentence-transformers).

`qa bench --scale` starts one so that the remote-embedder path (HTTP, JSON, batching, concurrency)
is measured, and the tests start one to exercise failures a healthy server does not produce on
demand: `fail_first` answers the first N embedding requests with 429 (Retry-After: 0), `dim`
truncates vectors (another model behind the same name), `down_after` stops listening after N
answered requests (an endpoint going down mid-ingest). `/stats` reports the batch sizes it saw.

    python -m qa.evaluation.bench.embed_server --port 8081
    QA_EMBED_MODEL=openai:all-MiniLM-L6-v2 QA_EMBED_BASE_URL=http://127.0.0.1:8081/v1 qa ingest seeds

It is a test and benchmark fixture, not a production server: use text-embeddings-inference, vLLM,
Ollama or infinity for a team (docs/scaling.md).
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class EmbedServer:
    def __init__(self, port: int = 0, api_key: str | None = None, fail_first: int = 0, dim: int = 0, down_after: int = 0,
                 threads: int = 0, model: str = "all-MiniLM-L6-v2") -> None:
        from qa.index.embed import Embedder

        self.embedder = Embedder(model, prefer_onnx=True, threads=threads)
        self.embedder.prepare()
        self.api_key, self.fail_left, self.dim, self.down_after = api_key, fail_first, dim, down_after
        self.down = False
        self.batches: list[int] = []  # inputs per answered request
        self.statuses: list[int] = []
        self._lock = threading.Lock()  # one embedding at a time: the model's own threads use the cores
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/stats"):
                    return self._reply(200, {"batches": server.batches, "statuses": server.statuses})
                self._reply(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if server.down:  # a kept-alive connection outliving the listener: drop it unanswered
                    self.close_connection = True
                    return
                if not self.path.rstrip("/").endswith("/embeddings"):
                    return self._reply(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
                if server.api_key and self.headers.get("Authorization") != f"Bearer {server.api_key}":
                    return self._reply(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}})
                with server._lock:
                    if server.fail_left > 0:
                        server.fail_left -= 1
                        return self._reply(429, {"error": {"message": "rate limited (test server)", "type": "rate_limit_error"}}, {"Retry-After": "0"})
                    texts = body.get("input")
                    texts = [texts] if isinstance(texts, str) else list(texts or [])
                    vecs = server.embedder.embed(texts, batch_size=max(1, len(texts)))
                    if server.dim:
                        vecs = [v[: server.dim] for v in vecs]
                    server.batches.append(len(texts))
                    data = [{"object": "embedding", "index": i, "embedding": [round(x, 6) for x in v]} for i, v in enumerate(vecs)]
                    tokens = sum(len(server.embedder.count_tokens(t)) for t in texts)
                    self._reply(200, {"object": "list", "data": data, "model": body.get("model", ""),
                                      "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
                    if server.down_after and len(server.batches) >= server.down_after:
                        server.down = True
                        threading.Thread(target=server.close, daemon=True).start()

            def _reply(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
                server.statuses.append(status)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop listening: later connections are refused."""
        self.httpd.shutdown()
        self.httpd.server_close()


def main() -> None:
    import time

    p = argparse.ArgumentParser(description="Serve OpenAI-compatible /v1/embeddings with the packaged MiniLM on 127.0.0.1.")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--api-key", help="require this bearer key")
    p.add_argument("--fail-first", type=int, default=0, help="answer the first N embedding requests with 429")
    p.add_argument("--dim", type=int, default=0, help="truncate vectors to N dimensions")
    p.add_argument("--down-after", type=int, default=0, help="stop listening after N answered requests")
    p.add_argument("--threads", type=int, default=0, help="the model's intra-op threads (0: one per core)")
    a = p.parse_args()
    server = EmbedServer(a.port, a.api_key, a.fail_first, a.dim, a.down_after, a.threads)
    print(f"serving embeddings at {server.base_url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.close()


if __name__ == "__main__":
    main()
