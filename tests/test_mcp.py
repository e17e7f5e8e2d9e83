"""`qa mcp` spawned as a real process and driven by the official MCP SDK's own client (stdio)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_qa

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.slow
def test_mcp_tools_and_resources(seeded: Path, tmp_path: Path) -> None:
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    assert run_qa("ingest", "--collection", "pdf", str(FIXTURES / "digest.pdf")).returncode == 0
    errlog = (tmp_path / "stderr.txt").open("w+")

    async def session() -> None:
        params = StdioServerParameters(command=sys.executable, args=["-m", "qa", "mcp", "--model", "none"], env=dict(os.environ), cwd=str(ROOT))
        async with Client(stdio_client(params, errlog=errlog)) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert set(tools) == {"ask", "search"}
            assert "abstained" in tools["ask"].output_schema["properties"]
            assert "\n " not in tools["ask"].description and "  " not in tools["ask"].description  # no docstring indentation
            cited = tools["ask"].output_schema["$defs"]["CitationOut"]["properties"]
            assert {"page", "title"} <= set(cited)

            paged = await client.call_tool("ask", {"question": "How much is annual trade between Russia and North Korea worth?", "collection": "pdf"})
            c = paged.structured_content["citations"][0]
            assert c["page"] and c["title"] == "North Korea and Russia: a press digest", c

            got = await client.call_tool("ask", {"question": "How much is annual trade between Russia and North Korea worth?"})
            assert not got.is_error
            answer = got.structured_content
            assert not answer["abstained"] and "100 million" in answer["answer"] and answer["citations"]
            resources = {r.name: r.uri for r in (await client.list_resources()).resources}
            assert sum("qa://files/default/" in uri for uri in resources.values()) == 5
            for c in answer["citations"]:
                on_disk = (ROOT / c["source"]).read_text(encoding="utf-8")
                assert on_disk[c["start"] : c["end"]] == c["quote"]
                served = (await client.read_resource(resources[c["source"]])).contents[0].text
                assert served[c["start"] : c["end"]] == c["quote"]

            unknown = await client.call_tool("ask", {"question": "What is Kim Jong-un's favourite food?"})
            assert unknown.structured_content["abstained"] and unknown.structured_content["citations"] == []
            found = await client.call_tool("search", {"query": "Morgulov Pyongyang", "k": 2})
            assert 1 <= len(found.structured_content["passages"]) <= 2
            bad = await client.call_tool("ask", {"question": "   "})
            assert bad.is_error and "empty question" in bad.content[0].text

    asyncio.run(session())
    errlog.seek(0)
    assert "DEBUG" not in errlog.read()  # bm25s logs at DEBUG; nothing of it reaches the client
