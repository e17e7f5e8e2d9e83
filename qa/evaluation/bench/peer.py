"""The peer: the documented LlamaIndex recipe, with the same embedding model and GGUF model, scored
by the same gold set and fact matcher (see qa/evaluation/bench/answers.py)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from qa.evaluation.evals import Gold, matches, pct


def _peer_llm(model_path: Path, settings):  # noqa: ANN001, ANN202
    from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
    from llama_index.core.llms.callbacks import llm_completion_callback

    from qa.answer.models import LlamaCppModel

    runtime = LlamaCppModel(model_path, settings)

    class SameGGUF(CustomLLM):
        """The same weights and runtime as qa, behind llama-index's LLM interface."""

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(context_window=settings.context_tokens, num_output=256, model_name=model_path.name)

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kwargs) -> CompletionResponse:  # noqa: ANN003
            return CompletionResponse(text=runtime.generate([{"role": "user", "content": prompt}], 256))

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs):  # noqa: ANN003, ANN201
            text = runtime.generate([{"role": "user", "content": prompt}], 256)
            yield CompletionResponse(text=text, delta=text)

    return SameGGUF()


def peer(corpus: Path, gold: list[Gold], model_name: str) -> list[dict]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Settings as LISettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.query_engine import CitationQueryEngine
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from qa.config import load_settings
    from qa.index.embed import resolve_embed_model
    from qa.answer.models import PACKAGED

    settings = load_settings()
    LISettings.embed_model = HuggingFaceEmbedding(model_name=str(resolve_embed_model("all-MiniLM-L6-v2")))
    LISettings.llm = _peer_llm(PACKAGED[model_name].ensure(), settings)
    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("peer"))
    docs = SimpleDirectoryReader(str(corpus)).load_data()
    index = VectorStoreIndex.from_documents(docs, storage_context=StorageContext.from_defaults(vector_store=store))
    engine = CitationQueryEngine.from_args(index)
    rows = []
    for g in gold:
        t0 = time.perf_counter()
        resp = engine.query(g.question)
        ms = (time.perf_counter() - t0) * 1000
        text = str(resp)
        nodes = resp.source_nodes
        cited = {int(n) for n in re.findall(r"\[(?:Source\s*)?(\d+)\]", text)}
        usable = 0
        for n in cited:
            if 1 <= n <= len(nodes):
                node = nodes[n - 1]
                src = Path(node.node.metadata.get("file_path", "")).name
                usable += src in {Path(s).name for s in g.sources} or any(matches(node.node.get_content(), grp) for grp in g.facts)
        rows.append({"id": g.id, "answerable": g.answerable, "answer": text, "ms": ms, "cited": len(cited), "usable_citations": usable,
                     "phantom": sum(1 for n in cited if not 1 <= n <= len(nodes))})
    return rows


def score_peer(rows: list[dict], gold: list[Gold]) -> dict:
    from qa.check.verify import is_not_found

    by_id = {g.id: g for g in gold}
    refusal = re.compile(r"(not (provided|mentioned|specified|stated|available)|no (information|mention)|none of the sources|do(es)? not (say|provide|mention|contain))", re.I)
    correct = answered_unanswerable = cites = usable = 0
    for r in rows:
        g = by_id[r["id"]]
        abstained = is_not_found(r["answer"]) or bool(refusal.search(r["answer"]))
        r["abstained"] = abstained
        if g.answerable:
            ok = not abstained and all(matches(r["answer"], grp) for grp in g.facts)
            correct += ok
            cites += r["cited"]
            usable += r["usable_citations"]
        else:
            answered_unanswerable += not abstained
    ans = sum(g.answerable for g in gold)
    una = len(gold) - ans
    ms = [r["ms"] for r in rows]
    return {
        "accuracy": round(correct / max(1, ans), 3),
        "abstain_recall": round((una - answered_unanswerable) / max(1, una), 3),
        "answered_unanswerable": answered_unanswerable,
        "usable_citation_rate": round(usable / max(1, ans), 3),
        "citation_precision": round(usable / cites, 3) if cites else 0.0,
        "phantom_citations": sum(r["phantom"] for r in rows),
        "p50_ms": round(pct(ms, 0.5)),
        "p95_ms": round(pct(ms, 0.95)),
    }
