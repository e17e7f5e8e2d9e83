"""A real OpenAI-compatible HTTP server on localhost: llama.cpp's own server (through xllamacpp)
serving a GGUF file, with the same context, threads and seed as `qa`'s in-process model.

Used to record the hosted-model cassettes (tests/test_hosted.py) and to try `--model openai:NAME`
by hand:

    python tests/llama_server.py --port 8080                 # the packaged qwen2.5-1.5b
    QA_BASE_URL=http://127.0.0.1:8080/v1 qa ask --model openai:qwen2.5-1.5b "Why did Kim skip Moscow?"

llama.cpp serves whatever model it loaded under any requested name.
"""

from __future__ import annotations

import argparse
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def start(gguf: Path, port: int = 0, api_key: str | None = None, threads: int = 2, context_tokens: int = 4096):  # noqa: ANN201
    """(server, base_url). The server stops when the returned object is garbage-collected."""
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = str(gguf)
    params.n_ctx = context_tokens
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.warmup = False
    params.sampling.seed = 0
    params.hostnames = ["127.0.0.1"]
    params.port = port
    if api_key:
        params.api_keys = [api_key]
    server = xlc.Server(params)
    return server, server.listening_address.rstrip("/") + "/v1"


class FaultyProxy:
    """A tiny HTTP proxy in front of a real server, for the failures a healthy llama.cpp server never
    produces on demand. It forwards requests unchanged and relays the real responses, except:
    the first `fail_first` POSTs to /chat/completions get a real HTTP 500 from the proxy itself, and
    a chat request for a model not in `models` gets a 404 shaped like OpenAI's `model_not_found`.
    What it sends is what crosses the wire, so a cassette recorded through it is an honest record."""

    def __init__(self, upstream: str, port: int, models: set[str], fail_first: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        self.models = models
        self.fail_left = fail_first
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

            def do_GET(self) -> None:
                self._forward(None)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.endswith("/chat/completions"):
                    model = json.loads(body or b"{}").get("model")
                    if proxy.fail_left > 0:
                        proxy.fail_left -= 1
                        return self._reply(500, {"error": {"message": "injected failure (test proxy)", "type": "server_error", "code": 500}})
                    if model not in proxy.models:
                        return self._reply(404, {"error": {
                            "message": f"The model `{model}` does not exist or you do not have access to it.",
                            "type": "invalid_request_error", "param": None, "code": "model_not_found"}})
                self._forward(body)

            def _reply(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _forward(self, body: bytes | None) -> None:
                path = self.path[len("/v1"):] if self.path.startswith("/v1") else self.path
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type", "accept")}
                req = urllib.request.Request(proxy.upstream + path, data=body, headers=headers, method=self.command)
                try:
                    with urllib.request.urlopen(req, timeout=300) as r:
                        status, ctype, data = r.status, r.headers.get("Content-Type", ""), r.read()
                except urllib.error.HTTPError as e:
                    status, ctype, data = e.code, e.headers.get("Content-Type", ""), e.read()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def main() -> None:
    import os
    import time

    parser = argparse.ArgumentParser(description="Serve a GGUF over an OpenAI-compatible API on 127.0.0.1.")
    parser.add_argument("gguf", nargs="?", help="GGUF file (default: the packaged qwen2.5-1.5b)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--api-key", default=os.environ.get("LLAMA_API_KEY"), help="require this key (default: none)")
    parser.add_argument("--threads", type=int, default=max(1, min(os.cpu_count() or 2, 8)))
    parser.add_argument("--proxy-to", metavar="URL", help="run a FaultyProxy to this base URL instead of a server")
    parser.add_argument("--fail-first", type=int, default=0, help="proxy: answer the first N chat requests with 500")
    parser.add_argument("--models", default="qwen2.5-1.5b", help="proxy: comma-separated model names that exist")
    args = parser.parse_args()
    if args.proxy_to:
        # A process of its own when recording: in the test process, VCR would also record the
        # proxy's own forwarding requests.
        proxy = FaultyProxy(args.proxy_to, args.port, set(args.models.split(",")), args.fail_first)
        print(f"proxying {proxy.base_url} to {args.proxy_to}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            proxy.close()
        return
    if args.gguf:
        gguf = Path(args.gguf)
    else:
        from qa.answer.models import PACKAGED

        gguf = PACKAGED["qwen2.5-1.5b"].ensure()
    server, url = start(gguf, args.port, args.api_key, args.threads)
    print(f"serving {gguf.name} at {url} (Ctrl-C stops)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        del server


if __name__ == "__main__":
    main()
