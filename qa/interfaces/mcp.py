"""`qa mcp`: the service as a Model Context Protocol server over stdio (official `mcp` SDK).

Tools `ask` (answer, abstained flag and verified citations as structured content) and `search`;
every ingested file is a resource whose text is exactly what citation offsets point into, so a
client can check any quote itself. stdout is the protocol channel: nothing else may print there.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, Field

from qa.errors import QAError
from qa.interfaces.schema import CitationOut, PassageOut
from qa.interfaces.service import Service

URI = "qa://files/{collection}/{key}"
# Tool descriptions are given as plain strings: a docstring would reach the client with its indentation.
ASK = ("Answer a question from the ingested documents. Abstains (abstained=true, no citations) when they do not "
       "hold the answer; every citation is verified against its source.")


class AskOut(BaseModel):
    answer: str
    abstained: bool = Field(description="True when the documents do not hold the answer (nothing is cited).")
    citations: list[CitationOut] = Field(description="Each with the file, offsets into its text (the resource), the exact quote, and page and title where it has them.")
    model: str
    mode: str


class SearchOut(BaseModel):
    passages: list[PassageOut]


def build(service: Service):  # noqa: ANN201
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ResourceError, ToolError
    from mcp.types import Resource

    from qa.index.store import source_key

    class QAServer(MCPServer):
        async def list_resources(self) -> list[Resource]:
            """Every ingested file, listed afresh on each call (ingests happen while we run)."""
            import anyio

            def files() -> list[Resource]:
                out = []
                for c in service.status(files=True)["collections"]:
                    for f in c.get("file_list", []):
                        out.append(Resource(uri=URI.format(collection=c["name"], key=source_key(f["source"])), name=f["source"],
                                            description=f"{f['source']} in collection {c['name']!r} ({f['chunks']} chunks)",
                                            mime_type="text/plain"))
                return out

            return await anyio.to_thread.run_sync(files)

    mcp = QAServer("qa", log_level="WARNING", instructions="Answers questions about the user's ingested documents with verified citations: "
                   "each citation's quote is exactly the source text at [start, end). Use `ask` for an answer, `search` for passages.")

    @mcp.tool(description=ASK)
    def ask(question: str, collection: str | None = None) -> AskOut:
        try:
            a = service.ask(question, collection=collection)
        except QAError as e:
            raise ToolError(str(e)) from None
        d = a.to_json()
        return AskOut(answer=d["answer"], abstained=d["abstained"], citations=[CitationOut(**c) for c in d["citations"]],
                      model=d["model"], mode=d["mode"])

    @mcp.tool(description="Passages most relevant to the query (dense + keyword), with source and offsets; no model.")
    def search(query: str, collection: str | None = None, k: int = 4) -> SearchOut:
        try:
            found = service.search(query, collection=collection, k=max(1, min(k, 50)))
        except QAError as e:
            raise ToolError(str(e)) from None
        return SearchOut(passages=[PassageOut(**p) for p in found])

    @mcp.resource(URI, mime_type="text/plain")
    def file(collection: str, key: str) -> str:
        """An ingested file's text as indexed (what citation offsets point into)."""
        try:
            for c in service.status(collection, files=True)["collections"]:
                for f in c.get("file_list", []):
                    if source_key(f["source"]) == key:
                        return service.file_text(collection, f["source"])
        except QAError as e:
            raise ResourceError(str(e)) from None
        raise ResourceError(f"no such file in collection {collection!r}")

    return mcp


def run(**overrides: Any) -> None:
    service = Service(**overrides)
    server = build(service)
    # The SDK puts a handler on the root logger; libraries that set their own logger to DEBUG
    # (bm25s does) would then write their chatter to the client's stderr. Warnings and up only.
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)
    server.run("stdio")
